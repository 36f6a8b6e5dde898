/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XML answers of AWS Query APIs (EC2), read with expat into JSON. The
 * one module that includes <expat.h>.
 *
 * The shape follows the APIs' own convention, where every list is an
 * element whose children are all <item>:
 *	an element with text only	a string ("" when empty)
 *	an element whose children are all <item>	an array of them
 *	any other element with children	an object by child name (a name
 *					seen twice keeps the last)
 * Attributes and the root's name are dropped: the root is returned as
 * its content.
 */
#ifndef GF_XML_H
#define GF_XML_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"

/*
 * Parse len bytes of text. Returns a new reference, or NULL with err (65
 * naming line:column and expat's reason; what is prefixed by the
 * message).
 */
json_t *gf_xml_parse(const char *text, size_t len, const char *what,
    struct gf_err *err);

/*
 * The array at a path of object keys separated by '/' under v
 * ("reservationSet"), borrowed from v; NULL when it is missing or empty
 * (an empty list element is ""), which json_array_foreach and
 * json_array_size take as an empty array.
 */
json_t *gf_xml_list(json_t *v, const char *path);

/* The string at a '/' path under v, or NULL. Borrowed from v. */
const char *gf_xml_str(const json_t *v, const char *path);

#endif
