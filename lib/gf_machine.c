/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_machine.h"
#include "gf_host.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

void
gf_machine_init(struct gf_machine *m, int ncpu)
{
	memset(m, 0, sizeof(*m));
	if (ncpu < 1)
		ncpu = 1;
	m->ncpu = ncpu;
	m->cpus = gf_xcalloc((size_t)ncpu, sizeof(*m->cpus));
	for (int i = 0; i < ncpu; i++)
		m->cpus[i] = i;
	m->sysfs_cpu = gf_xstrdup("/sys/devices/system/cpu");
	m->freq_note = gf_xstrdup("no cpufreq information");
}

void
gf_machine_release(struct gf_machine *m)
{
	if (m == NULL)
		return;
	free(m->cpus);
	free(m->sysfs_cpu);
	free(m->freq_note);
	memset(m, 0, sizeof(*m));
}

static long
read_khz(struct gf_host *h, const char *path)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = gf_host_read(h, path, 64, NULL, &err);
	long v = 0;
	char *end;

	if (text == NULL)
		return 0;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || v <= 0)
		v = 0;
	free(text);
	return v;
}

/* The runner's CPUs: this process's affinity mask. */
static void
local_cpus(struct gf_machine *m)
{
	cpu_set_t set;
	int n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0) {
		n = gf_proc_cpus();	/* the online CPUs, the mask unread */
		CPU_ZERO(&set);
		for (int i = 0; i < n && i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	}
	m->cpus = gf_xcalloc((size_t)n, sizeof(*m->cpus));
	for (int i = 0; i < CPU_SETSIZE && m->ncpu < n; i++)
		if (CPU_ISSET(i, &set))
			m->cpus[m->ncpu++] = i;
}

/* Another host's CPUs: 0..nproc-1 (at least one). */
static void
remote_cpus(struct gf_machine *m, struct gf_host *h)
{
	const char *argv[] = { "nproc", NULL };
	struct gf_err err = GF_ERR_INIT;
	char *out = NULL;
	long n = 0;

	if (gf_host_capture(h, argv, 10, &out, &err) == 0 && out != NULL)
		n = strtol(out, NULL, 10);
	free(out);
	if (n < 1)
		n = 1;
	m->cpus = gf_xcalloc((size_t)n, sizeof(*m->cpus));
	for (int i = 0; i < n; i++)
		m->cpus[m->ncpu++] = i;
}

/*
 * Opening for writing is the real test: access(2) says yes to root on a
 * read-only sysfs mount. Another host can only be asked with test(1).
 */
static int
writable(struct gf_host *h, const char *path, char **why)
{
	const char *argv[] = { "test", "-w", path, NULL };
	struct gf_err err = GF_ERR_INIT;
	int fd;

	if (!gf_host_is_local(h)) {
		if (gf_host_capture(h, argv, 10, NULL, &err) == 0)
			return 1;
		*why = gf_xasprintf("%s is not writable", path);
		return 0;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
		*why = gf_xasprintf("%s is not writable: %s", path,
		    strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

void
gf_machine_probe(struct gf_machine *m, struct gf_host *h,
    const char *sysfs_cpu)
{
	const char *env = getenv("GF_CPU_SYSFS");
	char *path = NULL;

	memset(m, 0, sizeof(*m));
	if (sysfs_cpu == NULL)
		sysfs_cpu = env != NULL && *env != '\0' ? env :
		    "/sys/devices/system/cpu";
	m->sysfs_cpu = gf_xstrdup(sysfs_cpu);
	if (gf_host_is_local(h))
		local_cpus(m);
	else
		remote_cpus(m, h);

	path = gf_xasprintf("%s/cpu%d/cpufreq/cpuinfo_min_freq", sysfs_cpu,
	    m->cpus[0]);
	m->freq_min_khz = read_khz(h, path);
	free(path);
	path = gf_xasprintf("%s/cpu%d/cpufreq/cpuinfo_max_freq", sysfs_cpu,
	    m->cpus[0]);
	m->freq_max_khz = read_khz(h, path);
	free(path);
	if (m->freq_min_khz == 0 || m->freq_max_khz == 0) {
		m->freq_note = gf_xasprintf("no cpufreq limits in %s/cpu%d/"
		    "cpufreq", sysfs_cpu, m->cpus[0]);
		return;
	}
	path = gf_xasprintf("%s/cpu%d/cpufreq/scaling_max_freq", sysfs_cpu,
	    m->cpus[0]);
	m->freq_writable = writable(h, path, &m->freq_note);
	free(path);
}
