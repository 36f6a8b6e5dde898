/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port forwarding over direct-tcpip channels, from one poll(2) loop.
 *
 * libssh2 in non-blocking mode keeps at most one outgoing packet that did
 * not fit into the socket; until it is sent, only the call that made it
 * may be repeated (any other call that sends fails with
 * LIBSSH2_ERROR_BAD_USE, and nearly every call may send: a read sends
 * window adjustments). So the loop remembers which call that is, the
 * owner of the outgoing side, and makes no other call that may send until
 * the owner's went through. Channels are opened one at a time: libssh2
 * keeps the state of an open in the session.
 *
 * Data one call reads off the socket may belong to any channel, so after
 * each pass the loop asks libssh2 whether a channel has data, an EOF or
 * window space waiting before it sleeps in poll(2). Only calls on
 * channels read the socket: a session channel, opened and never used,
 * reads what comes while no forwarded channel is open (the answers to
 * keep-alives, the end of the connection).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "gf_ssh.h"
#include "gf_ssh_impl.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define BUF_SIZE 65536		/* each way of each connection */
#define MAX_CONNS 256		/* more wait in the listen backlog */

enum conn_state { OPENING, OPEN, CLOSING };

/* The calls that may send (see above). */
enum op { OP_NONE, OP_OPEN, OP_READ, OP_WRITE, OP_EOF, OP_CLOSE,
    OP_KEEPALIVE };

struct conn {
	int fd;			/* the client; -1 once closed */
	LIBSSH2_CHANNEL *ch;
	const struct gf_ssh_forward *fw;
	enum conn_state state;
	short revents;		/* of the client, from the last poll */
	int client_eof;		/* the client sent EOF */
	int eof_sent;		/* ... and the channel passed it on */
	int chan_eof;		/* the server sent EOF */
	int client_shut;	/* ... and the client was told */
	int failed;		/* close both sides now */
	char peer[INET6_ADDRSTRLEN];
	int peer_port;
	size_t up_len, down_len;
	char up[BUF_SIZE];	/* client to channel */
	char down[BUF_SIZE];	/* channel to client */
};

struct fwd {
	struct gf_ssh *s;
	struct conn **c;
	size_t nc;
	struct conn *owner;	/* NULL for a keep-alive */
	struct conn *opening;	/* whose open libssh2 is in the middle of */
	enum op owner_op;
	int progress;		/* something moved in this pass */
	int in_pending;		/* the socket had data no call read yet */
	LIBSSH2_CHANNEL *idle;	/* a session channel only read (drain) */
	int keepalive_next;	/* seconds */
	double accept_paused_until;
	int failed;		/* err is filled */
	gf_warn_fn *log;
	void *log_arg;
	struct gf_err *err;
};

static int
may_send(const struct fwd *f, const struct conn *c, enum op op)
{
	return f->owner_op == OP_NONE || (f->owner == c && f->owner_op == op);
}

/* After a call of op for c: it owns the outgoing side while libssh2
 * holds a packet of it. */
static void
after(struct fwd *f, struct conn *c, enum op op)
{
	if (libssh2_session_block_directions(f->s->session) &
	    LIBSSH2_SESSION_BLOCK_OUTBOUND) {
		if (f->owner_op == OP_NONE) {
			f->owner = c;
			f->owner_op = op;
		}
	} else if (f->owner == c && f->owner_op == op) {
		f->owner = NULL;
		f->owner_op = OP_NONE;
	}
}

/* Errors that end one channel; every other is the connection's. */
static int
channel_error(long rc)
{
	switch (rc) {
	case LIBSSH2_ERROR_CHANNEL_FAILURE:
	case LIBSSH2_ERROR_CHANNEL_REQUEST_DENIED:
	case LIBSSH2_ERROR_CHANNEL_UNKNOWN:
	case LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED:
	case LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED:
	case LIBSSH2_ERROR_CHANNEL_CLOSED:
	case LIBSSH2_ERROR_CHANNEL_EOF_SENT:
		return 1;
	}
	return 0;
}

static void
fatal(struct fwd *f, const char *what)
{
	if (!f->failed)
		gf_ssh_broke(f->s, what, f->err);
	f->failed = 1;
}

