/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gf_stress.h"
#include "gf_window.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_host.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* How long past its timeout a stress-ng may run before it is stopped. */
#define OVERRUN_GRACE 10.0
/* Seconds between progress reports within a phase. */
#define TICK 30.0

/* Progress within the current phase. */
struct ticker {
	const struct gf_stress_hooks *h;
	const struct gf_plan *p;
	size_t i;
	double start, next;
};

char *
gf_stress_version(struct gf_host *h, struct gf_err *err)
{
	const char *const argv[] = { "stress-ng", "--version", NULL };
	char *out = NULL, *ver, *p, *e;
	char *path = gf_host_which(h, "stress-ng");

	if (path == NULL) {
		gf_err_set(err, GF_EXIT_NOINPUT, "stress", "stress-ng not "
		    "found in PATH: install it (Debian package 'stress-ng')");
		return NULL;
	}
	free(path);
	if (gf_host_capture(h, argv, 10, &out, err) != 0) {
		/* The system refused a process: its reason stands (71). */
		if (err != NULL && err->exit == GF_EXIT_OSERR) {
			free(out);
			return NULL;
		}
		/* Not there after all, or not runnable: unavailable. */
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "stress", "'stress-ng "
		    "--version' failed: stress-ng is not usable here");
		free(out);
		return NULL;
	}
	/* "stress-ng, version 0.15.06 (gcc 12.2.0, x86_64 Linux ...)" */
	p = out != NULL ? strstr(out, "version ") : NULL;
	if (p == NULL) {
		ver = gf_xstrdup("unknown");
	} else {
		p += 8;
		for (e = p; *e != '\0' && !isspace((unsigned char)*e); e++)
			;
		ver = gf_xstrndup(p, (size_t)(e - p));
	}
	free(out);
	return ver;
}

/* The command without numbers: phases differing only in counts share it. */
static char *
shape_of(const char *cmd)
{
	struct gf_buf b = GF_BUF_INIT;

	for (; *cmd != '\0'; cmd++)
		if (!isdigit((unsigned char)*cmd) && *cmd != ',')
			gf_buf_addc(&b, *cmd);
	return gf_buf_detach(&b);
}

int
gf_stress_preflight(struct gf_host *h, const struct gf_plan *p,
    struct gf_err *err)
{
	json_t *seen = json_object();
	int rc = 0;

	for (size_t i = 0; i < p->nphases && rc == 0; i++) {
		const struct gf_plan_phase *ph = &p->phases[i];
		const char **argv;
		char *cmd, *shape;
		size_t n = 0;
		int st;

		if (ph->argv == NULL)
			continue;
		cmd = gf_plan_phase_command(ph);
		shape = shape_of(cmd);
		if (json_object_get(seen, shape) != NULL) {
			free(cmd);
			free(shape);
			continue;
		}
		json_object_set_new(seen, shape, json_true());
		while (ph->argv[n] != NULL)
			n++;
		argv = gf_xcalloc(n + 3, sizeof(*argv));
		for (size_t j = 0; j < n; j++)
			argv[j] = ph->argv[j];
		/* Quiet, but option errors still reach stderr. */
		argv[n] = "--dry-run";
		argv[n + 1] = "--quiet";
		st = gf_host_capture(h, argv, 30, NULL, err);
		if (st < 0)
			rc = -1;
		else if (st != 0)
			rc = gf_err_set(err, GF_EXIT_DATAERR, "stress",
			    "phase '%s': stress-ng rejects '%s' (exit %d)",
			    ph->name, cmd, st);
		free(argv);
		free(cmd);
		free(shape);
	}
	json_decref(seen);
	return rc;
}

static void
tick(struct ticker *t)
{
	double now = gf_time_now();

	if (t == NULL || t->h->progress == NULL || now < t->next)
		return;
	t->h->progress(t->h->arg, t->p, t->i, now - t->start);
	t->next = now + TICK;
}

/* Sleep until deadline or a stop; 1 when stopped. */
static int
wait_until(double deadline, const volatile sig_atomic_t *stop,
    struct ticker *t)
{
	double now;

	while (!*stop && (now = gf_time_now()) < deadline) {
		gf_time_sleep(fmin(0.1, deadline - now), 1);
		tick(t);
	}
	return *stop != 0;
}

