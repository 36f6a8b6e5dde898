/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
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
freq_apply(const struct gf_stress_target *tg, const struct gf_plan_phase *ph,
    const struct gf_stress_hooks *h, json_t *section, int multi,
    struct freq_saved **saved)
{
	struct gf_host *host = tg->host;
	const char *root = tg->sysfs_cpu != NULL ? tg->sysfs_cpu :
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
		json_t *step;

		if (old != NULL && gf_host_write(host, path, val, strlen(val),
		    0644, GF_HOST_WRITE_IN_PLACE, &e) == 0) {
			(*saved)[n].path = path;
			(*saved)[n].value = old;
			(*saved)[n].len = len;
			n++;
			continue;
		}
		step = json_pack("{s:s, s:I, s:i, s:s}", "phase", ph->name,
		    "freq_khz", (json_int_t)ph->freq_khz, "cpu",
		    ph->freq_cpus[i], "reason", e.msg);
		if (multi)
			json_object_set_new(step, "host",
			    json_string(gf_host_name(host)));
		json_array_append_new(skipped, step);
		note(h, section, "%s%s%sphase '%s': frequency step %ld kHz "
		    "skipped on cpu%d: %s", multi ? "host '" : "", multi ?
		    gf_host_name(host) : "", multi ? "': " : "", ph->name,
		    ph->freq_khz, ph->freq_cpus[i], e.msg);
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
 * run was stopped (*stopped set). poll(poll_arg) runs while it waits.
 */
static int
run_command(struct gf_host *host, const struct gf_plan_phase *ph,
    const struct gf_stress_hooks *h, const volatile sig_atomic_t *stop,
    json_t *section, int *status, int *sig, int *stopped,
    void (*poll)(void *), void *poll_arg, struct gf_err *err)
{
	struct gf_host_cmd cmd;
	struct gf_host_result r;

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = (const char *const *)ph->argv;
	cmd.timeout = ph->duration + OVERRUN_GRACE;
	cmd.log_path = h->log_path != NULL ? h->log_path : "/dev/null";
	cmd.stop = stop;
	cmd.poll = poll;
	cmd.poll_arg = poll_arg;
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
		note(h, section, "%s%s%sphase '%s': stress-ng ran %.0f s past "
		    "its timeout: stopping it", host->is_runner ? "" :
		    "host '", host->is_runner ? "" : gf_host_name(host),
		    host->is_runner ? "" : "': ", ph->name, OVERRUN_GRACE);
		*status = 0;
		*sig = 0;
	}
	return 0;
}

static void
host_failed(const struct gf_stress_target *tg, const struct gf_err *err)
{
	if (tg->result == NULL)
		return;
	json_object_set_new(tg->result, "exit", json_integer(err->exit));
	json_object_set_new(tg->result, "error", json_string(err->msg));
}

/* One host's part of a phase run by several at once. */
struct host_phase {
	const struct gf_stress_target *tg;
	const struct gf_plan_phase *ph;
	const struct gf_stress_hooks *h;
	const volatile sig_atomic_t *signalled;	/* the caller's stop */
	atomic_int *failed_any;		/* set by the first host that fails */
	volatile sig_atomic_t stop;	/* this host's, read by its run only:
					 * a signal, or another host failed */
	struct ticker *tk;		/* the first host's only */
	json_t *section;
	int status, sig, stopped, failed;
	struct gf_err err;
};

static void
host_poll(void *arg)
{
	struct host_phase *hp = arg;

	if (*hp->signalled && !hp->stop)
		hp->stop = *hp->signalled;
	else if (atomic_load(hp->failed_any) && !hp->stop)
		hp->stop = -1;
	if (hp->tk != NULL)
		tick(hp->tk);
}

static void *
host_thread(void *arg)
{
	struct host_phase *hp = arg;

	if (run_command(hp->tg->host, hp->ph, hp->h, &hp->stop, hp->section,
	    &hp->status, &hp->sig, &hp->stopped, host_poll, hp, &hp->err) < 0 &&
	    !hp->stopped) {
		hp->failed = 1;
		/* The others stop too: this phase cannot be recorded. */
		atomic_store(hp->failed_any, 1);
	}
	return NULL;
}

