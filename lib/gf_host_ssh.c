/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH host: gf_host's operations on a machine reached over SSH
 * (gf_ssh). Each operation is a small POSIX sh script run remotely as
 * "sh -c SCRIPT gf ARG...", every argument single-quoted, so that no
 * name, path or value is ever parsed by a shell; files go over SFTP.
 * Hosts with the same user@address:port share one connection. Files:
 * gf_host_ssh_files.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_host.h"
#include "gf_section.h"
#include "gf_host_ssh_impl.h"
#include "gf_buf.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_ssh.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* One connection, shared by the hosts with the same key. */
struct conn {
	char *key;		/* user@address:port */
	struct gf_ssh *s;	/* NULL until used, and after it broke */
	int refs;
	int sudo_ok;		/* "sudo -n true" succeeded on it once */
	struct conn *next;
};

static struct conn *conns;

/* A word for sh: 'it', with each ' as '\''. */
static void
shq(struct gf_buf *b, const char *word)
{
	gf_buf_addc(b, '\'');
	for (const char *p = word; *p != '\0'; p++)
		if (*p == '\'')
			gf_buf_adds(b, "'\\''");
		else
			gf_buf_addc(b, *p);
	gf_buf_addc(b, '\'');
}

struct gf_ssh *
gf_host_ssh_session(struct gf_host *h, int *fresh, struct gf_err *err)
{
	struct ssh_host *sh = h->impl;
	struct conn *c = sh->conn;
	struct gf_ssh_opts o;
	const char *pass = NULL;
	char *pw = NULL;

	if (c->s != NULL && gf_ssh_broken(c->s)) {
		gf_ssh_free(c->s);
		c->s = NULL;
	}
	*fresh = c->s == NULL;
	if (c->s != NULL)
		return c->s;
	memset(&o, 0, sizeof(o));
	o.label = h->name;
	o.address = h->address;
	o.port = sh->port;
	o.user = sh->user;
	o.key_file = sh->key_file;
	if (sh->key_file != NULL && (pass = getenv(sh->pass_env)) != NULL &&
	    *pass != '\0') {
		/* A passphrase a host echoes back is still masked. */
		gf_log_mask(pass);
		o.passphrase = pw = gf_xstrdup(pass);
	}
	o.known_hosts = sh->known_hosts;
	o.host_key_sha256 = sh->pin;
	o.tofu = sh->tofu;
	o.connect_timeout = sh->connect_timeout;
	o.io_timeout = GF_HOST_SSH_IO_TIMEOUT;
	o.keepalive = sh->keepalive;
	c->s = gf_ssh_connect(&o, err);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return c->s;
}

/*
 * Once per connection, before the first command under sudo: "sudo -n
 * true", so that a user who may not use sudo without a password gets
 * one clear error (78: the host entry asks for what the host does not
 * allow) rather than each command failing with sudo's own words.
 */
static int
check_sudo(struct gf_host *h, struct gf_ssh *s, struct gf_err *err)
{
	struct ssh_host *sh = h->impl;
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	struct gf_ssh_exec *x;
	double deadline = gf_time_monotonic() + GF_HOST_SSH_IO_TIMEOUT;
	int rc;

	if ((x = gf_ssh_exec_start(s, "sudo -n true", NULL, 0, err)) == NULL)
		return -1;
	while ((rc = gf_ssh_exec_pump(x, 0.5, &out, &eout, err)) == 0)
		if (gf_time_monotonic() > deadline) {
			rc = gf_err_set(err, GF_EXIT_TEMPFAIL, "ssh", "host "
			    "'%s': 'sudo -n true' did not finish within %d s",
			    h->name, GF_HOST_SSH_IO_TIMEOUT);
			break;
		}
	if (rc == 1 && gf_ssh_exec_status(x, NULL) == 0)
		sh->conn->sudo_ok = 1;
	else if (rc == 1)
		rc = gf_err_set(err, GF_EXIT_CONFIG, "ssh", "host '%s': user "
		    "'%s' cannot use sudo without a password (sudo -n: %s): "
		    "allow it with NOPASSWD in the host's sudoers, or set "
		    "\"sudo\": false in its hosts entry (ansible_become: "
		    "false in an inventory) when nothing run there needs "
		    "root", h->name, sh->user, gf_host_ssh_first_line(&eout,
		    "failed"));
	gf_ssh_exec_free(x);
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return sh->conn->sudo_ok ? 0 : -1;
}

