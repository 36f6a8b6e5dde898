/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_stack.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Stop order: Prometheus first so it flushes while its targets still answer. */
static const struct component {
	const char *key;	/* in the document and reports */
	const char *dir;	/* under the state directory */
	const char *program;
	const char *package;	/* Debian package that has it */
} components[] = {
	{ "prometheus", "prometheus", "prometheus", "prometheus" },
	{ "node_exporter", "node-exporter", "prometheus-node-exporter",
	    "prometheus-node-exporter" },
	{ "meter", "powersim", "gf-powersim", "gf (make all)" },
};

enum { C_PROM, C_NODE, C_METER };

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
comp_path(const char *state, int c, const char *suffix)
{
	return gf_xasprintf("%s/%s/%s%s", state, components[c].dir,
	    components[c].dir, suffix);
}

/* A port the kernel considers free on 127.0.0.1 right now. */
static int
free_port(struct gf_err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (fd < 0)
		return gf_err_set(err, GF_EXIT_OSERR, "stack", "socket: %s",
		    strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return gf_err_set(err, GF_EXIT_OSERR, "stack",
		    "cannot find a free port on 127.0.0.1: %s",
		    strerror(errno));
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/*
 * One plain HTTP/1.0 GET on loopback, enough to tell "ready": the stack
 * must come up before anything else can use gf_http. Returns the status
 * code (0 when there is no answer); *body (may be NULL) gets the body.
 */
static int
http_get(int port, const char *path, char **body)
{
	struct sockaddr_in sa;
	struct timeval tv = { 2, 0 };
	struct gf_buf b = GF_BUF_INIT;
	char req[512], chunk[4096];
	const char *p;
	int fd, status = 0, n;

	if (body != NULL)
		*body = NULL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	n = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
	if (n < 0 || (size_t)n >= sizeof(req) ||
	    write(fd, req, (size_t)n) != n)
		goto out;
	/* Metrics pages are large: read only what the caller needs. */
	while (b.len < (body != NULL ? (size_t)1 << 20 : 64)) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r <= 0)
			break;
		gf_buf_add(&b, chunk, (size_t)r);
	}
	p = gf_buf_str(&b);
	if (strncmp(p, "HTTP/1.", 7) == 0 && strlen(p) > 12)
		status = (int)strtol(p + 9, NULL, 10);
	if (body != NULL && (p = strstr(p, "\r\n\r\n")) != NULL)
		*body = gf_xstrdup(p + 4);
out:
	gf_buf_release(&b);
	close(fd);
	return status;
}

static int
http_ok(int port, const char *path)
{
	return http_get(port, path, NULL) == 200;
}

/*
 * Wait until every scrape target has been scraped once (count(up == 1)
 * equals want), so that the next tool in the pipeline finds data.
 */
static int
wait_first_scrape(int port, int want, double timeout)
{
	double deadline = gf_time_now() + timeout;

	while (gf_time_now() < deadline) {
		char *body = NULL;
		json_t *j;
		const char *v;

		if (http_get(port, "/api/v1/query?query=count(up%3D%3D1)",
		    &body) == 200 && body != NULL) {
			j = json_loads(body, 0, NULL);
			v = json_string_value(json_array_get(json_object_get(
			    json_array_get(json_object_get(json_object_get(j,
			    "data"), "result"), 0), "value"), 1));
			if (v != NULL && strtol(v, NULL, 10) >= want) {
				json_decref(j);
				free(body);
				return 0;
			}
			json_decref(j);
		}
		free(body);
		gf_time_sleep(0.25, 0);
	}
	return -1;
}

