/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-tunnel: forward local TCP ports to a host over its SSH connection,
 * as ssh -L does, for the services a host keeps on its loopback
 * (node-exporter, Prometheus, Kepler) that the runner must reach. The
 * host is one entry of a run document's "hosts", in a file; every
 * connection accepted on a local port is carried over the host's one SSH
 * connection to an address as the host sees it. It runs as a supervised
 * background process until SIGTERM or SIGINT, and does not read or write
 * a run document.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_log.h"
#include "gf_ssh.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define MAX_FORWARDS 64

struct spec {
	char *bind;		/* local address; owned */
	char *host;		/* as the host sees it; owned */
	int lport, rport;
	int fd;
	char where[300];	/* "BIND:PORT" as bound */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct gf_opt opts[] = {
	GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "host-file", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "the host: one entry of a document's \"hosts\" (JSON); "
	  "required", .flags = GF_OPT_CLI },
	{ .name = "forward", .kind = GF_OPT_LIST,
	  .arg = "SPEC", .help = "[BIND:]LPORT:HOST:RPORT: listen on "
	  "BIND:LPORT (default 127.0.0.1), connect to HOST:RPORT from the "
	  "host; repeatable, at least one",
	  .flags = GF_OPT_CLI },
	{ .name = "ready-file", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "written once everything is up: the listening addresses",
	  .flags = GF_OPT_CLI },
};

static const struct gf_cli cli = {
	.name = "gf-tunnel",
	.synopsis = "[-hV] --host-file file --forward [bind:]lport:host:rport "
	    "[--forward ...] [--ready-file file]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "See gf-tunnel(1).",
};

/* The next ':'-separated field of *p; "[...]" keeps its colons. */
static char *
field(char **p)
{
	char *s = *p, *end;

	if (s == NULL)
		return NULL;
	if (*s == '[' && (end = strchr(s, ']')) != NULL &&
	    (end[1] == ':' || end[1] == '\0')) {
		*end = '\0';
		*p = end[1] == ':' ? end + 2 : NULL;
		return s + 1;
	}
	if ((end = strchr(s, ':')) != NULL) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = NULL;
	}
	return s;
}

static int
port_of(const char *s, int min)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > 65535)
		return -1;
	return (int)v;
}

static void
parse_spec(const char *arg, struct spec *sp)
{
	char *copy = gf_xstrdup(arg), *p = copy;
	const char *f[5];
	int n = 0;

	while (p != NULL && n < 5)
		f[n++] = field(&p);
	if ((n != 3 && n != 4) || p != NULL)
		gf_die(GF_EXIT_USAGE, "--forward '%s': expected "
		    "[BIND:]LPORT:HOST:RPORT", arg);
	if (n == 3) {
		memmove(f + 1, f, 3 * sizeof(*f));
		f[0] = "127.0.0.1";
	}
	sp->lport = port_of(f[1], 0);
	sp->rport = port_of(f[3], 1);
	if (*f[0] == '\0' || *f[2] == '\0' || sp->lport < 0 || sp->rport < 0)
		gf_die(GF_EXIT_USAGE, "--forward '%s': expected "
		    "[BIND:]LPORT:HOST:RPORT (ports 1-65535, LPORT 0: any "
		    "free port)", arg);
	sp->bind = gf_xstrdup(f[0]);
	sp->host = gf_xstrdup(f[2]);
	sp->fd = -1;
	free(copy);
}

/* Listen on sp's address; 71 when it cannot. */
static int
listen_on(struct spec *sp, struct gf_err *err)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char port[16], addr[INET6_ADDRSTRLEN] = "?";
	int one = 1, rc, fd, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", sp->lport);
	if ((rc = getaddrinfo(sp->bind, port, &hints, &res)) != 0)
		return gf_err_set(err, GF_EXIT_OSERR, "tunnel", "cannot "
		    "listen on '%s' port %d: %s", sp->bind, sp->lport,
		    gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		e = errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return gf_err_set(err, GF_EXIT_OSERR, "tunnel", "cannot "
		    "listen on %s port %d: %s", sp->bind, sp->lport,
		    strerror(e));
	}
	freeaddrinfo(res);
	sp->fd = fd;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		sp->lport = ntohs(a->sin6_port);
		snprintf(sp->where, sizeof(sp->where), "[%s]:%d", addr,
		    sp->lport);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		sp->lport = ntohs(a->sin_port);
		snprintf(sp->where, sizeof(sp->where), "%s:%d", addr,
		    sp->lport);
	}
	return 0;
}