/*
 * Start "sh -c SCRIPT gf ARGS..." (under sudo -n when the host says
 * so). A connection that broke while it was idle (the server restarted,
 * a NAT forgot it) is replaced once: nothing ran on it.
 */
static struct gf_ssh_exec *
start(struct gf_host *h, const char *script, const char *const *args,
    const void *in, size_t in_len, struct gf_err *err)
{
	struct ssh_host *sh = h->impl;
	struct gf_buf cmd = GF_BUF_INIT;
	struct gf_ssh_exec *x = NULL;
	struct gf_ssh *s;
	int fresh = 0;

	gf_buf_adds(&cmd, sh->sudo ? "exec sudo -n -- sh -c " :
	    "exec sh -c ");
	shq(&cmd, script);
	gf_buf_adds(&cmd, " gf");
	for (; args != NULL && *args != NULL; args++) {
		gf_buf_addc(&cmd, ' ');
		shq(&cmd, *args);
	}
	for (int attempt = 0; attempt < 2 && x == NULL; attempt++) {
		if ((s = gf_host_ssh_session(h, &fresh, err)) == NULL)
			break;
		if (sh->sudo && !sh->conn->sudo_ok &&
		    check_sudo(h, s, err) < 0) {
			if (fresh || !gf_ssh_broken(s))
				break;
			continue;
		}
		x = gf_ssh_exec_start(s, gf_buf_str(&cmd), in, in_len, err);
		if (x == NULL && (fresh || !gf_ssh_broken(s)))
			break;
	}
	gf_buf_release(&cmd);
	return x;
}

/*
 * Run a helper script to completion; its stdout in out, stderr in
 * errout (both may be NULL). Returns its exit status (128+N for signal
 * N), or -1 with err.
 */
int
gf_host_ssh_sh_run(struct gf_host *h, const char *script, const char *const *args,
    const void *in, size_t in_len, struct gf_buf *out, struct gf_buf *errout,
    struct gf_err *err)
{
	struct gf_buf o = GF_BUF_INIT, e = GF_BUF_INIT;
	struct gf_ssh_exec *x = start(h, script, args, in, in_len, err);
	double deadline = gf_time_monotonic() + GF_HOST_SSH_IO_TIMEOUT;
	int rc, sig;

	if (x == NULL)
		return -1;
	while ((rc = gf_ssh_exec_pump(x, 0.5, out ? out : &o,
	    errout ? errout : &e, err)) == 0)
		if (gf_time_monotonic() > deadline) {
			rc = gf_err_set(err, GF_EXIT_TEMPFAIL, "ssh", "host "
			    "'%s': a command did not finish within %d s",
			    h->name, GF_HOST_SSH_IO_TIMEOUT);
			break;
		}
	if (rc == 1 && (rc = gf_ssh_exec_status(x, &sig)) < 0)
		rc = 128 + sig;
	gf_ssh_exec_free(x);
	gf_buf_release(&o);
	gf_buf_release(&e);
	return rc;
}

/* The first line of a script's stderr, for a message. */
const char *
gf_host_ssh_first_line(struct gf_buf *b, const char *fallback)
{
	char *nl;

	if (b->len == 0)
		return fallback;
	if ((nl = strchr(b->data, '\n')) != NULL)
		*nl = '\0';
	return b->data;
}

/*
 * The command runs in a session of its own (setsid), whose id the
 * first line of stderr reports, so that a time-out or a stop ends its
 * whole process group even though closing the channel would not; what
 * is left of the group is killed when it ends. A signal that ended it
 * is raised again on the wrapper so the channel reports it.
 */