static void
note(const struct gf_stress_hooks *h, json_t *section, const char *fmt,
    ...) GF_PRINTF(3, 4);

static void
note(const struct gf_stress_hooks *h, json_t *section, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	(void)section;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (h->note != NULL)
		h->note(h->arg, msg);
}

struct freq_saved {
	char *path;
	char *value;
	size_t len;
};

/*
 * Lower scaling_max_freq for the phase's CPUs, remembering what was
 * there. A CPU that refuses is recorded and the phase runs anyway, as
 * the Tekton task does.
 */
static size_t
freq_apply(struct gf_host *host, const struct gf_plan_phase *ph,
    const struct gf_stress_hooks *h, json_t *section,
    struct freq_saved **saved)
{
	const char *root = h->sysfs_cpu != NULL ? h->sysfs_cpu :
	    "/sys/devices/system/cpu";
	json_t *skipped = json_object_get(section, "skipped_frequency_steps");
	size_t n = 0;
	char val[32];

	*saved = gf_xcalloc(ph->nfreq_cpus ? ph->nfreq_cpus : 1,
	    sizeof(**saved));
	snprintf(val, sizeof(val), "%ld\n", ph->freq_khz);
	for (size_t i = 0; i < ph->nfreq_cpus; i++) {
		struct gf_err e = GF_ERR_INIT;
		char *path = gf_xasprintf("%s/cpu%d/cpufreq/scaling_max_freq",
		    root, ph->freq_cpus[i]);
		size_t len;
		char *old = gf_host_read(host, path, 64, &len, &e);

		if (old != NULL && gf_host_write(host, path, val, strlen(val),
		    0644, GF_HOST_WRITE_IN_PLACE, &e) == 0) {
			(*saved)[n].path = path;
			(*saved)[n].value = old;
			(*saved)[n].len = len;
			n++;
			continue;
		}
		json_array_append_new(skipped, json_pack("{s:s, s:I, s:i, "
		    "s:s}", "phase", ph->name, "freq_khz",
		    (json_int_t)ph->freq_khz, "cpu", ph->freq_cpus[i],
		    "reason", e.msg));
		note(h, section, "phase '%s': frequency step %ld kHz skipped "
		    "on cpu%d: %s", ph->name, ph->freq_khz, ph->freq_cpus[i],
		    e.msg);
		free(path);
		free(old);
	}
	return n;
}

static void
freq_restore(struct gf_host *host, struct freq_saved *saved, size_t n,
    const struct gf_stress_hooks *h, json_t *section)
{
	for (size_t i = 0; i < n; i++) {
		struct gf_err e = GF_ERR_INIT;

		if (gf_host_write(host, saved[i].path, saved[i].value,
		    strlen(saved[i].value), 0644, GF_HOST_WRITE_IN_PLACE,
		    &e) < 0)
			note(h, section, "cannot restore '%s': %s",
			    saved[i].path, e.msg);
		free(saved[i].path);
		free(saved[i].value);
	}
	free(saved);
}

static const char *
signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	    sig == SIGHUP ? "SIGHUP" : "a signal";
}

static void
tick_poll(void *arg)
{
	tick(arg);
}

/*
 * Run one stress-ng to completion. 0 with *status (exit status, or -1
 * after a signal *sig), or -1 (err set) when it could not start or the
 * run was stopped (*stopped set).
 */
static int
run_command(struct gf_host *host, const struct gf_plan_phase *ph,
    const struct gf_stress_hooks *h, const volatile sig_atomic_t *stop,
    json_t *section, int *status, int *sig, int *stopped, struct ticker *t,
    struct gf_err *err)
{
	struct gf_host_cmd cmd;
	struct gf_host_result r;

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = (const char *const *)ph->argv;
	cmd.timeout = ph->duration + OVERRUN_GRACE;
	cmd.log_path = h->log_path != NULL ? h->log_path : "/dev/null";
	cmd.stop = stop;
	cmd.poll = tick_poll;
	cmd.poll_arg = t;
	if (gf_host_run(host, &cmd, &r, err) < 0) {
		gf_host_result_release(&r);
		return -1;
	}
	gf_host_result_release(&r);
	*status = r.status;
	*sig = r.signal;
	if (r.stopped) {
		*stopped = 1;
		return -1;
	}
	if (r.timed_out) {
		note(h, section, "phase '%s': stress-ng ran %.0f s past its "
		    "timeout: stopping it", ph->name, OVERRUN_GRACE);
		*status = 0;
		*sig = 0;
	}
	return 0;
}

