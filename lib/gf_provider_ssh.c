/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ssh provider: hosts someone else owns, listed in an inventory
 * (gf_inventory.h), each reached over SSH (gf_host.h) and described by
 * gf_hostinfo. Nothing is started, so nothing is given back.
 *
 * Hosts are probed in child processes, GF_PROVIDER_SSH_PARALLEL at a
 * time: the SSH host layer shares connections between hosts and is not
 * thread-safe, and a child that hangs past its deadline can be killed
 * without leaving anything half-done in the tool. Each child writes one
 * JSON object on a pipe: { "host": facts, "clock_offset", "host_key",
 * "tofu" } or { "exit", "msg" }.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_hostinfo.h"
#include "gf_inventory.h"
#include "gf_section.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Beyond connect_timeout: the facts take a few dozen round trips. */
#define PROBE_SLACK 120.0
#define CLOCK_SAMPLES 3

struct probe {
	const json_t *entry;	/* borrowed: the host entry */
	pid_t pid;
	int fd;
	double deadline;	/* monotonic seconds */
	struct gf_buf out;
	json_t *result;		/* the child's object */
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Seconds the host's clock is ahead of the runner's: its "date +%s.%N"
 * against the middle of the round trip, from the fastest of a few.
 */
static int
clock_offset(struct gf_host *h, double *offset, struct gf_err *err)
{
	static const char *const argv[] = { "date", "+%s.%N", NULL };
	double best = -1;

	for (int i = 0; i < CLOCK_SAMPLES; i++) {
		double t0 = clock_s(CLOCK_REALTIME), t1, remote;
		char *out = NULL, *end;
		int st = gf_host_capture(h, argv, 30, &out, err);

		t1 = clock_s(CLOCK_REALTIME);
		if (st != 0) {
			free(out);
			if (st > 0)
				gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh",
				    "date exited with %d", st);
			return -1;
		}
		remote = strtod(out != NULL ? out : "", &end);
		if (out == NULL || end == out || remote <= 0) {
			free(out);
			return gf_err_set(err, GF_EXIT_UNAVAILABLE, "ssh",
			    "date printed no time");
		}
		free(out);
		if (best < 0 || t1 - t0 < best) {
			best = t1 - t0;
			*offset = remote - (t0 + t1) / 2;
		}
	}
	return 0;
}

/* In the child: reach the host, and with facts describe it. */
static json_t *
probe_host(const json_t *entry, int facts)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_host *h = gf_host_ssh_new(entry, &err), *plain = NULL;
	json_t *res = NULL, *info, *direct = json_deep_copy(entry);
	double offset = 0;
	const char *key;
	int tofu = 0;

	/*
	 * The clock is read without sudo (on the same connection): sudo's
	 * start before date runs would put the reading late in the round
	 * trip.
	 */
	json_object_set_new(direct, GF_FIELD_HOST_SUDO, json_false());
	if (h != NULL)
		plain = gf_host_ssh_new(direct, &err);
	json_decref(direct);
	if (h == NULL || plain == NULL ||
	    clock_offset(plain, &offset, &err) < 0 ||
	    gf_host_ssh_check_sudo(h, &err) < 0 ||
	    (facts && (info = gf_hostinfo_collect(h, NULL, &err)) == NULL)) {
		gf_host_free(plain);
		gf_host_free(h);
		return json_pack("{s:i,s:s}", "exit", err.exit != 0 ? err.exit :
		    GF_EXIT_UNAVAILABLE, "msg", err.msg);
	}
	res = json_pack("{s:f}", "clock_offset", offset);
	if (facts)
		json_object_set_new(res, "host", info);
	if ((key = gf_host_ssh_host_key(h, &tofu)) != NULL)
		json_object_set_new(res, "host_key", json_string(key));
	json_object_set_new(res, "tofu", json_boolean(tofu));
	gf_host_free(plain);
	gf_host_free(h);
	return res;
}