static const char run_script[] =
    "command -v -- \"$1\" >/dev/null 2>&1 || "
    "{ echo GF-NOTFOUND >&2; exit 127; }\n"
    "setsid sh -c 'printf \"GF-PGID %s\\n\" \"$$\" >&2; exec \"$@\"' "
    "gf \"$@\" &\n"
    "pg=$!\n"
    "wait \"$pg\"; st=$?\n"
    "kill -KILL -\"$pg\" 2>/dev/null\n"
    "[ \"$st\" -gt 128 ] && [ \"$st\" -lt 160 ] && "
    "kill -\"$((st - 128))\" \"$$\"\n"
    "exit \"$st\"\n";

static const char kill_script[] =
    "kill -TERM -\"$1\" 2>/dev/null || exit 0\n"
    "i=0\n"
    "while kill -0 -\"$1\" 2>/dev/null; do\n"
    "  [ \"$i\" -ge \"$2\" ] && { kill -KILL -\"$1\" 2>/dev/null; "
    "exit 0; }\n"
    "  sleep 0.1; i=$((i + 1))\n"
    "done\n";

static void
kill_group(struct gf_host *h, long pgid, double grace)
{
	struct gf_err ignored = GF_ERR_INIT;
	char pg[32], tenths[32];
	const char *args[] = { pg, tenths, NULL };

	if (pgid <= 1)
		return;
	snprintf(pg, sizeof(pg), "%ld", pgid);
	snprintf(tenths, sizeof(tenths), "%ld", (long)(grace * 10));
	gf_host_ssh_sh_run(h, kill_script, args, NULL, 0, NULL, NULL, &ignored);
}

/*
 * Take the wrapper's first stderr line off: 1 once it was read (*pgid
 * set, or -1 for a program not found), 0 while it is incomplete.
 */
static int
take_header(struct gf_buf *e, long *pgid)
{
	char *nl = e->len > 0 ? memchr(e->data, '\n', e->len) : NULL;
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - e->data) + 1;
	if (strncmp(e->data, "GF-PGID ", 8) == 0)
		*pgid = strtol(e->data + 8, NULL, 10);
	else if (strncmp(e->data, "GF-NOTFOUND\n", 12) == 0)
		*pgid = -1;
	else
		return 1;
	memmove(e->data, e->data + n, e->len - n + 1);
	e->len -= n;
	return 1;
}

