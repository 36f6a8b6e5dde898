/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "gf_yaml.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

struct anchor {
	char *name;
	json_t *value;
};

struct parser {
	yaml_parser_t yp;
	const char *name;
	struct gf_err *err;
	struct anchor *anchors;
	size_t nanchors;
	int depth;
	json_t *marks;		/* path -> [line, col], or NULL */
	int in_key;		/* keys are not nodes of their own path */
	struct gf_buf path;	/* of the node being parsed */
};

static json_t *parse_node(struct parser *p, yaml_event_t *ev);

static int
next_event(struct parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->yp, ev)) {
		yaml_mark_t m = p->yp.problem_mark;

		return gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
		    "%s:%zu:%zu: %s%s%s", p->name, m.line + 1, m.column + 1,
		    p->yp.problem != NULL ? p->yp.problem : "syntax error",
		    p->yp.context != NULL ? " " : "",
		    p->yp.context != NULL ? p->yp.context : "");
	}
	return 0;
}

static void
remember(struct parser *p, const yaml_char_t *anchor, json_t *value)
{
	if (anchor == NULL)
		return;
	p->anchors = gf_xreallocarray(p->anchors, p->nanchors + 1,
	    sizeof(*p->anchors));
	p->anchors[p->nanchors].name = gf_xstrdup((const char *)anchor);
	p->anchors[p->nanchors].value = json_incref(value);
	p->nanchors++;
}

static int
is_plain_match(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static json_t *
scalar_value(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
		NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes",
		"Yes", "YES", "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no",
		"No", "NO", "off", "Off", "OFF", NULL };
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	char *end;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    ev->data.scalar.tag != NULL)
		return json_stringn(s, len);
	if (is_plain_match(s, nulls))
		return json_null();
	if (is_plain_match(s, trues))
		return json_true();
	if (is_plain_match(s, falses))
		return json_false();
	if (len > 0 && strspn(s, "+-0123456789") == len) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (*end == '\0' && errno == 0)
			return json_integer(v);
	}
	if (len > 0 && strspn(s, "+-0123456789.eE") == len &&
	    strpbrk(s, "0123456789") != NULL) {
		double d = strtod(s, &end);

		if (*end == '\0' && isfinite(d))
			return json_real(d);
	}
	if (strcmp(s, ".inf") == 0 || strcmp(s, ".nan") == 0)
		return json_stringn(s, len);
	return json_stringn(s, len);
}

static json_t *
parse_mapping(struct parser *p)
{
	json_t *obj = json_object();
	yaml_event_t ev;

	for (;;) {
		json_t *key, *val;

		if (next_event(p, &ev) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return obj;
		}
		yaml_mark_t km = ev.start_mark;

		p->in_key = 1;
		key = parse_node(p, &ev);
		p->in_key = 0;
		if (key == NULL)
			goto fail;
		/*
		 * A mapping or a list as a key would be written out as its
		 * JSON text, and keys nested in keys double their escapes
		 * at each level: 200 bytes could ask for exabytes.
		 */
		if (json_is_object(key) || json_is_array(key)) {
			gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
			    "%s:%zu:%zu: a key must be a scalar, not a %s",
			    p->name, km.line + 1, km.column + 1,
			    json_is_object(key) ? "mapping" : "list");
			json_decref(key);
			goto fail;
		}
		if (!json_is_string(key)) {
			char *k = json_dumps(key, JSON_ENCODE_ANY);

			/* Integer and boolean keys are common in YAML: keep
			 * them as their text. */
			json_decref(key);
			if (k == NULL)
				goto fail;
			key = json_string(k);
			free(k);
		}
		if (json_object_get(obj, json_string_value(key)) != NULL) {
			gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
			    "%s:%zu:%zu: duplicate key '%s'", p->name,
			    km.line + 1, km.column + 1, json_string_value(key));
			json_decref(key);
			goto fail;
		}
		if (next_event(p, &ev) < 0) {
			json_decref(key);
			goto fail;
		}
		size_t saved = p->path.len;

		if (saved > 0)
			gf_buf_addc(&p->path, '.');
		gf_buf_adds(&p->path, json_string_value(key));
		val = parse_node(p, &ev);
		if (p->marks != NULL) {
			json_t *m = json_object_get(p->marks,
			    gf_buf_str(&p->path));

			json_array_append_new(m, json_integer((json_int_t)
			    km.line + 1));
			json_array_append_new(m, json_integer((json_int_t)
			    km.column + 1));
		}
		p->path.len = saved;
		if (p->path.data != NULL)
			p->path.data[saved] = '\0';
		if (val == NULL) {
			json_decref(key);
			goto fail;
		}
		json_object_set_new(obj, json_string_value(key), val);
		json_decref(key);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *
