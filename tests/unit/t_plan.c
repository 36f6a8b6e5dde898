/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for gf_plan: plan expansion, estimates and YAML errors. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_plan.h"
#include "tap.h"

static struct gf_plan *
spec(const char *s, const struct gf_plan_opts *o, int ncpu,
    struct gf_err *err)
{
	struct gf_machine m;
	struct gf_plan *p;

	gf_machine_init(&m, ncpu);
	p = gf_plan_from_spec(s, o, &m, err);
	gf_machine_release(&m);
	return p;
}

static void
test_sweep(void)
{
	int out[64];
	size_t n;

	n = gf_plan_instance_sweep(2, out, 64);
	is_int(n, 2, "2 CPUs: sweep 1, 2");
	is_int(out[1], 2, "2 CPUs: second count is 2");
	is_int(gf_plan_instance_sweep(1, out, 64), 1, "1 CPU: sweep 1");
	n = gf_plan_instance_sweep(8, out, 64);
	is_int(n, 5, "8 CPUs: 1 2 4 8 16");
	is_int(out[4], 16, "8 CPUs: overcommit to ncpu+8");
	is_int(gf_plan_instance_sweep(3, out, 64), 2, "3 CPUs: 1 2");
	n = gf_plan_instance_sweep(96, out, 64);
	/* The Tekton task's INSTANCE_COUNT: (96 + 8 - 16) / 8 + 5 = 16. */
	is_int(n, 16, "96 CPUs: 16 instance counts as upstream");
	is_int(out[15], 104, "96 CPUs: last count is 104");
	is_int(gf_plan_instance_sweep(96, out, 3), 16,
	    "count is returned even when out is short");
}

static void
test_freq_steps(void)
{
	long f[16];

	is_int(gf_plan_freq_steps(800000, 2400000, f, 16), 2,
	    "800 MHz..2.4 GHz: two steps");
	is_int(f[0], 1600000, "first step is min + 800 MHz");
	is_int(f[1], 2400000, "last step reaches max");
	is_int(gf_plan_freq_steps(1200000, 3500000, f, 16), 2,
	    "1.2..3.5 GHz: 2.0 and 2.8 GHz");
	is_int(gf_plan_freq_steps(1200000, 1900000, f, 16), 0,
	    "a range narrower than a step has none");
	is_int(gf_plan_freq_steps(0, 0, f, 16), 0, "no cpufreq: no steps");
}

static void
test_curves(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts o;
	struct gf_plan *p;

	gf_plan_opts_init(&o);
	/* Validator defaults: 1200 s total, 5 s warm-up and cool-down. */
	p = spec("curve:default", &o, 4, &err);
	ok(p != NULL, "curve:default builds");
	is_int(p->nphases, 1 + 6 * 12, "default: warmup + 6 x (11 + cooldown)");
	is_near(gf_plan_estimate(p), 5 + 6 * 205, 1e-9, "default: 1235 s");
	is_str(p->phases[0].name, "warmup", "first phase is the warm-up");
	is_str(p->phases[6].name, "cpu-load-100", "100 %% after 4 steps");
	is_near(p->phases[6].duration, 30, 1e-9, "100 %% lasts 30 s");
	is_str(p->phases[6].argv[6], "100", "--cpu-load 100");
	is_str(p->phases[6].argv[2], "4", "--cpu ncpu");
	is_str(p->phases[12].name, "cooldown", "cool-down ends a cycle");
	gf_plan_free(p);

	p = spec("curve:stepwise", &o, 2, &err);
	is_int(p->nphases, 1 + 5 * 12, "stepwise: 5 repeats of 220 s");
	is_near(gf_plan_estimate(p), 5 + 5 * 225, 1e-9, "stepwise: 1130 s");
	is_str(p->phases[4].name, "cpu-load-60", "stepwise climbs by 20");
	gf_plan_free(p);

	p = spec("curve:regression", &o, 2, &err);
	is_int(p->nphases, 1 + 9 + 1, "regression: warmup, 9 steps, cooldown");
	is_near(gf_plan_estimate(p), 15 + 240 + 60, 1e-9, "regression: 315 s");
	gf_plan_free(p);

	o.time_scale = 0.1;
	p = spec("curve:default", &o, 2, &err);
	is_int(p->nphases, 73, "a time scale keeps the phases");
	is_near(gf_plan_estimate(p), 1 + 6 * 22, 1e-9,
	    "scale 0.1: 133 s, whole seconds, at least 1 each");
	gf_plan_free(p);

	gf_plan_opts_init(&o);
	o.repeats = 1;
	o.warmup = 0;
	o.cooldown = 0;
	p = spec("curve:default", &o, 2, &err);
	is_int(p->nphases, 11, "one cycle without warm-up or cool-down");
	is_near(gf_plan_estimate(p), 200, 1e-9, "one default cycle is 200 s");
	gf_plan_free(p);

	o.repeats = 0;
	o.total = 600;
	p = spec("curve:stepwise", &o, 2, &err);
	is_int(p->nphases, 2 * 11, "total 600 s gives 2 stepwise cycles");
	gf_plan_free(p);

	gf_plan_opts_init(&o);
	ok(spec("curve:nosuch", &o, 2, &err) == NULL, "unknown curve fails");
	is_int(err.exit, 64, "unknown curve is a usage error");
	ok(spec("banana", &o, 2, &err) == NULL, "unknown plan fails");
	is_int(err.exit, 64, "unknown plan is a usage error");
}

