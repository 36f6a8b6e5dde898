/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_stack.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_http.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

#define MAX_ITEMS 16

struct stack;

/*
 * One component of the stack. Strings in vars, dirs, argv and ready
 * are templates: "${name}" is replaced by a variable, looked up in the
 * component's own variables, then in the stack's:
 *
 *   stack:      state, address, sysfs, textfile_dir, source, retention,
 *               scrape_interval, idle_watts, dynamic_watts,
 *               dram_idle_watts, dram_dynamic_watts, packages, curve
 *   component:  dir (STATE/NAME), pid_file, log, program; port, listen
 *               (ADDRESS:PORT) and url when it listens; pid once
 *               started; and its own vars ("k=TEMPLATE", or "k:=JSON")
 *
 * fields names the variables its object in the section holds.
 */
struct component {
	const char *key;	/* in the section and in reports */
	const char *name;	/* directory, file stem, "components" entry */
	const char *program;
	const char *package;	/* Debian package that has it */
	enum gf_stack_runner runner;
	int (*wanted)(const struct gf_stack_opts *o);
	const char *(*program_of)(const struct gf_stack_opts *o); /* NULL:
								   * program */
	const char *vars[MAX_ITEMS];
	const char *dirs[MAX_ITEMS];	/* made before it starts */
	/* Writes its config file; called again for each port tried. */
	int (*config)(struct stack *s, size_t c, struct gf_err *err);
	int listens;		/* gets a free port */
	int ready_http;		/* ready: ready is an HTTP path on its port;
				 * else a file that appears */
	const char *ready;
	const char *argv[MAX_ITEMS];	/* after the program */
	const char *parent;	/* NULL: the section; else that object */
	const char *fields[MAX_ITEMS];
	int version;		/* records "PROGRAM --version" */
	const char *scrape_job;	/* Prometheus scrapes it under this job */
	int scraper;		/* it is Prometheus: waits for the scrapes */
};

static int
want_prometheus(const struct gf_stack_opts *o)
{
	return o->prometheus;
}

static int
want_node(const struct gf_stack_opts *o)
{
	return o->node_exporter;
}

static int
want_meter(const struct gf_stack_opts *o)
{
	return o->power == GF_STACK_POWER_SIMULATED;
}

static const char *
powersim_program(const struct gf_stack_opts *o)
{
	return o->powersim;
}

static int write_prom_config(struct stack *s, size_t c,
    struct gf_err *err);

/*
 * In stop order: Prometheus first so it flushes while its targets still
 * answer. A row may use what the rows after it provide (Prometheus
 * scrapes node-exporter's port), so they start last to first.
 */
static const struct component components[] = {
	{
		.key = GF_FIELD_STACK_PROMETHEUS, .name = "prometheus",
		.program = "prometheus", .package = "prometheus",
		.runner = GF_STACK_RUNNER_PROCESS,
		.wanted = want_prometheus,
		.vars = { "config=${dir}/prometheus.yml",
			"data_dir=${dir}/data", "admin_api:=true" },
		.dirs = { "${data_dir}" },
		.config = write_prom_config,
		.listens = 1, .ready_http = 1, .ready = "/-/ready",
		.argv = { "--config.file=${config}",
			"--storage.tsdb.path=${data_dir}",
			"--storage.tsdb.retention.time=${retention}",
			"--web.listen-address=${listen}",
			"--web.enable-admin-api", "--web.enable-lifecycle" },
		.fields = { GF_FIELD_COMPONENT_URL, "port", "pid", "pid_file",
			"log", "config", GF_FIELD_COMPONENT_DATA_DIR,
			"retention", "admin_api" },
		.version = 1, .scraper = 1,
	},
	{
		.key = "node_exporter", .name = "node-exporter",
		.program = "prometheus-node-exporter",
		.package = "prometheus-node-exporter",
		.runner = GF_STACK_RUNNER_PROCESS,
		.wanted = want_node,
		.listens = 1, .ready_http = 1, .ready = "/metrics",
		.argv = { "--web.listen-address=${listen}",
			"--path.sysfs=${sysfs}", "--collector.rapl",
			"--collector.textfile",
			"--collector.textfile.directory=${textfile_dir}" },
		.fields = { "url", "port", "pid", "pid_file", "log", "sysfs",
			"textfile_dir" },
		.version = 1, .scrape_job = "node",
	},
	{
		.key = "meter", .name = "powersim",
		.program = "gf-powersim", .package = "gf (make all)",
		.runner = GF_STACK_RUNNER_PROCESS,
		.wanted = want_meter, .program_of = powersim_program,
		.dirs = { "${sysfs}" },
		.ready = "${sysfs}/class/powercap/intel-rapl:0/energy_uj",
		.argv = { "--dir", "${sysfs}", "--textfile", "${textfile_dir}",
			"--idle-watts", "${idle_watts}",
			"--dynamic-watts", "${dynamic_watts}",
			"--dram-idle-watts", "${dram_idle_watts}",
			"--dram-dynamic-watts", "${dram_dynamic_watts}",
			"--packages", "${packages}" },
		.parent = "power",
		.fields = { "program", "pid", "pid_file", "log", "sysfs",
			"curve" },
	},
};

