/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSH over libssh2 (with gf_ssh_forward.c, the only files that include
 * it). Sessions are blocking with a time-out (libssh2_session_set_timeout)
 * except while a command's output is pumped, which must not wait on one
 * stream while the other fills the channel's window, and while
 * connections are forwarded.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "gf_ssh.h"
#include "gf_ssh_impl.h"
#include "gf_parse.h"
#include "gf_sha256.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

struct gf_ssh_exec {
	struct gf_ssh *s;
	LIBSSH2_CHANNEL *ch;
	int ended;
	int status;
	int sig;
};

/*
 * libssh2's global state is set up by the first session and released
 * with the last; sessions of several threads (gf-stress --host all)
 * count under a lock, since libssh2_init and libssh2_exit are not
 * thread-safe themselves.
 */
static pthread_mutex_t libssh2_lock = PTHREAD_MUTEX_INITIALIZER;
static int libssh2_users;

static int
ssh_lib_acquire(void)
{
	int rc = 0;

	pthread_mutex_lock(&libssh2_lock);
	if (libssh2_users == 0)
		rc = libssh2_init(0);
	if (rc == 0)
		libssh2_users++;
	pthread_mutex_unlock(&libssh2_lock);
	return rc;
}

static void
ssh_lib_release(void)
{
	pthread_mutex_lock(&libssh2_lock);
	if (--libssh2_users == 0)
		libssh2_exit();
	pthread_mutex_unlock(&libssh2_lock);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 without padding, as OpenSSH prints fingerprints. */
static void
b64_encode(const unsigned char *in, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < size; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned long)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64[v & 63];
	}
	out[o] = '\0';
}

/* Decodes until the first character that is not base64; new buffer. */
static unsigned char *
b64_decode(const char *in, size_t *n)
{
	size_t len = strlen(in), o = 0;
	unsigned char *out = gf_xmalloc(len * 3 / 4 + 3);
	unsigned long v = 0;
	int bits = 0;

	for (const char *p = in; *p != '\0'; p++) {
		const char *c = strchr(b64, *p);

		if (c == NULL)
			break;
		v = (v << 6) | (unsigned long)(c - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((v >> bits) & 0xff);
		}
	}
	*n = o;
	return out;
}

static void
fingerprint_of(const unsigned char *blob, size_t n, char out[64])
{
	struct gf_sha256 c;
	unsigned char d[GF_SHA256_LEN];

	gf_sha256_init(&c);
	gf_sha256_update(&c, blob, n);
	gf_sha256_final(&c, d);
	memcpy(out, "SHA256:", 7);
	b64_encode(d, sizeof(d), out + 7, 57);
}

const char *
gf_ssh_last_error(struct gf_ssh *s)
{
	char *msg = NULL;

	libssh2_session_last_error(s->session, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}

int
gf_ssh_broke(struct gf_ssh *s, const char *what, struct gf_err *err)
{
	s->broken = 1;
	return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: %s: %s",
	    s->label, what, gf_ssh_last_error(s));
}

static int
tcp_connect(const struct gf_ssh_opts *o, struct gf_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[16];
	int fd = -1, rc, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", o->port);
	if ((rc = getaddrinfo(o->address, port, &hints, &res)) != 0)
		return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "host '%s': "
		    "cannot resolve '%s': %s", o->label, o->address,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t elen = sizeof(e);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			e = ETIMEDOUT;
			if (poll(&p, 1, (int)(o->connect_timeout * 1000)) > 0 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) ==
			    0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "host '%s': "
		    "cannot connect to %s port %d: %s", o->label, o->address,
		    o->port, e == ETIMEDOUT ? "no answer (timed out)" :
		    strerror(e));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static const struct {
	int hostkey;
	int knownhost;
	const char *name;
} key_types[] = {
	{ LIBSSH2_HOSTKEY_TYPE_RSA, LIBSSH2_KNOWNHOST_KEY_SSHRSA, "RSA" },
	{ LIBSSH2_HOSTKEY_TYPE_DSS, LIBSSH2_KNOWNHOST_KEY_SSHDSS, "DSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_256, LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
	  "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_384, LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
	  "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ECDSA_521, LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
	  "ECDSA" },
	{ LIBSSH2_HOSTKEY_TYPE_ED25519, LIBSSH2_KNOWNHOST_KEY_ED25519,
	  "ED25519" },
};

