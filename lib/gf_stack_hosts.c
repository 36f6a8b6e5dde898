/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_stack_hosts.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_hostinfo.h"
#include "gf_parse.h"
#include "gf_section.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_stack_choose_power(struct gf_host *h, const char *sysfs,
    enum gf_stack_power_want want, enum gf_stack_power *power, json_t **rapl,
    struct gf_err *err)
{
	json_t *r = gf_hostinfo_rapl(h, sysfs);
	int usable = gf_hostinfo_rapl_usable(r);

	*rapl = r;
	switch (want) {
	case GF_STACK_WANT_AUTO:
		*power = usable ? GF_STACK_POWER_RAPL :
		    GF_STACK_POWER_SIMULATED;
		return 0;
	case GF_STACK_WANT_RAPL:
		if (!usable)
			return gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "RAPL is not %s at '%s': use --power simulated",
			    json_is_true(
			    json_object_get(r, GF_FIELD_RAPL_PRESENT)) ?
			    "readable" : "present", json_string_value(
			    json_object_get(r, GF_FIELD_RAPL_PATH)));
		*power = GF_STACK_POWER_RAPL;
		return 0;
	case GF_STACK_WANT_SIMULATED:
		*power = GF_STACK_POWER_SIMULATED;
		return 0;
	default:
		*power = GF_STACK_POWER_NONE;
		return 0;
	}
}

/* One host's part while it starts. */
struct part {
	const struct gf_stack_hosts_opts *o;
	struct gf_host *runner;
	const json_t *entry;
	const char *name;
	size_t index;
	json_t *tunnels;	/* [ { component, pid, ... } ] */
};

/* A file-name-safe stem for the host's tunnel files: "K-NAME-COMPONENT". */
static char *
tunnel_stem(const struct part *p, const char *component)
{
	char *stem = gf_xasprintf("%zu-%.40s-%s", p->index + 1, p->name,
	    component);

	for (char *c = stem; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || *c == '.' || *c == '-'))
			*c = '_';
	return stem;
}

/* Wait for the tunnel's ready file; -1 with err when it dies or hangs. */
static int
wait_tunnel(struct part *p, pid_t pid, const char *ready, const char *log,
    struct gf_err *err)
{
	double deadline = gf_time_now() + p->o->base->ready_timeout;
	char *tail;

	for (;;) {
		if (gf_fs_exists(ready))
			return 0;
		if (!gf_host_alive(p->runner, pid) ||
		    gf_time_now() > deadline)
			break;
		gf_time_sleep(0.05, 0);
	}
	if (gf_fs_exists(ready))
		return 0;
	tail = gf_host_log_tail(p->runner, log);
	gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack", "host '%s': the SSH "
	    "tunnel %s (log %s): %s", p->name, gf_host_alive(p->runner, pid) ?
	    "was not ready in time" : "exited at start", log, tail);
	free(tail);
	return -1;
}

/*
 * The reach hook for a host behind a tunnel: (re)start gf-tunnel from a
 * free port of the runner's loopback to port on the host's loopback.
 */
static char *
reach_by_tunnel(void *arg, const char *component, int port,
    struct gf_err *err)
{
	struct part *p = arg;
	char *dir = gf_fs_join(p->o->base->state_dir, "tunnels");
	char *stem = tunnel_stem(p, component);
	char *base = gf_fs_join(dir, stem);
	char *host_file = gf_xasprintf("%s.json", base);
	char *pid_file = gf_xasprintf("%s.pid", base);
	char *log = gf_xasprintf("%s.log", base);
	char *ready = gf_xasprintf("%s.ready", base);
	char *match = gf_xasprintf("%s/", dir), *fwd = NULL, *url = NULL;
	char *text = json_dumps(p->entry, JSON_COMPACT);
	const char *argv[8];
	struct gf_host_spawn sp = { argv, log, pid_file };
	size_t i;
	json_t *t;
	pid_t pid;
	int lport;

