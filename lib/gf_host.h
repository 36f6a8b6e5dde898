/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hosts: the machines a run's programs run on. Everything the
 * measurement stack, gf-stress and the machine probe do to a machine
 * (run a command, start a supervised background process, stop it again,
 * read and write files, find a program) goes through a struct gf_host,
 * so that the same code works on the runner itself and, later, on a
 * host reached over SSH.
 *
 *	struct gf_host *h = gf_host_from_json(doc_host, &err);
 *	char *out = NULL;
 *	const char *argv[] = { "uname", "-r", NULL };
 *	int st = gf_host_capture(h, argv, 10, &out, &err);
 *	...
 *	free(out);
 *	gf_host_free(h);
 *
 * Paths given to a host are paths on that host, except where a field
 * says "on the runner" (where a command's uncaptured output goes, the
 * source of a copy).
 *
 * Implementations. A host is a name, an address and a table of
 * operations (struct gf_host_ops) with a pointer to the
 * implementation's own data: the local one (gf_host_local.c, over
 * gf_proc and gf_fs) and SSH (gf_host_ssh.c, over gf_ssh and so
 * libssh2). Adding one is a module defining a const struct gf_host_ops
 * and a constructor, and one row in the constructor table of gf_host.c.
 *
 * SSH hosts. An entry of "hosts" with connection "ssh" (or without a
 * connection, at an address that is not the runner) takes these fields
 * (the ssh provider fills them from an Ansible inventory: its
 * ansible_host, ansible_user, ansible_port,
 * ansible_ssh_private_key_file):
 *
 *   name, address   as for every host; address defaults to name
 *   user            login user; default: the user gf runs as
 *   port            default 22
 *   key             private key file on the runner; without it the
 *                   keys of ssh-agent (SSH_AUTH_SOCK) are tried
 *   key_passphrase_env  the environment variable that holds the key's
 *                   passphrase (default GF_SSH_KEY_PASSPHRASE; never
 *                   the passphrase itself)
 *   known_hosts     a known_hosts file on the runner (OpenSSH format,
 *                   hashed entries too; "[address]:port" entries for a
 *                   port other than 22)
 *   host_key_sha256 the pinned host key fingerprint, "SHA256:..." as
 *                   ssh-keygen -lf prints it; checked instead of
 *                   known_hosts when both are given
 *   host_key_tofu   true: trust on first use, accept a key that
 *                   known_hosts does not list (or any key without a
 *                   known_hosts), and report it through
 *                   gf_host_ssh_host_key() so the caller can record it
 *                   as host_key_sha256; a key that differs from a listed
 *                   one is still refused
 *   sudo            run commands through "sudo -n" (default: true when
 *                   user is not root); file transfers then go through
 *                   commands too, as they do on a server without SFTP
 *   connect_timeout seconds, for the TCP connection and the handshake
 *                   (default 10)
 *   keepalive       seconds between SSH keep-alives (default 30; 0 none);
 *                   while a command runs, a host that answers none of
 *                   three in a row counts as lost (69), as one that was
 *                   cut off from the network says nothing at all
 *
 * One of known_hosts, host_key_sha256 and host_key_tofu is required
 * (78 otherwise): gf never connects without checking the host key
 * unless told to trust it. Nothing connects before the first
 * operation; hosts with the same user@address:port share one
 * connection, kept while one of them lives (not thread-safe).
 *
 * Errors of SSH hosts, besides those of each operation: 69 when the
 * host cannot be reached (name not resolved, connection refused or no
 * answer in connect_timeout, the connection lost), naming the host,
 * address and port; 78 when its host key is refused (not the pinned
 * one, changed or unknown in known_hosts: the message gives the
 * fingerprint expected and the one offered) or the user cannot log in
 * (key refused, unreadable, wrong passphrase, no key and no agent):
 * both are settings to fix. A command that exceeds its time limit, or
 * is stopped, is ended with its whole process group on the host (it
 * runs in a session of its own there: closing the channel would not end
 * it). gf_host_free_port picks a port of the host's ephemeral range that
 * no TCP socket uses (/proc/net/tcp), not the kernel's choice.
 *
 * Callers do not change: they only use the gf_host_* functions below.
 */
#ifndef GF_HOST_H
#define GF_HOST_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "gf_err.h"

struct gf_host;
struct gf_ssh;

/* What gf_host_run keeps of a command's output. */
enum gf_host_capture_flags {
	GF_HOST_CAPTURE_STDOUT = 1 << 0,
	GF_HOST_CAPTURE_STDERR = 1 << 1,
};