#define NCOMP GF_ARRAY_LEN(components)

struct stack {
	struct gf_host *host;
	const struct gf_stack_opts *o;
	char *state;
	json_t *vars;		/* the stack's variables */
	json_t *cvars[NCOMP];	/* each component's, once it is wanted */
	int started[NCOMP];
};

/* How each runner starts, stops and checks one component. */
struct runner {
	const char *name;
	int (*start)(struct stack *s, size_t c, struct gf_err *err);
	int (*stop)(struct gf_host *h, const char *state, size_t c,
	    const char **what, struct gf_err *err);
	enum gf_host_pid_state (*check)(struct gf_host *h, const char *state,
	    size_t c, pid_t *pid);
};

static int process_start(struct stack *s, size_t c, struct gf_err *err);
static int process_stop(struct gf_host *h, const char *state, size_t c,
    const char **what, struct gf_err *err);
static enum gf_host_pid_state process_check(struct gf_host *h,
    const char *state, size_t c, pid_t *pid);

static const struct runner runners[] = {
	[GF_STACK_RUNNER_PROCESS] = { "process", process_start, process_stop,
		process_check },
	[GF_STACK_RUNNER_SYSTEMD] = { "systemd", NULL, NULL, NULL },
	[GF_STACK_RUNNER_KUBERNETES] = { "kubernetes", NULL, NULL, NULL },
};

void
gf_stack_opts_init(struct gf_stack_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->prometheus = 1;
	o->node_exporter = 1;
	o->power = GF_STACK_POWER_NONE;
	o->curve.idle_watts = 10;
	o->curve.dynamic_watts = 40;
	o->curve.dram_idle_watts = 2;
	o->curve.dram_dynamic_watts = 3;
	o->curve.packages = 1;
	o->powersim = "gf-powersim";
	o->scrape_interval = 3;
	o->retention = "100y";
	o->ready_timeout = 60;
}

static char *
absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return gf_xstrdup(path);
	if (strcmp(path, ".") == 0)
		return gf_xstrdup(cwd);
	if (strncmp(path, "./", 2) == 0)
		path += 2;
	return gf_fs_join(cwd, path);
}

char *
gf_stack_default_dir(void)
{
	const char *rt = getenv("RUNNER_TEMP");

	if (rt != NULL && *rt != '\0') {
		char *d = gf_fs_join(rt, "gf-stack");
		char *a = absolute(d);

		free(d);
		return a;
	}
	return absolute("gf-stack");
}

static char *
comp_path(const char *state, size_t c, const char *suffix)
{
	return gf_xasprintf("%s/%s/%s%s", state, components[c].name,
	    components[c].name, suffix);
}

/* "STATE/dir/": a pid whose arguments do not name it is not ours. */
static char *
comp_match(const char *state, size_t c)
{
	return gf_xasprintf("%s/%s/", state, components[c].name);
}

static const json_t *
lookup(const struct stack *s, const json_t *own, const char *name,
    size_t len)
{
	char key[64];
	const json_t *v;

	if (len >= sizeof(key))
		GF_BUG("stack variable name too long");
	memcpy(key, name, len);
	key[len] = '\0';
	if (own != NULL && (v = json_object_get(own, key)) != NULL)
		return v;
	if ((v = json_object_get(s->vars, key)) == NULL)
		GF_BUG("unknown stack variable '%s'", key);
	return v;
}