	/* A retry on another port replaces the last try's tunnel. */
	gf_host_stop(p->runner, pid_file, match, 1, NULL, NULL);
	json_array_foreach(p->tunnels, i, t) {
		if (strcmp(json_string_value(json_object_get(t, "component")),
		    component) == 0) {
			json_array_remove(p->tunnels, i);
			break;
		}
	}
	if (gf_host_mkdir_p(p->runner, dir, 0700, err) < 0 ||
	    gf_host_write(p->runner, host_file, text, strlen(text), 0600, 0,
	    err) < 0 || (lport = gf_host_free_port(p->runner, err)) < 0)
		goto out;
	unlink(ready);
	fwd = gf_xasprintf("127.0.0.1:%d:127.0.0.1:%d", lport, port);
	argv[0] = p->o->tunnel_program;
	argv[1] = "--host-file";
	argv[2] = host_file;
	argv[3] = "--forward";
	argv[4] = fwd;
	argv[5] = "--ready-file";
	argv[6] = ready;
	argv[7] = NULL;
	if ((pid = gf_host_spawn(p->runner, &sp, err)) < 0)
		goto out;
	if (wait_tunnel(p, pid, ready, log, err) < 0) {
		gf_host_stop(p->runner, pid_file, match, 1, NULL, NULL);
		goto out;
	}
	json_array_append_new(p->tunnels, json_pack("{s:s,s:I,s:s,s:s,s:o,"
	    "s:o}", "component", component, "pid", (json_int_t)pid,
	    "pid_file", pid_file, "log", log, "listen", json_sprintf(
	    "127.0.0.1:%d", lport), "to", json_sprintf("127.0.0.1:%d",
	    port)));
	url = gf_xasprintf("http://127.0.0.1:%d", lport);
out:
	free(text);
	free(fwd);
	free(match);
	free(ready);
	free(log);
	free(pid_file);
	free(host_file);
	free(base);
	free(stem);
	free(dir);
	return url;
}

/* Whether address names one of the addresses a host says it has. */
static int
address_is_own(const json_t *entry, const char *address)
{
	const json_t *own = json_object_get(entry, GF_FIELD_HOST_ADDRESSES);
	struct addrinfo hints, *res = NULL, *ai;
	const json_t *a;
	size_t i;
	int found = 0;

	if (!json_is_array(own))
		return 1;	/* no facts: take the address as it is */
	json_array_foreach(own, i, a)
		if (json_is_string(a) && strcmp(json_string_value(a),
		    address) == 0)
			return 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(address, NULL, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && !found; ai = ai->ai_next) {
		char num[NI_MAXHOST];

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num),
		    NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		json_array_foreach(own, i, a)
			if (json_is_string(a) && strcmp(json_string_value(a),
			    num) == 0)
				found = 1;
	}
	freeaddrinfo(res);
	return found;
}

static int
use_tunnel(const struct gf_stack_hosts_opts *o, struct gf_host *h,
    const json_t *entry)
{
	if (gf_host_is_local(h) || o->tunnel == GF_STACK_TUNNEL_NEVER)
		return 0;
	if (o->tunnel == GF_STACK_TUNNEL_ALWAYS)
		return 1;
	return !address_is_own(entry, gf_host_address(h));
}

/*
 * The meter program for a host: its own gf-powersim, else the runner's
 * copied to STATE/powersim/bin/ there when the architectures match.
 * Returns a new string, or NULL with err (66).
 */
static char *
meter_program(const struct gf_stack_hosts_opts *o, struct gf_host *h,
    const char *state, struct gf_err *err)
{
	struct utsname un;
	char *found, *arch = NULL, *dir, *dest;

	if (gf_host_is_local(h))
		return gf_xstrdup(o->powersim);
	if ((found = gf_host_which(h, "gf-powersim")) != NULL)
		return found;
	if (uname(&un) < 0 || gf_host_capture(h, (const char *const[]){
	    "uname", "-m", NULL }, 30, &arch, err) != 0) {
		free(arch);
		return err->exit != 0 ? NULL : (gf_err_set(err,
		    GF_EXIT_NOINPUT, "stack", "host '%s': gf-powersim is not "
		    "in its PATH and its architecture is unknown",
		    gf_host_name(h)), NULL);
	}
	arch[strcspn(arch, "\r\n")] = '\0';
	if (strcmp(arch, un.machine) != 0) {
		gf_err_set(err, GF_EXIT_NOINPUT, "stack", "host '%s': "
		    "gf-powersim is not in its PATH, and the runner's is for "
		    "%s, not %s: install gf there", gf_host_name(h),
		    un.machine, arch);
		free(arch);
		return NULL;
	}
	free(arch);
	dir = gf_xasprintf("%s/powersim/bin", state);
	dest = gf_fs_join(dir, "gf-powersim");
	if (gf_host_mkdir_p(h, dir, 0755, err) < 0 ||
	    gf_host_copy(h, o->powersim, dest, err) < 0) {
		free(dest);
		dest = NULL;
	}
	free(dir);
	return dest;
}

/* "ADDR:PORT" of an "http://ADDR:PORT" URL. Borrowed from url. */
static const char *
url_authority(const char *url)
{
	const char *p = strstr(url, "://");

	return p != NULL ? p + 3 : url;
}