int
gf_stress_run(struct gf_host *host, const struct gf_plan *p, json_t *doc,
    json_t *section,
    const volatile sig_atomic_t *stop, const struct gf_stress_hooks *h,
    struct gf_err *err)
{
	double total = gf_plan_estimate(p), elapsed = 0;
	struct ticker tk = { h, p, 0, 0, 0 };
	size_t done = 0;
	int rc = 0;

	if (json_object_get(section, "skipped_frequency_steps") == NULL)
		json_object_set_new(section, "skipped_frequency_steps",
		    json_array());
	for (size_t i = 0; i < p->nphases; i++) {
		const struct gf_plan_phase *ph = &p->phases[i];
		struct freq_saved *saved = NULL;
		size_t nsaved = 0;
		int status = 0, sig = 0, stopped = 0;
		double start, end;
		json_t *params;
		char *cmd;

		if (*stop) {
			stopped = 1;
			goto interrupted;
		}
		if (h->phase != NULL)
			h->phase(h->arg, p, i, elapsed, total - elapsed);
		if (ph->freq_khz > 0)
			nsaved = freq_apply(host, ph, h, section, &saved);
		start = gf_time_now();
		tk.i = i;
		tk.start = start;
		tk.next = start + TICK;
		if (ph->argv == NULL) {
			stopped = wait_until(start + ph->duration, stop, &tk);
		} else if (run_command(host, ph, h, stop, section, &status,
		    &sig, &stopped, &tk, err) < 0) {
			if (saved != NULL)
				freq_restore(host, saved, nsaved, h, section);
			if (stopped)
				goto interrupted;
			rc = -1;
			break;
		}
		end = gf_time_now();
		if (saved != NULL)
			freq_restore(host, saved, nsaved, h, section);
		if (stopped)
			goto interrupted;
		if (status < 0 || status == 1) {
			cmd = gf_plan_phase_command(ph);
			rc = gf_err_set(err, GF_EXIT_SOFTWARE, "stress",
			    "phase '%s': '%s' failed (%s %d)", ph->name, cmd,
			    status < 0 ? "signal" : "exit",
			    status < 0 ? sig : status);
			free(cmd);
			break;
		}
		params = json_deep_copy(ph->params);
		cmd = gf_plan_phase_command(ph);
		json_object_set_new(params, "command", json_string(cmd));
		free(cmd);
		if (status > 0) {
			/*
			 * 2 (a stressor failed), 3 (no resource), 4 (not
			 * implemented here): the load ran partly, as in the
			 * Tekton task, which carries on.
			 */
			json_object_set_new(params, "stress_ng_exit",
			    json_integer(status));
			note(h, section, "phase '%s': stress-ng exited with "
			    "status %d", ph->name, status);
		}
		gf_window_add(doc, ph->name, start, end, params);
		done++;
		json_object_set_new(section, "phases_run",
		    json_integer((json_int_t)done));
		elapsed += ph->duration;
		if (ph->rest > 0 && wait_until(gf_time_now() + ph->rest, stop,
		    NULL))
			goto interrupted_after;
		elapsed += ph->rest;
		continue;
interrupted_after:
		i++;
		/* FALLTHROUGH */
interrupted:
		json_object_set_new(section, "interrupted", json_pack(
		    "{s:s, s:s?, s:f}", "signal", signame((int)*stop), "phase",
		    i < p->nphases ? p->phases[i].name : NULL, "at",
		    gf_time_now()));
		rc = gf_err_set(err, GF_EXIT_TEMPFAIL, "stress", "stopped by "
		    "%s after %zu of %zu phases; the completed phases are "
		    "recorded", signame((int)*stop), done, p->nphases);
		break;
	}
	json_object_set_new(section, "phases_run",
	    json_integer((json_int_t)done));
	return rc;
}
