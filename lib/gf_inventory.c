/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_inventory.h"
#include "gf_buf.h"
#include "gf_compat.h"
#include "gf_section.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

/* Nested groups deeper than this are a loop in all but name. */
#define MAX_GROUP_DEPTH 32

static const char *const role_names[] = { "server", "agent", "broker",
	"control", "worker", NULL };

/*
 * While reading: every host's own variables and its groups' (name ->
 * { "v": value, "at": path in the file, "d": group depth }), its roles,
 * and the order hosts were first named in.
 */
struct inv {
	const char *file;
	json_t *marks;
	json_t *recs;		/* name -> { vars, gvars, roles } */
	json_t *order;		/* names */
	struct gf_err *err;
};

static char *
join(const char *at, const char *key)
{
	return *at == '\0' ? gf_xstrdup(key) : gf_xasprintf("%s.%s", at, key);
}

/* 65 "FILE:LINE:COL: FIELD: what"; on_key: where the key starts. */
static int GF_PRINTF(4, 5)
bad(struct inv *in, const char *at, int on_key, const char *fmt, ...)
{
	size_t line = 1, col = 1;
	char what[512];
	va_list ap;

	if (on_key)
		gf_yaml_mark_key(in->marks, at, &line, &col);
	else
		gf_yaml_mark(in->marks, at, &line, &col);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return gf_err_set(in->err, GF_EXIT_DATAERR, "inventory",
	    "%s:%zu:%zu: %s: %s", in->file, line, col,
	    *at != '\0' ? at : "(top)", what);
}

static int
is_role(const char *name)
{
	for (size_t i = 0; role_names[i] != NULL; i++)
		if (strcmp(role_names[i], name) == 0)
			return 1;
	return 0;
}

static json_t *
host_rec(struct inv *in, const char *name)
{
	json_t *rec = json_object_get(in->recs, name);

	if (rec == NULL) {
		rec = json_pack("{s:o,s:o,s:o}", "vars", json_object(),
		    "gvars", json_object(), "roles", json_array());
		json_object_set_new(in->recs, name, rec);
		json_array_append_new(in->order, json_string(name));
	}
	return rec;
}

static void
add_role(json_t *roles, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(roles, i, r)
		if (strcmp(json_string_value(r), role) == 0)
			return;
	json_array_append_new(roles, json_string(role));
}

static json_t *
var(json_t *v, const char *at, int depth)
{
	return json_pack("{s:O,s:s,s:i}", "v", v, "at", at, "d", depth);
}

/* A mapping's variables into dest (path at), each tagged with depth. */
static int
read_vars(struct inv *in, json_t *dest, json_t *vars, const char *at,
    int depth)
{
	const char *k;
	json_t *v;

	if (vars == NULL || json_is_null(vars))
		return 0;
	if (!json_is_object(vars))
		return bad(in, at, 0, "must be a mapping of variables");
	json_object_foreach(vars, k, v) {
		char *vat = join(at, k);

		json_object_set_new(dest, k, var(v, vat, depth));
		free(vat);
	}
	return 0;
}

static int read_group(struct inv *in, const char *name, json_t *g,
    const char *at, json_t *gvars, json_t *roles, int depth);

static int
read_hosts(struct inv *in, json_t *hosts, const char *at, json_t *gvars,
    json_t *roles)
{
	const char *name, *k;
	json_t *hv, *v, *r;
	size_t i;

	if (hosts == NULL || json_is_null(hosts))
		return 0;
	if (!json_is_object(hosts))
		return bad(in, at, 0, "must be a mapping of host names");
	json_object_foreach(hosts, name, hv) {
		char *hat = join(at, name);
		json_t *rec = host_rec(in, name), *own;
		int rc;

		if (*name == '\0')
			rc = bad(in, hat, 1, "a host name is empty");
		else
			rc = read_vars(in, json_object_get(rec, "vars"), hv,
			    hat, 0);
		free(hat);
		if (rc < 0)
			return -1;
		own = json_object_get(rec, "gvars");
		/* A deeper group's variable wins over a shallower one's. */
		json_object_foreach(gvars, k, v) {
			json_t *had = json_object_get(own, k);

			if (had == NULL || json_integer_value(json_object_get(
			    v, "d")) > json_integer_value(json_object_get(had,
			    "d")))
				json_object_set(own, k, v);
		}
		json_array_foreach(roles, i, r)
			add_role(json_object_get(rec, "roles"),
			    json_string_value(r));
	}
	return 0;
}