/* The host of FILE: an SSH host (78 for the runner itself). */
static struct gf_host *
load_host(const char *path, struct gf_err *err)
{
	json_error_t jerr;
	json_t *entry;
	struct gf_host *h;

	if (access(path, F_OK) < 0) {
		gf_err_set(err, GF_EXIT_NOINPUT, "tunnel", "cannot read "
		    "'%s': %s", path, strerror(errno));
		return NULL;
	}
	if ((entry = json_load_file(path, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		gf_err_set(err, GF_EXIT_DATAERR, "tunnel", "%s:%d:%d: %s",
		    path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	h = gf_host_from_json(entry, err);
	json_decref(entry);
	if (h != NULL && gf_host_is_local(h)) {
		gf_err_set(err, GF_EXIT_CONFIG, "tunnel", "host '%s' in '%s' is "
		    "the runner itself: there is no SSH connection to forward "
		    "over (give an SSH host)", gf_host_name(h), path);
		gf_host_free(h);
		return NULL;
	}
	return h;
}

static void
log_line(const char *msg, void *arg)
{
	(void)arg;
	gf_warn("%s", msg);
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_tool tool;
	struct gf_host *h = NULL;
	struct gf_ssh *s;
	struct gf_ssh_forward fw[MAX_FORWARDS];
	struct spec sp[MAX_FORWARDS];
	struct gf_buf ready = GF_BUF_INIT;
	const char *const *list;
	const char *host_file, *ready_file;
	struct sigaction sa;
	size_t n = 0;
	int rc = 0, written = 0;

	gf_tool_start(&tool, &cli, argc, argv, GF_TOOL_NO_DOC |
	    GF_TOOL_OWN_SIGNALS);
	if ((host_file = gf_opt_str(&tool.set, "host-file")) == NULL)
		gf_die(GF_EXIT_USAGE, "--host-file is required (see --help)");
	list = gf_opt_list(&tool.set, "forward", &n);
	if (n == 0)
		gf_die(GF_EXIT_USAGE, "--forward is required (see --help)");
	if (n > MAX_FORWARDS)
		gf_die(GF_EXIT_USAGE, "at most %d --forward", MAX_FORWARDS);
	ready_file = gf_opt_str(&tool.set, "ready-file");
	for (size_t i = 0; i < n; i++)
		parse_spec(list[i], &sp[i]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((h = load_host(host_file, &err)) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		if (listen_on(&sp[i], &err) < 0)
			goto fail;
		fw[i] = (struct gf_ssh_forward){ .listen_fd = sp[i].fd,
		    .host = sp[i].host, .port = sp[i].rport };
		gf_buf_addf(&ready, "%s\n", sp[i].where);
	}
	/* A signal that cut the connecting short is no failure. */
	if ((s = gf_host_ssh_connection(h, &err)) == NULL && stop)
		goto out;
	if (s == NULL)
		goto fail;
	if (ready_file != NULL && gf_fs_write_atomic(ready_file, ready.data,
	    ready.len, 0644, &err) < 0)
		goto fail;
	written = ready_file != NULL;
	for (size_t i = 0; i < n; i++)
		gf_info("forwarding %s to %s port %d on host '%s'",
		    sp[i].where, sp[i].host, sp[i].rport, gf_host_name(h));
	if (gf_ssh_forward_run(s, fw, n, &stop, log_line, NULL, &err) < 0)
		goto fail;
	gf_info("stopped");
	goto out;
fail:
	gf_error("%s", err.msg);
	rc = err.exit != 0 ? err.exit : GF_EXIT_SOFTWARE;
out:
	if (written)
		unlink(ready_file);
	for (size_t i = 0; i < n; i++) {
		if (sp[i].fd >= 0)
			close(sp[i].fd);
		free(sp[i].bind);
		free(sp[i].host);
	}
	gf_host_free(h);
	gf_buf_release(&ready);
	gf_opt_free(&tool.set);
	return rc;
}