/* The last lines of a log file, joined on one line for a message. */
static char *
log_tail(const char *path)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_buf b = GF_BUF_INIT;
	char *text = gf_fs_read(path, 0, NULL, &err);
	size_t len, start;
	int lines = 0;

	if (text == NULL || *text == '\0') {
		free(text);
		return gf_xstrdup("(empty log)");
	}
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	for (start = len; start > 0; start--)
		if (text[start - 1] == '\n' && ++lines == 3)
			break;
	for (size_t i = start; i < len; i++)
		gf_buf_addc(&b, text[i] == '\n' ? ' ' : text[i]);
	free(text);
	if (b.len > 600) {
		char *s = gf_xstrdup(b.data + b.len - 600);

		gf_buf_release(&b);
		return s;
	}
	return gf_buf_detach(&b);
}

/* Non-zero when /proc/PID/cmdline has an argument containing needle. */
static int
cmdline_has(pid_t pid, const char *needle)
{
	struct gf_err err = GF_ERR_INIT;
	char path[64];
	char *text;
	size_t len;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	text = gf_fs_read(path, 1 << 20, &len, &err);
	if (text == NULL)
		return 0;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		if (strstr(text + i, needle) != NULL) {
			found = 1;
			break;
		}
	free(text);
	return found;
}

/* pid from the component's pid file when it still runs for this stack. */
static pid_t
live_pid(const char *state, int c, int *stale)
{
	struct gf_err err = GF_ERR_INIT;
	char *pf = comp_path(state, c, ".pid");
	pid_t pid = gf_proc_read_pidfile(pf, &err);
	char *needle;

	*stale = 0;
	free(pf);
	if (pid == 0)
		return 0;
	/* "STATE/dir/": a stack in "STATE2" is not ours. */
	needle = gf_xasprintf("%s/%s/", state, components[c].dir);
	if (pid < 0 || !gf_proc_alive(pid) || !cmdline_has(pid, needle)) {
		*stale = 1;
		pid = 0;
	}
	free(needle);
	return pid;
}

static char *
version_of(const char *program)
{
	const char *argv[] = { program, "--version", NULL };
	struct gf_err err = GF_ERR_INIT;
	char *out = NULL, *p, *v = NULL;

	if (gf_proc_run(argv, 20, &out, &err) < 0 || out == NULL)
		goto out;
	p = strstr(out, "version ");
	if (p != NULL) {
		p += 8;
		v = gf_xstrndup(p, strcspn(p, " \t\n"));
	}
out:
	free(out);
	return v != NULL ? v : gf_xstrdup("unknown");
}

/*
 * Spawn a component detached, record its pid file, and wait until ready()
 * says so. Returns the pid; -1 with err (69 with the log's tail) when it
 * exits or times out. *exited tells the caller a retry may help (a port
 * taken between choosing and binding it).
 */
static pid_t
start_one(const char *state, int c, const char *const *argv, int port,
    const char *path, const char *wait_file, double timeout, int *exited,
    struct gf_err *err)
{
	struct gf_spawn sp;
	char *log = comp_path(state, c, ".log");
	char *pf = comp_path(state, c, ".pid");
	double deadline = gf_time_now() + timeout;
	pid_t pid;

	*exited = 0;
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.stdout_path = log;
	sp.stderr_path = log;
	sp.new_session = 1;
	pid = gf_proc_spawn(&sp, err);
	if (pid < 0)
		goto out;
	if (gf_proc_write_pidfile(pf, pid, err) < 0) {
		gf_proc_stop(pid, 1, 5, NULL);
		pid = -1;
		goto out;
	}
	for (;;) {
		if (!gf_proc_alive(pid)) {
			char *tail = log_tail(log);

			gf_proc_stop(pid, 1, 1, NULL);
			unlink(pf);
			*exited = 1;
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "%s exited at start (log %s): %s",
			    components[c].program, log, tail);
			free(tail);
			pid = -1;
			break;
		}
		if (port > 0 ? http_ok(port, path) : gf_fs_exists(wait_file))
			break;
		if (gf_time_now() > deadline) {
			char *tail = log_tail(log);

			gf_proc_stop(pid, 1, 5, NULL);
			unlink(pf);
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "%s was not ready within %.0f s (log %s): %s",
			    components[c].program, timeout, log, tail);
			free(tail);
			pid = -1;
			break;
		}
		gf_time_sleep(0.1, 0);
	}
