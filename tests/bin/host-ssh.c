/* SPDX-License-Identifier: Apache-2.0 */
/*
 * usage: host-ssh ENTRY OP [ARG...] [:: OP [ARG...]]...
 * Build a host from the JSON entry ENTRY (gf_host_from_json) and run
 * the operations on it in order, on one host object (so on one
 * connection). On the first failure: "host-ssh: MESSAGE" on stderr and
 * exit with its code. For the tests of the SSH host against a real sshd.
 *
 *   run [-t SECS] [-o FILE] [-e FILE] ARGV...   prints "status S signal N
 *       timed_out T"; the captured stdout and stderr go to the files
 *   spawn LOG PIDFILE ARGV...   prints the pid
 *   alive PID                   prints 1 or 0
 *   pidcheck PIDFILE [MATCH]    prints none|running|stale and the pid
 *   stop PIDFILE [MATCH]        prints stopped|not-running|stale
 *   read PATH                   the file on stdout
 *   write PATH MODE FILE [in-place]   FILE (on the runner) to PATH
 *   copy SRC DEST | mkdir PATH | which PROG | port
 *   key                         prints the fingerprint and "tofu" or
 *                               "checked"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_fs.h"
#include "gf_host.h"

static int
save(const char *path, const char *data, size_t len)
{
	struct gf_err err = GF_ERR_INIT;

	return path == NULL ? 0 : gf_fs_write_atomic(path, data ? data : "",
	    len, 0644, &err);
}

static int
op_run(struct gf_host *h, char **argv, struct gf_err *err)
{
	const char *outf = NULL, *errf = NULL;
	struct gf_host_cmd cmd;
	struct gf_host_result r;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.capture = GF_HOST_CAPTURE_STDOUT | GF_HOST_CAPTURE_STDERR;
	cmd.grace = 1;
	for (; *argv != NULL && argv[0][0] == '-' && argv[1] != NULL;
	    argv += 2) {
		if (strcmp(argv[0], "-t") == 0)
			cmd.timeout = strtod(argv[1], NULL);
		else if (strcmp(argv[0], "-o") == 0)
			outf = argv[1];
		else if (strcmp(argv[0], "-e") == 0)
			errf = argv[1];
		else
			break;
	}
	cmd.argv = (const char *const *)argv;
	if ((rc = gf_host_run(h, &cmd, &r, err)) == 0) {
		printf("status %d signal %d timed_out %d\n", r.status,
		    r.signal, r.timed_out);
		save(outf, r.out, r.out_len);
		save(errf, r.errout, r.errout_len);
	}
	gf_host_result_release(&r);
	return rc;
}

static int
op(struct gf_host *h, char **argv, struct gf_err *err)
{
	const char *o = argv[0], *a = argv[1], *b = a ? argv[2] : NULL;
	enum gf_host_stop_result what;
	char *s;
	size_t len;
	pid_t pid;
	int n;

	if (strcmp(o, "run") == 0)
		return op_run(h, argv + 1, err);
	if (strcmp(o, "spawn") == 0 && b != NULL) {
		struct gf_host_spawn sp = { (const char *const *)argv + 3, a,
			b };

		if ((pid = gf_host_spawn(h, &sp, err)) < 0)
			return -1;
		printf("%ld\n", (long)pid);
	} else if (strcmp(o, "alive") == 0 && a != NULL) {
		printf("%d\n", gf_host_alive(h, (pid_t)atol(a)));
	} else if (strcmp(o, "pidcheck") == 0 && a != NULL) {
		n = (int)gf_host_pid_check(h, a, b, &pid);
		printf("%s %ld\n", n == GF_HOST_PID_NONE ? "none" :
		    n == GF_HOST_PID_RUNNING ? "running" : "stale", (long)pid);
	} else if (strcmp(o, "stop") == 0 && a != NULL) {
		if (gf_host_stop(h, a, b, 1, &what, err) < 0)
			return -1;
		printf("%s\n", what == GF_HOST_STOP_STOPPED ? "stopped" :
		    what == GF_HOST_STOP_NOT_RUNNING ? "not-running" : "stale");
	} else if (strcmp(o, "read") == 0 && a != NULL) {
		if ((s = gf_host_read(h, a, 0, &len, err)) == NULL)
			return -1;
		fwrite(s, 1, len, stdout);
		free(s);
	} else if (strcmp(o, "write") == 0 && b != NULL && argv[3] != NULL) {
		if ((s = gf_fs_read(argv[3], 0, &len, err)) == NULL)
			return -1;
		n = gf_host_write(h, a, s, len, (mode_t)strtol(b, NULL, 8),
		    argv[4] != NULL ? GF_HOST_WRITE_IN_PLACE : 0, err);
		free(s);
		return n;
	} else if (strcmp(o, "copy") == 0 && b != NULL) {
		return gf_host_copy(h, a, b, err);
	} else if (strcmp(o, "mkdir") == 0 && a != NULL) {
		return gf_host_mkdir_p(h, a, 0755, err);
	} else if (strcmp(o, "which") == 0 && a != NULL) {
		s = gf_host_which(h, a);
		printf("%s\n", s != NULL ? s : "none");
		free(s);
	} else if (strcmp(o, "port") == 0) {
		if ((n = gf_host_free_port(h, err)) < 0)
			return -1;
		printf("%d\n", n);
	} else if (strcmp(o, "key") == 0) {
		const char *fp = gf_host_ssh_host_key(h, &n);

		printf("%s %s\n", fp ? fp : "none", n ? "tofu" : "checked");
	} else {
		return gf_err_set(err, 64, "host-ssh", "bad operation '%s'", o);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_host *h;
	json_error_t jerr;
	json_t *entry;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: host-ssh ENTRY OP [ARG...] "
		    "[:: OP [ARG...]]...\n");
		return 64;
	}
	if ((entry = json_loads(argv[1], 0, &jerr)) == NULL) {
		fprintf(stderr, "host-ssh: entry: %s\n", jerr.text);
		return 65;
	}
	h = gf_host_from_json(entry, &err);
	json_decref(entry);
	if (h == NULL) {
		fprintf(stderr, "host-ssh: %s\n", err.msg);
		return err.exit;
	}
	for (int i = 2; i < argc && rc == 0;) {
		int j = i;

		while (j < argc && strcmp(argv[j], "::") != 0)
			j++;
		argv[j < argc ? j : argc] = NULL;
		rc = op(h, argv + i, &err);
		fflush(stdout);
		i = j + 1;
	}
	if (rc < 0)
		fprintf(stderr, "host-ssh: %s\n", err.msg);
	gf_host_free(h);
	return rc < 0 ? err.exit : 0;
}
