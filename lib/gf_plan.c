/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_plan.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

#define MAX_SWEEP 4096
#define MAX_FREQS 256

/* The validator's curves (stressor.sh): load percent and seconds. */
struct curve_step {
	int load;
	int secs;
};

static const struct curve_step curve_default[] = {
	{ 0, 5 }, { 10, 20 }, { 25, 20 }, { 50, 20 }, { 75, 20 }, { 100, 30 },
	{ 75, 20 }, { 50, 20 }, { 25, 20 }, { 10, 20 }, { 0, 5 },
};
static const struct curve_step curve_stepwise[] = {
	{ 0, 20 }, { 20, 20 }, { 40, 20 }, { 60, 20 }, { 80, 20 }, { 100, 20 },
	{ 80, 20 }, { 60, 20 }, { 40, 20 }, { 20, 20 }, { 0, 20 },
};
static const struct curve_step curve_regression[] = {
	{ 0, 15 }, { 10, 30 }, { 25, 30 }, { 50, 30 }, { 75, 30 }, { 50, 30 },
	{ 25, 30 }, { 10, 30 }, { 0, 15 },
};

/*
 * Defaults as the validator runs them: total_runtime_seconds 1200 for
 * default and stepwise (repeats = total / cycle), and the regression
 * config's warmup 15, repeats 1, cooldown 60.
 */
static const struct curve {
	const char *name;
	const struct curve_step *steps;
	size_t nsteps;
	double warmup, cooldown, total;
	int repeats;
} curves[] = {
	{ "default", curve_default, GF_ARRAY_LEN(curve_default), 5, 5, 1200,
	    5 },
	{ "stepwise", curve_stepwise, GF_ARRAY_LEN(curve_stepwise), 5, 5, 1200,
	    5 },
	{ "regression", curve_regression, GF_ARRAY_LEN(curve_regression), 15,
	    60, 0, 1 },
};

/* kepler-model-server single-train and complete-train STRESS_ARGS. */
static const char *const tekton_single[] = {
	"cpu;none;none", "branch;none;none", "regs;none;none",
	"l1cache;none;none", "cache;none;none",
};
static const char *const tekton_complete[] = {
	"cpu;none;none", "branch;none;none", "regs;none;none",
	"l1cache;none;none", "cache;none;none", "stream;none;none",
	"vm-rw;vm-rw-bytes;4G", "sctp;none;none",
};

void
gf_plan_opts_init(struct gf_plan_opts *o)
{
	o->time_scale = 1;
	o->repeats = 0;
	o->total = 0;
	o->warmup = -1;
	o->cooldown = -1;
	o->stress_timeout = 20;
	o->stress_interval = 5;
	o->freq_steps = 1;
}

size_t
gf_plan_instance_sweep(int ncpu, int *out, size_t max)
{
	static const int small[] = { 1, 2, 4, 8 };
	size_t n = 0;

	for (size_t i = 0; i < GF_ARRAY_LEN(small); i++) {
		if (small[i] > ncpu)
			break;
		if (n < max)
			out[n] = small[i];
		n++;
	}
	for (int i = 16; i <= ncpu + 8; i += 8) {
		if (n < max)
			out[n] = i;
		n++;
	}
	return n;
}

size_t
gf_plan_freq_steps(long min_khz, long max_khz, long *out, size_t max)
{
	size_t n = 0;

	if (min_khz <= 0 || max_khz <= 0)
		return 0;
	for (long f = min_khz + GF_PLAN_FREQ_STEP_KHZ; f <= max_khz;
	    f += GF_PLAN_FREQ_STEP_KHZ) {
		if (n < max)
			out[n] = f;
		n++;
	}
	return n;
}

char *
gf_plan_format_seconds(double s, char buf[32])
{
	long t;

	if (s < 60 && s != floor(s)) {
		snprintf(buf, 32, "%.1fs", s);
		return buf;
	}
	t = lround(s);
	if (t >= 3600)
		snprintf(buf, 32, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60,
		    t % 60);
	else if (t >= 60)
		snprintf(buf, 32, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, 32, "%lds", t);
	return buf;
}

/* stress-ng takes whole seconds; a phase never shrinks to nothing. */
static double
stress_seconds(double d, double scale)
{
	long v = lround(d * scale);

	return v < 1 ? 1 : (double)v;
}