struct gf_host_cmd {
	const char *const *argv;	/* argv[0] is looked up in the host's
					 * PATH */
	double timeout;			/* seconds; <= 0: none */
	double grace;			/* SIGTERM to SIGKILL when stopping
					 * it; 0: 5 s */
	int capture;			/* GF_HOST_CAPTURE_* */
	/*
	 * On the runner: where output that is not captured goes (appended;
	 * both streams). NULL: stdout is discarded and stderr goes to the
	 * tool's stderr. From an SSH host, what goes to the tool's stderr
	 * (NULL, or "/dev/stderr" for both streams) is shown as it comes
	 * through a gf_log stream: line by line, "[NAME] " first, secrets
	 * masked, in one "::group::host NAME: COMMAND" under Actions.
	 */
	const char *log_path;
	/* Polled; when it becomes non-zero the command is stopped. */
	const volatile sig_atomic_t *stop;
	/* Called about every 0.1 s while the command runs (may be NULL). */
	void (*poll)(void *arg);
	void *poll_arg;
};

struct gf_host_result {
	int status;		/* exit status 0-255; -1 when ended by a
				 * signal */
	int signal;		/* the signal that ended it, else 0 */
	int timed_out;		/* stopped at cmd.timeout */
	int stopped;		/* stopped because *cmd.stop was set */
	char *out;		/* captured stdout (owned), else NULL */
	char *errout;		/* captured stderr (owned), else NULL */
	size_t out_len, errout_len;
};

/* A supervised background process: see gf_host_spawn. */
struct gf_host_spawn {
	const char *const *argv;
	const char *log_path;	/* on the host: stdout and stderr, appended */
	const char *pid_file;	/* on the host: "PID\n", written atomically */
};

/* What a pid file says (gf_host_pid_check). */
enum gf_host_pid_state {
	GF_HOST_PID_NONE = 0,	/* no pid file */
	GF_HOST_PID_RUNNING,	/* its process runs and matches */
	GF_HOST_PID_STALE,	/* garbage, a dead pid, or a pid that now
				 * belongs to another program */
};

/* What gf_host_stop did. */
enum gf_host_stop_result {
	GF_HOST_STOP_STOPPED = 0,
	GF_HOST_STOP_NOT_RUNNING,	/* no pid file */
	GF_HOST_STOP_STALE,		/* a stale pid file, removed */
};

/* gf_host_write flags. */
enum gf_host_write_flags {
	/*
	 * Write into the existing file instead of a temporary file renamed
	 * over it: for kernel files (sysfs, procfs) that cannot be
	 * replaced. Not atomic. Messages: "cannot open 'PATH': REASON"
	 * (73), "cannot write 'PATH': REASON" (74).
	 */
	GF_HOST_WRITE_IN_PLACE = 1 << 0,
};

/*
 * The operations of one kind of host. Every function gets the host
 * itself; its own data is h->impl. Semantics are those of the
 * gf_host_* wrapper of the same name below.
 */
struct gf_host_ops {
	const char *connection;	/* "local", "ssh": as in the document */
	int (*run)(struct gf_host *h, const struct gf_host_cmd *cmd,
	    struct gf_host_result *res, struct gf_err *err);
	pid_t (*spawn)(struct gf_host *h, const struct gf_host_spawn *sp,
	    struct gf_err *err);
	int (*alive)(struct gf_host *h, pid_t pid);
	enum gf_host_pid_state (*pid_check)(struct gf_host *h,
	    const char *pid_file, const char *match, pid_t *pid);
	int (*stop)(struct gf_host *h, const char *pid_file, const char *match,
	    double grace, enum gf_host_stop_result *what, struct gf_err *err);
	char *(*read)(struct gf_host *h, const char *path, size_t max_bytes,
	    size_t *len, struct gf_err *err);
	int (*write)(struct gf_host *h, const char *path, const void *data,
	    size_t len, mode_t mode, int flags, struct gf_err *err);
	int (*copy)(struct gf_host *h, const char *src, const char *dest,
	    struct gf_err *err);
	int (*mkdir_p)(struct gf_host *h, const char *path, mode_t mode,
	    struct gf_err *err);
	char *(*which)(struct gf_host *h, const char *program);
	int (*free_port)(struct gf_host *h, struct gf_err *err);
	void (*release)(struct gf_host *h);	/* frees h->impl; may be NULL */
};