static int
read_group(struct inv *in, const char *name, json_t *g, const char *at,
    json_t *gvars, json_t *roles, int depth)
{
	json_t *vars, *myroles, *v;
	const char *k;
	int rc = 0;

	if (json_is_null(g))
		return 0;
	if (!json_is_object(g))
		return bad(in, at, 0, "a group must be a mapping (hosts, "
		    "children, vars)");
	if (depth > MAX_GROUP_DEPTH)
		return bad(in, at, 1, "groups nested deeper than %d",
		    MAX_GROUP_DEPTH);
	json_object_foreach(g, k, v)
		if (strcmp(k, "hosts") != 0 && strcmp(k, "children") != 0 &&
		    strcmp(k, "vars") != 0) {
			char *kat = join(at, k);

			bad(in, kat, 1, "unknown key (a group has hosts, "
			    "children and vars)");
			free(kat);
			return -1;
		}
	vars = json_deep_copy(gvars);
	myroles = json_copy(roles);
	if (is_role(name))
		add_role(myroles, name);
	{
		char *vat = join(at, "vars"), *hat = join(at, "hosts");
		char *cat = join(at, "children");
		json_t *children = json_object_get(g, "children");

		if (read_vars(in, vars, json_object_get(g, "vars"), vat,
		    depth) < 0 || read_hosts(in, json_object_get(g, "hosts"),
		    hat, vars, myroles) < 0)
			rc = -1;
		else if (!json_is_null(children) && children != NULL &&
		    !json_is_object(children))
			rc = bad(in, cat, 0, "must be a mapping of groups");
		json_object_foreach(rc == 0 ? children : NULL, k, v) {
			char *gat = join(cat, k);

			rc = read_group(in, k, v, gat, vars, myroles,
			    depth + 1);
			free(gat);
			if (rc < 0)
				break;
		}
		free(vat);
		free(hat);
		free(cat);
	}
	json_decref(vars);
	json_decref(myroles);
	return rc;
}

/* A variable of a host: its own, else its groups'. Borrowed. */
static json_t *
lookup(json_t *rec, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		json_t *v = json_object_get(json_object_get(rec, "vars"),
		    names[i]);

		if (v != NULL)
			return v;
	}
	for (size_t i = 0; names[i] != NULL; i++) {
		json_t *v = json_object_get(json_object_get(rec, "gvars"),
		    names[i]);

		if (v != NULL)
			return v;
	}
	return NULL;
}

enum kind { K_STRING, K_PATH, K_PORT, K_SECONDS, K_FINGERPRINT, K_BOOL };

static char *
expand_path(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && p[1] == '/' && home != NULL && *home != '\0')
		return gf_xasprintf("%s%s", home, p + 1);
	return gf_section_path(p);
}

/* Check the variable record v as kind and set entry.key; 0 or -1. */
static int
put(struct inv *in, json_t *entry, const char *key, json_t *v, enum kind k)
{
	json_t *val = json_object_get(v, "v");
	const char *at = json_string_value(json_object_get(v, "at"));
	const char *s = json_string_value(val);

	if (v == NULL)
		return 0;
	switch (k) {
	case K_PORT:
		if (s != NULL && *s != '\0' && strspn(s, "0123456789") ==
		    strlen(s) && strlen(s) <= 5)
			val = json_integer(strtol(s, NULL, 10));
		else
			val = json_incref(val);
		if (!json_is_integer(val) || json_integer_value(val) < 1 ||
		    json_integer_value(val) > 65535) {
			json_decref(val);
			return bad(in, at, 0, "must be a port, 1 to 65535");
		}
		json_object_set_new(entry, key, val);
		return 0;
	case K_BOOL:
		if (json_is_boolean(val)) {
			json_object_set(entry, key, val);
			return 0;
		}
		if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "yes") ==
		    0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0)) {
			json_object_set_new(entry, key, json_boolean(*s == 't' ||
			    *s == 'y'));
			return 0;
		}
		return bad(in, at, 0, "must be true or false");
	case K_SECONDS:
		if (!json_is_number(val) || json_number_value(val) <= 0)
			return bad(in, at, 0, "must be a number of seconds "
			    "above 0");
		json_object_set(entry, key, val);
		return 0;
	default:
		break;
	}
	if (s == NULL || *s == '\0')
		return bad(in, at, 0, "must be a non-empty string");
	if (k == K_FINGERPRINT && strncmp(s, "SHA256:", 7) != 0)
		return bad(in, at, 0, "must be \"SHA256:...\" as ssh-keygen "
		    "-lf prints it");
	if (k == K_PATH) {
		char *p = expand_path(s);

		json_object_set_new(entry, key, json_string(p));
		free(p);
	} else {
		json_object_set(entry, key, val);
	}
	return 0;
}