static struct gf_plan *
plan_new(const char *name)
{
	struct gf_plan *p = gf_xcalloc(1, sizeof(*p));

	p->name = gf_xstrdup(name);
	return p;
}

/* Appends a phase; argv and params are stolen. */
static struct gf_plan_phase *
add_phase(struct gf_plan *p, char *name, double duration, double rest,
    char **argv, json_t *params)
{
	struct gf_plan_phase *ph;

	p->phases = gf_xreallocarray(p->phases, p->nphases + 1,
	    sizeof(*p->phases));
	ph = &p->phases[p->nphases++];
	memset(ph, 0, sizeof(*ph));
	ph->name = name;
	ph->duration = duration;
	ph->rest = rest;
	ph->argv = argv;
	ph->params = params != NULL ? params : json_object();
	return ph;
}

/* A NULL-terminated argv from a NULL-terminated list of strings. */
static char **
argv_new(const char *first, ...)
{
	char **argv = NULL;
	size_t n = 0;
	const char *s;
	va_list ap;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		argv = gf_xreallocarray(argv, n + 2, sizeof(*argv));
		argv[n++] = gf_xstrdup(s);
	}
	va_end(ap);
	if (argv == NULL)
		argv = gf_xcalloc(1, sizeof(*argv));
	argv[n] = NULL;
	return argv;
}

static void
argv_push(char ***argv, const char *s)
{
	size_t n = 0;

	while ((*argv)[n] != NULL)
		n++;
	*argv = gf_xreallocarray(*argv, n + 2, sizeof(**argv));
	(*argv)[n] = gf_xstrdup(s);
	(*argv)[n + 1] = NULL;
}

static void
argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (size_t i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

void
gf_plan_free(struct gf_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nphases; i++) {
		free(p->phases[i].name);
		argv_free(p->phases[i].argv);
		free(p->phases[i].freq_cpus);
		json_decref(p->phases[i].params);
	}
	free(p->phases);
	free(p->name);
	free(p->freqs_khz);
	free(p->freq_skipped);
	free(p);
}

static void
add_curve_phase(struct gf_plan *p, const char *curve, const char *name,
    int load, double secs, const struct gf_machine *m, int repeat, int step)
{
	char ncpu[16], loadbuf[16], tbuf[32];
	json_t *params;

	snprintf(ncpu, sizeof(ncpu), "%d", m->ncpu);
	snprintf(loadbuf, sizeof(loadbuf), "%d", load);
	snprintf(tbuf, sizeof(tbuf), "%.0f", secs);
	params = json_pack("{s:s, s:s, s:i, s:i, s:i}", "kind", "curve",
	    "curve", curve, "load", load, "instances", m->ncpu, "repeat",
	    repeat);
	if (step > 0)
		json_object_set_new(params, "step", json_integer(step));
	add_phase(p, name != NULL ? gf_xstrdup(name) :
	    gf_xasprintf("cpu-load-%d", load), secs, 0,
	    argv_new("stress-ng", "--cpu", ncpu, "--cpu-method", "ackermann",
		"--cpu-load", loadbuf, "--timeout", tbuf, (char *)NULL),
	    params);
}

static struct gf_plan *
plan_curve(const char *name, const struct gf_plan_opts *o,
    const struct gf_machine *m, struct gf_err *err)
{
	const struct curve *c = NULL;
	struct gf_plan *p;
	double cycle = 0, warmup, cooldown, total;
	int repeats;
	char *pname;

	for (size_t i = 0; i < GF_ARRAY_LEN(curves); i++)
		if (strcmp(curves[i].name, name) == 0)
			c = &curves[i];
	if (c == NULL) {
		gf_err_set(err, GF_EXIT_USAGE, "plan", "unknown curve '%s' "
		    "(known: default, stepwise, regression)", name);
		return NULL;
	}
	for (size_t i = 0; i < c->nsteps; i++)
		cycle += c->steps[i].secs;
	/* Like stressor.sh: a total run time gives the number of repeats. */
	total = o->total > 0 ? o->total : c->total;
	if (o->repeats > 0)
		repeats = o->repeats;
	else if (total > 0)
		repeats = (int)(total / cycle);
	else
		repeats = c->repeats;
	if (repeats < 1)
		repeats = 1;
	warmup = o->warmup >= 0 ? o->warmup : c->warmup;
	cooldown = o->cooldown >= 0 ? o->cooldown : c->cooldown;

	pname = gf_xasprintf("curve:%s", c->name);
	p = plan_new(pname);
	free(pname);
	if (warmup > 0)
		add_curve_phase(p, c->name, "warmup", 0,
		    stress_seconds(warmup, o->time_scale), m, 0, 0);
	for (int r = 1; r <= repeats; r++) {
		for (size_t i = 0; i < c->nsteps; i++)
			add_curve_phase(p, c->name, NULL, c->steps[i].load,
			    stress_seconds(c->steps[i].secs, o->time_scale), m,
			    r, (int)i + 1);
		if (cooldown > 0)
			add_curve_phase(p, c->name, "cooldown", 0,
			    stress_seconds(cooldown, o->time_scale), m, r, 0);
	}
	return p;
}