static void
test_idle(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts o;
	struct gf_plan *p;

	gf_plan_opts_init(&o);
	p = spec("idle:2", &o, 2, &err);
	is_int(p->nphases, 1, "idle: one phase");
	is_str(p->phases[0].name, "idle", "named idle");
	ok(p->phases[0].argv == NULL, "idle runs no command");
	is_near(gf_plan_estimate(p), 2, 1e-9, "idle:2 lasts 2 s");
	gf_plan_free(p);
	p = spec("idle:1m30s", &o, 2, &err);
	is_near(gf_plan_estimate(p), 90, 1e-9, "idle takes durations");
	gf_plan_free(p);
	ok(spec("idle:soon", &o, 2, &err) == NULL, "idle:soon fails");
	is_int(err.exit, 64, "bad idle duration is a usage error");
	ok(spec("idle:0", &o, 2, &err) == NULL, "idle:0 fails");
}

static void
test_tekton(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts o;
	struct gf_machine m;
	struct gf_plan *p;
	const char *vm[] = { "vm-rw;vm-rw-bytes;4G" };
	const char *bad[] = { "cpu;none" };
	char *cmd;

	gf_plan_opts_init(&o);
	/* The example of the reference: 96 CPUs, 5 args, 25 s a run. */
	gf_machine_init(&m, 96);
	p = gf_plan_tekton(NULL, 0, &o, &m, &err);
	is_int(p->nphases, 5 * 16, "default Tekton plan on 96 CPUs: 80 runs");
	is_near(gf_plan_estimate(p), 2000, 1e-9, "5 x 16 x 25 s = 2000 s");
	ok(p->freq_skipped != NULL, "no cpufreq: frequency steps skipped");
	is_str(p->phases[0].name, "cpu n=1", "first run: cpu n=1");
	is_str(p->phases[79].name, "cache n=104", "last run: cache n=104");
	cmd = gf_plan_phase_command(&p->phases[2]);
	is_str(cmd, "stress-ng --cpu 4 --taskset 0,1,2,3 --timeout 20 "
	    "--aggressive --metrics-brief", "Tekton command line");
	free(cmd);
	gf_plan_free(p);
	gf_machine_release(&m);

	gf_machine_init(&m, 2);
	p = gf_plan_tekton(vm, 1, &o, &m, &err);
	cmd = gf_plan_phase_command(&p->phases[0]);
	is_str(cmd, "stress-ng --vm-rw 1 --taskset 0 --vm-rw-bytes 4G "
	    "--timeout 20 --aggressive --metrics-brief", "extra key and value");
	free(cmd);
	is_str(json_string_value(json_object_get(p->phases[0].params, "key")),
	    "vm-rw-bytes", "window params carry the key");
	gf_plan_free(p);
	ok(gf_plan_tekton(bad, 1, &o, &m, &err) == NULL, "LOAD;KEYS fails");
	is_int(err.exit, 64, "a bad entry is a usage error");
	ok(strstr(err.msg, "cpu;none") != NULL, "the message names the entry");

	/* Frequency steps where cpufreq is writable. */
	m.freq_min_khz = 800000;
	m.freq_max_khz = 2400000;
	m.freq_writable = 1;
	o.stress_timeout = 1;
	o.stress_interval = 0.5;
	p = gf_plan_from_spec("tekton:cache;none;none", &o, &m, &err);
	is_int(p->nphases, 2 * 2, "2 frequencies x 2 instance counts");
	is_str(p->phases[0].name, "cache n=1 f=1.6GHz", "name has f=GHz");
	is_str(p->phases[3].name, "cache n=2 f=2.4GHz", "last frequency");
	is_int(p->phases[3].freq_khz, 2400000, "phase sets 2.4 GHz");
	is_int(p->phases[3].nfreq_cpus, 2, "on both pinned CPUs");
	is_near(gf_plan_estimate(p), 4 * 1.5, 1e-9, "4 x (1 + 0.5) s");
	gf_plan_free(p);
	o.freq_steps = 0;
	p = gf_plan_from_spec("tekton:cache;none;none", &o, &m, &err);
	is_int(p->nphases, 2, "--no-freq-steps: one pass");
	is_str(p->freq_skipped, "frequency steps disabled", "reason recorded");
	gf_plan_free(p);
	o.freq_steps = 1;
	p = gf_plan_from_spec("tekton:complete", &o, &m, &err);
	is_int(p->nphases, 8 * 2 * 2, "complete-train: 8 loads");
	gf_plan_free(p);
	p = gf_plan_from_spec("tekton:sleep;none;none", &o, &m, &err);
	ok(p->phases[0].argv == NULL, "the sleep load only sleeps");
	gf_plan_free(p);
	gf_machine_release(&m);
}

