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
#include "gf_stack.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static const char *const power_sources[] = { "auto", "rapl", "simulated",
	"none", NULL };

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
};

static const struct gf_cli cli = {
	.name = "gf-kepler-install",
	.synopsis = "[-hV] [-C list] [-c file] [-d dir] [-i file] [-S dir] "
	    "[--power source] [--stop] [option ...]",
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

/* gf-powersim from the same directory as this program, else from PATH. */
static char *
find_powersim(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash, *p;

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			p = gf_fs_join(self, "gf-powersim");
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return gf_xstrdup("gf-powersim");
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

/* The one cleanup entry for this state directory, created when missing. */
static void
record_cleanup(json_t *doc, const char *state_dir)
{
	json_t *cl = gf_doc_array(doc, GF_SECTION_CLEANUP), *e;
	size_t i;

	json_array_foreach(cl, i, e) {
		const char *k = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_KIND));
		const char *d = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_STATE_DIR));

		if (k != NULL && d != NULL &&
		    strcmp(k, GF_CLEANUP_KIND_STACK) == 0 &&
		    strcmp(d, state_dir) == 0) {
			json_object_del(e, GF_FIELD_CLEANUP_RELEASED);
			return;
		}
	}
	gf_doc_add_cleanup(doc, json_pack("{s:s,s:s,s:s}",
	    GF_FIELD_CLEANUP_KIND, GF_CLEANUP_KIND_STACK,
	    GF_FIELD_CLEANUP_TOOL, "gf-kepler-install",
	    GF_FIELD_CLEANUP_STATE_DIR, state_dir));
}

static void
mark_released(json_t *doc, const char *state_dir)
{
	json_t *e;
	size_t i;
	char ts[32];

	json_array_foreach(json_object_get(doc, GF_SECTION_CLEANUP), i, e) {
		const char *d = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_STATE_DIR));

		if (d != NULL && strcmp(d, state_dir) == 0)
			json_object_set_new(e, GF_FIELD_CLEANUP_RELEASED,
			    json_string(
			    gf_time_format(gf_time_now(), 0, ts)));
	}
}

/*
 * The host the stack goes on: the document's first host (every one must
 * be reachable), else the runner. Returns a new host, or NULL with err.
 */
static struct gf_host *
stack_host(const json_t *doc, struct gf_err *err)
{
	struct gf_host *first = NULL, *h;
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(doc, GF_SECTION_HOSTS), i, e) {
		if ((h = gf_host_from_json(e, err)) == NULL) {
			gf_host_free(first);
			return NULL;
		}
		if (first == NULL)
			first = h;
		else
			gf_host_free(h);
	}
	return first != NULL ? first : gf_host_local_new();
}

static int
do_stop(struct gf_tool *t, const char *dir, struct gf_err *err)
{
	json_t *stack, *report = NULL;
	struct gf_host *host;
	char *def = NULL, ts[32];
	int rc;

	/* The document's paths are absolute, as start recorded them. */
	def = dir != NULL ? gf_section_path(dir) : gf_stack_default_dir();
	dir = def;
	/* The stack of this version runs here (see stack_host). */
	host = gf_host_local_new();
	rc = gf_stack_stop(host, dir, &report, err);
	gf_host_free(host);
	if (rc == 0) {
		const char *k;
		json_t *v;

		json_object_foreach(report, k, v)
			gf_info("%s: %s", k, json_string_value(v));
		stack = gf_doc_object(t->doc, GF_SECTION_STACK);
		if (json_object_get(stack, GF_FIELD_STACK_STATE_DIR) == NULL)
			json_object_set_new(stack, GF_FIELD_STACK_STATE_DIR,
			    json_string(dir));
		json_object_set_new(stack, "running", json_false());
		json_object_set_new(stack, "stopped", json_string(
		    gf_time_format(gf_time_now(), 0, ts)));
		json_object_set(stack, "stop", report);
		mark_released(t->doc, dir);
	}
	json_decref(report);
	free(def);
	return rc;
}

static int
do_start(struct gf_tool *t, struct settings *s, const json_t *cfg,
    struct gf_err *err)
{
	struct gf_stack_opts o;
	json_t *rapl = NULL, *sec = NULL, *prom,
	    *curve = json_object_get(cfg, "curve");
	char *def = NULL, *powersim = NULL, *state = NULL;
	const char *power = s->power != NULL ? s->power : "auto";
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

	if ((o.host = stack_host(t->doc, err)) == NULL)
		return -1;
	/* RAPL is checked before anything is started. */
	o.sysfs = s->sysfs;
	rapl = gf_hostinfo_rapl(o.host, s->sysfs);
	o.rapl_check = rapl;
	if (strcmp(power, "auto") == 0) {
		o.power = gf_hostinfo_rapl_usable(rapl) ?
		    GF_STACK_POWER_RAPL : GF_STACK_POWER_SIMULATED;
		if (o.power == GF_STACK_POWER_SIMULATED)
			gf_info("no readable RAPL under %s: using the "
			    "simulated meter (source=\"simulated\")",
			    json_string_value(json_object_get(rapl,
			    GF_FIELD_RAPL_PATH)));
	} else if (strcmp(power, "rapl") == 0) {
		if (!gf_hostinfo_rapl_usable(rapl)) {
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "RAPL is not %s at '%s': use --power simulated",
			    json_is_true(json_object_get(rapl,
			    GF_FIELD_RAPL_PRESENT)) ?
			    "readable" : "present",
			    json_string_value(json_object_get(rapl,
			    GF_FIELD_RAPL_PATH)));
			goto out;
		}
		o.power = GF_STACK_POWER_RAPL;
	} else if (strcmp(power, "simulated") == 0) {
		o.power = GF_STACK_POWER_SIMULATED;
	} else if (strcmp(power, "none") == 0) {
		o.power = GF_STACK_POWER_NONE;
	} else {
		gf_err_set(err, GF_EXIT_USAGE, "stack", "--power: expected "
		    "auto, rapl, simulated or none, got '%s'", power);
		goto out;
	}
	if (o.power == GF_STACK_POWER_SIMULATED)
		o.powersim = powersim = find_powersim();

	if (s->state_dir == NULL)
		s->state_dir = def = gf_stack_default_dir();
	state = gf_section_path(s->state_dir);
	o.state_dir = state;
	/* Recorded before anything starts: down finds it even if we die. */
	record_cleanup(t->doc, state);
	gf_tool_checkpoint(t);

	gf_log_group("starting the local stack in %s", state);
	sec = gf_stack_start(&o, err);
	gf_log_endgroup();
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
	json_decref(rapl);
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
	if (stop)
		rc = do_stop(&t, s.state_dir, &err);
	else
		rc = do_start(&t, &s, t.set.config, &err);
	return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
}
