/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_host.h"
#include "gf_buf.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static struct gf_host *
local_create(const json_t *entry, const char *name, struct gf_err *err)
{
	(void)entry;
	(void)err;
	return gf_host_local_named(name);
}

static struct gf_host *
ssh_create(const json_t *entry, const char *name, struct gf_err *err)
{
	(void)name;
	return gf_host_ssh_new(entry, err);
}

/* How each "connection" of the document is reached. */
static const struct connection {
	const char *name;
	struct gf_host *(*create)(const json_t *entry, const char *name,
	    struct gf_err *err);
} connections[] = {
	{ "local", local_create },
	{ "ssh", ssh_create },
};

char *
gf_host_runner_name(void)
{
	struct utsname u;
	char name[256];

	if (gethostname(name, sizeof(name)) == 0 && name[0] != '\0') {
		name[sizeof(name) - 1] = '\0';
		return gf_xstrdup(name);
	}
	if (uname(&u) == 0 && u.nodename[0] != '\0')
		return gf_xstrdup(u.nodename);
	return gf_xstrdup("localhost");
}

/* One of this machine's interface addresses, in its canonical form. */
static int
is_own_address(const char *name)
{
	struct in6_addr a6;
	struct in_addr a4;
	struct ifaddrs *ifa, *i;
	int fam, found = 0;

	if (inet_pton(AF_INET, name, &a4) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, name, &a6) == 1)
		fam = AF_INET6;
	else
		return 0;
	if (fam == AF_INET && (ntohl(a4.s_addr) >> 24) == 127)
		return 1;
	if (fam == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a6))
		return 1;
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != fam)
			continue;
		if (fam == AF_INET)
			found = ((const struct sockaddr_in *)(const void *)
			    i->ifa_addr)->sin_addr.s_addr == a4.s_addr;
		else
			found = memcmp(&((const struct sockaddr_in6 *)
			    (const void *)i->ifa_addr)->sin6_addr, &a6,
			    sizeof(a6)) == 0;
	}
	freeifaddrs(ifa);
	return found;
}

int
gf_host_is_runner(const char *name)
{
	char *me;
	int yes;

	if (name == NULL || *name == '\0')
		return 0;
	if (strcasecmp(name, "localhost") == 0 ||
	    strcasecmp(name, "local") == 0 || is_own_address(name))
		return 1;
	me = gf_host_runner_name();
	yes = strcasecmp(name, me) == 0;
	free(me);
	return yes;
}

struct gf_host *
gf_host_local_new(void)
{
	char *me = gf_host_runner_name();
	struct gf_host *h = gf_host_local_named(me);

	free(me);
	return h;
}

static struct gf_host *
create(const char *connection, const json_t *entry, const char *name,
    struct gf_err *err)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(connections); i++)
		if (strcmp(connections[i].name, connection) == 0)
			return connections[i].create(entry, name, err);
	gf_err_set(err, GF_EXIT_DATAERR, "host", "host '%s': field "
	    "'connection': expected \"local\" or \"ssh\", got '%s'", name,
	    connection);
	return NULL;
}

struct gf_host *
gf_host_from_json(const json_t *entry, struct gf_err *err)
{
	const char *name, *address, *conn;
	json_t *c;

	if (!json_is_object(entry)) {
		gf_err_set(err, GF_EXIT_DATAERR, "host", "field 'hosts[]': "
		    "expected an object");
		return NULL;
	}
	name = json_string_value(json_object_get(entry, GF_FIELD_HOST_NAME));
	address = json_string_value(json_object_get(entry,
	    GF_FIELD_HOST_ADDRESS));
	c = json_object_get(entry, GF_FIELD_HOST_CONNECTION);
	if (c != NULL && !json_is_string(c)) {
		gf_err_set(err, GF_EXIT_DATAERR, "host", "host '%s': field "
		    "'connection': expected a string", name ? name : "?");
		return NULL;
	}
	if (name == NULL)
		name = address != NULL ? address : "?";
	conn = json_string_value(c);
	if (conn == NULL)
		conn = gf_host_is_runner(address != NULL ? address : name) ?
		    "local" : "ssh";
	return create(conn, entry, name, err);
}