/*
 * Start one host's part; returns its object for "hosts" (new reference),
 * or NULL with err.
 */
static json_t *
start_part(struct part *p, struct gf_host *h, int node_exporter,
    const struct gf_stack_target *targets, size_t ntargets,
    struct gf_err *err)
{
	const struct gf_stack_hosts_opts *o = p->o;
	struct gf_stack_opts ho = *o->base;
	json_t *rapl = NULL, *sec = NULL, *obj = NULL, *node, *prom;
	char *meter = NULL;
	int prometheus = targets != NULL;
	/* Another host's Prometheus scrapes this one at its address. */
	int tunnel = (o->prometheus_entry == NULL || prometheus) &&
	    use_tunnel(o, h, p->entry);

	ho.host = h;
	ho.prometheus = prometheus;
	ho.node_exporter = node_exporter;
	ho.targets = targets;
	ho.ntargets = ntargets;
	ho.host_label = p->name;
	ho.state_dir = o->host_state_dir;
	if (!node_exporter)
		ho.power = GF_STACK_POWER_NONE;
	else if (gf_stack_choose_power(h, o->base->sysfs, o->power,
	    &ho.power, &rapl, err) < 0)
		goto out;
	ho.rapl_check = rapl;
	if (ho.power == GF_STACK_POWER_SIMULATED) {
		if ((meter = meter_program(o, h, o->host_state_dir,
		    err)) == NULL)
			goto out;
		ho.powersim = meter;
	}
	if (tunnel) {
		ho.listen_address = "127.0.0.1";
		ho.reach = reach_by_tunnel;
		ho.reach_arg = p;
	}
	if ((sec = gf_stack_start(&ho, err)) == NULL)
		goto out;
	obj = json_pack("{s:s,s:O,s:s}", GF_FIELD_HOST_NAME, p->name,
	    GF_FIELD_STACK_STATE_DIR, json_object_get(sec,
	    GF_FIELD_STACK_STATE_DIR), "reach", tunnel ? "ssh" : "direct");
	if ((node = json_object_get(sec, "node_exporter")) != NULL) {
		json_object_set(obj, "node_exporter", node);
		json_object_set(obj, "power", json_object_get(sec, "power"));
	}
	if ((prom = json_object_get(sec, GF_FIELD_STACK_PROMETHEUS)) != NULL)
		json_object_set(obj, GF_FIELD_STACK_PROMETHEUS, prom);
	if (tunnel)
		json_object_set(obj, "tunnels", p->tunnels);
out:
	json_decref(sec);
	json_decref(rapl);
	free(meter);
	return obj;
}

static void
stop_started(const char *state, struct gf_host **hs,
    const json_t *parts)
{
	const json_t *part;
	size_t i;

	gf_stack_stop_runner(state, NULL, NULL);
	json_array_foreach(parts, i, part)
		gf_stack_stop(hs[i], json_string_value(json_object_get(part,
		    GF_FIELD_STACK_STATE_DIR)), NULL, NULL);
}

/* The hosts' one power source, else "mixed". */
static const char *
common_source(const json_t *parts)
{
	const char *one = NULL;
	const json_t *part;
	size_t i;

	json_array_foreach(parts, i, part) {
		const char *s = json_string_value(json_object_get(
		    json_object_get(part, "power"), "source"));

		if (s == NULL)
			continue;	/* Prometheus alone there */
		if (one != NULL && strcmp(one, s) != 0)
			return "mixed";
		one = s;
	}
	return one != NULL ? one : "none";
}

/*
 * The section of a stack whose Prometheus runs on a host: that host's
 * part (the last) gives it up to the section. New reference.
 */
static json_t *
host_prometheus_section(const struct gf_stack_hosts_opts *o, json_t *parts)
{
	json_t *last = json_array_get(parts, json_array_size(parts) - 1);
	json_t *prom = json_deep_copy(json_object_get(last,
	    GF_FIELD_STACK_PROMETHEUS));
	char ts[32];

	json_object_del(last, GF_FIELD_STACK_PROMETHEUS);
	json_object_set(prom, "host", json_object_get(last,
	    GF_FIELD_HOST_NAME));
	return json_pack("{s:s,s:s,s:f,s:o,s:[s],s:b,s:s}",
	    GF_FIELD_STACK_STATE_DIR, o->base->state_dir, "mode", "hosts",
	    "scrape_interval", o->base->scrape_interval,
	    GF_FIELD_STACK_PROMETHEUS, prom, "components", "prometheus",
	    "running", 1, "started", gf_time_format(gf_time_now(), 0, ts));
}