struct gf_host {
	const struct gf_host_ops *ops;
	char *name;		/* owned: the document's name */
	char *address;		/* owned: where its services are reached
				 * ("127.0.0.1" for the runner) */
	int is_runner;		/* the machine gf runs on */
	void *impl;		/* the implementation's */
};

/*
 * Whether name (a host name or an address) is the machine gf runs on:
 * "localhost", "local", "::1", 127.0.0.0/8, this machine's host name
 * (compared without case), or one of its interfaces' addresses. The one
 * place that decides it.
 */
int gf_host_is_runner(const char *name);

/*
 * This machine's host name (gethostname, else uname's node name, else
 * "localhost"). Returns a new string.
 */
char *gf_host_runner_name(void);

/*
 * The runner as a host: name gf_host_runner_name(), address
 * "127.0.0.1". Returns a new host; free with gf_host_free().
 */
struct gf_host *gf_host_local_new(void);

/*
 * The runner under the name a document gives it (gf_host_local.c).
 * Returns a new host.
 */
struct gf_host *gf_host_local_named(const char *name);

/*
 * A host from an entry of the document's "hosts" (gf(7): name, provider,
 * address, connection "local" | "ssh", ...). Without "connection" the
 * host is local when its address (else its name) is the runner
 * (gf_host_is_runner), else it is an SSH host (fields above). A local
 * host keeps the entry's name. Errors: 65 for an entry that is not an
 * object, has an unknown connection or a field of the wrong type; 78
 * for an SSH host without a way to check its host key. Returns a new
 * host.
 */
struct gf_host *gf_host_from_json(const json_t *entry, struct gf_err *err);

/*
 * A host given by name or address (a --host option): the runner when
 * gf_host_is_runner(name), else an SSH host with nothing but that name,
 * which has no way to check a host key (78). Returns a new host.
 */
struct gf_host *gf_host_from_name(const char *name, struct gf_err *err);

/*
 * The host a --host value names, in a run document: the entry of its
 * "hosts" with that name, else with that address (gf_host_from_json),
 * else the runner when gf_host_is_runner(name) (under that name). 78
 * "host 'NAME' is not in the document's hosts (valid: ...)" otherwise,
 * listing the names there are; errors of gf_host_from_json. doc is
 * borrowed. Returns a new host. The one place that resolves --host.
 */
struct gf_host *gf_host_from_doc(const json_t *doc, const char *name,
    struct gf_err *err);

/*
 * The entry of the document's "hosts" with that name, else with that
 * address; NULL when there is none. Borrowed from doc.
 */
const json_t *gf_host_doc_entry(const json_t *doc, const char *name);

/*
 * An SSH host from a "hosts" entry (fields above; gf_host_ssh.c).
 * Returns a new host, or NULL with err (65, 78).
 */
struct gf_host *gf_host_ssh_new(const json_t *entry, struct gf_err *err);

/*
 * The "SHA256:..." fingerprint of the host key an SSH host presented,
 * once it is connected, else NULL (and for other hosts). *tofu (may be
 * NULL) is 1 when the key was trusted on first use, unchecked: the
 * caller records it (host_key_sha256) so that the next run checks it.
 * Borrowed, valid until the host is freed.
 */
const char *gf_host_ssh_host_key(const struct gf_host *h, int *tofu);

/*
 * The connection of an SSH host, made now unless it is up (the host key
 * checked, the user authenticated), for what runs over it directly
 * (gf_ssh_forward_run). Borrowed, valid while h lives; NULL with err:
 * 69, 78 as above, 78 for a host that is not an SSH host.
 */
struct gf_ssh *gf_host_ssh_connection(struct gf_host *h, struct gf_err *err);

/*
 * For an SSH host whose commands run under sudo: check now that its user
 * may use sudo without a password (done once per connection, and before
 * the first command under sudo anyway). 0, also for any other host, or
 * -1 with err: 78 naming the host, its user and the fixes; 69.
 */
int gf_host_ssh_check_sudo(struct gf_host *h, struct gf_err *err);

/* Frees the host; NULL is fine. */
void gf_host_free(struct gf_host *h);

/* Borrowed, valid while h lives. */
const char *gf_host_name(const struct gf_host *h);
const char *gf_host_address(const struct gf_host *h);
const char *gf_host_connection(const struct gf_host *h);
int gf_host_is_local(const struct gf_host *h);

/*
 * Run cmd to completion (or until it times out or is stopped) in a
 * session of its own, so that a terminal's ^C reaches only the tool; it
 * is signalled when the tool dies, and what it leaves of its process
 * group is killed when it ends. Returns 0 with res filled (release it
 * with gf_host_result_release() in every case), or -1 with err when it
 * could not be started: 66 "'PROG' not found in PATH", 71 otherwise.
 * Time-outs and stops are results, not errors (res->timed_out,
 * res->stopped).
 */
