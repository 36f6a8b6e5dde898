/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Workload plans for gf-stress: an ordered list of phases, each a
 * stress-ng command (or an idle pause) run for a fixed time and recorded
 * as one named window of the run document.
 *
 * Plans come from a specification string or a YAML file:
 *
 *	curve:default		the Kepler validator's load curve
 *	curve:stepwise		0 to 100 to 0 % in steps of 20, 20 s each
 *	curve:regression	the validator's regression curve
 *	tekton[:ENTRY,...]	kepler-model-server's Tekton stress task
 *	idle:DURATION		one idle phase
 *
 * Building a plan needs the machine it runs on (CPUs and cpufreq
 * limits, gf_machine.h), so that a plan is fully expanded before it
 * runs: a dry run shows exactly what would run, and the estimated total
 * is exact up to process start-up.
 *
 *	struct gf_machine m;
 *	struct gf_plan_opts o;
 *	gf_machine_probe(&m, host, NULL);
 *	gf_plan_opts_init(&o);
 *	plan = gf_plan_from_spec("curve:default", &o, &m, &err);
 *	...
 *	gf_plan_free(plan);
 *	gf_machine_release(&m);
 */
#ifndef GF_PLAN_H
#define GF_PLAN_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_machine.h"

/* The Tekton task's frequency step, in kHz. */
#define GF_PLAN_FREQ_STEP_KHZ 800000L

struct gf_plan_opts {
	double time_scale;	/* every duration is multiplied by it; 1 */
	int repeats;		/* curve repeats; 0 = the curve's default */
	double total;		/* curve run time giving repeats; 0 = default */
	double warmup;		/* curve warm-up seconds; < 0 = default */
	double cooldown;	/* curve cool-down seconds; < 0 = default */
	double stress_timeout;	/* Tekton TIMEOUT seconds; 20 */
	double stress_interval;	/* Tekton INTERVAL seconds; 5 */
	int freq_steps;		/* Tekton CPU_FREQUENCY_ENABLED; 1 */
};

void gf_plan_opts_init(struct gf_plan_opts *o);

struct gf_plan_phase {
	char *name;		/* window name, e.g. "cache n=8 f=2.8GHz" */
	double duration;	/* seconds the phase (window) lasts */
	double rest;		/* pause after it, outside any window */
	char **argv;		/* stress-ng command, NULL-terminated;
				 * NULL for an idle phase */
	long freq_khz;		/* scaling_max_freq to set, 0 = leave */
	int *freq_cpus;		/* CPUs whose limit is set; owned */
	size_t nfreq_cpus;
	json_t *params;		/* window parameters (object); owned */
};

struct gf_plan {
	char *name;		/* "curve:default", "tekton", a file name */
	struct gf_plan_phase *phases;
	size_t nphases;
	long *freqs_khz;	/* frequency steps used (Tekton), or NULL */
	size_t nfreqs;
	char *freq_skipped;	/* why frequency steps were not used */
};

/*
 * Build a plan from a specification (list above). Errors: exit 64 with a
 * message naming the specification. Returns a new plan; free with
 * gf_plan_free().
 */
struct gf_plan *gf_plan_from_spec(const char *spec,
    const struct gf_plan_opts *o, const struct gf_machine *m,
    struct gf_err *err);

/*
 * The Tekton plan for STRESS_ARGS entries "LOAD;KEYS;VALS" (KEYS and VALS
 * "none" when unused). nargs 0 means the single-train pipeline's five
 * defaults. Errors: exit 64 naming the entry.
 */
struct gf_plan *gf_plan_tekton(const char *const *args, size_t nargs,
    const struct gf_plan_opts *o, const struct gf_machine *m,
    struct gf_err *err);

/*
 * A plan from YAML text (schema in gf-stress(1)). name is used in
 * messages, which give name:line:col where the position can be found and
 * the field path always. Errors: exit 65. Returns a new plan.
 */
struct gf_plan *gf_plan_parse_yaml(const char *text, size_t len,
    const char *name, const struct gf_plan_opts *o, struct gf_err *err);

/* gf_plan_parse_yaml() on a file: 66 when it is missing. */
struct gf_plan *gf_plan_load_file(const char *path,
    const struct gf_plan_opts *o, struct gf_err *err);

void gf_plan_free(struct gf_plan *p);

/* Seconds the plan takes: every duration and rest. */
double gf_plan_estimate(const struct gf_plan *p);

/*
 * {"name", "estimated_seconds", "phases": [{"name", "duration", "rest",
 * "command", "freq_khz", "params"}], "freq_steps_khz", "freq_skipped"}.
 * Returns a new reference.
 */
json_t *gf_plan_to_json(const struct gf_plan *p);

/* The command as one shell-like line (new string); "sleep N" for idle. */
char *gf_plan_phase_command(const struct gf_plan_phase *ph);

/*
 * The Tekton instance sweep: 1, 2, 4, 8 (each <= ncpu), then 16, 24, ...
 * up to ncpu + 8. Writes at most max counts to out; returns how many
 * there are.
 */
size_t gf_plan_instance_sweep(int ncpu, int *out, size_t max);

/*
 * Tekton frequency steps: min + step, min + 2 step, ... <= max (kHz).
 * Writes at most max values; returns how many there are.
 */
size_t gf_plan_freq_steps(long min_khz, long max_khz, long *out, size_t max);

/* "1h02m05s", "45s", "2.5s" into buf (32 bytes). Returns buf. */
char *gf_plan_format_seconds(double s, char buf[32]);

#endif