json_t *
gf_stack_hosts_start(const struct gf_stack_hosts_opts *o, struct gf_err *err)
{
	struct gf_host *runner = gf_host_local_new();
	size_t nparts = o->nentries, prom_at = o->nentries, n = 0;
	struct gf_host **hs = gf_xcalloc(nparts + 1, sizeof(*hs));
	struct gf_stack_target *targets = gf_xcalloc(nparts + 1,
	    sizeof(*targets));
	json_t *parts = json_array(), *sec = NULL;
	struct gf_stack_opts ro = *o->base;

	/* Prometheus's host goes last, with every other host as targets. */
	if (o->prometheus_entry != NULL) {
		while (prom_at > 0 && o->entries[prom_at - 1] !=
		    o->prometheus_entry)
			prom_at--;
		prom_at = prom_at > 0 ? prom_at - 1 : nparts++;
	}
	for (size_t k = 0; k < nparts; k++, n++) {
		size_t i = o->prometheus_entry == NULL ? k : k + 1 == nparts ?
		    prom_at : k < prom_at ? k : k + 1;
		const json_t *entry = i < o->nentries ? o->entries[i] :
		    o->prometheus_entry;
		struct part p = { o, runner, entry, NULL, k, NULL };
		int last = o->prometheus_entry != NULL && k + 1 == nparts;
		json_t *obj;

		if ((hs[n] = gf_host_from_json(entry, err)) == NULL)
			goto fail;
		p.name = gf_host_name(hs[n]);
		p.tunnels = json_array();
		if (o->progress != NULL)
			o->progress(o->progress_arg, p.name, last ?
			    "starting Prometheus" : "starting");
		obj = start_part(&p, hs[n], i < o->nentries, last ? targets :
		    NULL, n, err);
		json_decref(p.tunnels);
		if (obj == NULL) {
			if (strstr(err->msg, p.name) == NULL)
				gf_err_prefix(err, "host '%s'", p.name);
			gf_host_free(hs[n]);
			hs[n] = NULL;
			goto fail;
		}
		json_array_append_new(parts, obj);
		if (last)
			continue;
		/* The target's strings live in parts, which outlives it. */
		targets[n].job = "node";
		targets[n].host = json_string_value(json_object_get(obj,
		    GF_FIELD_HOST_NAME));
		targets[n].source = json_string_value(json_object_get(
		    json_object_get(obj, "power"), "source"));
		targets[n].address = url_authority(json_string_value(
		    json_object_get(json_object_get(obj, "node_exporter"),
		    GF_FIELD_COMPONENT_URL)));
	}
	if (o->prometheus_entry != NULL) {
		sec = host_prometheus_section(o, parts);
	} else {
		ro.host = runner;
		ro.node_exporter = 0;
		ro.power = GF_STACK_POWER_NONE;
		ro.rapl_check = NULL;
		ro.targets = targets;
		ro.ntargets = n;
		if (o->progress != NULL)
			o->progress(o->progress_arg, gf_host_name(runner),
			    "starting Prometheus");
		if ((sec = gf_stack_start(&ro, err)) == NULL)
			goto fail;
		json_object_set_new(sec, "mode", json_string("hosts"));
	}
	json_object_set_new(sec, "power", json_pack("{s:s}", "source",
	    common_source(parts)));
	json_object_set(sec, GF_SECTION_HOSTS, parts);
	goto out;
fail:
	stop_started(o->base->state_dir, hs, parts);
out:
	for (size_t i = 0; i < n; i++)
		gf_host_free(hs[i]);
	free(hs);
	free(targets);
	json_decref(parts);
	gf_host_free(runner);
	return sec;
}

int
gf_stack_hosts_stop(const json_t *doc, const json_t *stack, json_t **report,
    struct gf_err *err)
{
	json_t *rep = json_object(), *hrep = json_object(), *r = NULL;
	const json_t *part;
	struct gf_err first = GF_ERR_INIT;
	size_t i;
	int rc = 0;