static const char *
key_name(int hostkey_type, int knownhost_type)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(key_types); i++)
		if (key_types[i].hostkey == hostkey_type ||
		    key_types[i].knownhost == knownhost_type)
			return key_types[i].name;
	return "unknown";
}

/* "SHA256:x" and "x=" are the same fingerprint. */
static int
same_fingerprint(const char *pinned, const char *seen)
{
	size_t n;

	if (strncmp(pinned, "SHA256:", 7) == 0)
		pinned += 7;
	n = strcspn(pinned, "=");
	return strlen(seen + 7) == n && strncmp(pinned, seen + 7, n) == 0;
}

static int
check_known_hosts(struct gf_ssh *s, const struct gf_ssh_opts *o,
    const char *key, size_t klen, int ktype, struct gf_err *err)
{
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(s->session);
	struct libssh2_knownhost *found = NULL;
	int typemask = LIBSSH2_KNOWNHOST_TYPE_PLAIN |
	    LIBSSH2_KNOWNHOST_KEYENC_RAW, rc = -1, check;
	char expected[64] = "?";
	unsigned char *blob;
	size_t n;

	for (size_t i = 0; i < GF_ARRAY_LEN(key_types); i++)
		if (key_types[i].hostkey == ktype)
			typemask |= key_types[i].knownhost;
	if (kh == NULL)
		return gf_ssh_broke(s, "known hosts", err);
	if (libssh2_knownhost_readfile(kh, o->known_hosts,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 && (!o->tofu ||
	    access(o->known_hosts, F_OK) == 0)) {
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: cannot read "
		    "known_hosts '%s': %s", s->label, o->known_hosts,
		    access(o->known_hosts, R_OK) < 0 ? strerror(errno) :
		    gf_ssh_last_error(s));
		goto out;
	}
	check = libssh2_knownhost_checkp(kh, o->address, o->port, key, klen,
	    typemask, &found);
	if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
		rc = 0;
	} else if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		if (found != NULL && found->key != NULL) {
			blob = b64_decode(found->key, &n);
			fingerprint_of(blob, n, expected);
			free(blob);
		}
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: the host key "
		    "changed: known_hosts '%s' has %s %s for %s port %d, the "
		    "server offers %s %s", s->label, o->known_hosts,
		    key_name(-1, found != NULL ? (int)(found->typemask &
		    LIBSSH2_KNOWNHOST_KEY_MASK) : -1), expected, o->address,
		    o->port, key_name(ktype, -1), s->fingerprint);
	} else if (check == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND && o->tofu) {
		s->tofu = 1;
		rc = 0;
	} else if (check == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: unknown host key: "
		    "known_hosts '%s' has no %s key for %s port %d; the server "
		    "offers %s %s", s->label, o->known_hosts,
		    key_name(ktype, -1), o->address, o->port,
		    key_name(ktype, -1), s->fingerprint);
	} else {
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: cannot check the "
		    "host key: %s", s->label, gf_ssh_last_error(s));
	}
out:
	libssh2_knownhost_free(kh);
	return rc;
}

static int
check_host_key(struct gf_ssh *s, const struct gf_ssh_opts *o,
    struct gf_err *err)
{
	size_t klen = 0;
	int ktype = 0;
	const char *key = libssh2_session_hostkey(s->session, &klen, &ktype);

	if (key == NULL)
		return gf_ssh_broke(s, "no host key", err);
	fingerprint_of((const unsigned char *)key, klen, s->fingerprint);
	if (o->host_key_sha256 != NULL) {
		if (same_fingerprint(o->host_key_sha256, s->fingerprint))
			return 0;
		return gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: the host key "
		    "is not the pinned one: expected %s%s, the server offers "
		    "%s %s", s->label, strncmp(o->host_key_sha256, "SHA256:",
		    7) == 0 ? "" : "SHA256:", o->host_key_sha256,
		    key_name(ktype, -1), s->fingerprint);
	}
	if (o->known_hosts != NULL)
		return check_known_hosts(s, o, key, klen, ktype, err);
	if (o->tofu) {
		s->tofu = 1;
		return 0;
	}
	return gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: no known_hosts "
	    "file or fingerprint to check the host key %s against",
	    s->label, s->fingerprint);
}