parse_sequence(struct parser *p)
{
	json_t *arr = json_array();
	yaml_event_t ev;

	for (;;) {
		size_t saved = p->path.len;
		json_t *val;

		if (next_event(p, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return arr;
		}
		gf_buf_addf(&p->path, "[%zu]", json_array_size(arr));
		val = parse_node(p, &ev);
		p->path.len = saved;
		p->path.data[saved] = '\0';
		if (val == NULL)
			goto fail;
		json_array_append_new(arr, val);
	}
fail:
	json_decref(arr);
	return NULL;
}

/* Consumes ev (deletes it). */
static json_t *
parse_node(struct parser *p, yaml_event_t *ev)
{
	json_t *v = NULL;
	yaml_mark_t m = ev->start_mark;

	if (p->marks != NULL && !p->in_key)
		json_object_set_new(p->marks, gf_buf_str(&p->path),
		    json_pack("[I,I]", (json_int_t)m.line + 1,
		    (json_int_t)m.column + 1));
	if (++p->depth > 256) {
		gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
		    "%s:%zu:%zu: nesting deeper than 256 levels", p->name,
		    m.line + 1, m.column + 1);
		yaml_event_delete(ev);
		p->depth--;
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		v = scalar_value(ev);
		remember(p, ev->data.scalar.anchor, v);
		break;
	case YAML_SEQUENCE_START_EVENT: {
		yaml_char_t *anchor = ev->data.sequence_start.anchor;
		char *a = anchor ? gf_xstrdup((char *)anchor) : NULL;

		v = parse_sequence(p);
		if (v != NULL)
			remember(p, (yaml_char_t *)a, v);
		free(a);
		break;
	}
	case YAML_MAPPING_START_EVENT: {
		yaml_char_t *anchor = ev->data.mapping_start.anchor;
		char *a = anchor ? gf_xstrdup((char *)anchor) : NULL;

		v = parse_mapping(p);
		if (v != NULL)
			remember(p, (yaml_char_t *)a, v);
		free(a);
		break;
	}
	case YAML_ALIAS_EVENT:
		for (size_t i = p->nanchors; i-- > 0;)
			if (strcmp(p->anchors[i].name,
			    (char *)ev->data.alias.anchor) == 0) {
				v = json_deep_copy(p->anchors[i].value);
				break;
			}
		if (v == NULL)
			gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
			    "%s:%zu:%zu: unknown alias '%s'", p->name,
			    m.line + 1, m.column + 1,
			    (char *)ev->data.alias.anchor);
		break;
	default:
		gf_err_set(p->err, GF_EXIT_DATAERR, "yaml",
		    "%s:%zu:%zu: unexpected YAML event", p->name, m.line + 1,
		    m.column + 1);
	}
	yaml_event_delete(ev);
	p->depth--;
	return v;
}

json_t *
gf_yaml_parse(const char *text, size_t len, const char *name,
    struct gf_err *err)
{
	return gf_yaml_parse_marked(text, len, name, NULL, err);
}

json_t *
gf_yaml_parse_marked(const char *text, size_t len, const char *name,
    json_t **marks, struct gf_err *err)
{
	struct parser p = { .name = name, .err = err };

	gf_buf_init(&p.path);
	if (marks != NULL) {
		*marks = NULL;
		p.marks = json_object();
	}
	json_t *result = NULL;
	yaml_event_t ev;
	int done = 0;

	if (!yaml_parser_initialize(&p.yp))
		GF_BUG("yaml_parser_initialize");
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);
	while (!done) {
		if (next_event(&p, &ev) < 0)
			goto fail;
		switch (ev.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_START_EVENT:
			yaml_event_delete(&ev);
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			done = 1;
			break;
		default:
			if (result != NULL) {
				yaml_event_delete(&ev);
				done = 1;
				break;
			}
			result = parse_node(&p, &ev);
			if (result == NULL)
				goto fail;
		}
	}
	if (result == NULL)
		result = json_null();
	goto out;
fail:
	json_decref(result);
	result = NULL;
out:
	for (size_t i = 0; i < p.nanchors; i++) {
		free(p.anchors[i].name);
		json_decref(p.anchors[i].value);
	}
	free(p.anchors);
	yaml_parser_delete(&p.yp);
	gf_buf_release(&p.path);
	if (marks != NULL && result != NULL)
		*marks = p.marks;
	else
		json_decref(p.marks);
	return result;
}

json_t *
gf_yaml_load(const char *path, struct gf_err *err)
{
	return gf_yaml_load_marked(path, NULL, err);
}

json_t *
gf_yaml_load_marked(const char *path, json_t **marks, struct gf_err *err)
{
	size_t len;
	char *text = gf_fs_read(path, 0, &len, err);
	json_t *v;

	if (text == NULL)
		return NULL;
	v = gf_yaml_parse_marked(text, len, path, marks, err);
	free(text);
	return v;
}

static int
mark_at(const json_t *marks, const char *path, size_t idx, size_t *line,
    size_t *col)
{
	json_t *m = json_object_get(marks, path != NULL ? path : "");

	if (!json_is_array(m))
		return -1;
	if (json_array_size(m) < idx + 2)
		idx = 0;
	*line = (size_t)json_integer_value(json_array_get(m, idx));
	*col = (size_t)json_integer_value(json_array_get(m, idx + 1));
	return 0;
}

int
gf_yaml_mark(const json_t *marks, const char *path, size_t *line,
    size_t *col)
{
	return mark_at(marks, path, 0, line, col);
}

int
gf_yaml_mark_key(const json_t *marks, const char *path, size_t *line,
    size_t *col)
{
	return mark_at(marks, path, 2, line, col);
}
