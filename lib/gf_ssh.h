/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSH connections: the one module over libssh2 (gf_host_ssh.c builds a
 * host on it; gf_git uses libgit2's own transport). A connection is a
 * TCP socket, a checked host key, an authenticated user, and on demand
 * one SFTP session; commands run on channels of it, one at a time.
 *
 *	struct gf_ssh *s = gf_ssh_connect(&opts, &err);
 *	struct gf_ssh_exec *x = gf_ssh_exec_start(s, "uname -r", NULL, 0,
 *	    &err);
 *	while ((rc = gf_ssh_exec_pump(x, 0.1, &out, &errout, &err)) == 0)
 *		;
 *	status = gf_ssh_exec_status(x, &sig);
 *	gf_ssh_exec_free(x);
 *	gf_ssh_free(s);
 *
 * Exit codes of its errors (libssh2's are converted here, once):
 *   69  the host cannot be reached (name not resolved, connection
 *       refused, no answer within the connect time-out) or the
 *       connection broke; the message names the host, address and port;
 *   78  the host key is refused (not the pinned fingerprint, changed or
 *       unknown in the known_hosts file: the message gives the
 *       fingerprint expected and the one found, like ssh-keygen -l), or
 *       the user could not authenticate (key refused, unreadable key
 *       file, wrong passphrase, no key and no ssh-agent): both are
 *       settings to fix, not a service that may come back;
 *   66  a file to read is missing; 73 a file cannot be created; 74
 *       other SFTP failures.
 * Not thread-safe: one thread uses a connection.
 */
#ifndef GF_SSH_H
#define GF_SSH_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "gf_buf.h"
#include "gf_err.h"

struct gf_ssh;
struct gf_ssh_exec;

struct gf_ssh_opts {
	const char *label;	/* the host's name, for messages */
	const char *address;	/* name or address to connect to */
	int port;
	const char *user;
	const char *key_file;	/* private key; NULL: ssh-agent */
	const char *passphrase;	/* of key_file; NULL: none */
	/*
	 * How the host key is checked, first that is set: a pinned
	 * "SHA256:..." fingerprint (as ssh-keygen -l prints it; the prefix
	 * and '=' padding are optional), a known_hosts file (OpenSSH format,
	 * hashed entries too; "[address]:port" for a port other than 22),
	 * else nothing but tofu. With tofu set, a key the known_hosts file
	 * does not list (or any key when there is no file) is accepted and
	 * gf_ssh_tofu() says so; a key that differs from a listed one is
	 * refused all the same.
	 */
	const char *host_key_sha256;
	const char *known_hosts;
	int tofu;
	double connect_timeout;	/* seconds, also for the handshake */
	double io_timeout;	/* seconds a file transfer or a channel may
				 * wait for the server */
	int keepalive;		/* seconds between keep-alives; 0: none */
};

/*
 * Connect, check the host key and authenticate. Returns a new
 * connection (free with gf_ssh_free), or NULL with err (69, 78).
 */
struct gf_ssh *gf_ssh_connect(const struct gf_ssh_opts *o,
    struct gf_err *err);

/* Disconnects and frees; NULL is fine. */
void gf_ssh_free(struct gf_ssh *s);

/* The host key's "SHA256:..." fingerprint (borrowed). */
const char *gf_ssh_host_key(const struct gf_ssh *s);

/* 1 when the host key was accepted on first use, unchecked. */
int gf_ssh_tofu(const struct gf_ssh *s);

/* 1 once the connection failed: it cannot be used any more. */
int gf_ssh_broken(const struct gf_ssh *s);

/*
 * Run command (a string for the user's login shell) on a new channel,
 * with stdin from in (in_len bytes; NULL: empty). Returns the running
 * command, or NULL with err (69).
 */
struct gf_ssh_exec *gf_ssh_exec_start(struct gf_ssh *s, const char *command,
    const void *in, size_t in_len, struct gf_err *err);

/*
 * Move what the command printed into out and errout (appended), waiting
 * up to wait seconds for something to happen (and sending keep-alives).
 * Returns 1 once it has ended (its output complete, its status known),
 * 0 while it runs, -1 with err when the connection broke (69).
 */
int gf_ssh_exec_pump(struct gf_ssh_exec *x, double wait, struct gf_buf *out,
    struct gf_buf *errout, struct gf_err *err);

/*
 * After gf_ssh_exec_pump returned 1: the exit status (0-255), or -1
 * when a signal ended it, then *sig (may be NULL) is its number.
 */
int gf_ssh_exec_status(const struct gf_ssh_exec *x, int *sig);

/* Close the channel (whether the command ended or not) and free x. */
void gf_ssh_exec_free(struct gf_ssh_exec *x);

/*
 * SFTP (69 when the server has none). gf_ssh_read: a whole file as a new NUL-terminated buffer, its
 * length in *len (may be NULL); more than max_bytes (0: no limit) is 65.
 * gf_ssh_write: create or truncate path with mode and write data (not
 * atomic; create is 0: the file must exist). gf_ssh_remove: unlink, a
 * missing file is fine.
 */
/*
 * 1 when the server offers SFTP (the subsystem is started on first
 * use); else files must go through commands.
 */
int gf_ssh_has_sftp(struct gf_ssh *s);

char *gf_ssh_read(struct gf_ssh *s, const char *path, size_t max_bytes,
    size_t *len, struct gf_err *err);
int gf_ssh_write(struct gf_ssh *s, const char *path, const void *data,
    size_t len, mode_t mode, int create, struct gf_err *err);
int gf_ssh_remove(struct gf_ssh *s, const char *path, struct gf_err *err);

/*
 * Port forwarding (gf_ssh_forward.c), as ssh -L does: connections
 * accepted on local listening sockets are carried over direct-tcpip
 * channels of one connection to an address as the server sees it.
 *
 *	struct gf_ssh_forward fw = { .listen_fd = fd, .host = "127.0.0.1",
 *	    .port = 9100 };
 *	rc = gf_ssh_forward_run(s, &fw, 1, &stop, log, NULL, &err);
 */
struct gf_ssh_forward {
	int listen_fd;		/* a listening TCP socket, non-blocking;
				 * borrowed */
	const char *host;	/* where its connections go, as the server
				 * resolves it ("127.0.0.1"); borrowed */
	int port;
};

/*
 * Serve the forwards fw[0..n-1] until *stop becomes non-zero: accept
 * every connection of their listening sockets, open a channel to the
 * forward's host:port for each (one at a time, as the SSH session
 * allows) and move bytes both ways, each way buffered on its own so
 * that neither can hold the other up, and half-closes passed on (EOF
 * one way, the other still open). Everything runs from one poll(2)
 * loop over the connection's socket (non-blocking; the session is set
 * back to blocking on return) and sends keep-alives while idle; a
 * server that answers none of three in a row counts as lost.
 *
 * A channel the server refuses (nothing listening there, forwarding
 * not allowed) or a client that goes away ends only that connection;
 * log (may be NULL) gets one line about it with log_arg. *stop is
 * checked at least once a second (a signal handler may set it).
 *
 * Returns 0 when stopped, every forwarded connection closed (the
 * listening sockets stay open: the caller's); -1 with err when the SSH
 * connection broke (69, naming the host), after which s is broken
 * (gf_ssh_broken); 71 when poll(2) fails. A listener that cannot
 * accept for want of descriptors or memory is logged and rested for a
 * second.
 */
int gf_ssh_forward_run(struct gf_ssh *s, const struct gf_ssh_forward *fw,
    size_t n, const volatile sig_atomic_t *stop, gf_warn_fn *log,
    void *log_arg, struct gf_err *err);

#endif