static int
auth_agent(struct gf_ssh *s, const struct gf_ssh_opts *o, struct gf_err *err)
{
	LIBSSH2_AGENT *agent = libssh2_agent_init(s->session);
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc = -1, tried = 0;

	if (agent == NULL || libssh2_agent_connect(agent) < 0 ||
	    libssh2_agent_list_identities(agent) < 0) {
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: no key file given "
		    "and no usable ssh-agent (SSH_AUTH_SOCK): %s", s->label,
		    gf_ssh_last_error(s));
		goto out;
	}
	while (libssh2_agent_get_identity(agent, &id, prev) == 0) {
		tried++;
		if (libssh2_agent_userauth(agent, o->user, id) == 0) {
			rc = 0;
			break;
		}
		prev = id;
	}
	if (rc < 0)
		gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: user '%s' refused: "
		    "the server accepted none of the %d key%s of ssh-agent",
		    s->label, o->user, tried, tried == 1 ? "" : "s");
	libssh2_agent_disconnect(agent);
out:
	if (agent != NULL)
		libssh2_agent_free(agent);
	return rc;
}

static int
authenticate(struct gf_ssh *s, const struct gf_ssh_opts *o,
    struct gf_err *err)
{
	int rc;

	if (o->key_file == NULL)
		return auth_agent(s, o, err);
	if (access(o->key_file, R_OK) < 0)
		return gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: cannot read "
		    "the key '%s': %s", s->label, o->key_file,
		    strerror(errno));
	rc = libssh2_userauth_publickey_fromfile_ex(s->session, o->user,
	    (unsigned int)strlen(o->user), NULL, o->key_file, o->passphrase);
	if (rc == 0)
		return 0;
	if (rc == LIBSSH2_ERROR_FILE)
		return gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: cannot use "
		    "the key '%s' (%s): %s", s->label, o->key_file,
		    o->passphrase != NULL ? "wrong passphrase?" :
		    "a passphrase needed?", gf_ssh_last_error(s));
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
	    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
		return gf_err_set(err, GF_EXIT_CONFIG, "ssh", "%s: user '%s' "
		    "refused: the server does not accept the key '%s'",
		    s->label, o->user, o->key_file);
	return gf_ssh_broke(s, "authentication", err);
}

/*
 * libssh2's reads, noting when the server last sent anything: a keep-alive
 * answer that libssh2 reads while draining a channel is never seen by a
 * poll() of the socket, and a busy host whose command prints nothing
 * would count as lost.
 */
static LIBSSH2_RECV_FUNC(recv_noting)
{
	struct gf_ssh *s = *abstract;
	ssize_t n = recv(socket, buffer, length, flags);

	if (n > 0)
		s->heard = gf_time_monotonic();
	return n < 0 ? -errno : n;
}

/* libssh2 1.10 takes the callback as a void *: handed over by value. */
static void
set_recv_callback(LIBSSH2_SESSION *session)
{
	LIBSSH2_RECV_FUNC((*fn)) = recv_noting;
	void *cb;

	_Static_assert(sizeof(fn) == sizeof(cb), "function pointer size");
	memcpy(&cb, &fn, sizeof(cb));
	libssh2_session_callback_set(session, LIBSSH2_CALLBACK_RECV, cb);
}

struct gf_ssh *
gf_ssh_connect(const struct gf_ssh_opts *o, struct gf_err *err)
{
	struct gf_ssh *s = gf_xcalloc(1, sizeof(*s));
	char label[300];

	snprintf(label, sizeof(label), "host '%s'", o->label);
	s->label = gf_xstrdup(label);
	s->fd = -1;
	s->keepalive = o->keepalive;
	s->io_ms = (long)((o->io_timeout > 0 ? o->io_timeout : 60) * 1000);
	if (ssh_lib_acquire() != 0) {
		gf_err_set(err, GF_EXIT_SOFTWARE, "ssh", "libssh2_init failed");
		free(s->label);
		free(s);
		return NULL;
	}
	if ((s->fd = tcp_connect(o, err)) < 0)
		goto fail;
	if ((s->session = libssh2_session_init_ex(NULL, NULL, NULL,
	    s)) == NULL) {
		gf_err_set(err, GF_EXIT_OSERR, "ssh", "%s: cannot start an "
		    "SSH session", s->label);
		goto fail;
	}
	set_recv_callback(s->session);
	libssh2_session_set_blocking(s->session, 1);
	libssh2_session_set_timeout(s->session, (long)(o->connect_timeout *
	    1000));
	if (libssh2_session_handshake(s->session, s->fd) != 0) {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: SSH handshake "
		    "with %s port %d failed: %s", s->label, o->address,
		    o->port, gf_ssh_last_error(s));
		goto fail;
	}
	if (check_host_key(s, o, err) < 0 || authenticate(s, o, err) < 0)
		goto fail;
	libssh2_session_set_timeout(s->session, s->io_ms);
	s->heard = gf_time_monotonic();
	if (o->keepalive > 0)
		libssh2_keepalive_config(s->session, 1,
		    (unsigned int)o->keepalive);
	return s;
