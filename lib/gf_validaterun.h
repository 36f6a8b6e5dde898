/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One gf-validate run, from resolved options to the "validate" section:
 * open the source (Prometheus or a recorded file), load the check set,
 * take the time range (given, or the document's windows), score the
 * checks and the model, summarise the windows, evaluate the gate, count
 * the verdicts, and write the report directory and the job summary.
 *
 * The options arrive already resolved (command line, environment,
 * document, config file: the tool's business); everything in them is
 * borrowed. Nothing is printed: progress and warnings go through the
 * hooks in the options.
 *
 *	struct gf_validate_opts o = GF_VALIDATE_OPTS_INIT;
 *	json_t *section = json_object();
 *
 *	o.url = url;
 *	o.step = "3s";
 *	o.rate_interval = "20s";
 *	o.checks = "rapl-kepler-0.7";
 *	rc = gf_validate_run(&o, doc, section, &err);
 *	gf_doc_set(doc, "validate", section);
 */
#ifndef GF_VALIDATERUN_H
#define GF_VALIDATERUN_H

#include <stddef.h>

#include <jansson.h>

#include "gf_checks.h"
#include "gf_err.h"
#include "gf_metrics.h"

struct gf_validate_opts {
	/* The source: from_json (a recorded file), else Prometheus at url. */
	const char *from_json;
	const char *url;	/* credentials allowed; recorded redacted */
	const char *timeout;	/* per request, a duration; NULL: gf_http's */
	const char *step;	/* query step and alignment tolerance, a
				   duration > 0; NULL: "3s" */
	const char *rate_interval;	/* {rate_interval}; the overhead's */

	/* The range; both NaN: the document's windows, one score each. */
	double start, end;

	/*
	 * The check set: a file or a built-in set's name (gf_checkset_find);
	 * NULL: none. Its templates get the variables the Kepler validator
	 * sets: metal_job_name (NULL: "metal"), vm_job_name (NULL: "vm"),
	 * vm_selector and level from vm_pid (0: the vm, by vm_name) and
	 * rate_interval; then vars (may be NULL) over them.
	 */
	const char *checks;
	const char *metal_job, *vm_job, *vm_name;
	long long vm_pid;
	const struct gf_vars *vars;

	/*
	 * A model file scored against measured; its features' queries come
	 * from the file, then feature_queries (may be NULL) over them.
	 */
	const char *model, *measured;
	const struct gf_vars *feature_queries;
	struct gf_thresholds th;	/* the model check's */

	/* Per-window summaries (gf_summary_req, gf_validate.h). */
	const char *power, *energy, *work, *work_unit;
	double idle_power;	/* NaN: none */
	const char *const *ns;
	size_t nns;

	/* The gate: the query's value at end (NaN: now) op threshold. */
	const char *gate;
	const char *op;		/* NULL: "<" */
	const char *threshold;	/* a number, as given */

	/* The report directory (NULL: none) and its tag (NULL: run id). */
	const char *out, *tag;

	/*
	 * What a tool shows on stderr (each may be NULL): warnings, one line
	 * per scored check, and the title of a group of such lines (NULL
	 * title: the group ends). msg is borrowed for the call.
	 */
	void (*warn)(const char *msg, void *arg);
	void (*info)(const char *msg, void *arg);
	void (*group)(const char *title, void *arg);
	void *arg;
};

/*
 * Everything unset: no source, no checks, model, summaries, gate or
 * report; start, end, th and idle_power NaN; rate_interval "20s".
 */
void gf_validate_opts_init(struct gf_validate_opts *o);

/*
 * Run o against the run document doc (its windows and run id are read)
 * and fill section (borrowed), also on failure: results, verdict counts,
 * summaries, gate, report paths, as gf-validate(1) documents them.
 * Returns 0 when everything ran and passed; 1 when it ran but a check
 * failed or the gate tripped (err set, exit 1); -1 on failure with err
 * set (64 for options that do not fit, 65 data, 66 missing file, 69/75
 * Prometheus, 73 report directory, 78 no source). A report directory is
 * written completely or not at all.
 */
int gf_validate_run(const struct gf_validate_opts *o, const json_t *doc,
    json_t *section, struct gf_err *err);

#endif