out:
	free(pf);
	free(log);
	return pid;
}

/*
 * The stack outlives this process: it must not keep a pipe or file of
 * ours open (a reader waiting for EOF, such as $(...) or a CI log, would
 * hang until the stack stops). gf_proc_spawn closes nothing, so mark
 * every descriptor above stderr close-on-exec first.
 */
static void
cloexec_all(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = (int)strtol(de->d_name, NULL, 10);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
}

static int
mkdirs(const char *state, struct gf_err *err)
{
	for (size_t c = 0; c < GF_ARRAY_LEN(components); c++) {
		char *d = gf_fs_join(state, components[c].dir);
		int rc = gf_fs_mkdir_p(d, 0755, err);

		free(d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
need_program(int c, const char *program, struct gf_err *err)
{
	char *p = gf_proc_which(program);

	if (p == NULL)
		return gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
		    "'%s' not found in PATH (Debian package %s)", program,
		    components[c].package);
	free(p);
	return 0;
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

static int
write_source_textfile(const char *tdir, const char *source,
    struct gf_err *err)
{
	char *path = gf_fs_join(tdir, "gf_power_source.prom");
	char *text = gf_xasprintf(
	    "# HELP gf_power_source Where this stack's node_rapl_* power "
	    "comes from (1 = in use).\n"
	    "# TYPE gf_power_source gauge\n"
	    "gf_power_source{source=\"%s\"} 1\n", source);
	int rc = gf_fs_write_atomic(path, text, strlen(text), 0644, err);

	free(text);
	free(path);
	return rc;
}

static int
write_prom_config(const char *path, double interval, int prom_port,
    int node_port, const char *source, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	int rc;

	gf_buf_addf(&b, "# Written by gf-kepler-install.\n"
	    "global:\n  scrape_interval: %gs\n  evaluation_interval: %gs\n"
	    "  scrape_timeout: %gs\n"
	    "scrape_configs:\n"
	    "  - job_name: prometheus\n"
	    "    static_configs:\n"
	    "      - targets: ['127.0.0.1:%d']\n",
	    interval, interval, interval, prom_port);
	if (node_port > 0)
		/* honor_labels keeps gf_power_source's own source label. */
		gf_buf_addf(&b, "  - job_name: node\n"
		    "    honor_labels: true\n"
		    "    static_configs:\n"
		    "      - targets: ['127.0.0.1:%d']\n"
		    "        labels:\n"
		    "          source: '%s'\n", node_port, source);
	rc = gf_fs_write_atomic(path, b.data, b.len, 0644, err);
	gf_buf_release(&b);
	return rc;
}

static json_t *
curve_json(const struct gf_stack_curve *cv)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:i}", "idle_watts", cv->idle_watts,
	    "dynamic_watts", cv->dynamic_watts, "dram_idle_watts",
	    cv->dram_idle_watts, "dram_dynamic_watts", cv->dram_dynamic_watts,
	    "packages", cv->packages);
}