struct gf_host *
gf_host_from_name(const char *name, struct gf_err *err)
{
	json_t *entry;
	struct gf_host *h;

	if (gf_host_is_runner(name))
		return gf_host_local_new();
	if ((entry = json_pack("{s:s}", "name", name)) == NULL) {
		gf_err_set(err, GF_EXIT_DATAERR, "host", "host name: not "
		    "valid UTF-8");
		return NULL;
	}
	h = create("ssh", entry, name, err);
	json_decref(entry);
	return h;
}

/* The entry of hosts whose field equals value, else NULL. Borrowed. */
static const json_t *
entry_by(const json_t *hosts, const char *field, const char *value)
{
	const json_t *e;
	size_t i;

	json_array_foreach(hosts, i, e) {
		const char *v = json_string_value(json_object_get(e, field));

		if (v != NULL && strcmp(v, value) == 0)
			return e;
	}
	return NULL;
}

const json_t *
gf_host_doc_entry(const json_t *doc, const char *name)
{
	const json_t *hosts = json_object_get(doc, GF_SECTION_HOSTS), *e;

	if ((e = entry_by(hosts, GF_FIELD_HOST_NAME, name)) == NULL)
		e = entry_by(hosts, GF_FIELD_HOST_ADDRESS, name);
	return e;
}

struct gf_host *
gf_host_from_doc(const json_t *doc, const char *name, struct gf_err *err)
{
	const json_t *hosts = json_object_get(doc, GF_SECTION_HOSTS), *e;
	struct gf_buf names = GF_BUF_INIT;
	size_t i;

	if ((e = gf_host_doc_entry(doc, name)) != NULL)
		return gf_host_from_json(e, err);
	if (gf_host_is_runner(name))
		return gf_host_local_named(name);
	json_array_foreach(hosts, i, e) {
		const char *n = json_string_value(json_object_get(e,
		    GF_FIELD_HOST_NAME));

		if (n == NULL)
			n = json_string_value(json_object_get(e,
			    GF_FIELD_HOST_ADDRESS));
		if (n != NULL)
			gf_buf_addf(&names, "%s'%s'", names.len ? ", " : "",
			    n);
	}
	gf_err_set(err, GF_EXIT_CONFIG, "host", "host '%s' is not in the "
	    "document's hosts (%s%s)", name, names.len ? "valid: " :
	    "it has none", names.len ? gf_buf_str(&names) : "");
	gf_buf_release(&names);
	return NULL;
}

void
gf_host_free(struct gf_host *h)
{
	if (h == NULL)
		return;
	if (h->ops->release != NULL)
		h->ops->release(h);
	free(h->name);
	free(h->address);
	free(h);
}

const char *
gf_host_name(const struct gf_host *h)
{
	return h->name;
}

const char *
gf_host_address(const struct gf_host *h)
{
	return h->address;
}

const char *
gf_host_connection(const struct gf_host *h)
{
	return h->ops->connection;
}

int
gf_host_is_local(const struct gf_host *h)
{
	return h->is_runner;
}

int
gf_host_run(struct gf_host *h, const struct gf_host_cmd *cmd,
    struct gf_host_result *res, struct gf_err *err)
{
	memset(res, 0, sizeof(*res));
	return h->ops->run(h, cmd, res, err);
}

void
gf_host_result_release(struct gf_host_result *res)
{
	if (res == NULL)
		return;
	free(res->out);
	free(res->errout);
	res->out = res->errout = NULL;
}

void
gf_host_result_take(struct gf_host_result *res, unsigned capture,
    struct gf_buf *out, struct gf_buf *errout)
{
	if (capture & GF_HOST_CAPTURE_STDOUT) {
		res->out_len = out->len;
		res->out = gf_buf_detach(out);
	}
	if (capture & GF_HOST_CAPTURE_STDERR) {
		res->errout_len = errout->len;
		res->errout = gf_buf_detach(errout);
	}
}

