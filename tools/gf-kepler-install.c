/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-kepler-install: start the measurement stack on this machine
 * (Prometheus with the admin API, node-exporter with the RAPL and
 * textfile collectors, and a power source: the machine's RAPL when it is
 * readable, else the simulated meter gf-powersim), as supervised
 * background processes on loopback; or stop exactly that stack (--stop).
 * Writes the "stack" section and a "cleanup" entry so that gf-provision
 * down can stop it too.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_hostinfo.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_stack_hosts.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

/* In the order of enum gf_stack_power_want. */
static const char *const power_sources[] = { "auto", "rapl", "simulated",
	"none", NULL };
/* In the order of enum gf_stack_tunnel. */
static const char *const tunnel_modes[] = { "auto", "always", "never",
	NULL };

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "components", .letter = 'C', .kind = GF_OPT_STRING,
	  .arg = "LIST", .help = "prometheus,node-exporter",
	  .env = "GF_COMPONENTS", .def = "prometheus,node-exporter" },
	{ .name = "state-dir", .letter = 'd', .kind = GF_OPT_STRING,
	  .arg = "DIR", .help = "data, logs and pid files (default "
	  "$RUNNER_TEMP/gf-stack or ./gf-stack)", .env = "GF_STACK_DIR",
	  .doc = GF_DOC_STACK_STATE_DIR },
	{ .name = "stop", .kind = GF_OPT_FLAG, .help = "stop the stack the "
	  "document (or --state-dir) names", .flags = GF_OPT_CLI },
	{ .name = "power", .kind = GF_OPT_STRING, .arg = "SOURCE",
	  .help = "the power source", .env = "GF_POWER", .def = "auto",
	  .choices = power_sources },
	{ .name = "retention", .kind = GF_OPT_STRING, .arg = "TIME",
	  .help = "Prometheus retention", .env = "GF_RETENTION",
	  .def = "100y" },
	{ .name = "sysfs", .letter = 'S', .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "sysfs root with class/powercap (default /sys)",
	  .env = "GF_SYSFS" },
	{ .name = "scrape-interval", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "scrape interval", .env = "GF_SCRAPE_INTERVAL",
	  .def = "3s", .min = 1, .max = 3600 },
	{ .name = "timeout", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "wait this long for each process", .def = "60s",
	  .env = "GF_STACK_TIMEOUT", .min = 0, .max = 86400 },
	{ .name = "host", .letter = 'H', .kind = GF_OPT_STRING,
	  .arg = "NAME|all", .help = "the document's host(s) that get "
	  "exporters (default: all)", .env = "GF_STACK_HOST" },
	{ .name = "tunnel", .kind = GF_OPT_STRING, .arg = "MODE",
	  .help = "reach a host's exporters through SSH: auto, always, never",
	  .env = "GF_TUNNEL", .def = "auto", .choices = tunnel_modes },
	{ .name = "prometheus-host", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "the host Prometheus runs on (default: this one)",
	  .env = "GF_PROMETHEUS_HOST" },
	{ .name = "host-state-dir", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "the state directory on the other hosts",
	  .env = "GF_HOST_STACK_DIR", .def = "/var/tmp/gf-stack" },
};

static const struct gf_cli cli = {
	.name = "gf-kepler-install",
	.synopsis = "[-hV] [-C list] [-c file] [-d dir] [-H host] [-i file] "
	    "[-S dir] [--power source] [--stop] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Durations: 90s, 15m, 2h. See gf-kepler-install(1).",
};

struct settings {
	const char *components;
	const char *power;
	const char *state_dir;
	const char *sysfs;
	const char *retention;
	const char *interval;
	const char *timeout;
	const char *host;
	const char *tunnel;
	const char *host_state_dir;
	const char *prometheus_host;
};

static int
cfg_number(const json_t *cfg, const char *key, double *out,
    struct gf_err *err)
{
	json_t *v = json_object_get(cfg, key);

	if (v == NULL)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "config",
		    "field 'curve.%s': expected a number >= 0", key);
	*out = json_number_value(v);
	return 0;
}

/* A gf program from the same directory as this one, else from PATH. */
static char *
find_sibling(const char *program)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash, *p;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			p = gf_fs_join(self, program);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return gf_xstrdup(program);
}

static int
parse_components(const char *list, struct gf_stack_opts *o,
    struct gf_err *err)
{
	char *copy = gf_xstrdup(list), *tok, *save = NULL;
	int rc = 0;