static const char *const v_host[] = { "ansible_host", "ansible_ssh_host",
	NULL };
static const char *const v_user[] = { "ansible_user", "ansible_ssh_user",
	NULL };
static const char *const v_port[] = { "ansible_port", "ansible_ssh_port",
	NULL };
static const char *const v_key[] = { "ansible_ssh_private_key_file",
	"ansible_private_key_file", NULL };
static const char *const v_known[] = { "ansible_ssh_known_hosts_file",
	NULL };
static const char *const v_fp[] = { "host_key_sha256", NULL };
static const char *const v_timeout[] = { "ansible_ssh_timeout",
	"ansible_timeout", NULL };
static const char *const v_become[] = { "ansible_become", NULL };

/* The entry of the host called name, from its record. */
static json_t *
ansible_entry(struct inv *in, const char *name, json_t *rec)
{
	json_t *e = json_pack("{s:s}", GF_FIELD_HOST_NAME, name);
	json_t *addr = lookup(rec, v_host);

	if ((addr != NULL ? put(in, e, GF_FIELD_HOST_ADDRESS, addr,
	    K_STRING) : json_object_set_new(e, GF_FIELD_HOST_ADDRESS,
	    json_string(name))) < 0 ||
	    put(in, e, GF_FIELD_HOST_USER, lookup(rec, v_user), K_STRING) < 0 ||
	    put(in, e, GF_FIELD_HOST_PORT, lookup(rec, v_port), K_PORT) < 0 ||
	    put(in, e, GF_FIELD_HOST_KEY, lookup(rec, v_key), K_PATH) < 0 ||
	    put(in, e, GF_FIELD_HOST_KNOWN_HOSTS, lookup(rec, v_known),
	    K_PATH) < 0 ||
	    put(in, e, GF_FIELD_HOST_KEY_SHA256, lookup(rec, v_fp),
	    K_FINGERPRINT) < 0 ||
	    put(in, e, GF_FIELD_HOST_CONNECT_TIMEOUT, lookup(rec, v_timeout),
	    K_SECONDS) < 0 ||
	    put(in, e, GF_FIELD_HOST_SUDO, lookup(rec, v_become), K_BOOL) < 0) {
		json_decref(e);
		return NULL;
	}
	json_object_set(e, GF_FIELD_HOST_ROLES, json_object_get(rec, "roles"));
	return e;
}

static json_t *
read_ansible(struct inv *in, json_t *root)
{
	json_t *none = json_object(), *noroles = json_array(), *all, *out;
	const char *name;
	json_t *n;
	size_t i;
	int rc;

	if ((all = json_object_get(root, "all")) != NULL) {
		rc = read_group(in, "all", all, "all", none, noroles, 0);
	} else {
		/* Groups at the top: all's children without saying so. */
		const char *k;
		json_t *g;

		rc = 0;
		json_object_foreach(root, k, g)
			if ((rc = read_group(in, k, g, k, none, noroles,
			    1)) < 0)
				break;
	}
	json_decref(none);
	json_decref(noroles);
	if (rc < 0)
		return NULL;
	out = json_array();
	json_array_foreach(in->order, i, n) {
		json_t *e;

		name = json_string_value(n);
		e = ansible_entry(in, name, json_object_get(in->recs, name));
		if (e == NULL) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, e);
	}
	return out;
}

/* "[user@]address[:port]", "[v6]:port" into e; 0 or -1. */
static int
parse_target(struct inv *in, const char *at, const char *s, json_t *e)
{
	const char *at_sign = strrchr(s, '@'), *host = at_sign ? at_sign + 1 :
	    s, *colon, *end;
	char *addr;
	long port = 0;

	if (at_sign != NULL) {
		if (at_sign == s)
			return bad(in, at, 0, "the user before '@' is empty");
		json_object_set_new(e, GF_FIELD_HOST_USER,
		    json_stringn(s, (size_t)(at_sign - s)));
	}
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return bad(in, at, 0, "'[' without ']'");
		addr = gf_xstrndup(host + 1, (size_t)(end - host - 1));
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL) {
			free(addr);
			return bad(in, at, 0, "text after ']' is not :PORT");
		}
	} else {
		colon = strchr(host, ':');
		/* Two colons: an IPv6 address without a port. */
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;
		addr = colon ? gf_xstrndup(host, (size_t)(colon - host)) :
		    gf_xstrdup(host);
	}
	if (colon != NULL) {
		char *stop;

		port = strtol(colon + 1, &stop, 10);
		if (colon[1] == '\0' || *stop != '\0' || port < 1 ||
		    port > 65535) {
			free(addr);
			return bad(in, at, 0, "the port must be 1 to 65535");
		}
	}
	if (*addr == '\0') {
		free(addr);
		return bad(in, at, 0, "the address is empty");
	}
	json_object_set_new(e, GF_FIELD_HOST_NAME, json_string(addr));
	json_object_set_new(e, GF_FIELD_HOST_ADDRESS, json_string(addr));
	if (port > 0)
		json_object_set_new(e, GF_FIELD_HOST_PORT, json_integer(port));
	json_object_set_new(e, GF_FIELD_HOST_ROLES, json_array());
	free(addr);
	return 0;
}