fail:
	gf_ssh_free(s);
	return NULL;
}

void
gf_ssh_free(struct gf_ssh *s)
{
	if (s == NULL)
		return;
	if (s->session != NULL) {
		/*
		 * A connection that broke is shut first: libssh2 then fails its
		 * goodbyes at once and frees the session instead of waiting on
		 * a peer that is gone (and keeping it when the wait times out).
		 */
		if (s->broken && s->fd >= 0)
			shutdown(s->fd, SHUT_RDWR);
		libssh2_session_set_blocking(s->session, 1);
		libssh2_session_set_timeout(s->session, 2000);
		if (s->sftp != NULL)
			libssh2_sftp_shutdown(s->sftp);
		if (!s->broken)
			libssh2_session_disconnect(s->session, "bye");
		libssh2_session_free(s->session);
	}
	if (s->fd >= 0)
		close(s->fd);
	ssh_lib_release();
	free(s->label);
	free(s);
}

const char *
gf_ssh_host_key(const struct gf_ssh *s)
{
	return s->fingerprint;
}

int
gf_ssh_tofu(const struct gf_ssh *s)
{
	return s->tofu;
}

int
gf_ssh_broken(const struct gf_ssh *s)
{
	return s->broken;
}

struct gf_ssh_exec *
gf_ssh_exec_start(struct gf_ssh *s, const char *command, const void *in,
    size_t in_len, struct gf_err *err)
{
	struct gf_ssh_exec *x;
	LIBSSH2_CHANNEL *ch;
	size_t off = 0;

	if (s->broken) {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: the "
		    "connection is closed", s->label);
		return NULL;
	}
	if ((ch = libssh2_channel_open_session(s->session)) == NULL) {
		gf_ssh_broke(s, "cannot open a channel", err);
		return NULL;
	}
	if (libssh2_channel_exec(ch, command) != 0)
		goto fail;
	while (off < in_len) {
		ssize_t n = libssh2_channel_write(ch, (const char *)in + off,
		    in_len - off);

		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	if (libssh2_channel_send_eof(ch) != 0)
		goto fail;
	x = gf_xcalloc(1, sizeof(*x));
	x->s = s;
	x->ch = ch;
	return x;
fail:
	gf_ssh_broke(s, "cannot run a command", err);
	libssh2_channel_free(ch);
	return NULL;
}

/* Read what one stream has now; 1 when something came. */
static int
drain(struct gf_ssh_exec *x, int stream, struct gf_buf *b, int *failed)
{
	char chunk[16384];
	ssize_t n;
	int got = 0;

	while ((n = libssh2_channel_read_ex(x->ch, stream, chunk,
	    sizeof(chunk))) > 0) {
		gf_buf_add(b, chunk, (size_t)n);
		got = 1;
	}
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
		*failed = 1;
	return got;
}