/* A libssh2 result rc of c: 1 when it is a failure (c or all ends). */
static int
failed(struct fwd *f, struct conn *c, long rc, const char *what)
{
	if (rc >= 0 || rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	if (!channel_error(rc)) {
		fatal(f, what);
		return 1;
	}
	gf_err_warn(f->log, f->log_arg, "connection from %s port %d to %s "
	    "port %d: %s: %s", c->peer, c->peer_port, c->fw->host,
	    c->fw->port, what, gf_ssh_last_error(f->s));
	c->failed = 1;
	return 1;
}

static void
open_channel(struct fwd *f, struct conn *c)
{
	LIBSSH2_CHANNEL *ch;
	int rc;

	if (!may_send(f, c, OP_OPEN))
		return;
	ch = libssh2_channel_direct_tcpip_ex(f->s->session, c->fw->host,
	    c->fw->port, c->peer, c->peer_port);
	after(f, c, OP_OPEN);
	f->opening = NULL;
	if (ch != NULL) {
		c->ch = ch;
		c->state = c->failed ? CLOSING : OPEN;
		f->progress = 1;
		f->s->heard = gf_time_monotonic();
		return;
	}
	rc = libssh2_session_last_errno(f->s->session);
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		f->opening = c;
		return;
	}
	if (rc != LIBSSH2_ERROR_CHANNEL_FAILURE) {
		fatal(f, "cannot open a channel");
		return;
	}
	f->s->heard = gf_time_monotonic();
	gf_err_warn(f->log, f->log_arg, "connection from %s port %d: %s "
	    "refused %s port %d: %s", c->peer, c->peer_port, f->s->label,
	    c->fw->host, c->fw->port, gf_ssh_last_error(f->s));
	c->state = CLOSING;
	f->progress = 1;
}

/* The client's side: read into up, write down out. */
static void
serve_client(struct fwd *f, struct conn *c)
{
	ssize_t n;

	if (c->fd < 0 || c->failed)
		return;
	if (!c->client_eof && c->up_len < BUF_SIZE &&
	    (c->revents & (POLLIN | POLLHUP | POLLERR))) {
		n = recv(c->fd, c->up + c->up_len, BUF_SIZE - c->up_len, 0);
		if (n > 0)
			c->up_len += (size_t)n;
		else if (n == 0)
			c->client_eof = 1;
		else if (errno != EAGAIN && errno != EINTR)
			c->failed = 1;
		f->progress |= n >= 0 || c->failed;
	}
	if (c->down_len > 0 && !c->failed) {
		n = send(c->fd, c->down, c->down_len, MSG_NOSIGNAL);
		if (n > 0) {
			c->down_len -= (size_t)n;
			memmove(c->down, c->down + n, c->down_len);
			f->progress = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			c->failed = 1;
		}
	}
	if (c->chan_eof && c->down_len == 0 && !c->client_shut &&
	    !c->failed) {
		shutdown(c->fd, SHUT_WR);
		c->client_shut = 1;
		f->progress = 1;
	}
}

/* The channel's side: write up in, read down, pass EOF on. */
static void
serve_channel(struct fwd *f, struct conn *c)
{
	ssize_t n;
	int rc;

	if (c->up_len > 0 && may_send(f, c, OP_WRITE)) {
		n = libssh2_channel_write(c->ch, c->up, c->up_len);
		after(f, c, OP_WRITE);
		if (failed(f, c, n, "cannot send"))
			return;
		if (n > 0) {
			c->up_len -= (size_t)n;
			memmove(c->up, c->up + n, c->up_len);
			f->progress = 1;
		}
	}
	if (c->client_eof && c->up_len == 0 && !c->eof_sent &&
	    may_send(f, c, OP_EOF)) {
		rc = libssh2_channel_send_eof(c->ch);
		after(f, c, OP_EOF);
		if (failed(f, c, rc, "cannot send EOF"))
			return;
		if (rc == 0) {
			c->eof_sent = 1;
			f->progress = 1;
		}
	}
	if (!c->chan_eof && c->down_len < BUF_SIZE &&
	    may_send(f, c, OP_READ)) {
		n = libssh2_channel_read(c->ch, c->down + c->down_len,
		    BUF_SIZE - c->down_len);
		after(f, c, OP_READ);
		if (failed(f, c, n, "cannot receive"))
			return;
		if (n > 0) {
			c->down_len += (size_t)n;
			f->s->heard = gf_time_monotonic();
			f->progress = 1;
		} else if (n == 0 && libssh2_channel_eof(c->ch)) {
			c->chan_eof = 1;
			f->progress = 1;
		}
	}
}

/*
 * Close c: the client at once, the channel with an EOF and a close
 * (which waits for the server's). Returns 1 once c can be freed.
 */