static pid_t
start_meter(const char *state, const struct gf_stack_opts *o,
    const char *sysfs, const char *tdir, json_t *power, struct gf_err *err)
{
	char a_idle[32], a_dyn[32], a_di[32], a_dd[32], a_pk[16];
	char *wait_file = gf_xasprintf(
	    "%s/class/powercap/intel-rapl:0/energy_uj", sysfs);
	const char *argv[] = { o->powersim, "--dir", sysfs, "--textfile", tdir,
		"--idle-watts", a_idle, "--dynamic-watts", a_dyn,
		"--dram-idle-watts", a_di, "--dram-dynamic-watts", a_dd,
		"--packages", a_pk, NULL };
	char *pf = comp_path(state, C_METER, ".pid");
	char *log = comp_path(state, C_METER, ".log");
	json_t *m;
	int exited;
	pid_t pid;

	snprintf(a_idle, sizeof(a_idle), "%g", o->curve.idle_watts);
	snprintf(a_dyn, sizeof(a_dyn), "%g", o->curve.dynamic_watts);
	snprintf(a_di, sizeof(a_di), "%g", o->curve.dram_idle_watts);
	snprintf(a_dd, sizeof(a_dd), "%g", o->curve.dram_dynamic_watts);
	snprintf(a_pk, sizeof(a_pk), "%d", o->curve.packages);
	pid = start_one(state, C_METER, argv, 0, NULL, wait_file,
	    o->ready_timeout, &exited, err);
	if (pid > 0) {
		m = json_object();
		json_object_set_new(m, "program", json_string(o->powersim));
		json_object_set_new(m, "pid", json_integer(pid));
		json_object_set_new(m, "pid_file", json_string(pf));
		json_object_set_new(m, "log", json_string(log));
		json_object_set_new(m, "sysfs", json_string(sysfs));
		json_object_set_new(m, "curve", curve_json(&o->curve));
		json_object_set_new(power, "meter", m);
	}
	free(log);
	free(pf);
	free(wait_file);
	return pid;
}

static pid_t
start_node(const char *state, const char *sysfs, const char *tdir,
    double timeout, json_t *sec, int *port_out, struct gf_err *err)
{
	char *pf = comp_path(state, C_NODE, ".pid");
	char *log = comp_path(state, C_NODE, ".log");
	char *listen = NULL, *a_sysfs = NULL, *a_tdir = NULL, *url = NULL;
	json_t *n;
	pid_t pid = -1;
	int port, exited = 1;

	a_sysfs = gf_xasprintf("--path.sysfs=%s", sysfs);
	a_tdir = gf_xasprintf("--collector.textfile.directory=%s", tdir);
	for (int attempt = 0; attempt < 3 && exited; attempt++) {
		if ((port = free_port(err)) < 0)
			break;
		free(listen);
		listen = gf_xasprintf("--web.listen-address=127.0.0.1:%d",
		    port);
		const char *argv[] = { components[C_NODE].program, listen,
			a_sysfs, "--collector.rapl", "--collector.textfile",
			a_tdir, NULL };

		pid = start_one(state, C_NODE, argv, port, "/metrics", NULL,
		    timeout, &exited, err);
		if (pid > 0) {
			*port_out = port;
			url = gf_xasprintf("http://127.0.0.1:%d", port);
			n = json_object();
			json_object_set_new(n, "url", json_string(url));
			json_object_set_new(n, "port", json_integer(port));
			json_object_set_new(n, "pid", json_integer(pid));
			json_object_set_new(n, "pid_file", json_string(pf));
			json_object_set_new(n, "log", json_string(log));
			json_object_set_new(n, "sysfs", json_string(sysfs));
			json_object_set_new(n, "textfile_dir",
			    json_string(tdir));
			json_object_set_new(sec, "node_exporter", n);
		}
	}
	free(url);
	free(listen);
	free(a_tdir);
	free(a_sysfs);
	free(log);
	free(pf);
	return pid;
}