static void
add_value(struct gf_buf *b, const json_t *v)
{
	if (json_is_string(v))
		gf_buf_addf(b, "%s", json_string_value(v));
	else if (json_is_integer(v))
		gf_buf_addf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		gf_buf_addf(b, "%g", json_real_value(v));
	else
		gf_buf_addf(b, "%s", json_is_true(v) ? "true" : "false");
}

/* The template with its variables replaced. Returns a new string. */
static char *
expand(const struct stack *s, const json_t *own, const char *tmpl)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *p = tmpl, *open, *close;

	while ((open = strstr(p, "${")) != NULL &&
	    (close = strchr(open, '}')) != NULL) {
		gf_buf_add(&b, p, (size_t)(open - p));
		add_value(&b, lookup(s, own, open + 2,
		    (size_t)(close - open - 2)));
		p = close + 1;
	}
	gf_buf_addf(&b, "%s", p);
	return gf_buf_detach(&b);
}

static void
set_str(json_t *vars, const char *key, char *value)
{
	json_object_set_new(vars, key, json_string(value));
	free(value);
}

/* "k=TEMPLATE" or "k:=JSON" of a row's vars into vars. */
static void
set_var(const struct stack *s, json_t *vars, const char *def)
{
	const char *eq = strchr(def, '=');
	char *key;

	if (eq == NULL)
		GF_BUG("stack variable without '='");
	if (eq > def && eq[-1] == ':') {
		key = gf_xstrndup(def, (size_t)(eq - 1 - def));
		json_object_set_new(vars, key, json_loads(eq + 1,
		    JSON_DECODE_ANY, NULL));
	} else {
		key = gf_xstrndup(def, (size_t)(eq - def));
		set_str(vars, key, expand(s, vars, eq + 1));
	}
	free(key);
}

static const char *
comp_program(const struct stack *s, size_t c)
{
	const char *p = components[c].program_of != NULL ?
	    components[c].program_of(s->o) : NULL;

	return p != NULL ? p : components[c].program;
}

static json_t *
comp_vars(const struct stack *s, size_t c)
{
	const struct component *row = &components[c];
	json_t *v = json_object();

	set_str(v, "dir", gf_fs_join(s->state, row->name));
	set_str(v, "pid_file", comp_path(s->state, c, ".pid"));
	set_str(v, "log", comp_path(s->state, c, ".log"));
	json_object_set_new(v, "program", json_string(comp_program(s, c)));
	for (size_t i = 0; i < MAX_ITEMS && row->vars[i] != NULL; i++)
		set_var(s, v, row->vars[i]);
	return v;
}

static json_t *
curve_json(const struct gf_stack_curve *cv)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:i}", "idle_watts", cv->idle_watts,
	    "dynamic_watts", cv->dynamic_watts, "dram_idle_watts",
	    cv->dram_idle_watts, "dram_dynamic_watts", cv->dram_dynamic_watts,
	    "packages", cv->packages);
}

static const char *
power_name(enum gf_stack_power p)
{
	switch (p) {
	case GF_STACK_POWER_RAPL:
		return "rapl";
	case GF_STACK_POWER_SIMULATED:
		return "simulated";
	default:
		return "none";
	}
}