static const char good_yaml[] =
    "name: mine\n"
    "repeats: 2\n"
    "rest: 1s\n"
    "phases:\n"
    "  - name: idle\n"
    "    duration: 10s\n"
    "  - name: cpu-load-50\n"
    "    duration: 20\n"
    "    stress: [--cpu, 2, --cpu-load, 50]\n"
    "    rest: 0\n"
    "    params: {load: 50}\n"
    "  - name: mem\n"
    "    duration: 1m\n"
    "    stress: --vm 1 --vm-bytes 64M\n";

static struct gf_plan *
yaml(const char *text, struct gf_err *err)
{
	struct gf_plan_opts o;

	gf_plan_opts_init(&o);
	gf_err_clear(err);
	return gf_plan_parse_yaml(text, strlen(text), "p.yaml", &o, err);
}

static void
yaml_fails(const char *text, const char *want, const char *what)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan *p = yaml(text, &err);

	ok(p == NULL && err.exit == 65 && strstr(err.msg, want) != NULL,
	    "%s", what);
	if (p != NULL || strstr(err.msg, want) == NULL)
		diag("got '%s', want '%s'", err.msg, want);
	gf_plan_free(p);
}

static void
test_yaml(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan *p = yaml(good_yaml, &err);
	char *cmd;

	ok(p != NULL, "a YAML plan parses");
	if (p == NULL) {
		diag("%s", err.msg);
		return;
	}
	is_str(p->name, "mine", "plan name from the file");
	is_int(p->nphases, 6, "3 phases x 2 repeats");
	ok(p->phases[0].argv == NULL, "no stress: idle");
	cmd = gf_plan_phase_command(&p->phases[1]);
	is_str(cmd, "stress-ng --cpu 2 --cpu-load 50 --timeout 20",
	    "a list of arguments, --timeout added");
	free(cmd);
	cmd = gf_plan_phase_command(&p->phases[2]);
	is_str(cmd, "stress-ng --vm 1 --vm-bytes 64M --timeout 60",
	    "a string of arguments");
	free(cmd);
	is_near(gf_plan_estimate(p), 2 * (10 + 1 + 20 + 0 + 60 + 1), 1e-9,
	    "durations and rests add up");
	is_int(json_integer_value(json_object_get(p->phases[1].params,
	    "load")), 50, "params go to the window");
	is_int(json_integer_value(json_object_get(p->phases[4].params,
	    "repeat")), 2, "repeat number in params");
	gf_plan_free(p);

	yaml_fails("phases:\n  - name: a\n    duration: [1\n",
	    "p.yaml:4:1:", "syntax error names line:col");
	yaml_fails("phases:\n  - name: a\n    duration: 10s\n"
	    "  - name: b\n    duration: soon\n",
	    "p.yaml:5:5: phases[1].duration: bad duration 'soon'",
	    "bad duration names line:col and field");
	yaml_fails("phases:\n  - name: a\n    duration: 1\n    strees: x\n",
	    "p.yaml:4:5: phases[0].strees: unknown key",
	    "unknown key names line:col");
	yaml_fails("phases:\n  - duration: 3\n",
	    "p.yaml:2:5: phases[0].name: missing", "missing name");
	yaml_fails("phases:\n  - name: x\n",
	    "p.yaml:2:5: phases[0].duration: missing", "missing duration");
	yaml_fails("name: x\nphases: []\n", "p.yaml:2:1: phases:",
	    "empty phases");
	yaml_fails("phases:\n  - name: x\n    duration: 2\n"
	    "    stress: --cpu 1 --timeout 9\n",
	    "p.yaml:4:5: phases[0].stress: do not give --timeout",
	    "--timeout is refused");
	yaml_fails("repeats: 0\nphases:\n  - {name: x, duration: 1}\n",
	    "p.yaml:1:1: repeats:", "repeats must be >= 1");
	yaml_fails("phases:\n  - {name: x, duration: -1}\n",
	    "p.yaml:2:15: phases[0].duration:", "flow style is located too");
	yaml_fails("- a\n- b\n", "expected a mapping", "a list is no plan");
}

static void
test_format(void)
{
	char b[32];

	is_str(gf_plan_format_seconds(45, b), "45s", "45s");
	is_str(gf_plan_format_seconds(4.8, b), "4.8s", "4.8s");
	is_str(gf_plan_format_seconds(1130, b), "18m50s", "18m50s");
	is_str(gf_plan_format_seconds(3725, b), "1h02m05s", "1h02m05s");
}

int
main(void)
{
	test_sweep();
	test_freq_steps();
	test_curves();
	test_idle();
	test_tekton();
	test_yaml();
	test_format();
	return done_testing();
}