static int
is_word(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '-' && *s != '_')
			return 0;
	return 1;
}

/* Split "LOAD;KEYS;VALS" (or a bare "LOAD"); new strings. */
static int
tekton_entry(const char *entry, char **load, char **key, char **val,
    struct gf_err *err)
{
	const char *s1 = strchr(entry, ';'), *s2 = NULL;

	*load = *key = *val = NULL;
	if (s1 != NULL)
		s2 = strchr(s1 + 1, ';');
	if (s1 != NULL && (s2 == NULL || strchr(s2 + 1, ';') != NULL))
		return gf_err_set(err, GF_EXIT_USAGE, "plan", "stress argument "
		    "'%s': expected LOAD;KEYS;VALS", entry);
	*load = s1 != NULL ? gf_xstrndup(entry, (size_t)(s1 - entry)) :
	    gf_xstrdup(entry);
	if (s1 != NULL) {
		*key = gf_xstrndup(s1 + 1, (size_t)(s2 - s1 - 1));
		*val = gf_xstrdup(s2 + 1);
		if (strcmp(*key, "none") == 0) {
			free(*key);
			free(*val);
			*key = *val = NULL;
		}
	}
	if (!is_word(*load) || (*key != NULL && !is_word(*key)) ||
	    (*val != NULL && (**val == '\0' || strcmp(*val, "none") == 0))) {
		free(*load);
		free(*key);
		free(*val);
		*load = *key = *val = NULL;
		return gf_err_set(err, GF_EXIT_USAGE, "plan", "stress argument "
		    "'%s': expected LOAD;KEYS;VALS with a stressor name, an "
		    "option name or 'none', and a value", entry);
	}
	return 0;
}

static char *
cpu_list(const struct gf_machine *m, int n)
{
	struct gf_buf b = GF_BUF_INIT;

	if (n > m->ncpu)
		n = m->ncpu;
	for (int i = 0; i < n; i++)
		gf_buf_addf(&b, "%s%d", i ? "," : "", m->cpus[i]);
	return gf_buf_detach(&b);
}

static char *
ghz(long khz)
{
	return gf_xasprintf("%gGHz", (double)khz / 1e6);
}

struct gf_plan *
gf_plan_tekton(const char *const *args, size_t nargs,
    const struct gf_plan_opts *o, const struct gf_machine *m,
    struct gf_err *err)
{
	int sweep[MAX_SWEEP];
	size_t nsweep = gf_plan_instance_sweep(m->ncpu, sweep, MAX_SWEEP);
	double timeout = stress_seconds(o->stress_timeout, o->time_scale);
	double rest = o->stress_interval * o->time_scale;
	char tbuf[32];
	struct gf_plan *p;

	if (nargs == 0) {
		args = tekton_single;
		nargs = GF_ARRAY_LEN(tekton_single);
	}
	if (nsweep > MAX_SWEEP)
		nsweep = MAX_SWEEP;
	p = plan_new("tekton");
	if (!o->freq_steps) {
		p->freq_skipped = gf_xstrdup("frequency steps disabled");
	} else if (!m->freq_writable) {
		p->freq_skipped = gf_xstrdup(m->freq_note != NULL ?
		    m->freq_note : "no cpufreq");
	} else {
		long steps[MAX_FREQS];
		size_t n = gf_plan_freq_steps(m->freq_min_khz, m->freq_max_khz,
		    steps, MAX_FREQS);

		if (n > MAX_FREQS)
			n = MAX_FREQS;
		if (n == 0) {
			p->freq_skipped = gf_xasprintf("no frequency step "
			    "between %ld+%ld and %ld kHz", m->freq_min_khz,
			    GF_PLAN_FREQ_STEP_KHZ, m->freq_max_khz);
		} else {
			p->freqs_khz = gf_xcalloc(n, sizeof(*p->freqs_khz));
			memcpy(p->freqs_khz, steps, n * sizeof(*steps));
			p->nfreqs = n;
		}
	}
	snprintf(tbuf, sizeof(tbuf), "%.0f", timeout);