static const struct {
	const char *name;
	int num;
} signals[] = {
	{ "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
	{ "ABRT", 6 }, { "BUS", 7 }, { "FPE", 8 }, { "KILL", 9 },
	{ "USR1", 10 }, { "SEGV", 11 }, { "USR2", 12 }, { "PIPE", 13 },
	{ "ALRM", 14 }, { "TERM", 15 },
};

static void
finish(struct gf_ssh_exec *x)
{
	char *sig = NULL;
	size_t siglen = 0;

	libssh2_channel_close(x->ch);
	libssh2_channel_wait_closed(x->ch);
	x->status = libssh2_channel_get_exit_status(x->ch);
	libssh2_channel_get_exit_signal(x->ch, &sig, &siglen, NULL, NULL, NULL,
	    NULL);
	if (sig != NULL) {
		x->status = -1;
		x->sig = 0;
		for (size_t i = 0; i < GF_ARRAY_LEN(signals); i++)
			if (strcmp(signals[i].name, sig) == 0)
				x->sig = signals[i].num;
		libssh2_free(x->s->session, sig);
	}
	x->ended = 1;
}

int
gf_ssh_exec_pump(struct gf_ssh_exec *x, double wait, struct gf_buf *out,
    struct gf_buf *errout, struct gf_err *err)
{
	struct gf_ssh *s = x->s;
	double deadline = gf_time_monotonic() + wait;
	int failed = 0, silent = 0, next;

	if (x->ended)
		return 1;
	/* Silence while nobody listened is no sign of a lost host. */
	if (deadline - s->pumped > s->keepalive)
		s->heard = deadline;
	s->pumped = deadline;
	libssh2_session_set_blocking(s->session, 0);
	for (;;) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		double left;
		int got = drain(x, 0, out, &failed);

		got |= drain(x, SSH_EXTENDED_DATA_STDERR, errout, &failed);
		if (got)
			s->heard = gf_time_monotonic();
		if (failed || libssh2_channel_eof(x->ch) || got)
			break;
		if (s->keepalive > 0) {
			libssh2_keepalive_send(s->session, &next);
			if (gf_time_monotonic() - s->heard > (double)
			    s->keepalive * GF_SSH_SILENT_KEEPALIVES + 1) {
				silent = 1;
				break;
			}
		}
		if ((left = deadline - gf_time_monotonic()) <= 0)
			break;
		if (libssh2_session_block_directions(s->session) &
		    LIBSSH2_SESSION_BLOCK_OUTBOUND)
			p.events |= POLLOUT;
		if (poll(&p, 1, (int)(left * 1000) + 1) > 0 &&
		    (p.revents & POLLIN))
			s->heard = gf_time_monotonic();
	}
	libssh2_session_set_blocking(s->session, 1);
	if (silent) {
		s->broken = 1;
		return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: "
		    "connection lost: no answer to %d keep-alives in %d s",
		    s->label, GF_SSH_SILENT_KEEPALIVES, s->keepalive *
		    GF_SSH_SILENT_KEEPALIVES);
	}
	if (failed)
		return gf_ssh_broke(s, "connection lost", err);
	if (!libssh2_channel_eof(x->ch))
		return 0;
	/* EOF may come before the last data was read. */
	drain(x, 0, out, &failed);
	drain(x, SSH_EXTENDED_DATA_STDERR, errout, &failed);
	finish(x);
	return 1;
}

int
gf_ssh_exec_status(const struct gf_ssh_exec *x, int *sig)
{
	if (sig != NULL)
		*sig = x->sig;
	return x->status;
}

void
gf_ssh_exec_free(struct gf_ssh_exec *x)
{
	if (x == NULL)
		return;
	if (!x->s->broken) {
		libssh2_session_set_blocking(x->s->session, 1);
		if (!x->ended)
			libssh2_channel_close(x->ch);
	}
	libssh2_channel_free(x->ch);
	free(x);
}

static LIBSSH2_SFTP *
sftp_of(struct gf_ssh *s, struct gf_err *err)
{
	if (s->broken) {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: the "
		    "connection is closed", s->label);
		return NULL;
	}
	if (s->sftp == NULL && !s->no_sftp &&
	    (s->sftp = libssh2_sftp_init(s->session)) == NULL) {
		if (libssh2_session_last_errno(s->session) !=
		    LIBSSH2_ERROR_CHANNEL_FAILURE)
			gf_ssh_broke(s, "cannot start SFTP", err);
		s->no_sftp = 1;
	}
	if (s->sftp == NULL && !s->broken)
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh", "%s: the server "
		    "has no SFTP", s->label);
	return s->sftp;
}

int
gf_ssh_has_sftp(struct gf_ssh *s)
{
	return sftp_of(s, NULL) != NULL;
}