static void
put(int fd, struct gf_buf *b)
{
	for (size_t off = 0; fd >= 0 && off < b->len;) {
		ssize_t n = write(fd, b->data + off, b->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	gf_buf_reset(b);
}

/*
 * Output shown on the tool's stderr (no log file, or a log_path of
 * /dev/stderr) goes through a gf_log stream: line by line as it comes,
 * "[host] " before each line, secrets masked, grouped under Actions.
 */
static struct gf_log_stream *
stream_for(struct gf_host *h, const struct gf_host_cmd *c)
{
	struct gf_buf title = GF_BUF_INIT;
	struct gf_log_stream *s;

	gf_buf_addf(&title, "host %s:", h->name);
	for (const char *const *a = c->argv; *a != NULL; a++)
		gf_buf_addf(&title, " %s", *a);
	s = gf_log_stream_new(h->name, gf_buf_str(&title), 2);
	gf_buf_release(&title);
	return s;
}

static void
show(struct gf_log_stream *s, struct gf_buf *b)
{
	gf_log_stream_feed(s, b->data, b->len);
	gf_buf_reset(b);
}

static int
ssh_run(struct gf_host *h, const struct gf_host_cmd *c,
    struct gf_host_result *r, struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	struct gf_log_stream *stream = NULL;
	struct gf_ssh_exec *x;
	double deadline = gf_time_monotonic() + c->timeout;
	long pgid = 0;
	int rc, header = 0, logfd = -1, to_stderr;

	to_stderr = c->log_path != NULL && strcmp(c->log_path,
	    "/dev/stderr") == 0;
	if (c->log_path != NULL && !to_stderr && (logfd = open(c->log_path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return gf_err_set(err, GF_EXIT_CANTCREAT, "host", "cannot "
		    "open '%s': %s", c->log_path, strerror(errno));
	if (logfd < 0 && (to_stderr || !(c->capture &
	    GF_HOST_CAPTURE_STDERR)))
		stream = stream_for(h, c);
	if ((x = start(h, run_script, c->argv, NULL, 0, err)) == NULL) {
		rc = -1;
		goto out;
	}
	for (;;) {
		rc = gf_ssh_exec_pump(x, 0.1, &out, &eout, err);
		if (!header)
			header = take_header(&eout, &pgid);
		if (!(c->capture & GF_HOST_CAPTURE_STDOUT)) {
			if (to_stderr)
				show(stream, &out);
			else
				put(logfd, &out);
		}
		if (header && !(c->capture & GF_HOST_CAPTURE_STDERR)) {
			if (stream != NULL)
				show(stream, &eout);
			else
				put(logfd, &eout);
		}
		if (rc != 0)
			break;
		if (c->poll != NULL)
			c->poll(c->poll_arg);
		if (c->stop != NULL && *c->stop)
			r->stopped = 1;
		else if (c->timeout > 0 && gf_time_monotonic() > deadline)
			r->timed_out = 1;
		else
			continue;
		kill_group(h, pgid, c->grace > 0 ? c->grace : 5);
		break;
	}
	if (rc < 0)
		goto out;
	if (pgid < 0) {
		rc = gf_err_set(err, GF_EXIT_NOINPUT, "host", "host '%s': "
		    "'%s' not found in PATH", h->name, c->argv[0]);
		goto out;
	}
	r->status = -1;
	if (rc == 1)
		r->status = gf_ssh_exec_status(x, &r->signal);
	/*
	 * Killed by a signal no one here sent: the host may be going down
	 * with it (a host killed whole ends its processes before its
	 * sshd). A round trip tells: then the lost host is the error.
	 */
	if (r->signal != 0 && !r->stopped && !r->timed_out &&
	    gf_host_ssh_sh_run(h, ":", NULL, NULL, 0, NULL, NULL, err) < 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
	gf_host_result_take(r, c->capture, &out, &eout);
out:
	gf_log_stream_free(stream);
	gf_ssh_exec_free(x);
	if (logfd >= 0)
		close(logfd);
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return rc;
}

/*
 * setsid -f: a session of its own, no descriptor of the channel (which
 * would stay open until it ends). The process writes its own pid file,
 * atomically, before it becomes the program.
 */
static const char spawn_script[] =
    "p=$1 l=$2; shift 2\n"
    "command -v -- \"$1\" >/dev/null 2>&1 || exit 127\n"
    ": >>\"$l\" || exit 73\n"
    "{ : >\"$p.gf-tmp\" && rm -f -- \"$p\"; } 2>/dev/null || exit 72\n"
    "setsid -f sh -c 'echo \"$$\" >\"$0.gf-tmp\" && "
    "mv -f -- \"$0.gf-tmp\" \"$0\" && exec \"$@\"' \"$p\" \"$@\" "
    "</dev/null >>\"$l\" 2>&1 || exit 71\n"
    "i=0\n"
    "while [ ! -s \"$p\" ]; do\n"
    "  [ \"$i\" -ge 100 ] && exit 72; sleep 0.05; i=$((i + 1))\n"
    "done\n"
    "cat -- \"$p\"\n";

static pid_t
ssh_spawn(struct gf_host *h, const struct gf_host_spawn *sp,
    struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	const char **args;
	size_t n = 0;
	long pid = -1;
	int st;

	while (sp->argv[n] != NULL)
		n++;
	args = gf_xcalloc(n + 3, sizeof(*args));
	args[0] = sp->pid_file;
	args[1] = sp->log_path;
	memcpy(args + 2, sp->argv, n * sizeof(*args));
	st = gf_host_ssh_sh_run(h, spawn_script, args, NULL, 0, &out, &eout, err);
	free(args);
	if (st == 0 && (pid = strtol(gf_buf_str(&out), NULL, 10)) <= 0)
		st = 71;
	if (st == 127)
		gf_err_set(err, GF_EXIT_NOINPUT, "host", "host '%s': '%s' not "
		    "found in PATH", h->name, sp->argv[0]);
	else if (st == 73)
		gf_err_set(err, GF_EXIT_CANTCREAT, "host", "host '%s': cannot "
		    "open '%s'", h->name, sp->log_path);
	else if (st == 72)
		gf_err_set(err, GF_EXIT_CANTCREAT, "host", "host '%s': cannot "
		    "write '%s'", h->name, sp->pid_file);
	else if (st > 0)
		gf_err_set(err, GF_EXIT_OSERR, "host", "host '%s': cannot "
		    "start '%s': %s", h->name, sp->argv[0],
		    gf_host_ssh_first_line(&eout, "failed"));
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return st == 0 ? (pid_t)pid : -1;
}

static const char alive_script[] =
    "[ -d /proc/\"$1\" ] && "
    "! grep -qs '^State:[[:space:]]*Z' /proc/\"$1\"/status\n";

static int
ssh_alive(struct gf_host *h, pid_t pid)
{
	struct gf_err ignored = GF_ERR_INIT;
	char p[32];
	const char *args[] = { p, NULL };

	if (pid <= 0)
		return 0;
	snprintf(p, sizeof(p), "%ld", (long)pid);
	return gf_host_ssh_sh_run(h, alive_script, args, NULL, 0, NULL, NULL,
	    &ignored) == 0;
}

/*
 * gf_host_pid_check and, with $5 = stop, gf_host_stop in one round
 * trip: prints "none|stale|running|cannot PID".
 */
static const char pid_script[] =
    "f=$1 m=$2 hm=$3 g=$4 act=$5\n"
    "[ -e \"$f\" ] || { echo none 0; exit 0; }\n"
    "p=$(head -c 64 -- \"$f\" | tr -d ' \\n')\n"
    "case $p in ''|*[!0-9]*) st=stale p=0 ;; *) st=running ;; esac\n"
    "gone() { [ ! -d /proc/\"$1\" ] || "
    "grep -qs '^State:[[:space:]]*Z' /proc/\"$1\"/status; }\n"
    "if [ $st = running ]; then\n"
    "  if gone \"$p\"; then st=stale\n"
    "  elif [ \"$hm\" = 1 ] && ! tr '\\000' '\\n' </proc/\"$p\"/cmdline |"
    " grep -qF -e \"$m\"; then st=stale; fi\n"
    "fi\n"
    "[ \"$act\" = stop ] || { echo $st $p; exit 0; }\n"
    "if [ $st = running ]; then\n"
    "  kill -TERM -\"$p\" 2>/dev/null || kill -TERM \"$p\" || "
    "{ echo cannot $p; exit 0; }\n"
    "  i=0\n"
    "  while ! gone \"$p\"; do\n"
    "    [ \"$i\" -ge \"$g\" ] && { kill -KILL -\"$p\" 2>/dev/null; "
    "kill -KILL \"$p\" 2>/dev/null; break; }\n"
    "    sleep 0.1; i=$((i + 1))\n"
    "  done\n"
    "elif [ \"$hm\" = 0 ] && [ \"$p\" -gt 0 ]; then\n"
    "  kill -KILL -\"$p\" 2>/dev/null\n"
    "fi\n"
    "rm -f -- \"$f\"\n"
    "echo $st $p\n";

/* Runs pid_script; returns its first word's state or -1 with err. */
static int
pid_op(struct gf_host *h, const char *pid_file, const char *match,
    double grace, const char *act, pid_t *pid, struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	char g[32];
	const char *args[] = { pid_file, match ? match : "", match ? "1" : "0",
		g, act, NULL };
	const char *o;
	int st, state = -1;

	snprintf(g, sizeof(g), "%ld", (long)(grace * 10));
	st = gf_host_ssh_sh_run(h, pid_script, args, NULL, 0, &out, &eout, err);
	o = gf_buf_str(&out);
	*pid = 0;
	if (st == 0) {
		const char *sp = strchr(o, ' ');

		*pid = sp != NULL ? (pid_t)strtol(sp + 1, NULL, 10) : 0;
		if (strncmp(o, "none", 4) == 0)
			state = GF_HOST_PID_NONE;
		else if (strncmp(o, "stale", 5) == 0)
			state = GF_HOST_PID_STALE;
		else if (strncmp(o, "running", 7) == 0)
			state = GF_HOST_PID_RUNNING;
		else if (strncmp(o, "cannot", 6) == 0)
			gf_err_set(err, GF_EXIT_OSERR, "host", "host '%s': "
			    "cannot signal %ld (from '%s')", h->name,
			    (long)*pid, pid_file);
	}
	if (st > 0 || (st == 0 && state < 0 && *o != 'c'))
		gf_err_set(err, GF_EXIT_OSERR, "host", "host '%s': cannot "
		    "check '%s': %s", h->name, pid_file,
		    gf_host_ssh_first_line(&eout, "failed"));
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return state;
}

static enum gf_host_pid_state
ssh_pid_check(struct gf_host *h, const char *pid_file, const char *match,
    pid_t *pid)
{
	struct gf_err ignored = GF_ERR_INIT;
	int st = pid_op(h, pid_file, match, 0, "check", pid, &ignored);

	/* Unreachable: nothing known to run, nothing known to be stale. */
	return st < 0 ? GF_HOST_PID_NONE : (enum gf_host_pid_state)st;
}

static int
ssh_stop(struct gf_host *h, const char *pid_file, const char *match,
    double grace, enum gf_host_stop_result *what, struct gf_err *err)
{
	pid_t pid;
	int st = pid_op(h, pid_file, match, grace > 0 ? grace : 5, "stop",
	    &pid, err);

	if (st < 0)
		return -1;
	*what = st == GF_HOST_PID_NONE ? GF_HOST_STOP_NOT_RUNNING :
	    st == GF_HOST_PID_STALE ? GF_HOST_STOP_STALE :
	    GF_HOST_STOP_STOPPED;
	return 0;
}

static char *
ssh_which(struct gf_host *h, const char *program)
{
	struct gf_err ignored = GF_ERR_INIT;
	struct gf_buf out = GF_BUF_INIT;
	const char *args[] = { program, NULL };
	char *path = NULL;

	if (gf_host_ssh_sh_run(h, "command -v -- \"$1\"", args, NULL, 0, &out, NULL,
	    &ignored) == 0 && out.len > 0 && out.data[0] == '/')
		path = gf_xstrndup(out.data, strcspn(out.data, "\n"));
	gf_buf_release(&out);
	return path;
}

/*
 * A port in the ephemeral range that no TCP socket uses now (neither
 * listening nor connected), from /proc/net/tcp{,6}: no program needed
 * beyond awk.
 */
static const char port_script[] =
    "read lo hi </proc/sys/net/ipv4/ip_local_port_range || "
    "{ lo=32768 hi=60999; }\n"
    "f=/proc/net/tcp; [ -r /proc/net/tcp6 ] && f=\"$f /proc/net/tcp6\"\n"
    "awk -v lo=\"$lo\" -v hi=\"$hi\" -v seed=\"$$\" '\n"
    "function hex(s,  i, n) { n = 0; for (i = 1; i <= length(s); i++)\n"
    "  n = n * 16 + index(\"0123456789ABCDEF\", toupper(substr(s, i, 1)))"
    " - 1; return n }\n"
    "FNR > 1 { split($2, a, \":\"); used[hex(a[2])] = 1 }\n"
    "END { srand(seed); for (t = 0; t < 1000; t++) {\n"
    "  p = lo + int(rand() * (hi - lo + 1));\n"
    "  if (!(p in used)) { print p; exit 0 } } exit 1 }' $f\n";

static int
ssh_free_port(struct gf_host *h, struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	int st = gf_host_ssh_sh_run(h, port_script, NULL, NULL, 0, &out, &eout, err);
	long port = st == 0 ? strtol(gf_buf_str(&out), NULL, 10) : 0;

	if (st >= 0 && (port <= 0 || port > 65535))
		gf_err_set(err, GF_EXIT_OSERR, "stack", "host '%s': cannot "
		    "find a free port: %s", h->name, gf_host_ssh_first_line(&eout,
		    "none found"));
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return port > 0 && port <= 65535 ? (int)port : -1;
}

static void
ssh_release(struct gf_host *h)
{
	struct ssh_host *sh = h->impl;
	struct conn **pp;

	if (sh == NULL)
		return;
	if (sh->conn != NULL && --sh->conn->refs == 0) {
		for (pp = &conns; *pp != sh->conn; pp = &(*pp)->next)
			;
		*pp = sh->conn->next;
		gf_ssh_free(sh->conn->s);
		free(sh->conn->key);
		free(sh->conn);
	}
	free(sh->user);
	free(sh->key_file);
	free(sh->pass_env);
	free(sh->known_hosts);
	free(sh->pin);
	free(sh);
}

static const struct gf_host_ops ssh_ops = {
	.connection = "ssh",
	.run = ssh_run,
	.spawn = ssh_spawn,
	.alive = ssh_alive,
	.pid_check = ssh_pid_check,
	.stop = ssh_stop,
	.read = gf_host_ssh_read,
	.write = gf_host_ssh_write,
	.copy = gf_host_ssh_copy,
	.mkdir_p = gf_host_ssh_mkdir_p,
	.which = ssh_which,
	.free_port = ssh_free_port,
	.release = ssh_release,
};

/*
 * One optional field of the entry: kind 's' (a non-empty string, *str
 * gets a copy), 'b' (a boolean), 'i' or 'n' (an integer or a number in
 * [min, max]) into *num. 65 naming the field otherwise.
 */
static int
field(const json_t *e, const char *host, const char *name, int kind,
    double min, double max, char **str, double *num, struct gf_err *err)
{
	const json_t *v = json_object_get(e, name);
	const char *want = kind == 's' ? "a non-empty string" : kind == 'b' ?
	    "true or false" : kind == 'i' ? "an integer" : "a number";

	if (v == NULL || json_is_null(v))
		return 0;
	if (kind == 's' && json_is_string(v) && *json_string_value(v)) {
		*str = gf_xstrdup(json_string_value(v));
		return 0;
	}
	if (kind == 'b' && json_is_boolean(v)) {
		*num = json_is_true(v);
		return 0;
	}
	if ((kind == 'i' ? json_is_integer(v) : kind == 'n' &&
	    json_is_number(v)) && json_number_value(v) >= min &&
	    json_number_value(v) <= max) {
		*num = json_number_value(v);
		return 0;
	}
	if (kind == 'i' || kind == 'n')
		return gf_err_set(err, GF_EXIT_DATAERR, "host", "host '%s': "
		    "field '%s': expected %s in [%g, %g]", host, name, want,
		    min, max);
	return gf_err_set(err, GF_EXIT_DATAERR, "host", "host '%s': field "
	    "'%s': expected %s", host, name, want);
}

static char *
current_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *u = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL)
		return gf_xstrdup(pw->pw_name);
	return gf_xstrdup(u != NULL && *u != '\0' ? u : "root");
}

static int
parse_entry(const json_t *e, const char *name, struct ssh_host *sh,
    struct gf_err *err)
{
	double port = 22, keepalive = 30, ct = 10, tofu = 0, sudo = -1;

	if (field(e, name, GF_FIELD_HOST_USER, 's', 0, 0, &sh->user, NULL, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KEY, 's', 0, 0, &sh->key_file, NULL, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KEY_PASSPHRASE_ENV, 's', 0, 0, &sh->pass_env,
	    NULL, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KNOWN_HOSTS, 's', 0, 0, &sh->known_hosts, NULL,
	    err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KEY_SHA256, 's', 0, 0, &sh->pin, NULL,
	    err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KEY_TOFU, 'b', 0, 0, NULL, &tofu, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_SUDO, 'b', 0, 0, NULL, &sudo, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_PORT, 'i', 1, 65535, NULL, &port, err) < 0 ||
	    field(e, name, GF_FIELD_HOST_KEEPALIVE, 'i', 0, 86400, NULL, &keepalive,
	    err) < 0 ||
	    field(e, name, GF_FIELD_HOST_CONNECT_TIMEOUT, 'n', 0.1, 3600, NULL, &ct,
	    err) < 0)
		return -1;
	if (sh->user == NULL)
		sh->user = current_user();
	if (sh->pass_env == NULL)
		sh->pass_env = gf_xstrdup("GF_SSH_KEY_PASSPHRASE");
	sh->port = (int)port;
	sh->keepalive = (int)keepalive;
	sh->connect_timeout = ct;
	sh->tofu = tofu > 0;
	sh->sudo = sudo >= 0 ? sudo > 0 : strcmp(sh->user, "root") != 0;
	if (sh->known_hosts == NULL && sh->pin == NULL && !sh->tofu)
		return gf_err_set(err, GF_EXIT_CONFIG, "host", "host '%s': no "
		    "way to check its SSH host key: its hosts entry needs "
		    "known_hosts, host_key_sha256 or host_key_tofu", name);
	return 0;
}

struct gf_host *
gf_host_ssh_new(const json_t *entry, struct gf_err *err)
{
	const char *name = json_string_value(json_object_get(entry, "name"));
	const char *address = json_string_value(json_object_get(entry,
	    "address"));
	struct ssh_host *sh = gf_xcalloc(1, sizeof(*sh));
	struct gf_host *h = gf_xcalloc(1, sizeof(*h));
	struct gf_buf key = GF_BUF_INIT;
	struct conn *c;

	if (name == NULL)
		name = address != NULL ? address : "?";
	h->ops = &ssh_ops;
	h->name = gf_xstrdup(name);
	h->address = gf_xstrdup(address != NULL ? address : name);
	h->impl = sh;
	if (parse_entry(entry, name, sh, err) < 0) {
		gf_host_free(h);
		return NULL;
	}
	gf_buf_addf(&key, "%s@%s:%d", sh->user, h->address, sh->port);
	for (c = conns; c != NULL; c = c->next)
		if (strcmp(c->key, gf_buf_str(&key)) == 0)
			break;
	if (c == NULL) {
		c = gf_xcalloc(1, sizeof(*c));
		c->key = gf_buf_detach(&key);
		c->next = conns;
		conns = c;
	}
	c->refs++;
	sh->conn = c;
	gf_buf_release(&key);
	return h;
}

int
gf_host_ssh_check_sudo(struct gf_host *h, struct gf_err *err)
{
	struct ssh_host *sh;
	struct gf_ssh *s;
	int fresh;

	if (h->ops != &ssh_ops)
		return 0;
	sh = h->impl;
	if (!sh->sudo || sh->conn->sudo_ok)
		return 0;
	if ((s = gf_host_ssh_session(h, &fresh, err)) == NULL)
		return -1;
	return check_sudo(h, s, err);
}

const char *
gf_host_ssh_host_key(const struct gf_host *h, int *tofu)
{
	const struct ssh_host *sh;

	if (tofu != NULL)
		*tofu = 0;
	if (h->ops != &ssh_ops)
		return NULL;
	sh = h->impl;
	if (sh->conn->s == NULL)
		return NULL;
	if (tofu != NULL)
		*tofu = gf_ssh_tofu(sh->conn->s);
	return gf_ssh_host_key(sh->conn->s);
}

struct gf_ssh *
gf_host_ssh_connection(struct gf_host *h, struct gf_err *err)
{
	int fresh;

	if (h->ops != &ssh_ops) {
		gf_err_set(err, GF_EXIT_CONFIG, "host", "host '%s' is not "
		    "reached over SSH (connection '%s')", h->name,
		    h->ops->connection);
		return NULL;
	}
	return gf_host_ssh_session(h, &fresh, err);
}