	for (size_t a = 0; a < nargs; a++) {
		char *load, *key, *val;

		if (tekton_entry(args[a], &load, &key, &val, err) < 0) {
			gf_plan_free(p);
			return NULL;
		}
		for (size_t f = 0; f < (p->nfreqs ? p->nfreqs : 1); f++) {
			long khz = p->nfreqs ? p->freqs_khz[f] : 0;

			for (size_t s = 0; s < nsweep; s++) {
				int n = sweep[s];
				char *cpus = cpu_list(m, n), *g = NULL, *name;
				char nbuf[16];
				char **argv = NULL;
				struct gf_plan_phase *ph;
				json_t *params;

				snprintf(nbuf, sizeof(nbuf), "%d", n);
				if (khz) {
					g = ghz(khz);
					name = gf_xasprintf("%s n=%d f=%s",
					    load, n, g);
				} else {
					name = gf_xasprintf("%s n=%d", load,
					    n);
				}
				if (strcmp(load, "sleep") != 0) {
					char *opt = gf_xasprintf("--%s", load);

					argv = argv_new("stress-ng", opt, nbuf,
					    "--taskset", cpus, (char *)NULL);
					free(opt);
					if (key != NULL) {
						opt = gf_xasprintf("--%s", key);
						argv_push(&argv, opt);
						argv_push(&argv, val);
						free(opt);
					}
					argv_push(&argv, "--timeout");
					argv_push(&argv, tbuf);
					argv_push(&argv, "--aggressive");
					argv_push(&argv, "--metrics-brief");
				}
				params = json_pack("{s:s, s:s, s:i, s:s, "
				    "s:s?, s:s?}", "kind", "tekton", "load",
				    load, "instances", n, "cpus", cpus, "key",
				    key, "value", val);
				json_object_set_new(params, "freq_khz",
				    khz ? json_integer(khz) : json_null());
				ph = add_phase(p, name, timeout, rest, argv,
				    params);
				if (khz) {
					int k = n < m->ncpu ? n : m->ncpu;

					ph->freq_khz = khz;
					ph->freq_cpus = gf_xcalloc((size_t)k,
					    sizeof(int));
					memcpy(ph->freq_cpus, m->cpus,
					    (size_t)k * sizeof(int));
					ph->nfreq_cpus = (size_t)k;
				}
				free(cpus);
				free(g);
			}
		}
		free(load);
		free(key);
		free(val);
	}
	return p;
}

/* Split a Tekton list on commas and white space. */
static struct gf_plan *
plan_tekton_spec(const char *list, const struct gf_plan_opts *o,
    const struct gf_machine *m, struct gf_err *err)
{
	char *copy = gf_xstrdup(list), *save = NULL, *tok;
	const char **args = NULL;
	struct gf_plan *p;
	size_t n = 0;

	if (strcmp(list, "default") == 0 || strcmp(list, "single") == 0) {
		free(copy);
		return gf_plan_tekton(NULL, 0, o, m, err);
	}
	if (strcmp(list, "complete") == 0) {
		free(copy);
		return gf_plan_tekton(tekton_complete,
		    GF_ARRAY_LEN(tekton_complete), o, m, err);
	}
	for (tok = strtok_r(copy, ", \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t\n", &save)) {
		args = gf_xreallocarray(args, n + 1, sizeof(*args));
		args[n++] = tok;
	}
	p = gf_plan_tekton(args, n, o, m, err);
	free(args);
	free(copy);
	return p;
}