static json_t *
stack_vars(const struct stack *s)
{
	const struct gf_stack_opts *o = s->o;
	json_t *v = json_object();

	json_object_set_new(v, "state", json_string(s->state));
	json_object_set_new(v, "address", json_string(o->listen_address !=
	    NULL ? o->listen_address : gf_host_address(s->host)));
	set_str(v, "textfile_dir", gf_xasprintf("%s/node-exporter/textfile",
	    s->state));
	set_str(v, "sysfs", o->power == GF_STACK_POWER_SIMULATED ?
	    gf_xasprintf("%s/powersim/sysfs", s->state) :
	    absolute(o->sysfs != NULL ? o->sysfs : "/sys"));
	json_object_set_new(v, "source", json_string(power_name(o->power)));
	json_object_set_new(v, "retention", json_string(o->retention));
	json_object_set_new(v, "scrape_interval",
	    json_real(o->scrape_interval));
	json_object_set_new(v, "idle_watts", json_real(o->curve.idle_watts));
	json_object_set_new(v, "dynamic_watts",
	    json_real(o->curve.dynamic_watts));
	json_object_set_new(v, "dram_idle_watts",
	    json_real(o->curve.dram_idle_watts));
	json_object_set_new(v, "dram_dynamic_watts",
	    json_real(o->curve.dram_dynamic_watts));
	json_object_set_new(v, "packages", json_integer(o->curve.packages));
	json_object_set_new(v, "curve", curve_json(&o->curve));
	return v;
}

/*
 * One GET through gf_http, without retries: the status (0 when there
 * was no answer), or -1 with err when no request can be made at all
 * (libcurl missing). *body (may be NULL) gets the body.
 */
static long
http_probe(const char *url, char **body, struct gf_err *err)
{
	struct gf_http_opts ho;
	struct gf_http_req req;
	struct gf_http_resp resp;
	struct gf_err e = GF_ERR_INIT;
	long status = 0;

	if (body != NULL)
		*body = NULL;
	gf_http_opts_init(&ho);
	ho.timeout = 2;
	ho.connect_timeout = 2;
	ho.max_attempts = 1;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.no_retry = 1;
	if (gf_http_request(&ho, &req, &resp, &e) < 0) {
		if (e.exit == GF_EXIT_NOINPUT) {
			*err = e;
			status = -1;
		}
	} else {
		status = resp.status;
		if (body != NULL)
			*body = gf_xstrdup(resp.body != NULL ? resp.body : "");
	}
	gf_http_resp_release(&resp);
	return status;
}

/*
 * Wait until every scrape target has been scraped once since the stack
 * started (count(up == 1 and timestamp(up) > since) equals want), so that the
 * next tool in the pipeline finds data. Only scrapes since: a TSDB used
 * before still answers with the last run's series for five minutes.
 */
static int
wait_first_scrape(const char *url, int want, double since, double timeout,
    struct gf_err *err)
{
	double deadline = gf_time_now() + timeout;
	char *q = gf_xasprintf("%s/api/v1/query?query=count(up%%3D%%3D1%%20"
	    "and%%20timestamp(up)%%3E%.3f)", url, since);
	int rc = -1;

	while (rc < 0 && gf_time_now() < deadline) {
		char *body = NULL;
		long st = http_probe(q, &body, err);
		json_t *j;
		const char *v;

		if (st < 0) {
			free(q);
			return -1;
		}
		if (st == 200 && body != NULL) {
			j = json_loads(body, 0, NULL);
			v = json_string_value(json_array_get(json_object_get(
			    json_array_get(json_object_get(json_object_get(j,
			    "data"), "result"), 0), "value"), 1));
			if (v != NULL && strtol(v, NULL, 10) >= want)
				rc = 0;
			json_decref(j);
		}
		free(body);
		if (rc < 0)
			gf_time_sleep(0.25, 0);
	}
	free(q);
	if (rc < 0)
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack", "Prometheus did "
		    "not scrape its targets within %.0f s", timeout);
	return rc;
}

/* 1 when the component is ready, 0 not yet, -1 with err: give up. */
static int
is_ready(struct stack *s, size_t c, struct gf_err *err)
{
	const json_t *v = s->cvars[c];
	struct gf_err rerr = GF_ERR_INIT;
	char *what = expand(s, v, components[c].ready), *url, *text;
	long st;

	if (!components[c].ready_http) {
		int found;

		text = gf_host_read(s->host, what, 64, NULL, &rerr);
		found = text != NULL;
		free(what);
		free(text);
		return found;
	}
	url = gf_xasprintf("%s%s", json_string_value(json_object_get(v,
	    "url")), what);
	st = http_probe(url, NULL, err);
	free(url);
	free(what);
	return st < 0 ? -1 : st == 200;
}