static void
child(const json_t *entry, int facts, int fd)
{
	json_t *res = probe_host(entry, facts);
	char *text = json_dumps(res, JSON_COMPACT);
	size_t len = text != NULL ? strlen(text) : 0, off = 0;

	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	/* No atexit handler of the tool's may run here (state file). */
	_exit(0);
}

static double
deadline_of(const json_t *entry)
{
	json_t *t = json_object_get(entry, GF_FIELD_HOST_CONNECT_TIMEOUT);

	return clock_s(CLOCK_MONOTONIC) + PROBE_SLACK +
	    2 * (json_is_number(t) ? json_number_value(t) : 10.0);
}

static int
start(struct probe *p, int facts, struct gf_err *err)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return gf_err_set(err, GF_EXIT_OSERR, "ssh", "pipe: %s",
		    strerror(errno));
	fflush(NULL);
	if ((p->pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return gf_err_set(err, GF_EXIT_OSERR, "ssh", "fork: %s",
		    strerror(errno));
	}
	if (p->pid == 0) {
		close(fds[0]);
		child(p->entry, facts, fds[1]);
	}
	close(fds[1]);
	p->fd = fds[0];
	p->deadline = deadline_of(p->entry);
	gf_buf_init(&p->out);
	return 0;
}

static void
finish(struct probe *p, const char *why)
{
	json_error_t je;

	if (why != NULL)
		kill(p->pid, SIGKILL);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(p->fd);
	p->fd = -1;
	if (why == NULL)
		p->result = json_loads(gf_buf_str(&p->out), 0, &je);
	if (p->result == NULL)
		p->result = json_pack("{s:i,s:s}", "exit", GF_EXIT_UNAVAILABLE,
		    "msg", why != NULL ? why : "the probe ended without an "
		    "answer");
	gf_buf_release(&p->out);
}

/*
 * Probe every entry of hosts, at most GF_PROVIDER_SSH_PARALLEL at once.
 * Returns a new array of the children's objects, in the order of hosts,
 * or NULL with err when a child could not be started.
 */
static json_t *
probe_all(const json_t *hosts, int facts, struct gf_err *err)
{
	size_t n = json_array_size(hosts), next = 0, running = 0, done = 0;
	struct probe *ps = gf_xcalloc(n > 0 ? n : 1, sizeof(*ps));
	struct pollfd pfd[GF_PROVIDER_SSH_PARALLEL];
	size_t which[GF_PROVIDER_SSH_PARALLEL];
	json_t *out;
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		ps[i].entry = json_array_get(hosts, i);
		ps[i].fd = -1;
	}
	while (done < n) {
		size_t k = 0;
		double now;

		while (!failed && running < GF_PROVIDER_SSH_PARALLEL &&
		    next < n) {
			if (start(&ps[next], facts, err) < 0) {
				failed = 1;
				break;
			}
			next++;
			running++;
		}
		if (failed && running == 0)
			break;
		for (size_t i = 0; i < next; i++)
			if (ps[i].fd >= 0) {
				pfd[k].fd = ps[i].fd;
				pfd[k].events = POLLIN;
				which[k++] = i;
			}
		if (poll(pfd, k, 500) < 0 && errno != EINTR)
			break;
		now = clock_s(CLOCK_MONOTONIC);
		for (size_t j = 0; j < k; j++) {
			struct probe *p = &ps[which[j]];
			char buf[4096];
			ssize_t r;

			if (pfd[j].revents != 0) {
				r = read(p->fd, buf, sizeof(buf));
				if (r > 0) {
					gf_buf_add(&p->out, buf, (size_t)r);
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				finish(p, NULL);
			} else if (now > p->deadline) {
				finish(p, "no answer before the probe's "
				    "deadline");
			} else {
				continue;
			}
			running--;
			done++;
		}
	}
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		if (ps[i].fd >= 0)
			finish(&ps[i], "stopped");
		json_array_append_new(out, ps[i].result != NULL ?
		    ps[i].result : json_null());
	}
	free(ps);
	if (failed) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *
gf_provider_ssh_probe(const json_t *hosts, int facts, struct gf_err *err)
{
	return probe_all(hosts, facts, err);
}

