/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local host: gf_host's operations on the machine gf runs on, over
 * gf_proc and gf_fs.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_host.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Read what a pipe has now; closes it (fd = -1) at EOF or error. */
static void
drain(int *fd, struct gf_buf *b)
{
	char chunk[8192];

	while (*fd >= 0) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));

		if (n > 0) {
			gf_buf_add(b, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(*fd);
		*fd = -1;
	}
}

/* Wait up to secs for output on the pipes (or just sleep without any). */
static void
pause_on(int ofd, int efd, double secs)
{
	struct pollfd p[2];
	nfds_t n = 0;

	if (ofd >= 0)
		p[n++] = (struct pollfd){ .fd = ofd, .events = POLLIN };
	if (efd >= 0)
		p[n++] = (struct pollfd){ .fd = efd, .events = POLLIN };
	if (n == 0)
		gf_time_sleep(secs, 0);
	else
		poll(p, n, (int)(secs * 1000) + 1);
}

static int
local_run(struct gf_host *h, const struct gf_host_cmd *c,
    struct gf_host_result *r, struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	struct gf_spawn sp;
	double deadline = gf_time_now() + c->timeout, nap = 0.005;
	double grace = c->grace > 0 ? c->grace : 5;
	int ofd = -1, efd = -1, status = 0, ended = 0;
	pid_t pid;

	(void)h;
	memset(&sp, 0, sizeof(sp));
	sp.argv = c->argv;
	sp.new_session = 1;
	sp.die_with_parent = 1;
	if (c->capture & GF_HOST_CAPTURE_STDOUT)
		sp.stdout_pipe = &ofd;
	else
		sp.stdout_path = c->log_path != NULL ? c->log_path :
		    "/dev/null";
	if (c->capture & GF_HOST_CAPTURE_STDERR)
		sp.stderr_pipe = &efd;
	else
		sp.stderr_path = c->log_path;
	if ((pid = gf_proc_spawn(&sp, err)) < 0)
		return -1;
	if (ofd >= 0)
		fcntl(ofd, F_SETFL, O_NONBLOCK);
	if (efd >= 0)
		fcntl(efd, F_SETFL, O_NONBLOCK);
	for (;;) {
		int w;

		drain(&ofd, &out);
		drain(&efd, &eout);
		if ((w = gf_proc_wait(pid, 0, &status, err)) < 0) {
			gf_proc_stop(pid, 1, 2, NULL);
			break;
		}
		if (w == 0) {
			ended = 1;
			break;
		}
		if (c->poll != NULL)
			c->poll(c->poll_arg);
		if (c->stop != NULL && *c->stop) {
			gf_proc_stop(pid, 1, grace, NULL);
			r->stopped = 1;
			break;
		}
		if (c->timeout > 0 && gf_time_now() > deadline) {
			gf_proc_stop(pid, 1, grace, NULL);
			r->timed_out = 1;
			break;
		}
		pause_on(ofd, efd, nap);
		if (nap < 0.1)
			nap *= 2;
	}
	/* What is left of its process group must not outlive it. */
	if (ended)
		kill(-pid, SIGKILL);
	/* The rest of its output, unless something escaped the group. */
	for (double stop = gf_time_now() + 2; (ofd >= 0 || efd >= 0) &&
	    gf_time_now() < stop;) {
		pause_on(ofd, efd, 0.05);
		drain(&ofd, &out);
		drain(&efd, &eout);
	}
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	r->status = ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->signal = ended && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	gf_host_result_take(r, c->capture, &out, &eout);
	gf_buf_release(&out);
	gf_buf_release(&eout);
	return ended || r->stopped || r->timed_out ? 0 : -1;
}

/*
 * A supervised process outlives the tool: it must not keep a pipe or
 * file of ours open (a reader waiting for EOF, such as $(...) or a CI
 * log, would hang until it stops). gf_proc_spawn closes nothing, so
 * mark every descriptor above stderr close-on-exec first.
 */
static void
cloexec_all(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = (int)strtol(de->d_name, NULL, 10);

		if (fd > 2 && fd != dirfd(d))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
}

static pid_t
local_spawn(struct gf_host *h, const struct gf_host_spawn *s,
    struct gf_err *err)
{
	struct gf_spawn sp;
	pid_t pid;

	(void)h;
	cloexec_all();
	memset(&sp, 0, sizeof(sp));
	sp.argv = s->argv;
	sp.stdout_path = s->log_path;
	sp.stderr_path = s->log_path;
	sp.new_session = 1;
	if ((pid = gf_proc_spawn(&sp, err)) < 0)
		return -1;
	if (gf_proc_write_pidfile(s->pid_file, pid, err) < 0) {
		gf_proc_stop(pid, 1, 5, NULL);
		return -1;
	}
	return pid;
}

static int
local_alive(struct gf_host *h, pid_t pid)
{
	(void)h;
	return gf_proc_alive(pid);
}

/* Non-zero when /proc/PID/cmdline has an argument containing needle. */
static int
cmdline_has(pid_t pid, const char *needle)
{
	struct gf_err err = GF_ERR_INIT;
	char path[64];
	char *text;
	size_t len;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	text = gf_fs_read(path, 1 << 20, &len, &err);
	if (text == NULL)
		return 0;
	for (size_t i = 0; i < len; i += strlen(text + i) + 1)
		if (strstr(text + i, needle) != NULL) {
			found = 1;
			break;
		}
	free(text);
	return found;
}