static const char *
sftp_reason(struct gf_ssh *s, unsigned long *code)
{
	unsigned long e = libssh2_sftp_last_error(s->sftp);

	*code = e;
	switch (e) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "No such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "Permission denied";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "No space left on device";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "File exists";
	case LIBSSH2_FX_NOT_A_DIRECTORY:
		return "Not a directory";
	default:
		return "failed";
	}
}

/* An SFTP call failed: the server said no, or the connection broke. */
static int
sftp_fail(struct gf_ssh *s, int exit, const char *what, const char *path,
    struct gf_err *err)
{
	unsigned long code = 0;
	const char *why;

	if (libssh2_session_last_errno(s->session) != LIBSSH2_ERROR_SFTP_PROTOCOL)
		return gf_ssh_broke(s, what, err);
	why = sftp_reason(s, &code);
	if (code == LIBSSH2_FX_NO_SUCH_FILE && exit == GF_EXIT_IOERR)
		exit = GF_EXIT_NOINPUT;
	return gf_err_set(err, exit, "ssh", "%s: %s '%s': %s", s->label, what,
	    path, why);
}

char *
gf_ssh_read(struct gf_ssh *s, const char *path, size_t max_bytes,
    size_t *len, struct gf_err *err)
{
	LIBSSH2_SFTP *sftp = sftp_of(s, err);
	LIBSSH2_SFTP_HANDLE *fh;
	struct gf_buf b = GF_BUF_INIT;
	char chunk[32768];
	ssize_t n;

	if (sftp == NULL)
		return NULL;
	if ((fh = libssh2_sftp_open(sftp, path, LIBSSH2_FXF_READ, 0)) ==
	    NULL) {
		sftp_fail(s, GF_EXIT_IOERR, "cannot open", path, err);
		return NULL;
	}
	while ((n = libssh2_sftp_read(fh, chunk, sizeof(chunk))) > 0) {
		gf_buf_add(&b, chunk, (size_t)n);
		if (max_bytes > 0 && b.len > max_bytes)
			break;
	}
	if (n < 0)
		sftp_fail(s, GF_EXIT_IOERR, "cannot read", path, err);
	else if (max_bytes > 0 && b.len > max_bytes)
		gf_err_set(err, GF_EXIT_DATAERR, "ssh", "%s: '%s' is larger "
		    "than %zu bytes", s->label, path, max_bytes);
	libssh2_sftp_close(fh);
	if (n < 0 || (max_bytes > 0 && b.len > max_bytes)) {
		gf_buf_release(&b);
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	gf_buf_addc(&b, '\0');
	b.len--;
	return gf_buf_detach(&b);
}

int
gf_ssh_write(struct gf_ssh *s, const char *path, const void *data,
    size_t len, mode_t mode, int create, struct gf_err *err)
{
	LIBSSH2_SFTP *sftp = sftp_of(s, err);
	LIBSSH2_SFTP_HANDLE *fh;
	size_t off = 0;
	int rc = 0;

	if (sftp == NULL)
		return -1;
	fh = libssh2_sftp_open(sftp, path, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_TRUNC | (create ? LIBSSH2_FXF_CREAT : 0), (long)mode);
	if (fh == NULL)
		return sftp_fail(s, GF_EXIT_CANTCREAT, "cannot open", path,
		    err);
	while (off < len) {
		ssize_t n = libssh2_sftp_write(fh, (const char *)data + off,
		    len - off);

		if (n < 0) {
			rc = sftp_fail(s, GF_EXIT_IOERR, "cannot write", path,
			    err);
			break;
		}
		off += (size_t)n;
	}
	if (libssh2_sftp_close(fh) != 0 && rc == 0)
		rc = sftp_fail(s, GF_EXIT_IOERR, "cannot write", path, err);
	return rc;
}

int
gf_ssh_remove(struct gf_ssh *s, const char *path, struct gf_err *err)
{
	LIBSSH2_SFTP *sftp = sftp_of(s, err);
	unsigned long code = 0;

	if (sftp == NULL)
		return -1;
	if (libssh2_sftp_unlink(sftp, path) == 0)
		return 0;
	if (libssh2_session_last_errno(s->session) ==
	    LIBSSH2_ERROR_SFTP_PROTOCOL && (sftp_reason(s, &code),
	    code == LIBSSH2_FX_NO_SUCH_FILE))
		return 0;
	return sftp_fail(s, GF_EXIT_IOERR, "cannot remove", path, err);
}