struct gf_plan *
gf_plan_from_spec(const char *spec, const struct gf_plan_opts *o,
    const struct gf_machine *m, struct gf_err *err)
{
	struct gf_err perr = GF_ERR_INIT;
	struct gf_plan *p;
	double secs;

	if (strncmp(spec, "curve:", 6) == 0)
		return plan_curve(spec + 6, o, m, err);
	if (strcmp(spec, "tekton") == 0)
		return gf_plan_tekton(NULL, 0, o, m, err);
	if (strncmp(spec, "tekton:", 7) == 0)
		return plan_tekton_spec(spec + 7, o, m, err);
	if (strncmp(spec, "idle:", 5) == 0) {
		char *name;

		if (gf_parse_duration(spec + 5, "idle", &secs, &perr) < 0 ||
		    secs <= 0) {
			gf_err_set(err, GF_EXIT_USAGE, "plan", "plan '%s': "
			    "expected idle:DURATION, e.g. idle:30s", spec);
			return NULL;
		}
		name = gf_xasprintf("idle:%s", spec + 5);
		p = plan_new(name);
		free(name);
		add_phase(p, gf_xstrdup("idle"), secs * o->time_scale, 0, NULL,
		    json_pack("{s:s}", "kind", "idle"));
		return p;
	}
	gf_err_set(err, GF_EXIT_USAGE, "plan", "unknown plan '%s' (expected "
	    "curve:NAME, tekton[:ARGS], idle:DURATION or --plan-file)", spec);
	return NULL;
}

double
gf_plan_estimate(const struct gf_plan *p)
{
	double t = 0;

	for (size_t i = 0; i < p->nphases; i++)
		t += p->phases[i].duration + p->phases[i].rest;
	return t;
}

static int
needs_quote(const char *s)
{
	if (*s == '\0')
		return 1;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.,:/=+%@", *s) ==
		    NULL)
			return 1;
	return 0;
}

char *
gf_plan_phase_command(const struct gf_plan_phase *ph)
{
	struct gf_buf b = GF_BUF_INIT;

	if (ph->argv == NULL) {
		gf_buf_addf(&b, "sleep %g", ph->duration);
		return gf_buf_detach(&b);
	}
	for (size_t i = 0; ph->argv[i] != NULL; i++) {
		const char *a = ph->argv[i];

		if (i > 0)
			gf_buf_addc(&b, ' ');
		if (!needs_quote(a)) {
			gf_buf_adds(&b, a);
			continue;
		}
		gf_buf_addc(&b, '\'');
		for (; *a != '\0'; a++) {
			if (*a == '\'')
				gf_buf_adds(&b, "'\\''");
			else
				gf_buf_addc(&b, *a);
		}
		gf_buf_addc(&b, '\'');
	}
	return gf_buf_detach(&b);
}

json_t *
gf_plan_to_json(const struct gf_plan *p)
{
	json_t *phases = json_array(), *freqs = json_array();

	for (size_t i = 0; i < p->nphases; i++) {
		const struct gf_plan_phase *ph = &p->phases[i];
		json_t *cmd = json_null();

		if (ph->argv != NULL) {
			cmd = json_array();
			for (size_t j = 0; ph->argv[j] != NULL; j++)
				json_array_append_new(cmd,
				    json_string(ph->argv[j]));
		}
		json_array_append_new(phases, json_pack("{s:s, s:f, s:f, s:o, "
		    "s:o, s:O}", "name", ph->name, "duration", ph->duration,
		    "rest", ph->rest, "command", cmd, "freq_khz",
		    ph->freq_khz ? json_integer(ph->freq_khz) : json_null(),
		    "params", ph->params));
	}
	for (size_t i = 0; i < p->nfreqs; i++)
		json_array_append_new(freqs, json_integer(p->freqs_khz[i]));
	return json_pack("{s:s, s:f, s:I, s:o, s:o, s:s?}", "name", p->name,
	    "estimated_seconds", gf_plan_estimate(p), "phase_count",
	    (json_int_t)p->nphases, "phases", phases, "freq_steps_khz", freqs,
	    "freq_skipped", p->freq_skipped);
}

/* YAML plans: semantic errors are placed with gf_yaml's node positions. */
struct yctx {
	const char *name;
	struct gf_err *err;
	json_t *marks;
};

/*
 * Position (1-based) of key in phase item (item < 0: a top-level key; key
 * NULL: the item itself); a missing key points at its phase. 0 when not
 * found.
 */