/*
 * Phase i on every target at once, one thread each; the window is the
 * time from before the first starts to after the last ends. Fills
 * status[k]; 0, or -1 with err (the first host that failed, *stopped
 * when the run was stopped instead).
 */
static int
run_on_all(struct gf_stress_target *t, size_t n, size_t i,
    const struct gf_stress_hooks *h, const volatile sig_atomic_t *stop,
    json_t *section, struct ticker *tk, int *status, int *sig, int *stopped,
    struct gf_err *err)
{
	struct host_phase *hp = gf_xcalloc(n, sizeof(*hp));
	pthread_t *th = gf_xcalloc(n, sizeof(*th));
	atomic_int failed_any = 0;
	size_t started = 0;
	int rc = 0;

	for (size_t k = 0; k < n; k++) {
		hp[k].tg = &t[k];
		hp[k].ph = &t[k].plan->phases[i];
		hp[k].h = h;
		hp[k].signalled = stop;
		hp[k].failed_any = &failed_any;
		hp[k].tk = k == 0 ? tk : NULL;
		hp[k].section = section;
		gf_err_clear(&hp[k].err);
	}
	for (; started < n; started++)
		if (pthread_create(&th[started], NULL, host_thread,
		    &hp[started]) != 0) {
			atomic_store(&failed_any, 1);
			rc = gf_err_set(err, GF_EXIT_OSERR, "stress", "cannot "
			    "start a thread for host '%s'",
			    gf_host_name(t[started].host));
			break;
		}
	for (size_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	for (size_t k = 0; k < started; k++) {
		status[k] = hp[k].status;
		sig[k] = hp[k].sig;
		if (hp[k].failed && rc == 0) {
			rc = -1;
			*err = hp[k].err;
		}
		if (hp[k].failed)
			host_failed(&t[k], &hp[k].err);
	}
	if (rc == 0 && *stop) {
		*stopped = 1;
		rc = -1;
	}
	free(hp);
	free(th);
	return rc;
}

static int
check_same_phases(const struct gf_stress_target *t, size_t n,
    struct gf_err *err)
{
	const struct gf_plan *a = t[0].plan;

	for (size_t k = 1; k < n; k++) {
		const struct gf_plan *b = t[k].plan;
		int same = a->nphases == b->nphases;

		for (size_t i = 0; same && i < a->nphases; i++)
			same = strcmp(a->phases[i].name, b->phases[i].name) ==
			    0 && a->phases[i].duration == b->phases[i].duration
			    && a->phases[i].rest == b->phases[i].rest;
		if (!same)
			return gf_err_set(err, GF_EXIT_CONFIG, "stress",
			    "hosts '%s' and '%s' get different plans (their "
			    "CPUs differ): run them one at a time",
			    gf_host_name(t[0].host), gf_host_name(t[k].host));
	}
	return 0;
}

/* What a phase's window says of its commands and their exit status. */
static json_t *
phase_params(const struct gf_stress_target *t, size_t n, size_t i,
    const int *status, const struct gf_stress_hooks *h, json_t *section)
{
	const struct gf_plan_phase *ph = &t[0].plan->phases[i];
	json_t *params = json_deep_copy(ph->params), *cmds, *exits;
	char *cmd = gf_plan_phase_command(ph);

	json_object_set_new(params, "command", json_string(cmd));
	free(cmd);
	if (n == 1 && status[0] > 0) {
		/*
		 * 2 (a stressor failed), 3 (no resource), 4 (not
		 * implemented here): the load ran partly, as in the
		 * Tekton task, which carries on.
		 */
		json_object_set_new(params, "stress_ng_exit",
		    json_integer(status[0]));
		note(h, section, "phase '%s': stress-ng exited with "
		    "status %d", ph->name, status[0]);
	}
	if (n == 1)
		return params;
	cmds = json_object();
	exits = json_object();
	for (size_t k = 0; k < n; k++) {
		const char *name = gf_host_name(t[k].host);

		cmd = gf_plan_phase_command(&t[k].plan->phases[i]);
		json_object_set_new(cmds, name, json_string(cmd));
		free(cmd);
		if (status[k] <= 0)
			continue;
		json_object_set_new(exits, name, json_integer(status[k]));
		note(h, section, "host '%s': phase '%s': stress-ng exited "
		    "with status %d", name, ph->name, status[k]);
	}
	json_object_set_new(params, "commands", cmds);
	if (json_object_size(exits) > 0)
		json_object_set_new(params, "stress_ng_exits", exits);
	else
		json_decref(exits);
	return params;
}

int
gf_stress_run(struct gf_host *host, const struct gf_plan *p, json_t *doc,
    json_t *section,
    const volatile sig_atomic_t *stop, const struct gf_stress_hooks *h,
    struct gf_err *err)
{
	struct gf_stress_target t = { host, p, h->sysfs_cpu, NULL };