	if (gf_stack_stop_runner(json_string_value(json_object_get(stack,
	    GF_FIELD_STACK_STATE_DIR)), &r, &first) < 0)
		rc = -1;
	json_object_set_new(rep, "runner", r);
	json_array_foreach(json_object_get(stack, GF_SECTION_HOSTS), i, part) {
		const char *name = json_string_value(json_object_get(part,
		    GF_FIELD_HOST_NAME));
		const char *dir = json_string_value(json_object_get(part,
		    GF_FIELD_STACK_STATE_DIR));
		struct gf_err e = GF_ERR_INIT;
		struct gf_host *h;

		if (name == NULL || dir == NULL)
			continue;
		r = NULL;
		if ((h = gf_host_from_doc(doc, name, &e)) == NULL ||
		    gf_stack_stop(h, dir, &r, &e) < 0) {
			json_decref(r);
			r = json_sprintf("error: %s", e.msg);
			if (rc == 0)
				first = e;
			rc = -1;
		}
		gf_host_free(h);
		json_object_set_new(hrep, name, r);
	}
	json_object_set_new(rep, GF_SECTION_HOSTS, hrep);
	if (rc < 0)
		*err = first;
	if (report != NULL)
		*report = rep;
	else
		json_decref(rep);
	return rc;
}

/*
 * The SSH tunnels started from the runner's state directory: each
 * STATE/tunnels/NAME.pid. *what gets "stopped" when there was one.
 */
static int
stop_tunnels(struct gf_host *h, const char *state, const char **what,
    struct gf_err *err)
{
	char *dir = gf_fs_join(state, "tunnels"), *match;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		free(dir);
		return 0;
	}
	match = gf_xasprintf("%s/", dir);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		enum gf_host_stop_result r;
		char *pf;

		if (len < 5 || strcmp(de->d_name + len - 4, ".pid") != 0)
			continue;
		pf = gf_fs_join(dir, de->d_name);
		if (gf_host_stop(h, pf, match, 5, &r, rc < 0 ? NULL : err) < 0)
			rc = -1;
		else if (r == GF_HOST_STOP_STOPPED)
			*what = "stopped";
		free(pf);
	}
	closedir(d);
	free(match);
	free(dir);
	return rc;
}

int
gf_stack_stop_runner(const char *state_dir, json_t **report,
    struct gf_err *err)
{
	struct gf_host *runner = gf_host_local_new();
	char *state = gf_section_path(state_dir);
	const char *what = NULL;
	json_t *rep = NULL;
	int rc = gf_stack_stop(runner, state, &rep, err);

	/* After Prometheus, which read through them. */
	if (stop_tunnels(runner, state, &what, rc < 0 ? NULL : err) < 0)
		rc = -1;
	if (what != NULL)
		json_object_set_new(rep, "tunnels", json_string(what));
	if (report != NULL)
		*report = rep;
	else
		json_decref(rep);
	free(state);
	gf_host_free(runner);
	return rc;
}

int
gf_stack_release(json_t *doc, json_t *entry, json_t **result,
    struct gf_err *err)
{
	const char *dir = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_STATE_DIR));
	const char *name = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_HOST));
	struct gf_host *h;
	int rc;

	*result = NULL;
	if (dir == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "provision",
		    "field 'cleanup[].state_dir': expected a string");
	if (name == NULL)
		return gf_stack_stop_runner(dir, result, err);
	if ((h = gf_host_from_doc(doc, name, err)) == NULL)
		return -1;
	rc = gf_stack_stop(h, dir, result, err);
	gf_host_free(h);
	return rc;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);
}

/* The stack entry of state_dir on host (NULL: the runner), or NULL. */
static json_t *
find_cleanup(json_t *doc, const char *host, const char *state_dir)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(doc, GF_SECTION_CLEANUP), i, e)
		if (same(json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_KIND)), GF_CLEANUP_KIND_STACK) &&
		    same(json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_STATE_DIR)), state_dir) &&
		    same(json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_HOST)), host))
			return e;
	return NULL;
}

void
gf_stack_record_cleanup(json_t *doc, const char *host, const char *state_dir)
{
	json_t *e = find_cleanup(doc, host, state_dir);

	if (e != NULL) {
		json_object_del(e, GF_FIELD_CLEANUP_RELEASED);
		return;
	}
	e = json_pack("{s:s,s:s,s:s}", GF_FIELD_CLEANUP_KIND,
	    GF_CLEANUP_KIND_STACK, GF_FIELD_CLEANUP_TOOL, "gf-kepler-install",
	    GF_FIELD_CLEANUP_STATE_DIR, state_dir);
	if (host != NULL)
		json_object_set_new(e, GF_FIELD_CLEANUP_HOST,
		    json_string(host));
	gf_doc_add_cleanup(doc, e);
}

void
gf_stack_mark_released(json_t *doc, const char *host, const char *state_dir)
{
	json_t *e = find_cleanup(doc, host, state_dir);
	char ts[32];

	if (e != NULL)
		json_object_set_new(e, GF_FIELD_CLEANUP_RELEASED, json_string(
		    gf_time_format(gf_time_now(), 0, ts)));
}