int gf_host_run(struct gf_host *h, const struct gf_host_cmd *cmd,
    struct gf_host_result *res, struct gf_err *err);

void gf_host_result_release(struct gf_host_result *res);

/*
 * For implementations of run: hand the output asked for in capture
 * (GF_HOST_CAPTURE_*) over to res (out and errout are left empty).
 */
struct gf_buf;
void gf_host_result_take(struct gf_host_result *res, unsigned capture,
    struct gf_buf *out, struct gf_buf *errout);

/*
 * gf_proc_run() on a host: run argv, *out (may be NULL to discard)
 * gets its stdout (new string), stderr goes to the tool's stderr.
 * Returns the exit status (0-255) or -1 with err: 66 when it cannot be
 * run, 75 when it did not finish within timeout seconds, 70 when a
 * signal ended it.
 */
int gf_host_capture(struct gf_host *h, const char *const *argv,
    double timeout, char **out, struct gf_err *err);

/*
 * Start a supervised background process: in its own session, so that it
 * survives the tool and a ^C in the pipeline's terminal, holding no
 * descriptor of the tool's (a reader of the tool's output would wait for
 * it), its output appended to sp->log_path, its pid written to
 * sp->pid_file. Returns the pid, or -1 with err (66 not found, 71, 73).
 */
pid_t gf_host_spawn(struct gf_host *h, const struct gf_host_spawn *sp,
    struct gf_err *err);

/* 1 when pid runs on the host (a zombie does not). */
int gf_host_alive(struct gf_host *h, pid_t pid);

/*
 * What pid_file says. A process counts as RUNNING only when one of its
 * arguments (/proc/PID/cmdline) contains match, so a pid reused by an
 * unrelated program is STALE; match NULL skips that check. *pid (may be
 * NULL) gets the pid in the file, 0 when there is none or it is garbage.
 */
enum gf_host_pid_state gf_host_pid_check(struct gf_host *h,
    const char *pid_file, const char *match, pid_t *pid);

/*
 * Stop the process of pid_file (its whole process group: SIGTERM, grace
 * seconds, SIGKILL) when gf_host_pid_check says it runs, and remove the
 * pid file. match as for gf_host_pid_check: a reused pid is left alone
 * (STALE). A missing or stale pid file is not an error. *what (may be
 * NULL) says what happened. -1 with err when the process could not be
 * signalled; its pid file is kept then.
 */
int gf_host_stop(struct gf_host *h, const char *pid_file, const char *match,
    double grace, enum gf_host_stop_result *what, struct gf_err *err);

/* gf_fs_read() on the host: a new NUL-terminated buffer; 66, 74, 65. */
char *gf_host_read(struct gf_host *h, const char *path, size_t max_bytes,
    size_t *len, struct gf_err *err);

/*
 * Write a file on the host: atomically (gf_fs_write_atomic: 73, 74)
 * unless flags say GF_HOST_WRITE_IN_PLACE.
 */
int gf_host_write(struct gf_host *h, const char *path, const void *data,
    size_t len, mode_t mode, int flags, struct gf_err *err);

/*
 * Copy src (a file or a directory tree on the runner) to dest on the
 * host, keeping permission bits and symbolic links; files are written
 * atomically, directories are created as needed, existing files are
 * replaced. Copying a path onto itself on the runner does nothing.
 * 66 when src is missing, 73/74 otherwise.
 */
int gf_host_copy(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err);

/* mkdir -p on the host (73). */
int gf_host_mkdir_p(struct gf_host *h, const char *path, mode_t mode,
    struct gf_err *err);

/* Full path of program in the host's PATH (new string), or NULL. */
char *gf_host_which(struct gf_host *h, const char *program);

/*
 * A TCP port that is free on the host's loopback address right now (the
 * kernel's choice for port 0). -1 with err (71).
 */
int gf_host_free_port(struct gf_host *h, struct gf_err *err);

/*
 * The last three lines of a log file on the host, joined on one line
 * (at most 600 bytes) for a message; "(empty log)" when there is
 * nothing. Returns a new string.
 */
char *gf_host_log_tail(struct gf_host *h, const char *path);

/*
 * The version "PROGRAM --version" prints on the host (the word after
 * "version "), or "unknown". Returns a new string.
 */
char *gf_host_version(struct gf_host *h, const char *program);

#endif