static int
close_conn(struct fwd *f, struct conn *c)
{
	int rc;

	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (c->ch == NULL)
		return 1;
	/* A packet of a read or write held: sent first, by the same call. */
	if (f->owner == c && f->owner_op == OP_WRITE) {
		rc = (int)libssh2_channel_write(c->ch, c->up, c->up_len);
		after(f, c, OP_WRITE);
	} else if (f->owner == c && f->owner_op == OP_READ) {
		rc = (int)libssh2_channel_read(c->ch, c->down + c->down_len,
		    BUF_SIZE - c->down_len);
		after(f, c, OP_READ);
	}
	if (f->owner == c && (f->owner_op == OP_WRITE ||
	    f->owner_op == OP_READ))
		return 0;
	if (!c->eof_sent) {
		if (!may_send(f, c, OP_EOF))
			return 0;
		rc = libssh2_channel_send_eof(c->ch);
		after(f, c, OP_EOF);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (rc < 0 && !channel_error(rc)) {
			fatal(f, "cannot close a channel");
			return 0;
		}
		c->eof_sent = 1;
	}
	if (!may_send(f, c, OP_CLOSE))
		return 0;
	rc = libssh2_channel_close(c->ch);
	after(f, c, OP_CLOSE);
	if (rc == LIBSSH2_ERROR_EAGAIN || f->owner == c)
		return 0;
	if (rc < 0 && !channel_error(rc)) {
		fatal(f, "cannot close a channel");
		return 0;
	}
	libssh2_channel_free(c->ch);	/* closed: it sends nothing */
	c->ch = NULL;
	f->progress = 1;
	return 1;
}

static void
conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void
accept_from(struct fwd *f, const struct gf_ssh_forward *fw)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct conn *c;
	int fd;

	while (f->nc < MAX_CONNS) {
		len = sizeof(ss);
		fd = accept4(fw->listen_fd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				gf_err_warn(f->log, f->log_arg, "cannot accept "
				    "a connection for %s port %d: %s",
				    fw->host, fw->port, strerror(errno));
				f->accept_paused_until = gf_time_monotonic() +
				    1;
			}
			return;
		}
		c = gf_xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->fw = fw;
		c->revents = POLLIN | POLLOUT;
		snprintf(c->peer, sizeof(c->peer), "127.0.0.1");
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, c->peer,
			    sizeof(c->peer));
			c->peer_port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, c->peer,
			    sizeof(c->peer));
			c->peer_port = ntohs(a->sin6_port);
		}
		f->c = gf_xreallocarray(f->c, f->nc + 1, sizeof(*f->c));
		f->c[f->nc++] = c;
		f->progress = 1;
	}
}

/* Whether libssh2 holds something for a channel that a pass would move. */
static int
waiting(const struct fwd *f)
{
	unsigned long queued;

	if (f->owner_op != OP_NONE)
		return 0;	/* the owner waits for POLLOUT */
	for (size_t i = 0; i < f->nc; i++) {
		struct conn *c = f->c[i];

		if (c->state != OPEN || c->failed)
			continue;
		/*
		 * Not libssh2_poll_channel_read: it gives up at the first
		 * packet shorter than 5 bytes, and the answers to keep-alives
		 * are such packets that stay queued.
		 */
		if (!c->chan_eof && c->down_len < BUF_SIZE &&
		    (libssh2_channel_window_read_ex(c->ch, &queued, NULL),
		    queued > 0 || libssh2_channel_eof(c->ch)))
			return 1;
		if (c->up_len > 0 && may_send(f, c, OP_WRITE) &&
		    libssh2_channel_window_write(c->ch) > 0)
			return 1;
	}
	return 0;
}

/*
 * The socket has data: libssh2 reads it into its queues through the
 * idle channel, which never receives data and so never sends (it may
 * read while the outgoing side is held, and with no forwarded channel
 * open), and sees a connection the server closed.
 */
static void
drain(struct fwd *f)
{
	char b;
	ssize_t n = libssh2_channel_read(f->idle, &b, 0);

	f->in_pending = 0;
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
		fatal(f, "connection lost");
}

/*
 * One pass over everything. Connections are opened in the order they
 * came, one at a time: libssh2 finishes an open it began with the same
 * arguments only.
 */
static void
pass(struct fwd *f)
{
	struct conn *opener = f->opening;
	int next;

	if (f->in_pending)
		drain(f);
	for (size_t i = 0; i < f->nc && !f->failed; i++) {
		struct conn *c = f->c[i];

		serve_client(f, c);
		if (c->state == OPENING && opener == NULL)
			opener = c;
		if (c->state == OPEN && !c->failed)
			serve_channel(f, c);
		if (c->state == OPEN && (c->failed || (c->eof_sent &&
		    c->client_shut)))
			c->state = CLOSING;
	}
	for (size_t i = 0; i < f->nc && !f->failed; i++)
		if (f->c[i]->state == CLOSING && close_conn(f, f->c[i])) {
			conn_free(f->c[i]);
			f->nc--;
			memmove(f->c + i, f->c + i + 1, (f->nc - i) *
			    sizeof(*f->c));
			i--;
		}
	if (opener != NULL && !f->failed)
		open_channel(f, opener);
	if (f->s->keepalive > 0 && may_send(f, NULL, OP_KEEPALIVE) &&
	    !f->failed) {
		/*
		 * A keep-alive that did not fit is resumed by the next one
		 * (libssh2 sends it from the same buffer); a few bytes into
		 * an idle socket hardly ever meet a full one.
		 */
		libssh2_keepalive_send(f->s->session, &next);
		after(f, NULL, OP_KEEPALIVE);
		f->keepalive_next = next;
	}
	if (!f->failed && waiting(f))
		f->progress = 1;
}