	return gf_stress_run_hosts(&t, 1, doc, section, stop, h, err);
}

int
gf_stress_run_hosts(struct gf_stress_target *t, size_t n, json_t *doc,
    json_t *section,
    const volatile sig_atomic_t *stop, const struct gf_stress_hooks *h,
    struct gf_err *err)
{
	const struct gf_plan *p = t[0].plan;
	double total = gf_plan_estimate(p), elapsed = 0;
	struct ticker tk = { h, p, 0, 0, 0 };
	struct freq_saved **saved = gf_xcalloc(n, sizeof(*saved));
	size_t *nsaved = gf_xcalloc(n, sizeof(*nsaved)), done = 0;
	int *status = gf_xcalloc(n, sizeof(*status));
	int *sig = gf_xcalloc(n, sizeof(*sig));
	int rc = 0;

	if (check_same_phases(t, n, err) < 0) {
		rc = -1;
		goto out;
	}
	if (json_object_get(section, "skipped_frequency_steps") == NULL)
		json_object_set_new(section, "skipped_frequency_steps",
		    json_array());
	for (size_t i = 0; i < p->nphases; i++) {
		const struct gf_plan_phase *ph = &p->phases[i];
		int stopped = 0, failed = 0;
		double start, end;

		if (*stop) {
			stopped = 1;
			goto interrupted;
		}
		if (h->phase != NULL)
			h->phase(h->arg, p, i, elapsed, total - elapsed);
		for (size_t k = 0; k < n; k++)
			if (t[k].plan->phases[i].freq_khz > 0)
				nsaved[k] = freq_apply(&t[k],
				    &t[k].plan->phases[i], h, section, n > 1,
				    &saved[k]);
		start = gf_time_now();
		tk.i = i;
		tk.start = start;
		tk.next = start + TICK;
		memset(status, 0, n * sizeof(*status));
		if (ph->argv == NULL)
			stopped = wait_until(start + ph->duration, stop, &tk);
		else if (n == 1)
			failed = run_command(t[0].host, ph, h, stop, section,
			    &status[0], &sig[0], &stopped, tick_poll, &tk,
			    err) < 0;
		else
			failed = run_on_all(t, n, i, h, stop, section, &tk,
			    status, sig, &stopped, err) < 0;
		end = gf_time_now();
		for (size_t k = 0; k < n; k++)
			if (saved[k] != NULL) {
				freq_restore(t[k].host, saved[k], nsaved[k], h,
				    section);
				saved[k] = NULL;
			}
		if (stopped)
			goto interrupted;
		if (failed) {
			rc = -1;
			break;
		}
		for (size_t k = 0; k < n && rc == 0; k++)
			if (status[k] < 0 || status[k] == 1) {
				char *cmd = gf_plan_phase_command(
				    &t[k].plan->phases[i]);

				rc = gf_err_set(err, GF_EXIT_SOFTWARE,
				    "stress", "%s%s%sphase '%s': '%s' failed "
				    "(%s %d)", n > 1 ? "host '" : "", n > 1 ?
				    gf_host_name(t[k].host) : "", n > 1 ?
				    "': " : "", ph->name, cmd, status[k] < 0 ?
				    "signal" : "exit", status[k] < 0 ? sig[k] :
				    status[k]);
				free(cmd);
				host_failed(&t[k], err);
			}
		if (rc < 0)
			break;
		gf_window_add(doc, ph->name, start, end, phase_params(t, n,
		    i, status, h, section));
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
out:
	free(saved);
	free(nsaved);
	free(status);
	free(sig);
	return rc;
}
