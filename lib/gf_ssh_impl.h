/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to gf_ssh*.c: gf_ssh.c connects, runs commands and moves
 * files; gf_ssh_forward.c carries TCP connections over direct-tcpip
 * channels. Both are the one wrapper of libssh2.
 */
#ifndef GF_SSH_IMPL_H
#define GF_SSH_IMPL_H

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "gf_err.h"
#include "gf_ssh.h"

/*
 * Keep-alives that get no answer, in a row, before a connection counts
 * as lost (OpenSSH's ServerAliveCountMax): a host whose link was cut
 * sends nothing, and TCP would keep retrying for many minutes.
 */
#define GF_SSH_SILENT_KEEPALIVES 3

struct gf_ssh {
	LIBSSH2_SESSION *session;
	LIBSSH2_SFTP *sftp;
	int fd;
	int broken;
	int no_sftp;		/* the server refused the subsystem */
	int tofu;
	int keepalive;
	long io_ms;
	double heard;		/* monotonic time the server last sent
				 * something */
	double pumped;		/* the last gf_ssh_exec_pump */
	char *label;		/* "host 'NAME'" */
	char fingerprint[64];	/* "SHA256:..." */
};

/* libssh2's last message for the session; borrowed, never NULL. */
const char *gf_ssh_last_error(struct gf_ssh *s);

/*
 * A failure of the connection itself: marks it broken (it cannot be
 * used again) and fills err (69) with "LABEL: WHAT: libssh2's reason".
 * Returns -1.
 */
int gf_ssh_broke(struct gf_ssh *s, const char *what, struct gf_err *err);

#endif
