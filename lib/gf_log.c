/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_log.h"
#include "gf_buf.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

const char *gf_progname = "gf";

static enum gf_log_level level = GF_LOG_NORMAL;
static int level_from_env_done;
static char **secrets;
static size_t nsecrets;
/* Hosts' threads register secrets (their key passphrases) and redact. */
static pthread_mutex_t secrets_lock = PTHREAD_MUTEX_INITIALIZER;

static void
wipe_secrets(void)
{
	for (size_t i = 0; i < nsecrets; i++)
		gf_free_secret(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
}

void
gf_setprogname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	gf_progname = slash != NULL ? slash + 1 : argv0;
}

static void
level_from_env(void)
{
	const char *v;

	if (level_from_env_done)
		return;
	level_from_env_done = 1;
	v = getenv("GF_LOG_LEVEL");
	if (v == NULL)
		return;
	if (strcmp(v, "quiet") == 0)
		level = GF_LOG_QUIET;
	else if (strcmp(v, "debug") == 0)
		level = GF_LOG_DEBUG;
	else if (strcmp(v, "normal") == 0)
		level = GF_LOG_NORMAL;
}

void
gf_log_set_level(enum gf_log_level l)
{
	level_from_env_done = 1;
	level = l;
}

enum gf_log_level
gf_log_get_level(void)
{
	level_from_env();
	return level;
}

int
gf_log_in_actions(void)
{
	const char *v = getenv("GITHUB_ACTIONS");

	return v != NULL && strcmp(v, "true") == 0;
}

void
gf_log_mask(const char *secret)
{
	if (secret == NULL || strlen(secret) < 4)
		return;
	pthread_mutex_lock(&secrets_lock);
	for (size_t i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0) {
			pthread_mutex_unlock(&secrets_lock);
			return;
		}
	if (nsecrets == 0)
		atexit(wipe_secrets);
	secrets = gf_xreallocarray(secrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets++] = gf_xstrdup(secret);
	pthread_mutex_unlock(&secrets_lock);
	if (gf_log_in_actions()) {
		/*
		 * Line by line, as the runner masks: a newline inside the
		 * command would end it and run the rest as a command.
		 */
		for (const char *p = secret; *p != '\0';) {
			size_t n = strcspn(p, "\r\n");

			if (n >= 4)
				fprintf(stderr, "::add-mask::%.*s\n", (int)n, p);
			p += n;
			p += strspn(p, "\r\n");
		}
	}
}

int
gf_log_has_secret(const char *text, unsigned long len)
{
	int found = 0;

	pthread_mutex_lock(&secrets_lock);
	for (size_t i = 0; i < nsecrets && !found; i++)
		found = memmem(text, len, secrets[i], strlen(secrets[i])) !=
		    NULL;
	pthread_mutex_unlock(&secrets_lock);
	return found;
}

char *
gf_log_redact(const char *text)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *p = text;

	pthread_mutex_lock(&secrets_lock);
	while (*p != '\0') {
		size_t best_len = 0;

		for (size_t i = 0; i < nsecrets; i++) {
			size_t n = strlen(secrets[i]);

			if (n > best_len && strncmp(p, secrets[i], n) == 0)
				best_len = n;
		}
		if (best_len > 0) {
			gf_buf_adds(&b, "***");
			p += best_len;
		} else {
			gf_buf_addc(&b, *p++);
		}
	}
	pthread_mutex_unlock(&secrets_lock);
	return gf_buf_detach(&b);
}

/* Workflow-command escaping of a message (actions/toolkit command.ts). */
static void
put_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '%': fputs("%25", stderr); break;
		case '\r': fputs("%0D", stderr); break;
		case '\n': fputs("%0A", stderr); break;
		default: fputc(*s, stderr);
		}
	}
}

static void vlog(const char *command, const char *plain_prefix,
    const char *fmt, va_list ap) GF_PRINTF(3, 0);

static void
vlog(const char *command, const char *plain_prefix, const char *fmt,
    va_list ap)
{
	struct gf_buf b = GF_BUF_INIT;
	char *msg, *clean;
	va_list cp;
	int len;

	va_copy(cp, ap);
	len = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (len < 0)
		return;
	msg = gf_xmalloc((size_t)len + 1);
	vsnprintf(msg, (size_t)len + 1, fmt, ap);
	clean = gf_log_redact(msg);
	gf_buf_addf(&b, "%s: %s%s", gf_progname, plain_prefix, clean);
	if (command != NULL && gf_log_in_actions()) {
		fprintf(stderr, "::%s::", command);
		put_escaped(gf_buf_str(&b));
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "%s\n", gf_buf_str(&b));
	}
	fflush(stderr);
	gf_buf_release(&b);
	free(clean);
	free(msg);
}

void
gf_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("error", "", fmt, ap);
	va_end(ap);
}