static int
locate(const struct yctx *y, long item, const char *key, size_t *line,
    size_t *col)
{
	char path[160];

	if (item < 0)
		snprintf(path, sizeof(path), "%s", key);
	else
		snprintf(path, sizeof(path), "phases[%ld]%s%s", item,
		    key != NULL ? "." : "", key != NULL ? key : "");
	if (gf_yaml_mark_key(y->marks, path, line, col) == 0)
		return 1;
	if (item >= 0) {
		snprintf(path, sizeof(path), "phases[%ld]", item);
		return gf_yaml_mark(y->marks, path, line, col) == 0;
	}
	return 0;
}

static int GF_PRINTF(4, 5)
yerr(const struct yctx *y, long item, const char *key, const char *fmt, ...)
{
	char msg[512], field[128];
	size_t line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (item >= 0)
		snprintf(field, sizeof(field), "phases[%ld]%s%s", item,
		    key != NULL ? "." : "", key != NULL ? key : "");
	else
		snprintf(field, sizeof(field), "%s", key);
	if (locate(y, item, key, &line, &col))
		return gf_err_set(y->err, GF_EXIT_DATAERR, "plan",
		    "%s:%zu:%zu: %s: %s", y->name, line, col, field, msg);
	return gf_err_set(y->err, GF_EXIT_DATAERR, "plan", "%s: %s: %s",
	    y->name, field, msg);
}

static int
ydur(const struct yctx *y, const json_t *v, long item, const char *key,
    double *out)
{
	struct gf_err perr = GF_ERR_INIT;

	if (json_is_number(v)) {
		*out = json_number_value(v);
	} else if (json_is_string(v)) {
		if (gf_parse_duration(json_string_value(v), key, out, &perr) <
		    0)
			return yerr(y, item, key, "bad duration '%s' (expected "
			    "e.g. 90s, 15m, 2h)", json_string_value(v));
	} else {
		return yerr(y, item, key, "expected a duration");
	}
	if (!isfinite(*out) || *out < 0)
		return yerr(y, item, key, "expected a duration >= 0");
	return 0;
}

static int
check_keys(const struct yctx *y, const json_t *obj, long item,
    const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; known[i] != NULL; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return yerr(y, item, k, "unknown key");
	}
	return 0;
}

static char **
yargv(const struct yctx *y, const json_t *v, long item)
{
	char **argv = argv_new("stress-ng", (char *)NULL);
	size_t n = 0;

	if (json_is_string(v)) {
		char *copy = gf_xstrdup(json_string_value(v)), *save = NULL;

		for (char *t = strtok_r(copy, " \t\n", &save); t != NULL;
		    t = strtok_r(NULL, " \t\n", &save)) {
			argv_push(&argv, t);
			n++;
		}
		free(copy);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *a;

		json_array_foreach(v, i, a) {
			char buf[64];

			if (json_is_string(a)) {
				argv_push(&argv, json_string_value(a));
			} else if (json_is_integer(a)) {
				snprintf(buf, sizeof(buf), "%lld",
				    (long long)json_integer_value(a));
				argv_push(&argv, buf);
			} else if (json_is_real(a)) {
				snprintf(buf, sizeof(buf), "%g",
				    json_real_value(a));
				argv_push(&argv, buf);
			} else {
				argv_free(argv);
				yerr(y, item, "stress", "element %zu: expected "
				    "a string", i);
				return NULL;
			}
			n++;
		}
	} else {
		argv_free(argv);
		yerr(y, item, "stress", "expected stress-ng arguments (a "
		    "string or a list)");
		return NULL;
	}
	if (n == 0) {
		argv_free(argv);
		yerr(y, item, "stress", "no stress-ng arguments");
		return NULL;
	}
	for (size_t i = 1; argv[i] != NULL; i++)
		if (strcmp(argv[i], "--timeout") == 0 ||
		    strcmp(argv[i], "-t") == 0 ||
		    strncmp(argv[i], "--timeout=", 10) == 0) {
			argv_free(argv);
			yerr(y, item, "stress", "do not give --timeout: "
			    "gf-stress sets it from duration");
			return NULL;
		}
	return argv;
}