static enum gf_host_pid_state
local_pid_check(struct gf_host *h, const char *pid_file, const char *match,
    pid_t *pid)
{
	struct gf_err err = GF_ERR_INIT;
	pid_t p = gf_proc_read_pidfile(pid_file, &err);

	(void)h;
	*pid = p > 0 ? p : 0;
	if (p == 0)
		return GF_HOST_PID_NONE;
	if (p < 0 || !gf_proc_alive(p) || (match != NULL &&
	    !cmdline_has(p, match)))
		return GF_HOST_PID_STALE;
	return GF_HOST_PID_RUNNING;
}

static int
local_stop(struct gf_host *h, const char *pid_file, const char *match,
    double grace, enum gf_host_stop_result *what, struct gf_err *err)
{
	pid_t pid;
	enum gf_host_pid_state st = local_pid_check(h, pid_file, match, &pid);

	if (st == GF_HOST_PID_NONE) {
		*what = GF_HOST_STOP_NOT_RUNNING;
		return 0;
	}
	if (st == GF_HOST_PID_RUNNING) {
		if (gf_proc_stop(pid, 1, grace, err) < 0)
			return -1;
		*what = GF_HOST_STOP_STOPPED;
	} else {
		/*
		 * Without a match the caller started it: a child of ours
		 * that exited is reaped, with what is left of its group.
		 */
		if (match == NULL && pid > 0)
			gf_proc_stop(pid, 1, grace, NULL);
		*what = GF_HOST_STOP_STALE;
	}
	unlink(pid_file);
	return 0;
}

static char *
local_read(struct gf_host *h, const char *path, size_t max_bytes,
    size_t *len, struct gf_err *err)
{
	(void)h;
	return gf_fs_read(path, max_bytes, len, err);
}

static int
local_write(struct gf_host *h, const char *path, const void *data,
    size_t len, mode_t mode, int flags, struct gf_err *err)
{
	FILE *fp;
	int ok;

	(void)h;
	if (!(flags & GF_HOST_WRITE_IN_PLACE))
		return gf_fs_write_atomic(path, data, len, mode, err);
	if ((fp = fopen(path, "w")) == NULL)
		return gf_err_set(err, GF_EXIT_CANTCREAT, "host",
		    "cannot open '%s': %s", path, strerror(errno));
	ok = fwrite(data, 1, len, fp) == len;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok)
		return gf_err_set(err, GF_EXIT_IOERR, "host",
		    "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

static int
copy_tree(const char *src, const char *dest, struct gf_err *err)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (lstat(src, &st) < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "host", "cannot copy '%s': %s", src,
		    strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);

		if (n < 0)
			return gf_err_set(err, GF_EXIT_IOERR, "host",
			    "cannot read link '%s': %s", src, strerror(errno));
		target[n] = '\0';
		unlink(dest);
		if (symlink(target, dest) < 0)
			return gf_err_set(err, GF_EXIT_CANTCREAT, "host",
			    "cannot create link '%s': %s", dest,
			    strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		size_t len;
		char *data = gf_fs_read(src, 0, &len, err);

		if (data == NULL)
			return -1;
		rc = gf_fs_write_atomic(dest, data, len, st.st_mode & 07777,
		    err);
		free(data);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return gf_err_set(err, GF_EXIT_DATAERR, "host", "cannot copy "
		    "'%s': not a file, link or directory", src);
	if (gf_fs_mkdir_p(dest, st.st_mode & 07777, err) < 0)
		return -1;
	if ((d = opendir(src)) == NULL)
		return gf_err_set(err, GF_EXIT_IOERR, "host", "cannot open "
		    "'%s': %s", src, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *s, *t;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		s = gf_fs_join(src, de->d_name);
		t = gf_fs_join(dest, de->d_name);
		rc = copy_tree(s, t, err);
		free(t);
		free(s);
	}
	closedir(d);
	return rc;
}

static int
local_copy(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err)
{
	char a[PATH_MAX], b[PATH_MAX];

	(void)h;
	if (realpath(src, a) != NULL && realpath(dest, b) != NULL &&
	    strcmp(a, b) == 0)
		return 0;
	return copy_tree(src, dest, err);
}

static int
local_mkdir_p(struct gf_host *h, const char *path, mode_t mode,
    struct gf_err *err)
{
	(void)h;
	return gf_fs_mkdir_p(path, mode, err);
}

static char *
local_which(struct gf_host *h, const char *program)
{
	(void)h;
	return gf_proc_which(program);
}

static int
local_free_port(struct gf_host *h, struct gf_err *err)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	(void)h;
	if (fd < 0)
		return gf_err_set(err, GF_EXIT_OSERR, "stack", "socket: %s",
		    strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return gf_err_set(err, GF_EXIT_OSERR, "stack",
		    "cannot find a free port on 127.0.0.1: %s",
		    strerror(errno));
	}
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static const struct gf_host_ops local_ops = {
	.connection = "local",
	.run = local_run,
	.spawn = local_spawn,
	.alive = local_alive,
	.pid_check = local_pid_check,
	.stop = local_stop,
	.read = local_read,
	.write = local_write,
	.copy = local_copy,
	.mkdir_p = local_mkdir_p,
	.which = local_which,
	.free_port = local_free_port,
	.release = NULL,
};

struct gf_host *
gf_host_local_named(const char *name)
{
	struct gf_host *h = gf_xcalloc(1, sizeof(*h));

	h->ops = &local_ops;
	h->name = gf_xstrdup(name);
	h->address = gf_xstrdup("127.0.0.1");
	h->is_runner = 1;
	return h;
}
