/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to gf_host_ssh*.c: gf_host_ssh.c holds the connections,
 * commands and processes, gf_host_ssh_files.c the file operations.
 */
#ifndef GF_HOST_SSH_IMPL_H
#define GF_HOST_SSH_IMPL_H

#include <stddef.h>
#include <sys/types.h>

#include "gf_buf.h"
#include "gf_err.h"
#include "gf_host.h"
#include "gf_ssh.h"

/* How long a helper script may take (a file copy, a pid check). */
#define GF_HOST_SSH_IO_TIMEOUT 60

struct conn;

/* The implementation's data of an SSH host (h->impl). */
struct ssh_host {
	char *user, *key_file, *pass_env, *known_hosts, *pin;
	int port, tofu, sudo, keepalive;
	double connect_timeout;
	struct conn *conn;
};

/*
 * The host's connection, made on first use. *fresh is 1 when it was
 * made by this call. Borrowed; NULL with err (69, 78).
 */
struct gf_ssh *gf_host_ssh_session(struct gf_host *h, int *fresh,
    struct gf_err *err);

/*
 * Run a helper script, "sh -c SCRIPT gf ARGS..." (through sudo -n when
 * the host says so), stdin from in, to completion; its stdout in out,
 * stderr in errout (both may be NULL). Returns its exit status (128+N
 * for signal N), or -1 with err.
 */
int gf_host_ssh_sh_run(struct gf_host *h, const char *script,
    const char *const *args, const void *in, size_t in_len,
    struct gf_buf *out, struct gf_buf *errout, struct gf_err *err);

/* The first line of b (cut there), or fallback when b is empty. */
const char *gf_host_ssh_first_line(struct gf_buf *b, const char *fallback);

/* The file operations of struct gf_host_ops (gf_host_ssh_files.c). */
char *gf_host_ssh_read(struct gf_host *h, const char *path,
    size_t max_bytes, size_t *len, struct gf_err *err);
int gf_host_ssh_write(struct gf_host *h, const char *path, const void *data,
    size_t len, mode_t mode, int flags, struct gf_err *err);
int gf_host_ssh_mkdir_p(struct gf_host *h, const char *path, mode_t mode,
    struct gf_err *err);
int gf_host_ssh_copy(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err);

#endif