void
gf_warn(const char *fmt, ...)
{
	va_list ap;

	if (gf_log_get_level() < GF_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog("warning", "warning: ", fmt, ap);
	va_end(ap);
}

void
gf_log_info_cb(const char *msg, void *arg)
{
	(void)arg;
	gf_info("%s", msg);
}

void
gf_log_group_cb(const char *title, void *arg)
{
	(void)arg;
	if (title != NULL)
		gf_log_group("%s", title);
	else
		gf_log_endgroup();
}

void
gf_log_warn_cb(const char *msg, void *arg)
{
	(void)arg;
	gf_warn("%s", msg);
}

void
gf_info(const char *fmt, ...)
{
	va_list ap;

	if (gf_log_get_level() < GF_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vlog(NULL, "", fmt, ap);
	va_end(ap);
}

void
gf_debug(const char *fmt, ...)
{
	va_list ap;

	if (gf_log_get_level() < GF_LOG_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(gf_log_in_actions() ? "debug" : NULL, "debug: ", fmt, ap);
	va_end(ap);
}

void
gf_log_group(const char *fmt, ...)
{
	char title[512];
	char *clean;
	va_list ap;

	if (gf_log_get_level() < GF_LOG_NORMAL)
		return;
	va_start(ap, fmt);
	vsnprintf(title, sizeof(title), fmt, ap);
	va_end(ap);
	clean = gf_log_redact(title);
	if (gf_log_in_actions()) {
		fputs("::group::", stderr);
		put_escaped(clean);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "%s: == %s\n", gf_progname, clean);
	}
	free(clean);
}

void
gf_log_endgroup(void)
{
	if (gf_log_get_level() >= GF_LOG_NORMAL && gf_log_in_actions())
		fputs("::endgroup::\n", stderr);
}

/* A line longer than this is shown in pieces: memory stays bounded. */
#define STREAM_LINE_MAX (64 * 1024)

struct gf_log_stream {
	char *name, *title;
	int fd;
	struct gf_buf line;
};

/* The stream whose group is open on stderr now, under stream_lock. */
static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct gf_log_stream *stream_in_group;

static void
escape_into(struct gf_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '%': gf_buf_adds(b, "%25"); break;
		case '\r': gf_buf_adds(b, "%0D"); break;
		case '\n': gf_buf_adds(b, "%0A"); break;
		default: gf_buf_addc(b, *s);
		}
	}
}

static void
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

struct gf_log_stream *
gf_log_stream_new(const char *name, const char *title, int fd)
{
	struct gf_log_stream *s = gf_xcalloc(1, sizeof(*s));

	s->name = gf_xstrdup(name != NULL ? name : "?");
	s->title = title != NULL && gf_log_in_actions() ? gf_log_redact(title) :
	    NULL;
	s->fd = fd;
	gf_buf_init(&s->line);
	return s;
}

/* Show s->line (without its newline) and empty it. */
static void
stream_line(struct gf_log_stream *s)
{
	struct gf_buf out = GF_BUF_INIT;
	char *clean;

	if (s->line.len > 0 && s->line.data[s->line.len - 1] == '\r')
		s->line.data[--s->line.len] = '\0';
	clean = gf_log_redact(gf_buf_str(&s->line));
	pthread_mutex_lock(&stream_lock);
	if (s->title != NULL && stream_in_group != s) {
		if (stream_in_group != NULL)
			gf_buf_adds(&out, "::endgroup::\n");
		gf_buf_adds(&out, "::group::");
		escape_into(&out, s->title);
		gf_buf_addc(&out, '\n');
		stream_in_group = s;
	}
	gf_buf_addf(&out, "[%s] %s\n", s->name, clean);
	write_all(s->fd, out.data, out.len);
	pthread_mutex_unlock(&stream_lock);
	gf_buf_release(&out);
	free(clean);
	gf_buf_reset(&s->line);
}

void
gf_log_stream_feed(struct gf_log_stream *s, const void *data, size_t len)
{
	const char *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			stream_line(s);
			continue;
		}
		gf_buf_addc(&s->line, p[i] != '\0' ? p[i] : '?');
		if (s->line.len >= STREAM_LINE_MAX)
			stream_line(s);
	}
}

void
gf_log_stream_finish(struct gf_log_stream *s)
{
	if (s->line.len > 0)
		stream_line(s);
	pthread_mutex_lock(&stream_lock);
	if (stream_in_group == s) {
		write_all(s->fd, "::endgroup::\n", 13);
		stream_in_group = NULL;
	}
	pthread_mutex_unlock(&stream_lock);
}

void
gf_log_stream_free(struct gf_log_stream *s)
{
	if (s == NULL)
		return;
	gf_log_stream_finish(s);
	gf_buf_release(&s->line);
	free(s->name);
	free(s->title);
	free(s);
}