int
gf_host_capture(struct gf_host *h, const char *const *argv, double timeout,
    char **out, struct gf_err *err)
{
	struct gf_host_cmd cmd;
	struct gf_host_result r;
	int rc;

	if (out != NULL)
		*out = NULL;
	memset(&cmd, 0, sizeof(cmd));
	cmd.argv = argv;
	cmd.timeout = timeout;
	cmd.grace = 1;
	cmd.capture = GF_HOST_CAPTURE_STDOUT;
	if (gf_host_run(h, &cmd, &r, err) < 0) {
		gf_host_result_release(&r);
		return -1;
	}
	if (r.timed_out)
		rc = gf_err_set(err, GF_EXIT_TEMPFAIL, "proc", "'%s' did not "
		    "finish within %.0f s", argv[0], timeout);
	else if (r.status < 0)
		rc = gf_err_set(err, GF_EXIT_SOFTWARE, "proc", "'%s' was "
		    "killed by signal %d", argv[0], r.signal);
	else if (r.status == 127 && r.out_len == 0)
		rc = gf_err_set(err, GF_EXIT_NOINPUT, "proc", "cannot run "
		    "'%s'", argv[0]);
	else
		rc = r.status;
	if (rc >= 0 && out != NULL) {
		*out = r.out;
		r.out = NULL;
	}
	gf_host_result_release(&r);
	return rc;
}

pid_t
gf_host_spawn(struct gf_host *h, const struct gf_host_spawn *sp,
    struct gf_err *err)
{
	return h->ops->spawn(h, sp, err);
}

int
gf_host_alive(struct gf_host *h, pid_t pid)
{
	return h->ops->alive(h, pid);
}

enum gf_host_pid_state
gf_host_pid_check(struct gf_host *h, const char *pid_file, const char *match,
    pid_t *pid)
{
	pid_t dummy;

	return h->ops->pid_check(h, pid_file, match, pid ? pid : &dummy);
}

int
gf_host_stop(struct gf_host *h, const char *pid_file, const char *match,
    double grace, enum gf_host_stop_result *what, struct gf_err *err)
{
	enum gf_host_stop_result dummy;

	return h->ops->stop(h, pid_file, match, grace, what ? what : &dummy,
	    err);
}

char *
gf_host_read(struct gf_host *h, const char *path, size_t max_bytes,
    size_t *len, struct gf_err *err)
{
	return h->ops->read(h, path, max_bytes, len, err);
}

int
gf_host_write(struct gf_host *h, const char *path, const void *data,
    size_t len, mode_t mode, int flags, struct gf_err *err)
{
	return h->ops->write(h, path, data, len, mode, flags, err);
}

int
gf_host_copy(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err)
{
	return h->ops->copy(h, src, dest, err);
}

int
gf_host_mkdir_p(struct gf_host *h, const char *path, mode_t mode,
    struct gf_err *err)
{
	return h->ops->mkdir_p(h, path, mode, err);
}

char *
gf_host_which(struct gf_host *h, const char *program)
{
	return h->ops->which(h, program);
}

int
gf_host_free_port(struct gf_host *h, struct gf_err *err)
{
	return h->ops->free_port(h, err);
}

char *
gf_host_log_tail(struct gf_host *h, const char *path)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_buf b = GF_BUF_INIT;
	char *text = gf_host_read(h, path, 0, NULL, &err);
	size_t len, start;
	int lines = 0;

	if (text == NULL || *text == '\0') {
		free(text);
		return gf_xstrdup("(empty log)");
	}
	len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	for (start = len; start > 0; start--)
		if (text[start - 1] == '\n' && ++lines == 3)
			break;
	for (size_t i = start; i < len; i++)
		gf_buf_addc(&b, text[i] == '\n' ? ' ' : text[i]);
	free(text);
	if (b.len > 600) {
		char *s = gf_xstrdup(b.data + b.len - 600);

		gf_buf_release(&b);
		return s;
	}
	return gf_buf_detach(&b);
}

char *
gf_host_version(struct gf_host *h, const char *program)
{
	const char *argv[] = { program, "--version", NULL };
	struct gf_err err = GF_ERR_INIT;
	char *out = NULL, *p, *v = NULL;

	if (gf_host_capture(h, argv, 20, &out, &err) < 0 || out == NULL)
		goto out;
	p = strstr(out, "version ");
	if (p != NULL) {
		p += 8;
		v = gf_xstrndup(p, strcspn(p, " \t\n"));
	}
out:
	free(out);
	return v != NULL ? v : gf_xstrdup("unknown");
}
