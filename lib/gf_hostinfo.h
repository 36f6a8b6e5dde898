/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Facts about a host (gf_host.h, borrowed by every call): what
 * gf-provision's local provider puts in the document's "hosts", and the
 * RAPL check gf-kepler-install makes before it spends anything on a
 * measurement stack.
 *
 * On the runner everything is read from the kernel's files (uname,
 * /proc, /sys, /etc/os-release) and nothing is run; on another host the
 * same files are read through the host, and uname(1), getconf(1),
 * hostname(1) and ls(1) are run there. A fact that cannot be read is
 * left out of the object rather than guessed.
 */
#ifndef GF_HOSTINFO_H
#define GF_HOSTINFO_H

#include <jansson.h>

#include "gf_err.h"
#include "gf_host.h"

/*
 * The RAPL availability record for the powercap tree under sysfs_root
 * (NULL = "/sys"): the equivalent of Kepler CI's
 * rapl-domain-availability.txt, with readability checked.
 *
 *	{ "path": "/sys/class/powercap", "present": true, "readable": false,
 *	  "domains": [ { "zone": "intel-rapl:0", "name": "package-0",
 *	                 "readable": false, "error": "Permission denied" } ] }
 *
 * "present" is true when at least one zone with a name file exists;
 * "readable" when every zone's energy_uj can be read (recent kernels make
 * it root-only). Never fails. Returns a new reference.
 */
json_t *gf_hostinfo_rapl(struct gf_host *h, const char *sysfs_root);

/* Non-zero when the record says RAPL can be used as a power source. */
int gf_hostinfo_rapl_usable(const json_t *rapl);

/*
 * The host as a host entry (name, address and connection from h):
 *
 *	{ "name", "address": "127.0.0.1", "addresses": [non-loopback IPs],
 *	  "connection": "local", "arch", "kernel", "os", "cpu_model",
 *	  "cores", "memory_bytes", "rapl": gf_hostinfo_rapl(h, sysfs_root) }
 *
 * Returns a new reference, or NULL with err (71) when even uname(2)
 * fails on the runner.
 */
json_t *gf_hostinfo_collect(struct gf_host *h, const char *sysfs_root,
    struct gf_err *err);

#endif
