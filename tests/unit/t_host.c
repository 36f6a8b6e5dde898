/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for gf_host's local implementation: run with separate
 * stdout and stderr, time-outs, spawn and stop by pid file, files, and
 * which names are the runner.
 */
#include <sys/stat.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_fs.h"
#include "gf_host.h"
#include "gf_parse.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "tap.h"

static char *root;

static void
test_run(struct gf_host *h)
{
	const char *both[] = { "sh", "-c", "echo out; echo err >&2; exit 3",
		NULL };
	const char *quiet[] = { "sh", "-c", "echo out; exit 3", NULL };
	const char *slow[] = { "sleep", "30", NULL };
	const char *nosuch[] = { "gf-no-such-program", NULL };
	struct gf_host_cmd cmd;
	struct gf_host_result r;
	struct gf_err err = GF_ERR_INIT;
	double t0;
	char *out = NULL;

	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = both;
	cmd.capture = GF_HOST_CAPTURE_STDOUT | GF_HOST_CAPTURE_STDERR;
	is_int(gf_host_run(h, &cmd, &r, &err), 0, "run: a command that "
	    "fails still runs");
	is_int(r.status, 3, "run: its exit status");
	is_str(r.out, "out\n", "run: stdout captured alone");
	is_str(r.errout, "err\n", "run: stderr captured alone");
	ok(!r.timed_out && !r.stopped && r.signal == 0, "run: no time-out, "
	    "no stop, no signal");
	gf_host_result_release(&r);

	cmd.argv = slow;
	cmd.capture = 0;
	cmd.timeout = 0.3;
	cmd.grace = 1;
	t0 = gf_time_now();
	is_int(gf_host_run(h, &cmd, &r, &err), 0, "run: a time-out is a "
	    "result");
	ok(r.timed_out, "run: timed_out set");
	ok(gf_time_now() - t0 < 5, "run: stopped at its time-out");
	gf_host_result_release(&r);

	is_int(gf_host_capture(h, slow, 0.2, &out, &err), -1, "capture: "
	    "time-out is an error");
	is_int(err.exit, GF_EXIT_TEMPFAIL, "capture: time-out gives 75");
	err = (struct gf_err)GF_ERR_INIT;
	is_int(gf_host_capture(h, quiet, 10, &out, &err), 3, "capture: exit "
	    "status");
	is_str(out, "out\n", "capture: stdout only");
	free(out);
	is_int(gf_host_capture(h, nosuch, 10, NULL, &err), -1, "capture: "
	    "a missing program fails");
	is_int(err.exit, GF_EXIT_NOINPUT, "capture: 66 when not found");
}

static void
test_spawn_stop(struct gf_host *h)
{
	char *log = gf_fs_join(root, "svc/svc.log");
	char *pf = gf_fs_join(root, "svc/svc.pid");
	char *dir = gf_fs_join(root, "svc");
	char *match = gf_xasprintf("%s/", dir);
	/* $0 names the directory: what the cmdline check looks for. */
	const char *argv[] = { "sh", "-c", "echo started; sleep 60", match,
		NULL };
	struct gf_host_spawn sp = { argv, log, pf };
	struct gf_err err = GF_ERR_INIT;
	enum gf_host_stop_result what;
	pid_t pid, got;
	char *text;

	is_int(gf_host_mkdir_p(h, dir, 0755, &err), 0, "mkdir -p");
	pid = gf_host_spawn(h, &sp, &err);
	ok(pid > 0, "spawn: a pid");
	ok(gf_host_alive(h, pid), "spawn: it runs");
	/* Until it has exec'd, its cmdline is still ours. */
	for (int i = 0; i < 200; i++) {
		text = gf_host_read(h, log, 0, NULL, &err);
		if (text != NULL && strstr(text, "started") != NULL)
			i = 200;
		free(text);
		if (i < 200)
			gf_time_sleep(0.02, 0);
	}
	is_int(gf_host_pid_check(h, pf, match, &got), GF_HOST_PID_RUNNING,
	    "pid file: running and matching");
	is_int(got, pid, "pid file: holds its pid");
	is_int(gf_host_pid_check(h, pf, "/elsewhere/", NULL),
	    GF_HOST_PID_STALE, "pid file: another program's pid is stale");
	is_int(gf_host_stop(h, pf, "/elsewhere/", 5, &what, &err), 0,
	    "stop: a foreign pid is not an error");
	is_int(what, GF_HOST_STOP_STALE, "stop: ... and reported stale");
	ok(gf_host_alive(h, pid), "stop: ... and left alone");
	gf_proc_write_pidfile(pf, pid, &err);
	is_int(gf_host_stop(h, pf, match, 5, &what, &err), 0, "stop: ok");
	is_int(what, GF_HOST_STOP_STOPPED, "stop: stopped");
	ok(!gf_host_alive(h, pid), "stop: it is gone");
	ok(!gf_fs_exists(pf), "stop: pid file removed");
	is_int(gf_host_stop(h, pf, match, 5, &what, &err), 0, "stop again: "
	    "ok");
	is_int(what, GF_HOST_STOP_NOT_RUNNING, "stop again: not running");
	text = gf_host_read(h, log, 0, NULL, &err);
	ok(text != NULL && strstr(text, "started") != NULL, "spawn: output "
	    "in the log file");
	free(text);
	free(match);
	free(dir);
	free(pf);
	free(log);
}

