/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-stress: run a workload plan with stress-ng on this host (the Tekton
 * STRESS_ARGS sweep, the Kepler validator's load curves, idle phases or a
 * YAML plan) and record every phase as a named window of the run
 * document, so that training and validation use exactly those ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_err.h"
#include "gf_host.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_plan.h"
#include "gf_stress.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_section.h"
#include "gf_banned.h"

static volatile sig_atomic_t stop_sig;

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "plan", .letter = 'P', .kind = GF_OPT_STRING, .arg = "PLAN",
	  .help = "curve:default, curve:stepwise, curve:regression, tekton, "
	  "idle:SECONDS", .env = "GF_STRESS_PLAN" },
	{ .name = "plan-file", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "a YAML plan" },
	{ .name = "stress-args", .kind = GF_OPT_LIST, .arg = "ENTRY",
	  .help = "a Tekton entry LOAD;KEYS;VALS (repeatable)" },
	{ .name = "stress-timeout", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "each Tekton run", .def = "20s" },
	{ .name = "stress-break-interval", .letter = 'B',
	  .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "pause after each Tekton run", .def = "5s" },
	{ .name = "no-freq-steps", .letter = 'F', .kind = GF_OPT_FLAG,
	  .help = "do not step CPU frequencies" },
	{ .name = "repeats", .kind = GF_OPT_INT, .arg = "N",
	  .help = "runs of a curve or YAML plan", .min = 1, .max = 100000 },
	{ .name = "total", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "run time of a curve (gives the repeats)" },
	{ .name = "warmup", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "warm-up before a curve" },
	{ .name = "cooldown", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "cool-down after each repeat" },
	{ .name = "time-scale", .kind = GF_OPT_NUMBER, .arg = "X",
	  .help = "multiply every duration by X",
	  .env = "GF_STRESS_TIME_SCALE", .min = 1e-9, .max = 1e9 },
	{ .name = "host", .letter = 'H', .kind = GF_OPT_STRING, .arg = "HOST",
	  .help = "the host to run on (this one)" },
	{ .name = "dry-run", .letter = 'n', .kind = GF_OPT_FLAG,
	  .help = "print the plan, run nothing" },
};

static const struct gf_cli cli = {
	.name = "gf-stress",
	.synopsis = "[-BFhnV] [-c file] [-H host] [-i file] [-P plan] "
	    "[--plan-file file] [--stress-args entry] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Durations: 90s, 15m, 2h. See gf-stress(1).",
};

static void
on_signal(int sig)
{
	stop_sig = sig;
}

/* The plan's settings that were given; the others keep the plan's own. */
static void
plan_settings(struct gf_plan_opts *po, const struct gf_settings *set)
{
	static const char *const names[] = { "total", "warmup", "cooldown",
		"stress-timeout", "stress-break-interval" };
	double *vals[] = { &po->total, &po->warmup, &po->cooldown,
		&po->stress_timeout, &po->stress_interval };

	for (size_t i = 0; i < GF_ARRAY_LEN(names); i++)
		if (gf_opt_given(set, names[i]))
			*vals[i] = gf_opt_num(set, names[i]);
	if (gf_opt_given(set, "time-scale"))
		po->time_scale = gf_opt_num(set, "time-scale");
	if (gf_opt_given(set, "repeats"))
		po->repeats = (int)gf_opt_num(set, "repeats");
	if (gf_opt_flag(set, "no-freq-steps"))
		po->freq_steps = 0;
}

/* The document's hosts are not used yet: say so when one is remote. */
static void
warn_remote_hosts(const json_t *doc)
{
	json_t *hosts = gf_doc_get(doc, GF_SECTION_HOSTS), *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		const char *c = json_string_value(json_object_get(h,
		    GF_FIELD_HOST_CONNECTION));
		const char *a = json_string_value(json_object_get(h,
		    GF_FIELD_HOST_ADDRESS));
		const char *n = json_string_value(json_object_get(h,
		    GF_FIELD_HOST_NAME));

		if ((c != NULL && strcmp(c, "local") != 0) || (c == NULL &&
		    a != NULL && !gf_host_is_runner(a))) {
			gf_warn("host '%s' of the document is not this host: "
			    "gf-stress runs here (remote execution is not "
			    "supported yet)", n != NULL ? n : a != NULL ? a :
			    "?");
			return;
		}
	}
}

static void
print_plan(const struct gf_plan *p, int full)
{
	char b1[32], b2[32];

	gf_info("plan %s: %zu phases, estimated %s", p->name, p->nphases,
	    gf_plan_format_seconds(gf_plan_estimate(p), b1));
	if (p->freq_skipped != NULL)
		gf_info("CPU frequency steps skipped: %s", p->freq_skipped);
	if (!full)
		return;
	gf_log_group("plan %s", p->name);
	for (size_t i = 0; i < p->nphases; i++) {
		char *cmd = gf_plan_phase_command(&p->phases[i]);

		gf_info("%4zu  %-22s %7s%s%s  %s", i + 1, p->phases[i].name,
		    gf_plan_format_seconds(p->phases[i].duration, b1),
		    p->phases[i].rest > 0 ? " +" : "",
		    p->phases[i].rest > 0 ? gf_plan_format_seconds(
		    p->phases[i].rest, b2) : "", cmd);
		free(cmd);
	}
	gf_log_endgroup();
}

