/* SPDX-License-Identifier: Apache-2.0 */
/* Compiler attributes shared by every module. */
#ifndef GF_COMPAT_H
#define GF_COMPAT_H

#define GF_NORETURN __attribute__((noreturn))
#define GF_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define GF_UNUSED __attribute__((unused))

#define GF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
