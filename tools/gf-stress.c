/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-stress: run a workload plan with stress-ng on this host (the Tekton
 * STRESS_ARGS sweep, the Kepler validator's load curves, idle phases or a
 * YAML plan) and record every phase as a named window of the run
 * document, so that training and validation use exactly those ranges.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include "gf_banned.h"

static volatile sig_atomic_t stop_sig;

static struct {
	const char *input, *config, *plan, *plan_file, *host;
	const char **args;
	size_t nargs;
	int dry_run, no_freq;
} o;

static void GF_NORETURN
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: gf-stress [-FhnV] [-a entry] [-B duration] [-c file] "
	    "[-d duration] [-f file]\n"
	    "                 [-H host] [-i file] [-p plan] [-r repeats] "
	    "[-s scale] [-T duration]\n"
	    "                 [-t duration] [-w duration]\n");
	if (code == 0)
		fputs("\n"
		    "  -p, --plan PLAN          curve:default, curve:stepwise, "
		    "curve:regression,\n"
		    "                           tekton, idle:SECONDS\n"
		    "  -f, --plan-file FILE     a YAML plan\n"
		    "  -a, --stress-args ENTRY  a Tekton entry LOAD;KEYS;VALS "
		    "(repeatable)\n"
		    "  -T, --stress-timeout D   each Tekton run (20s)\n"
		    "  -B, --stress-break-interval D  pause after each "
		    "Tekton run (5s)\n"
		    "  -F, --no-freq-steps      do not step CPU "
		    "frequencies\n"
		    "  -r, --repeats N          runs of a curve or YAML "
		    "plan\n"
		    "  -t, --total D            run time of a curve (gives "
		    "the repeats)\n"
		    "  -w, --warmup D           warm-up before a curve\n"
		    "  -d, --cooldown D         cool-down after each repeat\n"
		    "  -s, --time-scale X       multiply every duration by "
		    "X\n"
		    "  -H, --host HOST          the host to run on (this "
		    "one)\n"
		    "  -n, --dry-run            print the plan, run "
		    "nothing\n"
		    "  -c, --config FILE        YAML settings\n"
		    "  -i, --input FILE         run document (default "
		    "stdin)\n"
		    "  -h, --help               this text\n"
		    "  -V, --version            print the version\n"
		    "Durations: 90s, 15m, 2h. See gf-stress(1).\n", stdout);
	exit(code);
}

static void
on_signal(int sig)
{
	stop_sig = sig;
}

static void
duration_opt(const char *s, const char *what, double *out)
{
	struct gf_err err = GF_ERR_INIT;

	if (gf_parse_duration(s, what, out, &err) < 0)
		gf_die(GF_EXIT_USAGE, "%s", err.msg);
}

/* Settings from -c FILE; command line and environment win. */
static void
apply_config(struct gf_plan_opts *po, json_t *cfg, const char *path)
{
	static const char *const dkeys[] = { "total", "warmup", "cooldown",
		"stress_timeout", "stress_break_interval" };
	double *dvals[] = { &po->total, &po->warmup, &po->cooldown,
		&po->stress_timeout, &po->stress_interval };
	json_t *v;

	if (!json_is_object(cfg))
		gf_die(GF_EXIT_CONFIG, "%s: expected a mapping", path);
	for (size_t i = 0; i < GF_ARRAY_LEN(dkeys); i++) {
		struct gf_err err = GF_ERR_INIT;

		if ((v = json_object_get(cfg, dkeys[i])) == NULL)
			continue;
		if (json_is_number(v))
			*dvals[i] = json_number_value(v);
		else if (!json_is_string(v) || gf_parse_duration(
		    json_string_value(v), dkeys[i], dvals[i], &err) < 0)
			gf_die(GF_EXIT_CONFIG, "%s: field '%s': expected a "
			    "duration", path, dkeys[i]);
	}
	if ((v = json_object_get(cfg, "time_scale")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) <= 0)
			gf_die(GF_EXIT_CONFIG, "%s: field 'time_scale': "
			    "expected a number > 0", path);
		po->time_scale = json_number_value(v);
	}
	if ((v = json_object_get(cfg, "repeats")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000)
			gf_die(GF_EXIT_CONFIG, "%s: field 'repeats': expected "
			    "an integer from 1 to 100000", path);
		po->repeats = (int)json_integer_value(v);
	}
	if ((v = json_object_get(cfg, "cpu_frequency")) != NULL)
		po->freq_steps = json_is_true(v);
	if (o.plan == NULL && o.plan_file == NULL && o.nargs == 0) {
		if (json_is_string(v = json_object_get(cfg, "plan")))
			o.plan = json_string_value(v);
		else if (json_is_string(v = json_object_get(cfg, "plan_file")))
			o.plan_file = json_string_value(v);
	}
	if (o.nargs == 0 && json_is_array(v = json_object_get(cfg,
	    "stress_args"))) {
		size_t i;
		json_t *a;

		json_array_foreach(v, i, a) {
			if (!json_is_string(a))
				gf_die(GF_EXIT_CONFIG, "%s: field "
				    "'stress_args[%zu]': expected a string",
				    path, i);
			o.args = gf_xreallocarray(o.args, o.nargs + 1,
			    sizeof(*o.args));
			o.args[o.nargs++] = json_string_value(a);
		}
	}
}

