/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <jansson.h>

#include "gf_xml.h"
#include "gf_buf.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Deep enough for any AWS answer; deeper input is refused. */
#define MAX_DEPTH 64

struct frame {
	char *name;
	json_t *children;	/* array of [name, value] pairs, or NULL */
	struct gf_buf text;
};

struct parse {
	XML_Parser xp;
	struct frame stack[MAX_DEPTH];
	int depth;
	json_t *root;
	int too_deep;
};

/* A closed element's value by the rules of gf_xml.h. */
static json_t *
value_of(struct frame *f)
{
	json_t *out, *pair;
	size_t i;
	int all_items = 1;

	if (f->children == NULL)
		return json_string(gf_buf_str(&f->text));
	json_array_foreach(f->children, i, pair)
		if (strcmp(json_string_value(json_array_get(pair, 0)),
		    "item") != 0)
			all_items = 0;
	out = all_items ? json_array() : json_object();
	json_array_foreach(f->children, i, pair) {
		json_t *v = json_array_get(pair, 1);

		if (all_items)
			json_array_append(out, v);
		else
			json_object_set(out, json_string_value(
			    json_array_get(pair, 0)), v);
	}
	return out;
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct parse *p = arg;
	struct frame *f;

	(void)attrs;
	if (p->depth >= MAX_DEPTH) {
		p->too_deep = 1;
		XML_StopParser(p->xp, XML_FALSE);
		return;
	}
	f = &p->stack[p->depth++];
	f->name = gf_xstrdup(name);
	f->children = NULL;
	gf_buf_init(&f->text);
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
	struct parse *p = arg;
	struct frame *f = &p->stack[--p->depth];
	json_t *v = value_of(f);

	(void)name;
	if (p->depth == 0) {
		json_decref(p->root);
		p->root = v;
	} else {
		struct frame *up = &p->stack[p->depth - 1];

		if (up->children == NULL)
			up->children = json_array();
		json_array_append_new(up->children, json_pack("[s,o]",
		    f->name, v));
	}
	free(f->name);
	json_decref(f->children);
	gf_buf_release(&f->text);
}

static void XMLCALL
on_text(void *arg, const XML_Char *s, int len)
{
	struct parse *p = arg;

	if (p->depth > 0)
		gf_buf_add(&p->stack[p->depth - 1].text, s, (size_t)len);
}

json_t *
gf_xml_parse(const char *text, size_t len, const char *what,
    struct gf_err *err)
{
	struct parse p;
	json_t *root = NULL;
	enum XML_Status st;

	memset(&p, 0, sizeof(p));
	if ((p.xp = XML_ParserCreate("UTF-8")) == NULL)
		GF_BUG("XML_ParserCreate: out of memory");
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, on_start, on_end);
	XML_SetCharacterDataHandler(p.xp, on_text);
	st = XML_Parse(p.xp, text, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK || p.too_deep || p.root == NULL)
		gf_err_set(err, GF_EXIT_DATAERR, "xml", "%s: %lu:%lu: %s",
		    what, (unsigned long)XML_GetCurrentLineNumber(p.xp),
		    (unsigned long)XML_GetCurrentColumnNumber(p.xp) + 1,
		    p.too_deep ? "elements nested too deep" :
		    p.root == NULL && st == XML_STATUS_OK ? "no element" :
		    XML_ErrorString(XML_GetErrorCode(p.xp)));
	else
		root = json_incref(p.root);
	while (p.depth > 0) {
		struct frame *f = &p.stack[--p.depth];

		free(f->name);
		json_decref(f->children);
		gf_buf_release(&f->text);
	}
	json_decref(p.root);
	XML_ParserFree(p.xp);
	return root;
}

static json_t *
walk(const json_t *v, const char *path)
{
	char *copy = gf_xstrdup(path), *save = NULL, *k;

	for (k = strtok_r(copy, "/", &save); k != NULL && v != NULL;
	    k = strtok_r(NULL, "/", &save))
		v = json_object_get(v, k);
	free(copy);
	return (json_t *)v;
}

json_t *
gf_xml_list(json_t *v, const char *path)
{
	json_t *l = walk(v, path);

	return json_is_array(l) ? l : NULL;
}

const char *
gf_xml_str(const json_t *v, const char *path)
{
	return json_string_value(walk(v, path));
}