static pid_t
start_prom(const char *state, const struct gf_stack_opts *o, int node_port,
    const char *source, json_t *sec, struct gf_err *err)
{
	char *pf = comp_path(state, C_PROM, ".pid");
	char *log = comp_path(state, C_PROM, ".log");
	char *cfg = gf_xasprintf("%s/prometheus/prometheus.yml", state);
	char *data = gf_xasprintf("%s/prometheus/data", state);
	char *a_cfg = gf_xasprintf("--config.file=%s", cfg);
	char *a_data = gf_xasprintf("--storage.tsdb.path=%s", data);
	char *a_ret = gf_xasprintf("--storage.tsdb.retention.time=%s",
	    o->retention);
	char *listen = NULL, *url = NULL;
	json_t *p;
	pid_t pid = -1;
	int port, exited = 1;

	if (gf_fs_mkdir_p(data, 0755, err) < 0)
		goto out;
	for (int attempt = 0; attempt < 3 && exited; attempt++) {
		if ((port = free_port(err)) < 0)
			break;
		if (write_prom_config(cfg, o->scrape_interval, port, node_port,
		    source, err) < 0)
			break;
		free(listen);
		listen = gf_xasprintf("--web.listen-address=127.0.0.1:%d",
		    port);
		const char *argv[] = { components[C_PROM].program, a_cfg,
			a_data, a_ret, listen, "--web.enable-admin-api",
			"--web.enable-lifecycle", NULL };

		pid = start_one(state, C_PROM, argv, port, "/-/ready", NULL,
		    o->ready_timeout, &exited, err);
		if (pid > 0) {
			url = gf_xasprintf("http://127.0.0.1:%d", port);
			p = json_object();
			json_object_set_new(p, "url", json_string(url));
			json_object_set_new(p, "port", json_integer(port));
			json_object_set_new(p, "pid", json_integer(pid));
			json_object_set_new(p, "pid_file", json_string(pf));
			json_object_set_new(p, "log", json_string(log));
			json_object_set_new(p, "config", json_string(cfg));
			json_object_set_new(p, "data_dir", json_string(data));
			json_object_set_new(p, "retention",
			    json_string(o->retention));
			json_object_set_new(p, "admin_api", json_true());
			json_object_set_new(sec, "prometheus", p);
		}
	}
out:
	free(url);
	free(listen);
	free(a_ret);
	free(a_data);
	free(a_cfg);
	free(data);
	free(cfg);
	free(log);
	free(pf);
	return pid;
}

json_t *
gf_stack_start(const struct gf_stack_opts *o, struct gf_err *err)
{
	char *state = absolute(o->state_dir);
	char *tdir = NULL, *sysfs = NULL;
	const char *source = power_name(o->power);
	json_t *sec = json_object(), *power = json_object(),
	    *comps = json_array();
	int node_port = 0, stale;
	char ts[32];

	for (size_t c = 0; c < GF_ARRAY_LEN(components); c++) {
		pid_t pid = live_pid(state, (int)c, &stale);

		if (pid > 0) {
			gf_err_set(err, GF_EXIT_TEMPFAIL, "stack",
			    "a stack is already running in '%s' (%s, pid %ld): "
			    "stop it first with gf-kepler-install --stop",
			    state, components[c].program, (long)pid);
			goto fail_early;
		}
	}
	if (o->prometheus && need_program(C_PROM, components[C_PROM].program,
	    err) < 0)
		goto fail_early;
	if (o->node_exporter && need_program(C_NODE,
	    components[C_NODE].program, err) < 0)
		goto fail_early;
	if (o->power == GF_STACK_POWER_SIMULATED &&
	    need_program(C_METER, o->powersim, err) < 0)
		goto fail_early;
	if (gf_fs_mkdir_p(state, 0755, err) < 0 || mkdirs(state, err) < 0)
		goto fail_early;
	cloexec_all();
	/* Clear stale pid files now that nothing of ours runs. */
	for (size_t c = 0; c < GF_ARRAY_LEN(components); c++) {
		char *pf = comp_path(state, (int)c, ".pid");

		unlink(pf);
		free(pf);
	}

	json_object_set_new(sec, "mode", json_string("local"));
	json_object_set_new(sec, "state_dir", json_string(state));
	json_object_set_new(sec, "scrape_interval",
	    json_real(o->scrape_interval));
	tdir = gf_xasprintf("%s/node-exporter/textfile", state);
	if (gf_fs_mkdir_p(tdir, 0755, err) < 0)
		goto fail;

	json_object_set_new(power, "source", json_string(source));
	if (o->rapl_check != NULL)
		json_object_set(power, "availability", o->rapl_check);
	if (o->power == GF_STACK_POWER_SIMULATED) {
		sysfs = gf_xasprintf("%s/powersim/sysfs", state);
		if (gf_fs_mkdir_p(sysfs, 0755, err) < 0 ||
		    start_meter(state, o, sysfs, tdir, power, err) < 0)
			goto fail;
	} else {
		sysfs = absolute(o->sysfs != NULL ? o->sysfs : "/sys");
	}
	if (o->power != GF_STACK_POWER_NONE) {
		json_object_set_new(power, "metric",
		    json_string("node_rapl_package_joules_total"));
		json_object_set_new(power, "labels",
		    json_pack("{s:s}", "source", source));
	}
	json_object_set_new(sec, "power", power);
	power = NULL;
	if (write_source_textfile(tdir, source, err) < 0)
		goto fail;

	if (o->node_exporter) {
		if (start_node(state, sysfs, tdir, o->ready_timeout, sec,
		    &node_port, err) < 0)
			goto fail;
		char *v = version_of(components[C_NODE].program);

		json_object_set_new(json_object_get(sec, "node_exporter"),
		    "version", json_string(v));
		free(v);
		json_array_append_new(comps, json_string("node-exporter"));
	}
	if (o->prometheus) {
		if (start_prom(state, o, node_port, source, sec, err) < 0)
			goto fail;
		char *v = version_of(components[C_PROM].program);

		json_object_set_new(json_object_get(sec, "prometheus"),
		    "version", json_string(v));
		free(v);
		json_array_insert_new(comps, 0, json_string("prometheus"));
		if (wait_first_scrape((int)json_integer_value(json_object_get(
		    json_object_get(sec, "prometheus"), "port")),
		    node_port > 0 ? 2 : 1, o->ready_timeout) < 0) {
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "stack",
			    "Prometheus did not scrape its targets within "
			    "%.0f s", o->ready_timeout);
			goto fail;
		}
	}
	if (o->power == GF_STACK_POWER_SIMULATED)
		json_array_append_new(comps, json_string("powersim"));
	json_object_set_new(sec, "components", comps);
	comps = NULL;
	json_object_set_new(sec, "running", json_true());
	json_object_set_new(sec, "started",
	    json_string(gf_time_format(gf_time_now(), 0, ts)));
	free(sysfs);
	free(tdir);
	free(state);
	return sec;