/*
 * Spawn a component, record its pid file, and wait until it is ready.
 * Returns the pid; -1 with err (69 with the log's tail) when it exits or
 * times out. *exited tells the caller a retry may help (a port taken
 * between choosing and binding it).
 */
static pid_t
start_one(struct stack *s, size_t c, const char *const *argv, int *exited,
    struct gf_err *err)
{
	const json_t *v = s->cvars[c];
	const char *log = json_string_value(json_object_get(v, "log"));
	const char *pf = json_string_value(json_object_get(v, "pid_file"));
	const char *program = components[c].program;
	double timeout = s->o->ready_timeout;
	double deadline = gf_time_now() + timeout;
	struct gf_host_spawn sp = { argv, log, pf };
	char *tail;
	pid_t pid;
	int r;

	*exited = 0;
	if ((pid = gf_host_spawn(s->host, &sp, err)) < 0)
		return -1;
	for (;;) {
		if (!gf_host_alive(s->host, pid)) {
			tail = gf_host_log_tail(s->host, log);
			gf_host_stop(s->host, pf, NULL, 1, NULL, NULL);
			*exited = 1;
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "%s exited at start (log %s): %s", program, log,
			    tail);
			free(tail);
			return -1;
		}
		if ((r = is_ready(s, c, err)) != 0) {
			if (r > 0)
				return pid;
			gf_host_stop(s->host, pf, NULL, 5, NULL, NULL);
			return -1;
		}
		if (gf_time_now() > deadline) {
			tail = gf_host_log_tail(s->host, log);
			gf_host_stop(s->host, pf, NULL, 5, NULL, NULL);
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "%s was not ready within %.0f s (log %s): %s",
			    program, timeout, log, tail);
			free(tail);
			return -1;
		}
		gf_time_sleep(0.1, 0);
	}
}

static int
process_start(struct stack *s, size_t c, struct gf_err *err)
{
	const struct component *row = &components[c];
	json_t *v = s->cvars[c];
	const char *argv[MAX_ITEMS + 2];
	char *owned[MAX_ITEMS];
	int exited = 1;
	pid_t pid = -1;

	for (size_t i = 0; i < MAX_ITEMS && row->dirs[i] != NULL; i++) {
		char *d = expand(s, v, row->dirs[i]);
		int rc = gf_host_mkdir_p(s->host, d, 0755, err);

		free(d);
		if (rc < 0)
			return -1;
	}
	for (int attempt = 0; attempt < (row->listens ? 3 : 1) && exited;
	    attempt++) {
		size_t n = 0;

		if (row->listens) {
			int port = gf_host_free_port(s->host, err);

			if (port < 0)
				return -1;
			json_object_set_new(v, "port", json_integer(port));
			set_str(v, "listen", expand(s, v, "${address}:${port}"));
			if (s->o->reach == NULL) {
				set_str(v, "url", expand(s, v,
				    "http://${address}:${port}"));
			} else {
				char *url = s->o->reach(s->o->reach_arg,
				    row->name, port, err);

				if (url == NULL)
					return -1;
				set_str(v, "url", url);
			}
		}
		if (row->config != NULL && row->config(s, c, err) < 0)
			return -1;
		argv[0] = json_string_value(json_object_get(v, "program"));
		for (; n < MAX_ITEMS && row->argv[n] != NULL; n++)
			argv[n + 1] = owned[n] = expand(s, v, row->argv[n]);
		argv[n + 1] = NULL;
		pid = start_one(s, c, argv, &exited, err);
		for (size_t i = 0; i < n; i++)
			free(owned[i]);
	}
	if (pid < 0)
		return -1;
	json_object_set_new(v, "pid", json_integer(pid));
	return 0;
}

static int
process_stop(struct gf_host *h, const char *state, size_t c,
    const char **what, struct gf_err *err)
{
	char *pf = comp_path(state, c, ".pid"), *match = comp_match(state, c);
	enum gf_host_stop_result r;
	int rc = gf_host_stop(h, pf, match, 15, &r, err);

	*what = rc < 0 ? "failed to stop" : r == GF_HOST_STOP_STOPPED ?
	    "stopped" : r == GF_HOST_STOP_STALE ? "stale pid file" :
	    "not running";
	free(match);
	free(pf);
	return rc;
}

