/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_tool.h"
#include "gf_doc.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#ifndef GF_VERSION
#define GF_VERSION "0.0.0"
#endif

/*
 * What a signal writes: the document of the last checkpoint with a failed
 * step, rendered in advance, since a handler may only call
 * async-signal-safe functions. The step's signal name, end time and
 * seconds are placeholders of fixed width that the handler overwrites
 * (a number shorter than its placeholder is followed by blanks, which
 * JSON allows).
 */
#define SIG_MARK "@@SIG@@\""		/* "SIGTERM" + the closing quote */
#define END_MARK "@@gf-interrupted-end@@@@"	/* as long as RFC 3339 + ms */
#define SEC_MARK "\"@@gf-interrupted-seconds@@\""

struct rendered {
	char *text;
	size_t len, sig, end, sec;	/* offsets of the marks */
};

static struct {
	volatile sig_atomic_t phase;	/* enum phase */
	volatile sig_atomic_t pending;	/* a signal held while reading */
	struct rendered out, state;
	const char *state_path;
	char *state_tmp;
	double started;
	const char *prog;
} intr;

enum phase { PHASE_NONE, PHASE_READING, PHASE_WORKING, PHASE_DONE };

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* n as decimal digits into p (at least width digits); returns the end. */
static char *
put_uint(char *p, unsigned long long n, int width)
{
	char tmp[24];
	int len = 0;

	do {
		tmp[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 || len < width);
	while (len > 0)
		*p++ = tmp[--len];
	return p;
}

/* RFC 3339 UTC with milliseconds, without gmtime (not signal-safe). */
static void
put_time(char out[24], long long ms)
{
	long long secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
	long long m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
	char *p = out;

	p = put_uint(p, (unsigned long long)y, 4);
	*p++ = '-';
	p = put_uint(p, (unsigned long long)m, 2);
	*p++ = '-';
	p = put_uint(p, (unsigned long long)d, 2);
	*p++ = 'T';
	p = put_uint(p, (unsigned long long)(rem / 3600), 2);
	*p++ = ':';
	p = put_uint(p, (unsigned long long)(rem / 60 % 60), 2);
	*p++ = ':';
	p = put_uint(p, (unsigned long long)(rem % 60), 2);
	*p++ = '.';
	p = put_uint(p, (unsigned long long)(ms % 1000), 3);
	*p = 'Z';
}

static void
patch(struct rendered *r, const char *signame, const char *end,
    const char *seconds)
{
	size_t n;

	if (r->text == NULL)
		return;
	memset(r->text + r->sig, ' ', sizeof(SIG_MARK) - 1);
	n = strlen(signame);
	memcpy(r->text + r->sig, signame, n);
	r->text[r->sig + n] = '"';
	memcpy(r->text + r->end, end, sizeof(END_MARK) - 1);
	memset(r->text + r->sec, ' ', sizeof(SEC_MARK) - 1);
	memcpy(r->text + r->sec, seconds, strlen(seconds));
}

static void
on_signal(int sig)
{
	const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ?
	    "SIGTERM" : "SIGHUP";
	char end[24], seconds[24], *p;
	struct timespec ts;
	long long ms, took;
	int fd;

	if (intr.phase == PHASE_READING && !intr.pending) {
		intr.pending = sig;
		return;
	}
	if (intr.phase != PHASE_WORKING || intr.out.text == NULL) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	intr.phase = PHASE_DONE;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	put_time(end, ms);
	took = ms - (long long)(intr.started * 1000);
	if (took < 0)
		took = 0;
	p = put_uint(seconds, (unsigned long long)(took / 1000), 1);
	*p++ = '.';
	p = put_uint(p, (unsigned long long)(took % 1000), 3);
	*p = '\0';
	patch(&intr.out, name, end, seconds);
	patch(&intr.state, name, end, seconds);
	write_all(2, intr.prog, strlen(intr.prog));
	write_all(2, ": interrupted by ", 17);
	write_all(2, name, strlen(name));
	write_all(2, "\n", 1);
	if (intr.state.text != NULL && (fd = open(intr.state_tmp, O_WRONLY |
	    O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
		write_all(fd, intr.state.text, intr.state.len);
		if (close(fd) == 0)
			rename(intr.state_tmp, intr.state_path);
	}
	write_all(1, intr.out.text, intr.out.len);
	_exit(GF_EXIT_TEMPFAIL);
}

/*
 * A signal the tool was started ignoring stays ignored: a shell starts
 * background jobs with SIGINT ignored, and nohup SIGHUP, so that a
 * Ctrl-C or a closed terminal leaves them alone.
 */
static void
install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < GF_ARRAY_LEN(sigs); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

static void
block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

static int
render(struct rendered *r, json_t *doc)
{
	char *s = gf_doc_dump(doc), *sig, *end, *sec;

	sig = strstr(s, SIG_MARK);
	end = strstr(s, END_MARK);
	sec = strstr(s, SEC_MARK);
	if (sig == NULL || end == NULL || sec == NULL) {
		free(s);
		return -1;
	}
	free(r->text);
	r->text = s;
	r->len = strlen(s);
	r->sig = (size_t)(sig - s);
	r->end = (size_t)(end - s);
	r->sec = (size_t)(sec - s);
	return 0;
}

/* Render what a signal would write now, for the document as it is. */
static void
prepare_interrupt(struct gf_tool *t)
{
	struct gf_err err = GF_ERR_INIT;
	json_t *steps, *step, *merged;
	struct stat st;
	sigset_t old;
	int had_steps;

	if ((t->flags & GF_TOOL_OWN_SIGNALS) || t->doc == NULL)
		return;
	had_steps = json_object_get(t->doc, "steps") != NULL;
	gf_err_set(&err, GF_EXIT_TEMPFAIL, "signal", "interrupted by "
	    "%.*s", (int)sizeof(SIG_MARK) - 2, SIG_MARK);
	gf_doc_add_step(t->doc, t->name, t->started, &err, NULL);
	steps = json_object_get(t->doc, "steps");
	step = json_array_get(steps, json_array_size(steps) - 1);
	json_object_set_new(step, "end", json_string(END_MARK));
	json_object_set_new(step, "seconds", json_string("@@gf-interrupted-"
	    "seconds@@"));
	block_signals(&old);
	if (render(&intr.out, t->doc) < 0)
		GF_BUG("the interrupted document lost its marks");
	if (t->state_path != NULL && (stat(t->state_path, &st) < 0 ||
	    S_ISREG(st.st_mode))) {
		merged = gf_doc_state_merge(t->doc, t->state_path);
		render(&intr.state, merged);
		json_decref(merged);
		intr.state_path = t->state_path;
		free(intr.state_tmp);
		intr.state_tmp = gf_xasprintf("%s.interrupted", t->state_path);
	}
	intr.started = t->started;
	intr.phase = PHASE_WORKING;
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* One that came after the last look at it is handled now. */
	if (intr.pending)
		raise(intr.pending);
	json_array_remove(steps, json_array_size(steps) - 1);
	if (!had_steps)
		json_object_del(t->doc, "steps");
}

void
gf_tool_parse(struct gf_tool *t, const struct gf_cli *cli, int argc,
    char *argv[])
{
	memset(t, 0, sizeof(*t));
	gf_setprogname(argv[0]);
	/* A reader that went away must give EPIPE (exit 74), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	t->name = cli->name;
	t->argc = argc;
	t->argv = argv;
	intr.prog = gf_progname;
	intr.phase = PHASE_READING;
	install_handlers();
	gf_err_clear(&t->parse_err);
	gf_opt_parse(&t->set, cli, argc, argv, &t->parse_err);
	if (t->set.help || t->set.version) {
		char *text = t->set.help ? gf_opt_usage(cli, 1) :
		    gf_xasprintf("%s (gf) %s\n", gf_progname, GF_VERSION);

		fputs(text, stdout);
		free(text);
		exit(gf_close_stdout() != 0 ? GF_EXIT_IOERR : 0);
	}
}

/* A document to carry a failure when the input could not be read. */
static json_t *
read_or_new(struct gf_tool *t, const char *input, struct gf_err *err)
{
	json_t *doc = gf_doc_read(input, err);

	if (doc != NULL)
		return doc;
	if (t->flags & GF_TOOL_NO_DOC)
		gf_die_err(err);
	return gf_doc_new();
}

void
gf_tool_read(struct gf_tool *t, unsigned flags)
{
	struct gf_err err = GF_ERR_INIT;
	const char *input;

	t->flags = flags;
	if (flags & GF_TOOL_NO_DOC) {
		if (t->parse_err.exit != 0)
			gf_die_err(&t->parse_err);
		intr.phase = PHASE_NONE;
		if (gf_opt_load_config(&t->set, &err) < 0 ||
		    gf_opt_resolve(&t->set, NULL, &err) < 0)
			gf_die_err(&err);
		return;
	}
	/* -i may be what could not be parsed, or after what could not. */
	input = t->parse_err.exit == 0 ? gf_opt_str(&t->set, "input") :
	    gf_opt_scan_input(t->argc, t->argv);
	if (!(flags & GF_TOOL_NO_STATE))
		t->state_path = gf_doc_state_path();
	t->doc = (flags & GF_TOOL_NO_INPUT) ? gf_doc_new() :
	    read_or_new(t, input, &err);
	t->started = gf_time_now();
	t->inherited_exit = gf_doc_failed_exit(t->doc);
	if (err.exit != 0 || t->parse_err.exit != 0 || intr.pending)
		gf_doc_ensure_run(t->doc);
	if (err.exit != 0)
		gf_tool_fail(t, &err);
	if (t->parse_err.exit != 0)
		gf_tool_fail(t, &t->parse_err);
	/*
	 * Passed on unchanged, not even "run" filled in; also when a signal
	 * came meanwhile: the one that stopped the pipeline, whose failure
	 * the document already carries.
	 */
	if (t->inherited_exit != 0 && !(flags & GF_TOOL_RUN_ANYWAY)) {
		int rc = t->inherited_exit;

		gf_info("an earlier step failed (exit %d): passing the "
		    "document on", rc);
		if (gf_doc_write(stdout, t->doc, &err) < 0) {
			gf_error("%s", err.msg);
			rc = GF_EXIT_IOERR;
		}
		if (gf_close_stdout() != 0)
			rc = GF_EXIT_IOERR;
		exit(rc);
	}
	gf_doc_ensure_run(t->doc);
	if (gf_opt_load_config(&t->set, &err) < 0 ||
	    gf_opt_resolve(&t->set, t->doc, &err) < 0)
		gf_tool_fail(t, &err);
	if (intr.pending) {
		gf_err_set(&err, GF_EXIT_TEMPFAIL, "signal", "interrupted by "
		    "%s before it started", intr.pending == SIGINT ? "SIGINT" :
		    intr.pending == SIGTERM ? "SIGTERM" : "SIGHUP");
		gf_tool_fail(t, &err);
	}
	if (flags & GF_TOOL_OWN_SIGNALS)
		intr.phase = PHASE_NONE;	/* on_signal: the default action */
	prepare_interrupt(t);
}

void
gf_tool_start(struct gf_tool *t, const struct gf_cli *cli, int argc,
    char *argv[], unsigned flags)
{
	gf_tool_parse(t, cli, argc, argv);
	gf_tool_read(t, flags);
}

void
gf_tool_adopt(struct gf_tool *t, json_t *doc)
{
	json_decref(t->doc);
	t->doc = doc;
	t->inherited_exit = gf_doc_failed_exit(doc);
	gf_doc_ensure_run(doc);
	prepare_interrupt(t);
}

void
gf_tool_usage_error(struct gf_tool *t, const char *fmt, ...)
{
	struct gf_err err = GF_ERR_INIT;
	va_list ap;

	va_start(ap, fmt);
	gf_err_vset(&err, GF_EXIT_USAGE, "options", fmt, ap);
	va_end(ap);
	if (t->doc == NULL)
		gf_die_err(&err);
	gf_tool_fail(t, &err);
}

void
gf_tool_checkpoint(struct gf_tool *t)
{
	struct gf_err err = GF_ERR_INIT;

	if (t->state_path != NULL && gf_doc_save(t->doc, t->state_path,
	    &err) < 0)
		gf_warn("%s", err.msg);
	prepare_interrupt(t);
}

int
gf_tool_finish(struct gf_tool *t, const struct gf_err *err, json_t *extra)
{
	struct gf_err werr = GF_ERR_INIT;
	int rc = 0;

	/* A signal now would write the document twice. */
	block_signals(NULL);
	intr.phase = PHASE_DONE;
	if (err != NULL && err->exit != 0) {
		gf_error("%s", err->msg);
		rc = err->exit;
	} else if (t->inherited_exit != 0) {
		rc = t->inherited_exit;
	}
	gf_doc_add_step(t->doc, t->name, t->started, err, extra);
	if (t->state_path != NULL && gf_doc_save(t->doc, t->state_path,
	    &werr) < 0)
		gf_warn("%s", werr.msg);
	gf_err_clear(&werr);
	if (gf_doc_write(stdout, t->doc, &werr) < 0) {
		gf_error("%s", werr.msg);
		rc = GF_EXIT_IOERR;
	}
	json_decref(t->doc);
	t->doc = NULL;
	free(t->state_path);
	t->state_path = NULL;
	if (t->set.val != NULL)
		gf_opt_free(&t->set);
	if (gf_close_stdout() != 0)
		rc = GF_EXIT_IOERR;
	return rc;
}

void
gf_tool_fail(struct gf_tool *t, const struct gf_err *err)
{
	exit(gf_tool_finish(t, err, NULL));
}

void
gf_die(int exit_code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gf_error("%s", msg);
	exit(exit_code);
}

void
gf_die_err(const struct gf_err *err)
{
	gf_error("%s", err->msg);
	exit(err->exit != 0 ? err->exit : GF_EXIT_SOFTWARE);
}

int
gf_close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed) {
		gf_error("cannot write standard output: %s", strerror(saved));
		return GF_EXIT_IOERR;
	}
	return 0;
}