/*
 * known_hosts or trust on first use for every host without a pin of its
 * own. 78 when no key could ever be checked.
 */
static int
key_policy(json_t *hosts, const struct gf_provider_opts *o,
    struct gf_err *err)
{
	const char *home = getenv("HOME");
	char *dflt = NULL;
	const char *kh = o->known_hosts;
	json_t *e;
	size_t i;

	if (kh == NULL && home != NULL && *home != '\0')
		kh = dflt = gf_xasprintf("%s/.ssh/known_hosts", home);
	json_array_foreach(hosts, i, e) {
		if (json_object_get(e, GF_FIELD_HOST_KEY_SHA256) != NULL)
			continue;
		if (o->trust_on_first_use)
			json_object_set_new(e, GF_FIELD_HOST_KEY_TOFU,
			    json_true());
		if (json_object_get(e, GF_FIELD_HOST_KNOWN_HOSTS) != NULL)
			continue;
		if (kh != NULL && (gf_fs_exists(kh) ||
		    !o->trust_on_first_use)) {
			char *abs = gf_section_path(kh);

			json_object_set_new(e, GF_FIELD_HOST_KNOWN_HOSTS,
			    json_string(abs));
			free(abs);
		}
		if (!o->trust_on_first_use && (kh == NULL ||
		    !gf_fs_exists(kh))) {
			gf_err_set(err, GF_EXIT_CONFIG, "ssh", "host '%s': no "
			    "known_hosts file%s%s%s to check its key against; "
			    "give --known-hosts FILE or --trust-on-first-use",
			    json_string_value(json_object_get(e,
			    GF_FIELD_HOST_NAME)), kh ? " '" : "", kh ? kh : "",
			    kh ? "'" : "");
			free(dflt);
			return -1;
		}
	}
	free(dflt);
	return 0;
}

/* One line naming every host that failed; the first one's exit code. */
static int
failures(const json_t *hosts, const json_t *results, struct gf_err *err)
{
	struct gf_buf b;
	json_t *r;
	size_t i, nfail = 0;
	int code = 0;

	gf_buf_init(&b);
	json_array_foreach(results, i, r) {
		const json_t *e = json_array_get(hosts, i);
		json_t *port = json_object_get(e, GF_FIELD_HOST_PORT);

		if (json_object_get(r, "exit") == NULL)
			continue;
		if (code == 0)
			code = (int)json_integer_value(json_object_get(r,
			    "exit"));
		gf_buf_addf(&b, "%shost '%s' (%s port %lld): %s",
		    nfail++ > 0 ? "; " : "", json_string_value(
		    json_object_get(e, GF_FIELD_HOST_NAME)), json_string_value(
		    json_object_get(e, GF_FIELD_HOST_ADDRESS)), port != NULL ?
		    (long long)json_integer_value(port) : 22LL,
		    json_string_value(json_object_get(r, "msg")));
	}
	if (nfail > 0)
		gf_err_set(err, code, "ssh", "%zu of %zu host(s) failed, none "
		    "recorded: %s", nfail, json_array_size(hosts),
		    gf_buf_str(&b));
	gf_buf_release(&b);
	return nfail > 0 ? -1 : 0;
}

/* The document's entry: how to reach it, then what it is. */
static json_t *
host_entry(const json_t *e, const json_t *r)
{
	static const char *const reach[] = { GF_FIELD_HOST_NAME,
		GF_FIELD_HOST_PROVIDER, GF_FIELD_HOST_ROLES,
		GF_FIELD_HOST_ADDRESS, GF_FIELD_HOST_CONNECTION,
		GF_FIELD_HOST_USER, GF_FIELD_HOST_PORT, GF_FIELD_HOST_KEY,
		GF_FIELD_HOST_KNOWN_HOSTS, GF_FIELD_HOST_KEY_SHA256,
		GF_FIELD_HOST_CONNECT_TIMEOUT, GF_FIELD_HOST_SUDO, NULL };
	json_t *h = json_object(), *v;
	const char *k;

	for (size_t i = 0; reach[i] != NULL; i++)
		if ((v = json_object_get(e, reach[i])) != NULL)
			json_object_set(h, reach[i], v);
	/* Trusted once, pinned from now on: later tools check this key. */
	if (json_is_true(json_object_get(r, "tofu")))
		json_object_set(h, GF_FIELD_HOST_KEY_SHA256,
		    json_object_get(r, "host_key"));
	json_object_foreach(json_object_get(r, "host"), k, v)
		if (json_object_get(h, k) == NULL)
			json_object_set(h, k, v);
	json_object_set(h, GF_FIELD_HOST_CLOCK_OFFSET,
	    json_object_get(r, "clock_offset"));
	return h;
}

