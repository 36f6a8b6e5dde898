/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Child processes: spawn, wait with a deadline, stop by pid, pid files.
 */
#ifndef GF_PROC_H
#define GF_PROC_H

#include <sys/types.h>

#include "gf_err.h"

struct gf_spawn {
	const char *const *argv;	/* argv[0] is looked up in PATH */
	const char *stdout_path;	/* NULL: inherit; opened for append */
	const char *stderr_path;	/* NULL: inherit; may equal
					 * stdout_path */
	const char *stdin_path;		/* NULL: /dev/null */
	const char *cwd;		/* NULL: inherit */
	int new_session;		/* setsid(): own process group,
					 * detached */
	/*
	 * SIGTERM the child when the spawning process dies, even by SIGKILL
	 * (Linux PR_SET_PDEATHSIG): for workloads that must not outlive
	 * the tool that runs them.
	 */
	int die_with_parent;
	/*
	 * When not NULL, the stream goes to a pipe instead, and the read
	 * end (close-on-exec, owned by the caller) is stored here. It takes
	 * precedence over the path above.
	 */
	int *stdout_pipe;
	int *stderr_pipe;
};

/*
 * Start a process. Returns its pid, or -1 with err: 66 when the program
 * is not found ("'stress-ng' not found in PATH"), 71 otherwise.
 */
pid_t gf_proc_spawn(const struct gf_spawn *spec, struct gf_err *err);

/*
 * The CPUs this process may run on (its affinity mask, as nproc(1)
 * counts them; the online CPUs when the mask cannot be read), at least
 * 1: the default number of threads for work spread over cores. In a
 * container or under taskset that is fewer than the machine has.
 */
int gf_proc_cpus(void);

/*
 * Wait for pid for at most timeout seconds (< 0: forever). Returns 0 and
 * the wait status in *status, 1 on time-out (the child keeps running),
 * -1 on error.
 */
int gf_proc_wait(pid_t pid, double timeout, int *status, struct gf_err *err);

/*
 * Run argv to completion, capturing stdout into a new string (*out,
 * caller frees; may be NULL to discard) and returning the exit status
 * (0-255), or -1 with err when it could not be started, was killed by a
 * signal, or exceeded timeout seconds (it is killed then: exit 75).
 */
int gf_proc_run(const char *const *argv, double timeout, char **out,
    struct gf_err *err);

/* 1 when a process with this pid exists (and is not a zombie we own). */
int gf_proc_alive(pid_t pid);

/*
 * Stop pid (or its process group when group is set): SIGTERM, wait up to
 * grace seconds, then SIGKILL. Reaps it when it is our child. A process
 * that is already gone is not an error. Returns 0 or -1.
 */
int gf_proc_stop(pid_t pid, int group, double grace, struct gf_err *err);

/* Write "pid\n" to path atomically (mode 0644). */
int gf_proc_write_pidfile(const char *path, pid_t pid, struct gf_err *err);

/*
 * Read a pid file. Returns the pid, 0 when the file is missing, or -1 with
 * err (65) when it does not hold a pid.
 */
pid_t gf_proc_read_pidfile(const char *path, struct gf_err *err);

/* Full path of a program found in PATH (new string), or NULL. */
char *gf_proc_which(const char *name);

#endif
