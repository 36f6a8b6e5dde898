/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running a plan (gf_plan.h) on a host (gf_host.h) with stress-ng,
 * recording each completed phase as a window of the run document. The
 * host is borrowed by every call.
 *
 * Every stress-ng runs in its own session, so a terminal's ^C reaches
 * only gf-stress, which then stops the current phase's whole process
 * group: no worker outlives an interrupted run. CPU frequency limits set
 * for a phase are put back after it, also when it is interrupted.
 */
#ifndef GF_STRESS_H
#define GF_STRESS_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_host.h"
#include "gf_plan.h"

struct gf_stress_hooks {
	/* Called before phase i starts; elapsed/left are plan seconds. */
	void (*phase)(void *arg, const struct gf_plan *p, size_t i,
	    double elapsed, double left);
	/* Every 30 s within a phase: seconds since it started. */
	void (*progress)(void *arg, const struct gf_plan *p, size_t i,
	    double in_phase);
	/* A warning worth showing (a frequency step that failed...). */
	void (*note)(void *arg, const char *msg);
	void *arg;
	/* On the runner: where stress-ng's own output goes; NULL:
	 * /dev/null. */
	const char *log_path;
	/* Where cpufreq is written on the host
	 * ("/sys/devices/system/cpu"). */
	const char *sysfs_cpu;
};

/*
 * "0.15.06" from "stress-ng --version" (new string), or NULL with err:
 * 69 when stress-ng is not installed.
 */
char *gf_stress_version(struct gf_host *h, struct gf_err *err);

/*
 * Check every distinct command of the plan with "stress-ng --dry-run",
 * so that a mistyped option fails before anything runs: 65 naming the
 * phase.
 */
int gf_stress_preflight(struct gf_host *h, const struct gf_plan *p,
    struct gf_err *err);

/*
 * Run the plan. Each completed phase adds a window to doc (name, start,
 * end, params + "command"); section (borrowed) gets "phases_run",
 * "skipped_frequency_steps" and, when stopped, "interrupted". *stop is
 * polled: a signal handler sets it to the signal number. Returns 0, or -1
 * with err: 75 when stopped by a signal, 70 when stress-ng failed, 71
 * when it could not be started.
 */
int gf_stress_run(struct gf_host *host, const struct gf_plan *p, json_t *doc,
    json_t *section, const volatile sig_atomic_t *stop,
    const struct gf_stress_hooks *h, struct gf_err *err);

/* One host of a run on several (gf_stress_run_hosts). */
struct gf_stress_target {
	struct gf_host *host;		/* borrowed */
	const struct gf_plan *plan;	/* built for this host; borrowed */
	const char *sysfs_cpu;		/* where cpufreq is written on it */
	json_t *result;			/* borrowed, may be NULL: gets
					 * "exit" and "error" when the host
					 * failed */
};

/*
 * gf_stress_run on n hosts at once: each phase starts on every host
 * together (one thread each) and its window lasts until the last host
 * finished it, timed on the runner. The plans must have the same
 * phases (names and durations: 78 otherwise); a window's params are the
 * first plan's, plus "commands" (host name: command) and, when a
 * stress-ng exited with 2-4, "stress_ng_exits" (host name: status). A
 * host that fails (69 when it is cut off, naming it) stops the phase on
 * every host and ends the run with its error. n == 1 is gf_stress_run.
 */
int gf_stress_run_hosts(struct gf_stress_target *t, size_t n, json_t *doc,
    json_t *section, const volatile sig_atomic_t *stop,
    const struct gf_stress_hooks *h, struct gf_err *err);

#endif
