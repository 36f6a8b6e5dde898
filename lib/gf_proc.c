/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_proc.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_proc_cpus(void)
{
	cpu_set_t set;
	long n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

char *
gf_proc_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? gf_xstrdup(name) : NULL;
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = gf_xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		char *full = gf_fs_join(*dir ? dir : ".", name);

		if (access(full, X_OK) == 0 && !gf_fs_is_dir(full)) {
			found = full;
			break;
		}
		free(full);
	}
	free(copy);
	return found;
}

static void
child_redirect(const char *path, int fd, int flags)
{
	int nfd = open(path, flags, 0644);

	if (nfd < 0)
		_exit(127);
	if (nfd != fd) {
		dup2(nfd, fd);
		close(nfd);
	}
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/* No other child may inherit a pipe, or its reader never sees EOF. */
static int
cloexec_pipe(int p[2])
{
	if (pipe(p) < 0)
		return -1;
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

pid_t
gf_proc_spawn(const struct gf_spawn *spec, struct gf_err *err)
{
	char *prog = gf_proc_which(spec->argv[0]);
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	pid_t pid;

	if (prog == NULL)
		return gf_err_set(err, GF_EXIT_NOINPUT, "proc",
		    "'%s' not found in PATH", spec->argv[0]);
	pid_t parent = getpid();

	if ((spec->stdout_pipe != NULL && cloexec_pipe(outp) < 0) ||
	    (spec->stderr_pipe != NULL && cloexec_pipe(errp) < 0)) {
		int e = errno;

		close_pair(outp);
		close_pair(errp);
		free(prog);
		return gf_err_set(err, GF_EXIT_OSERR, "proc", "pipe: %s",
		    strerror(e));
	}
	pid = fork();
	if (pid < 0) {
		close_pair(outp);
		close_pair(errp);
		free(prog);
		return gf_err_set(err, GF_EXIT_OSERR, "proc",
		    "cannot start '%s': %s", spec->argv[0], strerror(errno));
	}
	if (pid == 0) {
		sigset_t none;

		/* The parent may have died before prctl: check after it. */
		if (spec->die_with_parent &&
		    (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
		    getppid() != parent))
			_exit(127);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (spec->new_session)
			setsid();
		if (spec->cwd != NULL && chdir(spec->cwd) < 0)
			_exit(127);
		child_redirect(spec->stdin_path ? spec->stdin_path :
		    "/dev/null", STDIN_FILENO, O_RDONLY);
		/* dup2 clears close-on-exec on the copies. */
		if (outp[1] >= 0)
			dup2(outp[1], STDOUT_FILENO);
		else if (spec->stdout_path != NULL)
			child_redirect(spec->stdout_path, STDOUT_FILENO,
			    O_WRONLY | O_CREAT | O_APPEND);
		if (errp[1] >= 0) {
			dup2(errp[1], STDERR_FILENO);
		} else if (spec->stderr_path != NULL) {
			if (outp[1] < 0 && spec->stdout_path != NULL &&
			    strcmp(spec->stderr_path, spec->stdout_path) == 0)
				dup2(STDOUT_FILENO, STDERR_FILENO);
			else
				child_redirect(spec->stderr_path, STDERR_FILENO,
				    O_WRONLY | O_CREAT | O_APPEND);
		}
		execv(prog, (char *const *)spec->argv);
		_exit(127);
	}
	free(prog);
	if (outp[0] >= 0) {
		close(outp[1]);
		*spec->stdout_pipe = outp[0];
	}
	if (errp[0] >= 0) {
		close(errp[1]);
		*spec->stderr_pipe = errp[0];
	}
	return pid;
}

int
gf_proc_wait(pid_t pid, double timeout, int *status, struct gf_err *err)
{
	double deadline = gf_time_now() + timeout;
	double nap = 0.005;

	for (;;) {
		pid_t r = waitpid(pid, status, timeout < 0 ? 0 : WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gf_err_set(err, GF_EXIT_OSERR, "proc",
			    "cannot wait for process %ld: %s", (long)pid,
			    strerror(errno));
		if (gf_time_now() >= deadline)
			return 1;
		gf_time_sleep(nap, 0);
		if (nap < 0.1)
			nap *= 2;
	}
}

int
gf_proc_run(const char *const *argv, double timeout, char **out,
    struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	char *prog = gf_proc_which(argv[0]);
	double deadline = gf_time_now() + timeout;
	int pfd[2], status = 0;
	pid_t pid;

	if (out != NULL)
		*out = NULL;
	if (prog == NULL)
		return gf_err_set(err, GF_EXIT_NOINPUT, "proc",
		    "'%s' not found in PATH", argv[0]);
	if (pipe(pfd) < 0) {
		free(prog);
		return gf_err_set(err, GF_EXIT_OSERR, "proc", "pipe: %s",
		    strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		free(prog);
		close(pfd[0]);
		close(pfd[1]);
		return gf_err_set(err, GF_EXIT_OSERR, "proc",
		    "cannot start '%s': %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	free(prog);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		char chunk[8192];
		ssize_t n = read(pfd[0], chunk, sizeof(chunk));

		if (n > 0) {
			gf_buf_add(&b, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR)
			break;
		if (timeout >= 0 && gf_time_now() > deadline) {
			close(pfd[0]);
			gf_proc_stop(pid, 1, 1, NULL);
			gf_buf_release(&b);
			return gf_err_set(err, GF_EXIT_TEMPFAIL, "proc",
			    "'%s' did not finish within %.0f s", argv[0],
			    timeout);
		}
		gf_time_sleep(0.01, 0);
	}
	close(pfd[0]);
	if (gf_proc_wait(pid, -1, &status, err) < 0) {
		gf_buf_release(&b);
		return -1;
	}
	if (!WIFEXITED(status)) {
		gf_buf_release(&b);
		return gf_err_set(err, GF_EXIT_SOFTWARE, "proc",
		    "'%s' was killed by signal %d", argv[0], WTERMSIG(status));
	}
	if (WEXITSTATUS(status) == 127 && b.len == 0) {
		gf_buf_release(&b);
		return gf_err_set(err, GF_EXIT_NOINPUT, "proc",
		    "cannot run '%s'", argv[0]);
	}
	if (out != NULL)
		*out = gf_buf_detach(&b);
	gf_buf_release(&b);
	return WEXITSTATUS(status);
}

int
gf_proc_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *fp;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	/* A zombie has exited: it only waits to be reaped. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fp = fopen(path, "r");
	if (fp != NULL) {
		if (fscanf(fp, "%*d (%*[^)]) %c", &state) != 1)
			state = 0;
		fclose(fp);
	}
	return state != 'Z';
}

int
gf_proc_stop(pid_t pid, int group, double grace, struct gf_err *err)
{
	pid_t target = group ? -pid : pid;
	double deadline;
	int status;

	if (pid <= 0)
		return gf_err_set(err, GF_EXIT_SOFTWARE, "proc",
		    "refusing to signal pid %ld", (long)pid);
	if (kill(target, SIGTERM) < 0) {
		int e = errno;

		/*
		 * A child between fork and setsid has no group of its own
		 * yet: then only itself (gf_proc_spawn's children start
		 * nothing before exec).
		 */
		if (e == ESRCH && group)
			e = kill(pid, SIGTERM) == 0 ? 0 : errno;
		if (e == ESRCH) {
			waitpid(pid, &status, WNOHANG);
			return 0;
		}
		if (e != 0)
			return gf_err_set(err, GF_EXIT_OSERR, "proc",
			    "cannot stop process %ld: %s", (long)pid,
			    strerror(e));
	}
	deadline = gf_time_now() + grace;
	while (gf_time_now() < deadline) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD &&
		    !gf_proc_alive(pid)))
			goto reaped;
		gf_time_sleep(0.02, 0);
	}
	kill(target, SIGKILL);
	waitpid(pid, &status, 0);
reaped:
	if (group)
		kill(target, SIGKILL);	/* stragglers of the group */
	return 0;
}

int
gf_proc_write_pidfile(const char *path, pid_t pid, struct gf_err *err)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%ld\n", (long)pid);

	return gf_fs_write_atomic(path, line, (size_t)n, 0644, err);
}

pid_t
gf_proc_read_pidfile(const char *path, struct gf_err *err)
{
	struct gf_err rerr = GF_ERR_INIT;
	long long v;
	char *text;
	size_t len;

	text = gf_fs_read(path, 64, &len, &rerr);
	if (text == NULL) {
		if (rerr.exit == GF_EXIT_NOINPUT)
			return 0;
		*err = rerr;
		return -1;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	if (gf_parse_int(text, 1, 4194304, "pid", &v, &rerr) < 0) {
		free(text);
		return gf_err_set(err, GF_EXIT_DATAERR, "proc",
		    "'%s' does not hold a pid", path);
	}
	free(text);
	return (pid_t)v;
}
