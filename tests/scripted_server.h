/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scripted HTTP server for the client tests (gf_http, gf_prom): a forked
 * child on a free loopback port answers each request with the next reply
 * of a script (status, headers, body, delay, early close) and reports the
 * requests it saw through a pipe. Header-only, like tap.h.
 */
#ifndef GF_SCRIPTED_SERVER_H
#define GF_SCRIPTED_SERVER_H

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_xalloc.h"

/* One scripted reply: status, extra header lines, body, delay before. */
struct reply {
	int status;
	const char *headers;	/* "Name: v\r\n..." or NULL */
	const char *body;	/* NULL: empty */
	size_t bodysize;	/* > 0: that many 'x' instead of body */
	double delay;
	int close_early;	/* close without answering */
};

struct server {
	pid_t pid;
	int port;
	int log;	/* read end: requests the server saw, as text */
};

static char *
read_request(int fd)
{
	char *buf = gf_xmalloc(1 << 16);
	size_t len = 0, want = 0;
	char *hdr_end, *cl;
	ssize_t n;

	while (len < (1 << 16) - 1) {
		n = read(fd, buf + len, (1 << 16) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((hdr_end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		want = (size_t)(hdr_end + 4 - buf) +
		    (cl ? strtoul(cl + 17, NULL, 10) : 0);
		if (len >= want)
			break;
	}
	buf[len] = '\0';
	return buf;
}

static void
serve(int ls, int logfd, const struct reply *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd = accept(ls, NULL, NULL);
		char *req, *head;
		struct timespec ts;

		if (fd < 0)
			_exit(1);
		req = read_request(fd);
		if (write(logfd, req, strlen(req) + 1) < 0)
			_exit(1);
		free(req);
		ts.tv_sec = (time_t)r[i].delay;
		ts.tv_nsec = (long)((r[i].delay - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (r[i].close_early) {
			close(fd);
			continue;
		}
		size_t blen = r[i].bodysize ? r[i].bodysize :
		    r[i].body ? strlen(r[i].body) : 0;
		head = gf_xasprintf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n%s\r\n", r[i].status, blen,
		    r[i].headers ? r[i].headers : "");
		if (write(fd, head, strlen(head)) < 0)
			_exit(1);
		free(head);
		if (r[i].bodysize) {
			char *b = gf_xmalloc(r[i].bodysize);

			memset(b, 'x', r[i].bodysize);
			if (write(fd, b, r[i].bodysize) < 0) {
				/* the client may hang up at the cap */
			}
			free(b);
		} else if (blen && write(fd, r[i].body, blen) < 0) {
			_exit(1);
		}
		close(fd);
	}
	_exit(0);
}

static void
start(struct server *s, const struct reply *r, size_t n)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int ls, p[2];

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 16) < 0 || getsockname(ls, (struct sockaddr *)&a,
	    &alen) < 0 || pipe(p) < 0) {
		perror("fake server");
		exit(1);
	}
	s->port = ntohs(a.sin_port);
	fflush(stdout);
	s->pid = fork();
	if (s->pid == 0) {
		close(p[0]);
		serve(ls, p[1], r, n);
	}
	close(ls);
	close(p[1]);
	s->log = p[0];
}

/* Everything the server saw, NUL-separated requests joined by '\n'. */
static char *
stop(struct server *s)
{
	char buf[4096];
	size_t len = 0, cap = 1;
	char *all = gf_xstrdup("");
	ssize_t n;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	while ((n = read(s->log, buf, sizeof(buf))) > 0) {
		all = gf_xreallocarray(all, 1, cap + (size_t)n);
		for (ssize_t i = 0; i < n; i++)
			all[len++] = buf[i] ? buf[i] : '\n';
		cap += (size_t)n;
		all[len] = '\0';
	}
	close(s->log);
	return all;
}

static char *
url_of(const struct server *s, const char *path)
{
	return gf_xasprintf("http://127.0.0.1:%d%s", s->port, path);
}

#endif