static int
list_roles(struct inv *in, json_t *e, json_t *v, const char *at)
{
	json_t *roles = json_array(), *r;
	size_t i;

	if (!json_is_array(v)) {
		json_decref(roles);
		return bad(in, at, 0, "must be a list of roles");
	}
	json_array_foreach(v, i, r) {
		if (!json_is_string(r) || !is_role(json_string_value(r))) {
			char *rat = gf_xasprintf("%s[%zu]", at, i);

			bad(in, rat, 0, "not a role (server, agent, broker, "
			    "control, worker)");
			free(rat);
			json_decref(roles);
			return -1;
		}
		add_role(roles, json_string_value(r));
	}
	json_object_set_new(e, GF_FIELD_HOST_ROLES, roles);
	return 0;
}

static const struct {
	const char *key;
	enum kind kind;
} list_fields[] = {
	{ GF_FIELD_HOST_NAME, K_STRING }, { GF_FIELD_HOST_ADDRESS, K_STRING },
	{ GF_FIELD_HOST_USER, K_STRING }, { GF_FIELD_HOST_PORT, K_PORT },
	{ GF_FIELD_HOST_KEY, K_PATH }, { GF_FIELD_HOST_KNOWN_HOSTS, K_PATH },
	{ GF_FIELD_HOST_KEY_SHA256, K_FINGERPRINT },
	{ GF_FIELD_HOST_CONNECT_TIMEOUT, K_SECONDS },
	{ GF_FIELD_HOST_SUDO, K_BOOL },
};

static json_t *
list_entry(struct inv *in, json_t *item, const char *at)
{
	json_t *e = json_object(), *v;
	const char *k;

	if (json_is_string(item)) {
		if (parse_target(in, at, json_string_value(item), e) == 0)
			return e;
		json_decref(e);
		return NULL;
	}
	if (!json_is_object(item)) {
		json_decref(e);
		bad(in, at, 0, "a host is \"user@address:port\" or a mapping");
		return NULL;
	}
	json_object_set_new(e, GF_FIELD_HOST_ROLES, json_array());
	json_object_foreach(item, k, v) {
		char *kat = join(at, k);
		size_t i;
		int rc = -1;

		for (i = 0; i < GF_ARRAY_LEN(list_fields); i++)
			if (strcmp(list_fields[i].key, k) == 0)
				break;
		if (strcmp(k, GF_FIELD_HOST_ROLES) == 0) {
			rc = list_roles(in, e, v, kat);
		} else if (i == GF_ARRAY_LEN(list_fields)) {
			bad(in, kat, 1, "unknown key (name, address, user, "
			    "port, key, known_hosts, host_key_sha256, "
			    "connect_timeout, sudo, roles)");
		} else {
			json_t *rec = var(v, kat, 0);

			rc = put(in, e, k, rec, list_fields[i].kind);
			json_decref(rec);
		}
		free(kat);
		if (rc < 0) {
			json_decref(e);
			return NULL;
		}
	}
	if (json_object_get(e, GF_FIELD_HOST_ADDRESS) == NULL)
		json_object_set(e, GF_FIELD_HOST_ADDRESS, json_object_get(e,
		    GF_FIELD_HOST_NAME));
	if (json_object_get(e, GF_FIELD_HOST_NAME) == NULL)
		json_object_set(e, GF_FIELD_HOST_NAME, json_object_get(e,
		    GF_FIELD_HOST_ADDRESS));
	if (json_object_get(e, GF_FIELD_HOST_NAME) == NULL) {
		json_decref(e);
		bad(in, at, 0, "a host needs a name or an address");
		return NULL;
	}
	return e;
}