/* Milliseconds poll may sleep: until the next keep-alive, at most 1 s. */
static int
sleep_ms(const struct fwd *f)
{
	double t = 1;

	if (f->progress)
		return 0;
	if (f->s->keepalive > 0 && f->owner_op == OP_NONE &&
	    f->keepalive_next < t)
		t = f->keepalive_next < 0 ? 0 : f->keepalive_next;
	return (int)(t * 1000) + 1;
}

static void
close_all(struct fwd *f)
{
	struct gf_ssh *s = f->s;

	libssh2_session_set_blocking(s->session, 1);
	libssh2_session_set_timeout(s->session, 2000);
	for (size_t i = 0; i < f->nc; i++) {
		struct conn *c = f->c[i];

		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		/*
		 * A channel is closed here only when no packet is held:
		 * otherwise libssh2 refuses every other call, and frees the
		 * channels with the session.
		 */
		if (c->ch != NULL && !s->broken && f->owner_op == OP_NONE)
			libssh2_channel_free(c->ch);
		free(c);
	}
	free(f->c);
	if (!s->broken && f->owner_op == OP_NONE)
		libssh2_channel_free(f->idle);
	libssh2_session_set_timeout(s->session, s->io_ms);
}

int
gf_ssh_forward_run(struct gf_ssh *s, const struct gf_ssh_forward *fw,
    size_t n, const volatile sig_atomic_t *stop, gf_warn_fn *log,
    void *log_arg, struct gf_err *err)
{
	struct fwd f = { .s = s, .log = log, .log_arg = log_arg,
	    .err = err };
	struct pollfd *p = gf_xcalloc(n + 1, sizeof(*p));
	size_t np = 0;

	if (s->broken) {
		free(p);
		return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: the "
		    "connection is closed", s->label);
	}
	if ((f.idle = libssh2_channel_open_session(s->session)) == NULL) {
		free(p);
		return gf_ssh_broke(s, "cannot open a channel", err);
	}
	libssh2_session_set_blocking(s->session, 0);
	s->heard = gf_time_monotonic();
	while (!*stop && !f.failed) {
		double now = gf_time_monotonic();
		int paused = f.nc >= MAX_CONNS || f.accept_paused_until > now;
		size_t k = 1 + n;

		np = 1 + n + f.nc;
		p = gf_xreallocarray(p, np, sizeof(*p));
		p[0] = (struct pollfd){ .fd = s->fd };
		p[0].events = POLLIN;
		if (f.owner_op != OP_NONE)
			p[0].events |= POLLOUT;
		for (size_t i = 0; i < n; i++)
			p[1 + i] = (struct pollfd){ .fd = paused ? -1 :
			    fw[i].listen_fd, .events = POLLIN };
		for (size_t i = 0; i < f.nc; i++, k++) {
			struct conn *c = f.c[i];
			short ev = 0;

			if (c->fd >= 0 && !c->client_eof && c->up_len <
			    BUF_SIZE && !c->failed)
				ev |= POLLIN;
			if (c->fd >= 0 && c->down_len > 0 && !c->failed)
				ev |= POLLOUT;
			p[k] = (struct pollfd){ .fd = ev ? c->fd : -1,
			    .events = ev };
		}
		if (poll(p, (nfds_t)np, sleep_ms(&f)) < 0 &&
		    errno != EINTR) {
			gf_err_set(err, GF_EXIT_OSERR, "ssh", "poll: %s",
			    strerror(errno));
			f.failed = 1;
			break;
		}
		f.progress = 0;
		now = gf_time_monotonic();
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (p[0].revents & POLLIN)
				s->heard = now;
			f.in_pending = 1;
		}
		for (size_t i = 0; i < f.nc; i++)
			f.c[i]->revents = p[1 + n + i].revents;
		for (size_t i = 0; i < n; i++)
			if (p[1 + i].revents & POLLIN)
				accept_from(&f, &fw[i]);
		pass(&f);
		if (!f.failed && s->keepalive > 0 && now - s->heard >
		    (double)s->keepalive * GF_SSH_SILENT_KEEPALIVES + 1) {
			s->broken = 1;
			f.failed = 1;
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: "
			    "connection lost: no answer to %d keep-alives in "
			    "%d s", s->label, GF_SSH_SILENT_KEEPALIVES,
			    s->keepalive * GF_SSH_SILENT_KEEPALIVES);
		}
	}
	free(p);
	close_all(&f);
	return f.failed ? -1 : 0;
}