fail:
	gf_stack_stop(state, NULL, NULL);
fail_early:
	json_decref(comps);
	json_decref(power);
	json_decref(sec);
	free(sysfs);
	free(tdir);
	free(state);
	return NULL;
}

int
gf_stack_stop(const char *state_dir, json_t **report, struct gf_err *err)
{
	char *state = absolute(state_dir);
	json_t *rep = json_object();
	int rc = 0;

	for (size_t c = 0; c < GF_ARRAY_LEN(components); c++) {
		char *pf = comp_path(state, (int)c, ".pid");
		int stale;
		pid_t pid = live_pid(state, (int)c, &stale);
		const char *what = "not running";

		if (pid > 0) {
			if (gf_proc_stop(pid, 1, 15, err) < 0) {
				rc = -1;
				what = "failed to stop";
			} else {
				what = "stopped";
			}
		} else if (stale) {
			what = "stale pid file";
		}
		if (strcmp(what, "failed to stop") != 0)
			unlink(pf);
		json_object_set_new(rep, components[c].key, json_string(what));
		free(pf);
	}
	free(state);
	if (report != NULL)
		*report = rep;
	else
		json_decref(rep);
	return rc;
}

json_t *
gf_stack_status(const char *state_dir)
{
	char *state = absolute(state_dir);
	json_t *st = json_object();

	for (size_t c = 0; c < GF_ARRAY_LEN(components); c++) {
		struct gf_err err = GF_ERR_INIT;
		char *pf = comp_path(state, (int)c, ".pid");
		pid_t pid = gf_proc_read_pidfile(pf, &err);
		int stale;

		if (pid != 0) {
			pid_t live = live_pid(state, (int)c, &stale);

			json_object_set_new(st, components[c].key,
			    json_pack("{s:I,s:b}", "pid",
			    (json_int_t)(pid > 0 ? pid : 0), "running",
			    live > 0));
		}
		free(pf);
	}
	free(state);
	return st;
}
