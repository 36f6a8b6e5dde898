/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a workload plan (gf_plan.h) needs to know about the host it runs
 * on: the CPUs it may use and the CPU frequency limits it may step
 * through.
 */
#ifndef GF_MACHINE_H
#define GF_MACHINE_H

#include "gf_host.h"

struct gf_machine {
	int ncpu;		/* CPUs the workload may run on */
	int *cpus;		/* their numbers, ascending; owned */
	char *sysfs_cpu;	/* "/sys/devices/system/cpu"; owned */
	long freq_min_khz;	/* cpuinfo_min_freq of the first CPU, 0 if
				 * unknown */
	long freq_max_khz;	/* cpuinfo_max_freq of the first CPU, 0 if
				 * unknown */
	int freq_writable;	/* scaling_max_freq can be written */
	char *freq_note;	/* why frequency steps are impossible; owned */
};

/*
 * Fill m from host h (borrowed). On the runner the CPUs are this
 * process's affinity mask (as nproc(1) counts them); on another host
 * CPUs 0..nproc-1. sysfs_cpu (NULL: GF_CPU_SYSFS from the environment,
 * else /sys/devices/system/cpu) is where cpufreq is looked up on the
 * host, so tests can use a fixture tree. Never fails: what cannot be
 * read is reported in freq_note. Release with gf_machine_release().
 */
void gf_machine_probe(struct gf_machine *m, struct gf_host *h,
    const char *sysfs_cpu);

/* Fill m by hand (unit tests): CPUs 0..ncpu-1, no cpufreq unless set. */
void gf_machine_init(struct gf_machine *m, int ncpu);

/* Frees m's contents; m may be NULL. */
void gf_machine_release(struct gf_machine *m);

#endif