	o->prometheus = o->node_exporter = 0;
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "prometheus") == 0) {
			o->prometheus = 1;
		} else if (strcmp(tok, "node-exporter") == 0) {
			o->node_exporter = 1;
		} else if (strcmp(tok, "kepler") == 0 ||
		    strcmp(tok, "model-server") == 0) {
			rc = gf_err_set(err, GF_EXIT_CONFIG, "stack",
			    "component '%s' is not part of the local stack yet "
			    "(Debian does not package it): use "
			    "prometheus,node-exporter", tok);
			break;
		} else {
			rc = gf_err_set(err, GF_EXIT_USAGE, "stack",
			    "--components: unknown component '%s' (prometheus, "
			    "node-exporter)", tok);
			break;
		}
	}
	if (rc == 0 && !o->prometheus && !o->node_exporter)
		rc = gf_err_set(err, GF_EXIT_USAGE, "stack",
		    "--components: empty list");
	free(copy);
	return rc;
}

static void
log_report(const char *prefix, const json_t *report)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)report, k, v) {
		if (json_is_object(v))
			log_report(k, v);
		else if (prefix == NULL || strcmp(json_string_value(v),
		    "not running") != 0)
			gf_info("%s%s%s: %s", prefix != NULL ? prefix : "",
			    prefix != NULL ? ": " : "", k,
			    json_string_value(v));
	}
}

static int
do_stop(struct gf_tool *t, const char *dir, struct gf_err *err)
{
	json_t *stack = json_object_get(t->doc, GF_SECTION_STACK), *report = NULL;
	const json_t *part;
	char *def = NULL, ts[32];
	size_t i;
	const char *mode = json_string_value(json_object_get(stack, "mode"));
	int rc, hosts = mode != NULL && strcmp(mode, "hosts") == 0;

	/* The document's paths are absolute, as start recorded them. */
	def = dir != NULL ? gf_section_path(dir) : gf_stack_default_dir();
	dir = def;
	rc = hosts ? gf_stack_hosts_stop(t->doc, stack, &report, err) :
	    gf_stack_stop_runner(dir, &report, err);
	log_report(NULL, report);
	if (rc < 0 && !hosts)
		goto out;
	/* A host that could not be reached keeps its cleanup entry. */
	stack = gf_doc_object(t->doc, GF_SECTION_STACK);
	if (json_object_get(stack, GF_FIELD_STACK_STATE_DIR) == NULL)
		json_object_set_new(stack, GF_FIELD_STACK_STATE_DIR,
		    json_string(dir));
	gf_stack_mark_released(t->doc, NULL, dir);
	json_array_foreach(json_object_get(stack, GF_SECTION_HOSTS), i, part) {
		const char *name = json_string_value(json_object_get(part,
		    GF_FIELD_HOST_NAME));

		if (name != NULL && json_is_object(json_object_get(
		    json_object_get(report, GF_SECTION_HOSTS), name)))
			gf_stack_mark_released(t->doc, name, json_string_value(
			    json_object_get(part, GF_FIELD_STACK_STATE_DIR)));
	}
	json_object_set_new(stack, "running", json_boolean(rc < 0));
	json_object_set_new(stack, "stopped", json_string(
	    gf_time_format(gf_time_now(), 0, ts)));
	json_object_set(stack, "stop", report);
out:
	json_decref(report);
	free(def);
	return rc;
}

static size_t
choice(const char *const *list, const char *name)
{
	size_t i = 0;

	while (list[i + 1] != NULL && strcmp(list[i], name) != 0)
		i++;
	return i;
}

/*
 * The hosts the stack goes on: --host NAME, else every host of the
 * document. *local gets a host when that is the runner alone (the stack
 * of one machine), else *entries the selected entries (borrowed; freed
 * by the caller). -1 with err.
 */