static int
ssh_up(json_t *doc, const struct gf_provider_opts *o, struct gf_err *err)
{
	json_t *hosts, *results, *out, *e, *prov;
	char *inv;
	size_t i;

	if (o->inventory == NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "ssh", "the ssh "
		    "provider needs --inventory FILE (or GF_INVENTORY)");
	if ((hosts = gf_inventory_load(o->inventory, err)) == NULL)
		return -1;
	json_array_foreach(hosts, i, e) {
		json_object_set_new(e, GF_FIELD_HOST_PROVIDER,
		    json_string("ssh"));
		json_object_set_new(e, GF_FIELD_HOST_CONNECTION,
		    json_string("ssh"));
	}
	if (key_policy(hosts, o, err) < 0 ||
	    (results = probe_all(hosts, 1, err)) == NULL) {
		json_decref(hosts);
		return -1;
	}
	if (failures(hosts, results, err) < 0) {
		json_decref(results);
		json_decref(hosts);
		return -1;
	}
	out = json_array();
	json_array_foreach(hosts, i, e)
		json_array_append_new(out, host_entry(e,
		    json_array_get(results, i)));
	json_decref(results);
	json_decref(hosts);
	gf_doc_set(doc, GF_SECTION_HOSTS, out);
	prov = gf_doc_object(doc, GF_SECTION_PROVISION);
	json_object_set_new(prov, GF_FIELD_PROVISION_PROVIDER,
	    json_string("ssh"));
	json_object_set_new(prov, "hosts", json_integer(
	    (json_int_t)json_array_size(out)));
	inv = gf_section_path(o->inventory);
	json_object_set_new(prov, GF_FIELD_PROVISION_INVENTORY,
	    json_string(inv));
	free(inv);
	return 0;
}

static int
ssh_status(const json_t *doc, json_t **report, struct gf_err *err)
{
	json_t *hosts = json_object_get(doc, GF_SECTION_HOSTS), *results;
	json_t *list = json_array(), *h;
	size_t i;

	if ((results = probe_all(hosts, 0, err)) == NULL) {
		json_decref(list);
		return -1;
	}
	json_array_foreach(hosts, i, h) {
		json_t *r = json_array_get(results, i);
		const char *name = json_string_value(json_object_get(h,
		    GF_FIELD_HOST_NAME));
		json_t *one = json_pack("{s:s,s:b}", "name", name ? name : "?",
		    "reachable", json_object_get(r, "exit") == NULL);

		if (json_object_get(r, "msg") != NULL)
			json_object_set(one, "error", json_object_get(r,
			    "msg"));
		json_array_append_new(list, one);
	}
	json_decref(results);
	*report = json_pack("{s:s,s:o}", "provider", "ssh", "hosts", list);
	return 0;
}

static int
ssh_down(json_t *doc, json_t *entry, struct gf_err *err)
{
	(void)doc;
	(void)entry;
	(void)err;
	/* The hosts are not the run's: what gf started has its own entry. */
	return 0;
}

static int
ssh_sweep(json_t *doc, const struct gf_provider_opts *o, json_t **found,
    struct gf_err *err)
{
	(void)doc;
	(void)o;
	(void)err;
	*found = json_array();
	return 0;
}

const struct gf_provider gf_provider_ssh = {
	"ssh", ssh_up, ssh_status, ssh_down, ssh_sweep,
};