static void
test_files(struct gf_host *h)
{
	struct gf_err err = GF_ERR_INIT;
	char *src = gf_fs_join(root, "tree");
	char *dst = gf_fs_join(root, "copy");
	char *p, *text;
	struct stat st;
	size_t len;

	p = gf_fs_join(root, "tree/sub");
	gf_fs_mkdir_p(p, 0755, &err);
	free(p);
	p = gf_fs_join(root, "tree/sub/a.txt");
	is_int(gf_host_write(h, p, "alpha\n", 6, 0640, 0, &err), 0, "write: "
	    "atomic");
	text = gf_host_read(h, p, 0, &len, &err);
	is_str(text, "alpha\n", "read: what was written");
	is_int(len, 6, "read: its length");
	free(text);
	is_int(gf_host_write(h, p, "beta\n", 5, 0640, GF_HOST_WRITE_IN_PLACE,
	    &err), 0, "write: in place");
	text = gf_host_read(h, p, 0, NULL, &err);
	is_str(text, "beta\n", "read: the file written in place");
	free(text);
	free(p);
	p = gf_fs_join(root, "tree/link");
	ok(symlink("sub/a.txt", p) == 0, "a link in the tree");
	free(p);

	is_int(gf_host_copy(h, src, dst, &err), 0, "copy: a tree");
	p = gf_fs_join(root, "copy/sub/a.txt");
	text = gf_host_read(h, p, 0, NULL, &err);
	is_str(text, "beta\n", "copy: the file's content");
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640, "copy: its "
	    "mode");
	free(text);
	free(p);
	p = gf_fs_join(root, "copy/link");
	text = gf_host_read(h, p, 0, NULL, &err);
	is_str(text, "beta\n", "copy: the link followed in the copy");
	free(text);
	free(p);
	is_int(gf_host_copy(h, src, src, &err), 0, "copy: onto itself is "
	    "nothing");
	p = gf_fs_join(root, "nosuch");
	is_int(gf_host_copy(h, p, dst, &err), -1, "copy: a missing source");
	is_int(err.exit, GF_EXIT_NOINPUT, "copy: 66");
	free(p);
	p = gf_fs_join(root, "nosuch/x");
	is_int(gf_host_write(h, p, "x", 1, 0644, GF_HOST_WRITE_IN_PLACE,
	    &err), -1, "write in place: a missing directory");
	ok(strncmp(err.msg, "cannot open '", 13) == 0, "write in place: "
	    "'cannot open' (%s)", err.msg);
	free(p);
	p = gf_host_which(h, "sh");
	ok(p != NULL && p[0] == '/', "which: sh has a path");
	free(p);
	ok(gf_host_which(h, "gf-no-such-program") == NULL, "which: missing");
	ok(gf_host_free_port(h, &err) > 0, "a free port");
	free(dst);
	free(src);
}