static int
select_hosts(const json_t *doc, const char *opt, struct gf_host **local,
    const json_t ***entries, size_t *n, struct gf_err *err)
{
	const json_t *hosts = json_object_get(doc, GF_SECTION_HOSTS), *e;
	size_t i;

	*local = NULL;
	*entries = NULL;
	*n = 0;
	if (opt != NULL && strcmp(opt, "all") != 0) {
		if ((e = gf_host_doc_entry(doc, opt)) == NULL)
			return (*local = gf_host_from_doc(doc, opt, err)) ==
			    NULL ? -1 : 0;
		*entries = gf_xcalloc(1, sizeof(**entries));
		(*entries)[(*n)++] = e;
	} else if (json_array_size(hosts) == 0) {
		*local = gf_host_local_new();
		return 0;
	} else {
		*entries = gf_xcalloc(json_array_size(hosts),
		    sizeof(**entries));
		json_array_foreach(hosts, i, e)
			(*entries)[(*n)++] = e;
	}
	if (*n == 1) {
		struct gf_host *h = gf_host_from_json((*entries)[0], err);

		if (h == NULL) {
			free(*entries);
			*entries = NULL;
			return -1;
		}
		if (gf_host_is_local(h)) {
			*local = h;
			free(*entries);
			*entries = NULL;
			*n = 0;
		} else {
			gf_host_free(h);
		}
	}
	return 0;
}

static void
host_progress(void *arg, const char *host, const char *what)
{
	(void)arg;
	gf_info("%s: %s", host, what);
}

/* The stack on the hosts the document names: exporters there. */
static json_t *
start_hosts(struct gf_tool *t, struct settings *s, struct gf_stack_opts *o,
    const json_t *const *entries, size_t n, struct gf_err *err)
{
	struct gf_stack_hosts_opts ho = { 0 };
	char *tunnel = find_sibling("gf-tunnel");
	json_t *sec;

	ho.base = o;
	ho.entries = entries;
	ho.nentries = n;
	ho.power = (enum gf_stack_power_want)choice(power_sources, s->power);
	ho.tunnel = (enum gf_stack_tunnel)choice(tunnel_modes, s->tunnel);
	ho.host_state_dir = s->host_state_dir;
	ho.tunnel_program = tunnel;
	ho.powersim = o->powersim;
	ho.progress = host_progress;
	if (s->host_state_dir[0] != '/') {
		free(tunnel);
		gf_err_set(err, GF_EXIT_USAGE, "stack", "--host-state-dir: "
		    "expected an absolute path, got '%s'", s->host_state_dir);
		return NULL;
	}
	if (s->prometheus_host != NULL && !gf_host_is_runner(
	    s->prometheus_host) && (ho.prometheus_entry = gf_host_doc_entry(
	    t->doc, s->prometheus_host)) == NULL) {
		free(tunnel);
		gf_err_set(err, GF_EXIT_CONFIG, "stack", "--prometheus-host: "
		    "host '%s' is not in the document's hosts",
		    s->prometheus_host);
		return NULL;
	}
	gf_stack_record_cleanup(t->doc, NULL, o->state_dir);
	for (size_t i = 0; i < n; i++)
		gf_stack_record_cleanup(t->doc, json_string_value(json_object_get(
		    entries[i], GF_FIELD_HOST_NAME)), s->host_state_dir);
	if (ho.prometheus_entry != NULL)
		gf_stack_record_cleanup(t->doc, json_string_value(
		    json_object_get(ho.prometheus_entry, GF_FIELD_HOST_NAME)),
		    s->host_state_dir);
	gf_tool_checkpoint(t);
	gf_log_group("starting the stack on %zu host%s (state %s here)", n,
	    n == 1 ? "" : "s", o->state_dir);
	sec = gf_stack_hosts_start(&ho, err);
	gf_log_endgroup();
	free(tunnel);
	return sec;
}

/* The stack of one machine, with its power source checked first. */
static json_t *
start_local(struct gf_tool *t, struct settings *s, struct gf_stack_opts *o,
    struct gf_err *err)
{
	json_t *rapl = NULL, *sec = NULL;

	if (gf_stack_choose_power(o->host, s->sysfs,
	    (enum gf_stack_power_want)choice(power_sources, s->power),
	    &o->power, &rapl, err) < 0)
		goto out;
	o->rapl_check = rapl;
	if (o->power == GF_STACK_POWER_SIMULATED && strcmp(s->power,
	    "auto") == 0)
		gf_info("no readable RAPL under %s: using the simulated meter "
		    "(source=\"simulated\")", json_string_value(
		    json_object_get(rapl, GF_FIELD_RAPL_PATH)));
	gf_stack_record_cleanup(t->doc, NULL, o->state_dir);
	gf_tool_checkpoint(t);
	gf_log_group("starting the local stack in %s", o->state_dir);
	sec = gf_stack_start(o, err);
	gf_log_endgroup();
out:
	json_decref(rapl);
	return sec;
}