static enum gf_host_pid_state
process_check(struct gf_host *h, const char *state, size_t c, pid_t *pid)
{
	char *pf = comp_path(state, c, ".pid"), *match = comp_match(state, c);
	enum gf_host_pid_state st = gf_host_pid_check(h, pf, match, pid);

	free(match);
	free(pf);
	return st;
}

static enum gf_host_pid_state
check(struct gf_host *h, const char *state, size_t c, pid_t *pid)
{
	const struct runner *r = &runners[components[c].runner];

	*pid = 0;
	return r->check != NULL ? r->check(h, state, c, pid) :
	    GF_HOST_PID_NONE;
}

/* A YAML scalar: JSON's string syntax is YAML's double-quoted one. */
static void
add_quoted(struct gf_buf *b, const char *text)
{
	json_t *j = json_string(text);
	char *q = json_dumps(j, JSON_ENCODE_ANY);

	gf_buf_addf(b, "%s", q != NULL ? q : "\"\"");
	free(q);
	json_decref(j);
}

/* The static configs of every target of o->targets named job. */
static void
add_targets(struct gf_buf *b, const struct gf_stack_opts *o, const char *job)
{
	for (size_t i = 0; i < o->ntargets; i++) {
		const struct gf_stack_target *tg = &o->targets[i];

		if (strcmp(tg->job, job) != 0)
			continue;
		gf_buf_addf(b, "      - targets: [");
		add_quoted(b, tg->address);
		gf_buf_addf(b, "]\n        labels:\n          host: ");
		add_quoted(b, tg->host);
		gf_buf_addf(b, "\n          source: ");
		add_quoted(b, tg->source);
		gf_buf_addf(b, "\n");
	}
}

/* Whether a started component of the stack scrapes under job. */
static int
own_job(const struct stack *s, const char *job)
{
	for (size_t c = 0; c < NCOMP; c++)
		if (s->started[c] && components[c].scrape_job != NULL &&
		    strcmp(components[c].scrape_job, job) == 0)
			return 1;
	return 0;
}

static int
write_prom_config(struct stack *s, size_t self, struct gf_err *err)
{
	const json_t *v = s->cvars[self];
	struct gf_buf b = GF_BUF_INIT;
	double interval = s->o->scrape_interval;
	char *t;
	int rc;

	gf_buf_addf(&b, "# Written by gf-kepler-install.\n"
	    "global:\n  scrape_interval: %gs\n  evaluation_interval: %gs\n"
	    "  scrape_timeout: %gs\n"
	    "scrape_configs:\n"
	    "  - job_name: prometheus\n"
	    "    static_configs:\n", interval, interval, interval);
	t = expand(s, v, "      - targets: ['${listen}']\n");
	gf_buf_addf(&b, "%s", t);
	free(t);
	for (size_t c = 0; c < NCOMP; c++) {
		if (components[c].scrape_job == NULL || !s->started[c])
			continue;
		/* honor_labels keeps gf_power_source's own source label. */
		gf_buf_addf(&b, "  - job_name: %s\n"
		    "    honor_labels: true\n"
		    "    static_configs:\n", components[c].scrape_job);
		t = expand(s, s->cvars[c], "      - targets: ['${listen}']\n"
		    "        labels:\n"
		    "          source: '${source}'\n");
		gf_buf_addf(&b, "%s", t);
		free(t);
		if (s->o->host_label != NULL) {
			gf_buf_addf(&b, "          host: ");
			add_quoted(&b, s->o->host_label);
			gf_buf_addf(&b, "\n");
		}
		add_targets(&b, s->o, components[c].scrape_job);
	}
	for (size_t i = 0; i < s->o->ntargets; i++) {
		const char *job = s->o->targets[i].job;
		size_t j;

		for (j = 0; j < i && strcmp(s->o->targets[j].job, job) != 0;
		    j++)
			;
		if (j < i || own_job(s, job))
			continue;
		gf_buf_addf(&b, "  - job_name: ");
		add_quoted(&b, job);
		gf_buf_addf(&b, "\n    honor_labels: true\n"
		    "    static_configs:\n");
		add_targets(&b, s->o, job);
	}
	t = expand(s, v, "${config}");
	rc = gf_host_write(s->host, t, b.data, b.len, 0644, 0, err);
	free(t);
	gf_buf_release(&b);
	return rc;
}