struct gf_plan *
gf_plan_parse_yaml(const char *text, size_t len, const char *name,
    const struct gf_plan_opts *o, struct gf_err *err)
{
	static const char *const top_keys[] = { "name", "repeats", "rest",
		"phases", NULL };
	static const char *const phase_keys[] = { "name", "duration", "stress",
		"rest", "params", NULL };
	struct yctx y = { name, err, NULL };
	struct gf_plan *p = NULL;
	json_t *root, *phases, *v;
	double rest = 0;
	long long repeats = 1;
	const char *pname = name;

	if ((root = gf_yaml_parse_marked(text, len, name, &y.marks, err)) ==
	    NULL)
		return NULL;
	if (!json_is_object(root)) {
		gf_err_set(err, GF_EXIT_DATAERR, "plan", "%s: expected a "
		    "mapping with 'phases'", name);
		goto fail;
	}
	if (check_keys(&y, root, -1, top_keys) < 0)
		goto fail;
	if ((v = json_object_get(root, "name")) != NULL) {
		if (!json_is_string(v) || *json_string_value(v) == '\0') {
			yerr(&y, -1, "name", "expected a non-empty string");
			goto fail;
		}
		pname = json_string_value(v);
	}
	if ((v = json_object_get(root, "repeats")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000) {
			yerr(&y, -1, "repeats", "expected an integer >= 1");
			goto fail;
		}
		repeats = json_integer_value(v);
	}
	if (o->repeats > 0)
		repeats = o->repeats;
	if ((v = json_object_get(root, "rest")) != NULL &&
	    ydur(&y, v, -1, "rest", &rest) < 0)
		goto fail;
	phases = json_object_get(root, "phases");
	if (!json_is_array(phases) || json_array_size(phases) == 0) {
		yerr(&y, -1, "phases", "expected a non-empty list of phases");
		goto fail;
	}
	p = plan_new(pname);
	for (long long r = 1; r <= repeats; r++) {
		size_t i;
		json_t *ph;

		json_array_foreach(phases, i, ph) {
			double dur, prest = rest;
			char **argv = NULL;
			json_t *params;
			long item = (long)i;

			if (!json_is_object(ph)) {
				yerr(&y, item, NULL, "expected a mapping");
				goto fail;
			}
			if (check_keys(&y, ph, item, phase_keys) < 0)
				goto fail;
			v = json_object_get(ph, "name");
			if (!json_is_string(v) ||
			    *json_string_value(v) == '\0') {
				yerr(&y, item, "name", v == NULL ? "missing" :
				    "expected a non-empty string");
				goto fail;
			}
			if ((v = json_object_get(ph, "duration")) == NULL) {
				yerr(&y, item, "duration", "missing");
				goto fail;
			}
			if (ydur(&y, v, item, "duration", &dur) < 0)
				goto fail;
			if (dur <= 0) {
				yerr(&y, item, "duration", "must be > 0");
				goto fail;
			}
			if ((v = json_object_get(ph, "rest")) != NULL &&
			    ydur(&y, v, item, "rest", &prest) < 0)
				goto fail;
			v = json_object_get(ph, "params");
			if (v != NULL && !json_is_object(v)) {
				yerr(&y, item, "params", "expected a mapping");
				goto fail;
			}
			params = v != NULL ? json_deep_copy(v) : json_object();
			if ((v = json_object_get(ph, "stress")) != NULL) {
				char tbuf[32];

				if ((argv = yargv(&y, v, item)) == NULL) {
					json_decref(params);
					goto fail;
				}
				dur = stress_seconds(dur, o->time_scale);
				snprintf(tbuf, sizeof(tbuf), "%.0f", dur);
				argv_push(&argv, "--timeout");
				argv_push(&argv, tbuf);
				json_object_set_new(params, "kind",
				    json_string("stress"));
			} else {
				dur *= o->time_scale;
				json_object_set_new(params, "kind",
				    json_string("idle"));
			}
			if (repeats > 1)
				json_object_set_new(params, "repeat",
				    json_integer(r));
			add_phase(p, gf_xstrdup(json_string_value(
			    json_object_get(ph, "name"))), dur,
			    prest * o->time_scale, argv, params);
		}
	}
	json_decref(root);
	json_decref(y.marks);
	return p;
fail:
	gf_plan_free(p);
	json_decref(root);
	json_decref(y.marks);
	return NULL;
}

struct gf_plan *
gf_plan_load_file(const char *path, const struct gf_plan_opts *o,
    struct gf_err *err)
{
	struct gf_plan *p;
	size_t len;
	char *text;

	if ((text = gf_fs_read(path, 16 << 20, &len, err)) == NULL)
		return NULL;
	p = gf_plan_parse_yaml(text, len, path, o, err);
	free(text);
	return p;
}