static int
do_start(struct gf_tool *t, struct settings *s, const json_t *cfg,
    struct gf_err *err)
{
	struct gf_stack_opts o;
	json_t *sec = NULL, *prom, *curve = json_object_get(cfg, "curve");
	const json_t **entries = NULL;
	char *def = NULL, *powersim = NULL, *state = NULL;
	size_t n = 0;
	int rc = -1;

	gf_stack_opts_init(&o);
	if (s->components != NULL && parse_components(s->components, &o,
	    err) < 0)
		return -1;
	if (s->interval != NULL && (gf_parse_duration(s->interval,
	    "--scrape-interval", &o.scrape_interval, err) < 0 ||
	    o.scrape_interval < 1))
		return err->exit != 0 ? -1 : gf_err_set(err, GF_EXIT_USAGE,
		    "stack", "--scrape-interval: at least 1s");
	if (s->timeout != NULL && gf_parse_duration(s->timeout, "--timeout",
	    &o.ready_timeout, err) < 0)
		return -1;
	if (s->retention != NULL)
		o.retention = s->retention;
	if (cfg_number(curve, "idle_watts", &o.curve.idle_watts, err) < 0 ||
	    cfg_number(curve, "dynamic_watts", &o.curve.dynamic_watts,
	    err) < 0 || cfg_number(curve, "dram_idle_watts",
	    &o.curve.dram_idle_watts, err) < 0 || cfg_number(curve,
	    "dram_dynamic_watts", &o.curve.dram_dynamic_watts, err) < 0)
		return -1;
	if (select_hosts(t->doc, s->host, &o.host, &entries, &n, err) < 0)
		return -1;
	if (o.host != NULL && s->prometheus_host != NULL &&
	    !gf_host_is_runner(s->prometheus_host)) {
		gf_host_free(o.host);
		return gf_err_set(err, GF_EXIT_USAGE, "stack",
		    "--prometheus-host: the stack of this one machine has its "
		    "Prometheus here");
	}
	o.sysfs = s->sysfs;
	o.powersim = powersim = find_sibling("gf-powersim");
	if (s->state_dir == NULL)
		s->state_dir = def = gf_stack_default_dir();
	state = gf_section_path(s->state_dir);
	o.state_dir = state;
	sec = o.host != NULL ? start_local(t, s, &o, err) :
	    start_hosts(t, s, &o, entries, n, err);
	if (sec == NULL)
		goto out;
	if ((prom = json_object_get(sec, GF_FIELD_STACK_PROMETHEUS)) != NULL)
		gf_info("prometheus %s (data %s)", json_string_value(
		    json_object_get(prom, GF_FIELD_COMPONENT_URL)),
		    json_string_value(json_object_get(prom,
		    GF_FIELD_COMPONENT_DATA_DIR)));
	gf_info("power source: %s", json_string_value(json_object_get(
	    json_object_get(sec, "power"), "source")));
	gf_doc_set(t->doc, GF_SECTION_STACK, sec);
	rc = 0;
out:
	free(entries);
	free(state);
	free(powersim);
	free(def);
	gf_host_free(o.host);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct settings s;
	struct gf_tool t;
	int stop, rc;

	gf_tool_parse(&t, &cli, argc, argv);
	/* The stop is a clean-up: it runs after a failed step too. */
	stop = gf_opt_flag(&t.set, "stop");
	gf_tool_read(&t, stop ? GF_TOOL_RUN_ANYWAY : 0);
	s.components = gf_opt_str(&t.set, "components");
	s.power = gf_opt_str(&t.set, "power");
	s.state_dir = gf_opt_str(&t.set, "state-dir");
	s.sysfs = gf_opt_str(&t.set, "sysfs");
	s.retention = gf_opt_str(&t.set, "retention");
	s.interval = gf_opt_str(&t.set, "scrape-interval");
	s.timeout = gf_opt_str(&t.set, "timeout");
	s.host = gf_opt_str(&t.set, "host");
	s.tunnel = gf_opt_str(&t.set, "tunnel");
	s.host_state_dir = gf_opt_str(&t.set, "host-state-dir");
	s.prometheus_host = gf_opt_str(&t.set, "prometheus-host");
	if (stop)
		rc = do_stop(&t, s.state_dir, &err);
	else
		rc = do_start(&t, &s, t.set.config, &err);
	return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
}