static void
on_phase(void *arg, const struct gf_plan *p, size_t i, double elapsed,
    double left)
{
	char b1[32], b2[32], b3[32];

	/* The windows so far survive even a SIGKILL. */
	gf_tool_checkpoint(arg);
	gf_info("[%zu/%zu] %s for %s (%s done, %s left)", i + 1, p->nphases,
	    p->phases[i].name, gf_plan_format_seconds(p->phases[i].duration,
	    b1), gf_plan_format_seconds(elapsed, b2),
	    gf_plan_format_seconds(left, b3));
}

static void
on_progress(void *arg, const struct gf_plan *p, size_t i, double in_phase)
{
	char b1[32], b2[32];

	(void)arg;
	gf_info("[%zu/%zu] %s: %s of %s", i + 1, p->nphases,
	    p->phases[i].name, gf_plan_format_seconds(floor(in_phase), b1),
	    gf_plan_format_seconds(p->phases[i].duration, b2));
}

static void
on_note(void *arg, const char *msg)
{
	(void)arg;
	gf_warn("%s", msg);
}

/* stress-ng's output goes to our stderr, never to stdout (the document). */
static const char *
stress_log(void)
{
	int fd;

	if (gf_log_get_level() == GF_LOG_QUIET)
		return "/dev/null";
	if ((fd = open("/dev/stderr", O_WRONLY | O_APPEND)) < 0)
		return "/dev/null";
	close(fd);
	return "/dev/stderr";
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts po;
	struct gf_machine m;
	struct gf_host *host = NULL;
	struct gf_stress_hooks hooks = { 0 };
	struct gf_plan *plan = NULL;
	struct gf_tool t;
	struct sigaction sa;
	json_t *section;
	const char *plan_name, *plan_file, *host_opt;
	const char *const *args;
	char *version = NULL;
	size_t nargs;
	int failed = 0;

	gf_tool_start(&t, &cli, argc, argv, GF_TOOL_OWN_SIGNALS);
	gf_plan_opts_init(&po);
	plan_settings(&po, &t.set);
	plan_name = gf_opt_str(&t.set, "plan");
	plan_file = gf_opt_str(&t.set, "plan-file");
	host_opt = gf_opt_str(&t.set, "host");
	args = gf_opt_list(&t.set, "stress-args", &nargs);
	if ((plan_name != NULL && plan_file != NULL) || (nargs > 0 &&
	    plan_file != NULL) || (nargs > 0 && plan_name != NULL &&
	    strcmp(plan_name, "tekton") != 0))
		gf_tool_usage_error(&t, "give one plan: --plan, --plan-file "
		    "or --stress-args");
	if (plan_name == NULL && plan_file == NULL && nargs == 0)
		gf_tool_usage_error(&t, "no plan: give --plan, --plan-file or "
		    "--stress-args");
	if (host_opt != NULL && (host = gf_host_from_name(host_opt,
	    &err)) == NULL)
		gf_tool_fail(&t, &err);
	if (host == NULL)
		host = gf_host_local_new();
	if (host_opt == NULL)
		warn_remote_hosts(t.doc);
	gf_machine_probe(&m, host, NULL);
	if (plan_file != NULL)
		plan = gf_plan_load_file(plan_file, &po, &err);
	else if (nargs > 0)
		plan = gf_plan_tekton(args, nargs, &po, &m, &err);
	else
		plan = gf_plan_from_spec(plan_name, &po, &m, &err);
	if (plan == NULL)
		goto fail;

	section = json_pack("{s:o, s:b, s:s, s:f, s:i, s:n}", "plan",
	    gf_plan_to_json(plan), "dry_run", gf_opt_flag(&t.set, "dry-run"), "host",
	    gf_host_name(host),
	    "time_scale", po.time_scale, "cpus", m.ncpu, "stress_ng_version");
	gf_doc_set(t.doc, "stress", section);
	print_plan(plan, gf_opt_flag(&t.set, "dry-run"));
	if (gf_opt_flag(&t.set, "dry-run"))
		goto out;

	/* From here on a signal ends the run with the document written. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (size_t i = 0; i < plan->nphases; i++)
		if (plan->phases[i].argv != NULL) {
			if ((version = gf_stress_version(host, &err)) == NULL ||
			    gf_stress_preflight(host, plan, &err) < 0)
				goto fail;
			json_object_set_new(section, "stress_ng_version",
			    json_string(version));
			break;
		}

	hooks.phase = on_phase;
	hooks.arg = &t;
	hooks.progress = on_progress;
	hooks.note = on_note;
	hooks.log_path = stress_log();
	hooks.sysfs_cpu = m.sysfs_cpu;
	{
		char b[32], when[32];
		double now = gf_time_now();

		gf_info("running %s on %s: about %s, until %s", plan->name,
		    gf_host_name(host), gf_plan_format_seconds(gf_plan_estimate(plan), b),
		    gf_time_format(now + gf_plan_estimate(plan), 0, when));
		json_object_set_new(section, "started", json_real(now));
	}
	failed = gf_stress_run(host, plan, t.doc, section, &stop_sig, &hooks,
	    &err) < 0;
	json_object_set_new(section, "ended", json_real(gf_time_now()));
	if (!failed)
		gf_info("done: %zu phases recorded as windows", plan->nphases);
	goto out;
fail:
	failed = 1;
out:
	free(version);
	gf_plan_free(plan);
	gf_machine_release(&m);
	gf_host_free(host);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
