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
	  .help = "a host of the document, or all (default: this one)" },
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

/* Without --host the run is local: say so when the document has others. */
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
			    "gf-stress runs here (--host NAME or --host all "
			    "runs there)", n != NULL ? n : a != NULL ? a : "?");
			return;
		}
	}
}

/* One host of the run and what it needs. */
struct target {
	struct gf_host *host;
	struct gf_machine m;
	struct gf_plan *plan;
	char *version;
	json_t *result;		/* its stress.hosts[] entry (all) */
};

/*
 * The hosts --host names: this one, one of the document's, or all of
 * them (each once: two entries for one machine would share its
 * connection, which is not thread-safe, and load it twice).
 */
static struct target *
open_hosts(const json_t *doc, const char *opt, size_t *n, struct gf_err *err)
{
	json_t *hosts = gf_doc_get(doc, GF_SECTION_HOSTS), *e;
	struct target *tg;
	size_t i;

	*n = opt != NULL && strcmp(opt, "all") == 0 ? json_array_size(hosts)
	    : 1;
	if (*n == 0) {
		gf_err_set(err, GF_EXIT_CONFIG, "stress", "--host all: the "
		    "document has no hosts");
		return NULL;
	}
	tg = gf_xcalloc(*n, sizeof(*tg));
	if (opt == NULL)
		tg[0].host = gf_host_local_new();
	else if (*n == 1 && strcmp(opt, "all") != 0)
		tg[0].host = gf_host_from_doc(doc, opt, err);
	else
		json_array_foreach(hosts, i, e)
			if ((tg[i].host = gf_host_from_json(e, err)) == NULL)
				break;
	for (i = 0; i < *n && tg[i].host != NULL; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(gf_host_address(tg[i].host),
			    gf_host_address(tg[j].host)) == 0) {
				gf_err_set(err, GF_EXIT_CONFIG, "stress",
				    "hosts '%s' and '%s' are the same "
				    "machine (%s)", gf_host_name(tg[j].host),
				    gf_host_name(tg[i].host),
				    gf_host_address(tg[i].host));
				gf_host_free(tg[i].host);
				tg[i].host = NULL;
				break;
			}
	if (i == *n)
		return tg;
	for (i = 0; i < *n; i++)
		gf_host_free(tg[i].host);
	free(tg);
	return NULL;
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

/* Build each host's plan from its machine (its CPUs, its cpufreq). */
static struct gf_plan *
build_plan(struct target *tg, const struct gf_settings *set,
    const struct gf_plan_opts *po, struct gf_err *err)
{
	const char *plan_name = gf_opt_str(set, "plan");
	const char *plan_file = gf_opt_str(set, "plan-file");
	const char *const *args;
	size_t nargs;

	args = gf_opt_list(set, "stress-args", &nargs);
	gf_machine_probe(&tg->m, tg->host, NULL);
	if (plan_file != NULL)
		return gf_plan_load_file(plan_file, po, err);
	if (nargs > 0)
		return gf_plan_tekton(args, nargs, po, &tg->m, err);
	return gf_plan_from_spec(plan_name, po, &tg->m, err);
}

/* stress-ng's version on each host, and its options checked there. */
static int
check_stress_ng(struct target *tg, size_t n, json_t *section,
    struct gf_err *err)
{
	for (size_t i = 0; i < tg[0].plan->nphases; i++)
		if (tg[0].plan->phases[i].argv != NULL)
			goto needed;
	return 0;
needed:
	for (size_t k = 0; k < n; k++) {
		if (gf_host_ssh_check_sudo(tg[k].host, err) < 0 ||
		    (tg[k].version = gf_stress_version(tg[k].host,
		    err)) == NULL || gf_stress_preflight(tg[k].host,
		    tg[k].plan, err) < 0) {
			if (tg[k].result != NULL) {
				json_object_set_new(tg[k].result, "exit",
				    json_integer(err->exit));
				json_object_set_new(tg[k].result, "error",
				    json_string(err->msg));
			}
			return -1;
		}
		if (tg[k].result != NULL)
			json_object_set_new(tg[k].result, "stress_ng_version",
			    json_string(tg[k].version));
	}
	json_object_set_new(section, "stress_ng_version",
	    json_string(tg[0].version));
	return 0;
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts po;
	struct gf_stress_hooks hooks = { 0 };
	struct gf_stress_target *st = NULL;
	struct target *tg = NULL;
	struct gf_tool t;
	struct sigaction sa;
	json_t *section, *results = NULL;
	const char *plan_name, *plan_file, *host_opt;
	size_t nargs, n = 0;
	int failed = 0, all;

	gf_tool_start(&t, &cli, argc, argv, GF_TOOL_OWN_SIGNALS);
	gf_plan_opts_init(&po);
	plan_settings(&po, &t.set);
	plan_name = gf_opt_str(&t.set, "plan");
	plan_file = gf_opt_str(&t.set, "plan-file");
	host_opt = gf_opt_str(&t.set, "host");
	(void)gf_opt_list(&t.set, "stress-args", &nargs);
	if ((plan_name != NULL && plan_file != NULL) || (nargs > 0 &&
	    plan_file != NULL) || (nargs > 0 && plan_name != NULL &&
	    strcmp(plan_name, "tekton") != 0))
		gf_tool_usage_error(&t, "give one plan: --plan, --plan-file "
		    "or --stress-args");
	if (plan_name == NULL && plan_file == NULL && nargs == 0)
		gf_tool_usage_error(&t, "no plan: give --plan, --plan-file or "
		    "--stress-args");
	if ((tg = open_hosts(t.doc, host_opt, &n, &err)) == NULL)
		gf_tool_fail(&t, &err);
	all = host_opt != NULL && strcmp(host_opt, "all") == 0;
	if (host_opt == NULL)
		warn_remote_hosts(t.doc);
	if (all)
		results = json_array();
	for (size_t k = 0; k < n; k++) {
		if ((tg[k].plan = build_plan(&tg[k], &t.set, &po, &err)) ==
		    NULL)
			goto fail;
		if (!all)
			continue;
		tg[k].result = json_pack("{s:s, s:s, s:s, s:i, s:n, s:i}",
		    "name", gf_host_name(tg[k].host), "address",
		    gf_host_address(tg[k].host), "connection",
		    gf_host_connection(tg[k].host), "cpus", tg[k].m.ncpu,
		    "stress_ng_version", "exit", 0);
		json_array_append_new(results, tg[k].result);
	}

	section = json_pack("{s:o, s:b, s:s, s:f, s:i, s:n}", "plan",
	    gf_plan_to_json(tg[0].plan), "dry_run", gf_opt_flag(&t.set,
	    "dry-run"), "host", all ? "all" : gf_host_name(tg[0].host),
	    "time_scale", po.time_scale, "cpus", tg[0].m.ncpu,
	    "stress_ng_version");
	if (all)
		json_object_set_new(section, "hosts", json_incref(results));
	gf_doc_set(t.doc, "stress", section);
	print_plan(tg[0].plan, gf_opt_flag(&t.set, "dry-run"));
	if (gf_opt_flag(&t.set, "dry-run"))
		goto out;

	/* From here on a signal ends the run with the document written. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (check_stress_ng(tg, n, section, &err) < 0)
		goto fail;

	hooks.phase = on_phase;
	hooks.arg = &t;
	hooks.progress = on_progress;
	hooks.note = on_note;
	hooks.log_path = stress_log();
	st = gf_xcalloc(n, sizeof(*st));
	for (size_t k = 0; k < n; k++) {
		st[k].host = tg[k].host;
		st[k].plan = tg[k].plan;
		st[k].sysfs_cpu = tg[k].m.sysfs_cpu;
		st[k].result = tg[k].result;
	}
	{
		char b[32], when[32];
		double now = gf_time_now();

		gf_info("running %s on %s: about %s, until %s",
		    tg[0].plan->name, all ? "every host of the document" :
		    gf_host_name(tg[0].host), gf_plan_format_seconds(
		    gf_plan_estimate(tg[0].plan), b), gf_time_format(now +
		    gf_plan_estimate(tg[0].plan), 0, when));
		json_object_set_new(section, "started", json_real(now));
	}
	failed = gf_stress_run_hosts(st, n, t.doc, section, &stop_sig,
	    &hooks, &err) < 0;
	json_object_set_new(section, "ended", json_real(gf_time_now()));
	if (!failed)
		gf_info("done: %zu phases recorded as windows",
		    tg[0].plan->nphases);
	goto out;
fail:
	failed = 1;
out:
	for (size_t k = 0; k < n; k++) {
		free(tg[k].version);
		gf_plan_free(tg[k].plan);
		gf_machine_release(&tg[k].m);
		gf_host_free(tg[k].host);
	}
	free(tg);
	free(st);
	json_decref(results);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