static json_t *
read_list(struct inv *in, json_t *root)
{
	json_t *out = json_array(), *item, *e;
	size_t i;

	json_array_foreach(root, i, item) {
		char *at = gf_xasprintf("[%zu]", i);
		const char *name;

		e = list_entry(in, item, at);
		name = json_string_value(json_object_get(e,
		    GF_FIELD_HOST_NAME));
		if (e != NULL && json_object_get(in->recs, name) != NULL) {
			bad(in, at, 0, "host '%s' is named twice", name);
			json_decref(e);
			e = NULL;
		}
		free(at);
		if (e == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(in->recs, name, json_true());
		json_array_append_new(out, e);
	}
	return out;
}

json_t *
gf_inventory_load(const char *path, struct gf_err *err)
{
	struct inv in = { path, NULL, NULL, NULL, err };
	json_t *root, *hosts = NULL;

	if ((root = gf_yaml_load_marked(path, &in.marks, err)) == NULL)
		return NULL;
	in.recs = json_object();
	in.order = json_array();
	if (json_is_array(root))
		hosts = read_list(&in, root);
	else if (json_is_object(root))
		hosts = read_ansible(&in, root);
	else
		bad(&in, "", 0, "an inventory is a mapping (Ansible's "
		    "hosts.yaml) or a list of hosts");
	if (hosts != NULL && json_array_size(hosts) == 0) {
		bad(&in, "", 0, "no hosts");
		json_decref(hosts);
		hosts = NULL;
	}
	json_decref(in.recs);
	json_decref(in.order);
	json_decref(in.marks);
	json_decref(root);
	return hosts;
}

/* A JSON string is a YAML double-quoted scalar: nothing is taken as YAML. */
static void
quoted(struct gf_buf *b, const char *s)
{
	json_t *j = json_string(s != NULL ? s : "");
	char *q = json_dumps(j, JSON_ENCODE_ANY);

	gf_buf_adds(b, q);
	free(q);
	json_decref(j);
}

static void
scalar_var(struct gf_buf *b, const json_t *h, const char *field,
    const char *var_name)
{
	json_t *v = json_object_get(h, field);
	char *text;

	if (v == NULL)
		return;
	gf_buf_addf(b, "      %s: ", var_name);
	if (json_is_string(v)) {
		quoted(b, json_string_value(v));
	} else {
		text = json_dumps(v, JSON_ENCODE_ANY);
		gf_buf_adds(b, text);
		free(text);
	}
	gf_buf_addc(b, '\n');
}

char *
gf_inventory_ansible(const json_t *hosts)
{
	struct gf_buf b;
	json_t *h, *r;
	size_t i, j;

	gf_buf_init(&b);
	gf_buf_adds(&b, "# The run's hosts, written by gf-provision.\nall:\n"
	    "  hosts:\n");
	json_array_foreach(hosts, i, h) {
		gf_buf_adds(&b, "    ");
		quoted(&b, json_string_value(json_object_get(h,
		    GF_FIELD_HOST_NAME)));
		gf_buf_adds(&b, ":\n");
		scalar_var(&b, h, GF_FIELD_HOST_ADDRESS, "ansible_host");
		scalar_var(&b, h, GF_FIELD_HOST_USER, "ansible_user");
		scalar_var(&b, h, GF_FIELD_HOST_PORT, "ansible_port");
		scalar_var(&b, h, GF_FIELD_HOST_KEY,
		    "ansible_ssh_private_key_file");
		scalar_var(&b, h, GF_FIELD_HOST_KNOWN_HOSTS,
		    "ansible_ssh_known_hosts_file");
		scalar_var(&b, h, GF_FIELD_HOST_KEY_SHA256, "host_key_sha256");
		scalar_var(&b, h, GF_FIELD_HOST_CONNECT_TIMEOUT,
		    "ansible_ssh_timeout");
		scalar_var(&b, h, GF_FIELD_HOST_SUDO, "ansible_become");
	}
	gf_buf_adds(&b, "  children:\n");
	for (size_t k = 0; role_names[k] != NULL; k++) {
		int header = 0;

		json_array_foreach(hosts, i, h)
			json_array_foreach(json_object_get(h,
			    GF_FIELD_HOST_ROLES), j, r) {
				if (strcmp(json_string_value(r),
				    role_names[k]) != 0)
					continue;
				if (!header)
					gf_buf_addf(&b, "    %s:\n      "
					    "hosts:\n", role_names[k]);
				header = 1;
				gf_buf_adds(&b, "        ");
				quoted(&b, json_string_value(json_object_get(h,
				    GF_FIELD_HOST_NAME)));
				gf_buf_adds(&b, ":\n");
			}
	}
	return gf_buf_detach(&b);
}