static void
test_runner(void)
{
	struct gf_err err = GF_ERR_INIT;
	char *me = gf_host_runner_name();
	struct gf_host *h;
	json_t *e;

	ok(gf_host_is_runner("localhost"), "runner: localhost");
	ok(gf_host_is_runner("127.0.0.1"), "runner: 127.0.0.1");
	ok(gf_host_is_runner("127.1.2.3"), "runner: 127.0.0.0/8");
	ok(gf_host_is_runner("::1"), "runner: ::1");
	ok(gf_host_is_runner(me), "runner: its host name '%s'", me);
	ok(!gf_host_is_runner("gf-not-this-host.example"), "runner: not "
	    "another name");
	ok(!gf_host_is_runner("192.0.2.10"), "runner: not another address");
	ok(!gf_host_is_runner(""), "runner: not an empty name");

	h = gf_host_local_new();
	is_str(gf_host_name(h), me, "local host: named after the runner");
	is_str(gf_host_address(h), "127.0.0.1", "local host: on loopback");
	is_str(gf_host_connection(h), "local", "local host: connection");
	ok(gf_host_is_local(h), "local host: is the runner");
	gf_host_free(h);

	e = json_pack("{s:s, s:s}", "name", "m1", "connection", "local");
	h = gf_host_from_json(e, &err);
	ok(h != NULL && strcmp(gf_host_name(h), "m1") == 0, "from_json: "
	    "local keeps its name");
	gf_host_free(h);
	json_decref(e);
	e = json_pack("{s:s, s:s}", "name", "m2", "connection", "ssh");
	ok(gf_host_from_json(e, &err) == NULL, "from_json: ssh without a "
	    "way to check the host key is refused");
	is_int(err.exit, GF_EXIT_CONFIG, "from_json: ssh without one gives 78");
	ok(strstr(err.msg, "known_hosts, host_key_sha256 or host_key_tofu") !=
	    NULL, "from_json: says what is missing (%s)", err.msg);
	json_decref(e);
	e = json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", "m2b", "address",
	    "192.0.2.9", "connection", "ssh", "port", 2222, "known_hosts",
	    "/nonexistent/known_hosts");
	h = gf_host_from_json(e, &err);
	ok(h != NULL && strcmp(gf_host_connection(h), "ssh") == 0 &&
	    !gf_host_is_local(h) && strcmp(gf_host_address(h), "192.0.2.9") ==
	    0, "from_json: an ssh host, not connected before it is used");
	ok(h != NULL && gf_host_ssh_host_key(h, NULL) == NULL, "from_json: "
	    "no host key seen yet");
	gf_host_free(h);
	json_decref(e);
	e = json_pack("{s:s, s:s, s:s, s:s}", "name", "m2c", "connection",
	    "ssh", "port", "22", "known_hosts", "/k");
	ok(gf_host_from_json(e, &err) == NULL && err.exit == GF_EXIT_DATAERR,
	    "from_json: a port that is not a number gives 65");
	json_decref(e);
	e = json_pack("{s:s, s:s}", "name", "m3", "address", "127.0.0.1");
	h = gf_host_from_json(e, &err);
	ok(h != NULL && gf_host_is_local(h), "from_json: no connection, "
	    "a loopback address: local");
	gf_host_free(h);
	json_decref(e);
	e = json_pack("{s:s, s:s}", "name", "m4", "address", "192.0.2.7");
	ok(gf_host_from_json(e, &err) == NULL && err.exit == GF_EXIT_CONFIG,
	    "from_json: no connection, another address: ssh (78 without a "
	    "host key check)");
	json_decref(e);
	e = json_pack("{s:s, s:s, s:b}", "name", "m4b", "address", "192.0.2.7",
	    "host_key_tofu", 1);
	h = gf_host_from_json(e, &err);
	ok(h != NULL && strcmp(gf_host_connection(h), "ssh") == 0,
	    "from_json: no connection, another address: ssh");
	gf_host_free(h);
	json_decref(e);
	e = json_pack("{s:s, s:s}", "name", "m5", "connection", "telnet");
	ok(gf_host_from_json(e, &err) == NULL && err.exit == GF_EXIT_DATAERR,
	    "from_json: an unknown connection gives 65");
	json_decref(e);
	h = gf_host_from_name("localhost", &err);
	ok(h != NULL && gf_host_is_local(h), "from_name: localhost");
	gf_host_free(h);
	ok(gf_host_from_name("192.0.2.10", &err) == NULL &&
	    err.exit == GF_EXIT_CONFIG, "from_name: another machine (78)");
	free(me);
}

int
main(void)
{
	char tmpl[] = "/tmp/gf-t-host.XXXXXX";
	struct gf_err err = GF_ERR_INIT;
	struct gf_host *h;

	signal(SIGPIPE, SIG_IGN);
	if ((root = mkdtemp(tmpl)) == NULL)
		skip_all("no temp dir");
	h = gf_host_local_new();
	test_run(h);
	test_spawn_stop(h);
	test_files(h);
	test_runner();
	gf_host_free(h);
	gf_fs_remove_tree(root, &err);
	return done_testing();
}