/* The document's hosts are not used yet: say so when one is remote. */
static void
warn_remote_hosts(const json_t *doc)
{
	json_t *hosts = gf_doc_get(doc, "hosts"), *h;
	size_t i;

	json_array_foreach(hosts, i, h) {
		const char *c = json_string_value(json_object_get(h,
		    "connection"));
		const char *a = json_string_value(json_object_get(h,
		    "address"));
		const char *n = json_string_value(json_object_get(h, "name"));

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
	static const struct option longopts[] = {
		{ "stress-args", required_argument, NULL, 'a' },
		{ "stress-break-interval", required_argument, NULL, 'B' },
		{ "config", required_argument, NULL, 'c' },
		{ "cooldown", required_argument, NULL, 'd' },
		{ "plan-file", required_argument, NULL, 'f' },
		{ "no-freq-steps", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "host", required_argument, NULL, 'H' },
		{ "input", required_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "plan", required_argument, NULL, 'p' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "time-scale", required_argument, NULL, 's' },
		{ "stress-timeout", required_argument, NULL, 'T' },
		{ "total", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "warmup", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct gf_err err = GF_ERR_INIT, perr = GF_ERR_INIT;
	struct gf_plan_opts po;
	struct gf_machine m;
	struct gf_host *host = NULL;
	struct gf_stress_hooks hooks = { 0 };
	struct gf_plan *plan = NULL;
	struct gf_tool t;
	struct sigaction sa;
	json_t *cfg = NULL, *section;
	const char *env;
	char *version = NULL;
	long long ll;
	double scale = 0;
	int ch, failed = 0;

	gf_setprogname(argv[0]);
	gf_plan_opts_init(&po);
	while ((ch = getopt_long(argc, argv, "a:B:c:d:f:FhH:i:np:r:s:T:t:Vw:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.args = gf_xreallocarray(o.args, o.nargs + 1,
			    sizeof(*o.args));
			o.args[o.nargs++] = optarg;
			break;
		case 'B':
			duration_opt(optarg, "--stress-break-interval",
			    &po.stress_interval);
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'd':
			duration_opt(optarg, "--cooldown", &po.cooldown);
			break;
		case 'f':
			o.plan_file = optarg;
			break;
		case 'F':
			o.no_freq = 1;
			break;
		case 'h':
			usage(0);
		case 'H':
			o.host = optarg;
			break;
		case 'i':
			o.input = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'p':
			o.plan = optarg;
			break;
		case 'r':
			if (gf_parse_int(optarg, 1, 100000, "--repeats", &ll,
			    &perr) < 0)
				gf_die(GF_EXIT_USAGE, "%s", perr.msg);
			po.repeats = (int)ll;
			break;
		case 's':
			if (gf_parse_double(optarg, "--time-scale", &scale,
			    &perr) < 0 || scale <= 0)
				gf_die(GF_EXIT_USAGE, "--time-scale: '%s' is "
				    "not a number > 0", optarg);
			break;
		case 'T':
			duration_opt(optarg, "--stress-timeout",
			    &po.stress_timeout);
			break;
		case 't':
			duration_opt(optarg, "--total", &po.total);
			break;
		case 'V':
			gf_tool_version();
		case 'w':
			duration_opt(optarg, "--warmup", &po.warmup);
			break;
		default:
			usage(GF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		usage(GF_EXIT_USAGE);

	if (o.config != NULL) {
		if ((cfg = gf_yaml_load(o.config, &err)) == NULL)
			gf_die_err(&err);
		apply_config(&po, cfg, o.config);
	}
	if ((env = getenv("GF_STRESS_TIME_SCALE")) != NULL && *env != '\0' &&
	    scale == 0 && (gf_parse_double(env, "GF_STRESS_TIME_SCALE", &scale,
	    &perr) < 0 || scale <= 0))
		gf_die(GF_EXIT_CONFIG, "GF_STRESS_TIME_SCALE: '%s' is not a "
		    "number > 0", env);
	if (scale > 0)
		po.time_scale = scale;
	if (o.no_freq)
		po.freq_steps = 0;
	if (o.plan == NULL && o.plan_file == NULL && o.nargs == 0 &&
	    (env = getenv("GF_STRESS_PLAN")) != NULL && *env != '\0')
		o.plan = env;
	if ((o.plan != NULL) + (o.plan_file != NULL) > 1 ||
	    (o.nargs > 0 && o.plan_file != NULL) || (o.nargs > 0 &&
	    o.plan != NULL && strcmp(o.plan, "tekton") != 0))
		gf_die(GF_EXIT_USAGE, "give one plan: --plan, --plan-file or "
		    "--stress-args");
	if (o.plan == NULL && o.plan_file == NULL && o.nargs == 0) {
		gf_error("no plan: give --plan, --plan-file or --stress-args");
		usage(GF_EXIT_USAGE);
	}
	if (o.host != NULL && (host = gf_host_from_name(o.host, &err)) == NULL)
		gf_die_err(&err);
	if (host == NULL)
		host = gf_host_local_new();

	gf_tool_begin(&t, "gf-stress", o.input, 0);
	if (o.host == NULL)
		warn_remote_hosts(t.doc);
	gf_machine_probe(&m, host, NULL);
	if (o.plan_file != NULL)
		plan = gf_plan_load_file(o.plan_file, &po, &err);
	else if (o.nargs > 0)
		plan = gf_plan_tekton(o.args, o.nargs, &po, &m, &err);
	else
		plan = gf_plan_from_spec(o.plan, &po, &m, &err);
	if (plan == NULL)
		goto fail;

	section = json_pack("{s:o, s:b, s:s, s:f, s:i, s:n}", "plan",
	    gf_plan_to_json(plan), "dry_run", o.dry_run, "host",
	    gf_host_name(host),
	    "time_scale", po.time_scale, "cpus", m.ncpu, "stress_ng_version");
	gf_doc_set(t.doc, "stress", section);
	print_plan(plan, o.dry_run);
	if (o.dry_run)
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
	free(o.args);
	json_decref(cfg);
	gf_plan_free(plan);
	gf_machine_release(&m);
	gf_host_free(host);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
