/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Included last by every .c file: functions that overflow buffers, are not
 * thread-safe, or hide errors do not compile.
 */
#ifndef GF_BANNED_H
#define GF_BANNED_H

#define GF_BANNED(func) sorry_##func##_is_banned_in_gf

#undef strcpy
#define strcpy(x, y) GF_BANNED(strcpy)
#undef strcat
#define strcat(x, y) GF_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) GF_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) GF_BANNED(strncat)
#undef sprintf
#define sprintf(...) GF_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) GF_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) GF_BANNED(strtok)
#undef gets
#define gets(x) GF_BANNED(gets)
#undef atoi
#define atoi(x) GF_BANNED(atoi)
#undef gmtime
#define gmtime(t) GF_BANNED(gmtime)
#undef localtime
#define localtime(t) GF_BANNED(localtime)

#endif