static int
write_source_textfile(struct stack *s, struct gf_err *err)
{
	char *path = expand(s, NULL, "${textfile_dir}/gf_power_source.prom");
	char *text = expand(s, NULL,
	    "# HELP gf_power_source Where this stack's node_rapl_* power "
	    "comes from (1 = in use).\n"
	    "# TYPE gf_power_source gauge\n"
	    "gf_power_source{source=\"${source}\"} 1\n");
	int rc = gf_host_write(s->host, path, text, strlen(text), 0644, 0,
	    err);

	free(text);
	free(path);
	return rc;
}

/* Checks that need nothing started: programs present, runners built. */
static int
preflight(struct stack *s, struct gf_err *err)
{
	for (size_t c = 0; c < NCOMP; c++) {
		pid_t pid;

		if (check(s->host, s->state, c, &pid) == GF_HOST_PID_RUNNING)
			return gf_err_set(err, GF_EXIT_TEMPFAIL, "stack",
			    "a stack is already running in '%s' (%s, pid %ld): "
			    "stop it first with gf-kepler-install --stop",
			    s->state, components[c].program, (long)pid);
	}
	for (size_t c = 0; c < NCOMP; c++) {
		const char *program = comp_program(s, c);
		char *p;

		if (!components[c].wanted(s->o))
			continue;
		if (runners[components[c].runner].start == NULL)
			return gf_err_set(err, GF_EXIT_CONFIG, "stack",
			    "%s: the %s runner is not built yet",
			    components[c].name,
			    runners[components[c].runner].name);
		if ((p = gf_host_which(s->host, program)) == NULL)
			return gf_err_set(err, GF_EXIT_NOINPUT, "stack",
			    "'%s' not found in PATH (Debian package %s)",
			    program, components[c].package);
		free(p);
	}
	return 0;
}

/* The component's object for the section, from its variables. */
static json_t *
comp_object(struct stack *s, size_t c)
{
	const struct component *row = &components[c];
	json_t *obj = json_object();

	for (size_t i = 0; i < MAX_ITEMS && row->fields[i] != NULL; i++)
		json_object_set_new(obj, row->fields[i], json_deep_copy(
		    lookup(s, s->cvars[c], row->fields[i],
		    strlen(row->fields[i]))));
	if (row->version) {
		char *ver = gf_host_version(s->host, comp_program(s, c));

		json_object_set_new(obj, GF_FIELD_COMPONENT_VERSION,
		    json_string(ver));
		free(ver);
	}
	return obj;
}

static json_t *
power_object(const struct stack *s)
{
	const struct gf_stack_opts *o = s->o;
	const char *source = power_name(o->power);
	json_t *power = json_object();

	json_object_set_new(power, "source", json_string(source));
	if (o->rapl_check != NULL)
		json_object_set(power, "availability", o->rapl_check);
	if (o->power != GF_STACK_POWER_NONE) {
		json_object_set_new(power, "metric",
		    json_string("node_rapl_package_joules_total"));
		json_object_set_new(power, "labels",
		    json_pack("{s:s}", "source", source));
	}
	return power;
}

json_t *
gf_stack_start(const struct gf_stack_opts *o, struct gf_err *err)
{
	struct stack s;
	json_t *sec = NULL, *comps = NULL;
	char ts[32], *tdir = NULL;
	double since;
	int scraped = 0;

	memset(&s, 0, sizeof(s));
	since = gf_time_now();
	s.host = o->host;
	s.o = o;
	s.state = absolute(o->state_dir);
	if (preflight(&s, err) < 0)
		goto out;
	if (gf_host_mkdir_p(s.host, s.state, 0755, err) < 0)
		goto out;
	for (size_t c = 0; c < NCOMP; c++) {
		char *d = gf_fs_join(s.state, components[c].name);
		int rc = gf_host_mkdir_p(s.host, d, 0755, err);

		free(d);
		if (rc < 0)
			goto out;
	}
	/* Clear stale pid files now that nothing of ours runs. */
	for (size_t c = 0; c < NCOMP; c++) {
		const char *what;

		if (runners[components[c].runner].stop != NULL)
			runners[components[c].runner].stop(s.host, s.state, c,
			    &what, NULL);
	}

	s.vars = stack_vars(&s);
	sec = json_object();
	comps = json_array();
	json_object_set_new(sec, "mode", json_string("local"));
	json_object_set_new(sec, GF_FIELD_STACK_STATE_DIR,
	    json_string(s.state));
	json_object_set_new(sec, "scrape_interval",
	    json_real(o->scrape_interval));
	json_object_set_new(sec, "power", power_object(&s));
	tdir = expand(&s, NULL, "${textfile_dir}");
	if (gf_host_mkdir_p(s.host, tdir, 0755, err) < 0 ||
	    write_source_textfile(&s, err) < 0)
		goto fail;

	for (size_t c = NCOMP; c-- > 0;) {
		const struct component *row = &components[c];
		json_t *obj;

		if (!row->wanted(o))
			continue;
		s.cvars[c] = comp_vars(&s, c);
		if (runners[row->runner].start(&s, c, err) < 0)
			goto fail;
		s.started[c] = 1;
		obj = comp_object(&s, c);
		if (o->reach != NULL && row->listens)
			json_object_set(obj, "listen",
			    json_object_get(s.cvars[c], "listen"));
		json_object_set_new(row->parent != NULL ? json_object_get(sec,
		    row->parent) : sec, row->key, obj);
		if (row->scrape_job != NULL)
			scraped++;
	}
	for (size_t c = 0; c < NCOMP; c++) {
		if (!s.started[c])
			continue;
		json_array_append_new(comps, json_string(components[c].name));
		if (components[c].scraper && wait_first_scrape(
		    json_string_value(json_object_get(s.cvars[c], "url")),
		    1 + scraped + (int)o->ntargets, since, o->ready_timeout,
		    err) < 0)
			goto fail;
	}
	json_object_set_new(sec, "components", comps);
	comps = NULL;
	json_object_set_new(sec, "running", json_true());
	json_object_set_new(sec, "started",
	    json_string(gf_time_format(gf_time_now(), 0, ts)));
	goto out;
fail:
	/* Everything started so far is stopped again. */
	gf_stack_stop(s.host, s.state, NULL, NULL);
	json_decref(sec);
	sec = NULL;
out:
	json_decref(comps);
	for (size_t c = 0; c < NCOMP; c++)
		json_decref(s.cvars[c]);
	json_decref(s.vars);
	free(tdir);
	free(s.state);
	return sec;
}

int
gf_stack_stop(struct gf_host *h, const char *state_dir, json_t **report,
    struct gf_err *err)
{
	char *state = absolute(state_dir);
	json_t *rep = json_object();
	struct gf_err first = GF_ERR_INIT, e = GF_ERR_INIT;
	int rc = 0;

	for (size_t c = 0; c < NCOMP; c++) {
		const struct runner *r = &runners[components[c].runner];
		const char *what = "not running";

		/* A host out of reach is not asked again for each one. */
		if (first.exit == GF_EXIT_UNAVAILABLE)
			what = "host unreachable";
		else if (r->stop != NULL && r->stop(h, state, c, &what,
		    &e) < 0 && rc++ == 0)
			first = e;
		json_object_set_new(rep, components[c].key, json_string(what));
	}
	if (rc > 0) {
		if (err != NULL)
			*err = first;
		rc = -1;
	}
	free(state);
	if (report != NULL)
		*report = rep;
	else
		json_decref(rep);
	return rc;
}

json_t *
gf_stack_status(struct gf_host *h, const char *state_dir)
{
	char *state = absolute(state_dir);
	json_t *st = json_object();

	for (size_t c = 0; c < NCOMP; c++) {
		pid_t pid;
		enum gf_host_pid_state ps = check(h, state, c, &pid);

		if (ps != GF_HOST_PID_NONE)
			json_object_set_new(st, components[c].key,
			    json_pack("{s:I,s:b}", "pid", (json_int_t)pid,
			    "running", ps == GF_HOST_PID_RUNNING));
	}
	free(state);
	return st;
}
