/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_xml: EC2's answers and errors (real EC2's <Response> and moto's
 * <ErrorResponse>) read into JSON by the list-of-<item> convention;
 * empty lists, text with entities and CDATA; malformed or too deeply
 * nested input refused with 65 and a position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_xml.h"
#include "tap.h"

static json_t *
parse(const char *text, struct gf_err *err)
{
	return gf_xml_parse(text, strlen(text), "test", err);
}

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_buf deep = GF_BUF_INIT;
	json_t *x, *l;

	x = parse("<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/"
	    "doc/2016-11-15/\"><requestId>r1</requestId><reservationSet>"
	    "<item><instancesSet><item><instanceId>i-1</instanceId>"
	    "<instanceState><code>16</code><name>running</name>"
	    "</instanceState><tagSet><item><key>gf:run</key><value>a&amp;b"
	    "</value></item></tagSet></item><item><instanceId>i-2"
	    "</instanceId></item></instancesSet></item></reservationSet>"
	    "</DescribeInstancesResponse>", &err);
	ok(x != NULL, "a DescribeInstances answer parses");
	l = gf_xml_list(json_array_get(gf_xml_list(x, "reservationSet"), 0),
	    "instancesSet");
	ok(json_array_size(l) == 2, "a list of <item> is an array (%zu)",
	    json_array_size(l));
	ok(strcmp(gf_xml_str(json_array_get(l, 0), "instanceState/name"),
	    "running") == 0, "a path reaches nested text");
	ok(strcmp(gf_xml_str(json_array_get(gf_xml_list(json_array_get(l, 0),
	    "tagSet"), 0), "value"), "a&b") == 0, "entities are decoded");
	ok(gf_xml_str(x, "requestId") != NULL &&
	    gf_xml_str(x, "nothing/here") == NULL, "a missing path is NULL");
	json_decref(x);

	x = parse("<DescribeInstancesResponse><reservationSet/>"
	    "</DescribeInstancesResponse>", &err);
	ok(x != NULL && gf_xml_list(x, "reservationSet") == NULL &&
	    json_array_size(gf_xml_list(x, "reservationSet")) == 0,
	    "an empty list reads as no array");
	json_decref(x);

	x = parse("<?xml version=\"1.0\"?>\n<Response><Errors><Error><Code>"
	    "AuthFailure</Code><Message><![CDATA[not <valid>]]></Message>"
	    "</Error></Errors><RequestID>r</RequestID></Response>", &err);
	ok(x != NULL && strcmp(gf_xml_str(x, "Errors/Error/Code"),
	    "AuthFailure") == 0 && strcmp(gf_xml_str(x,
	    "Errors/Error/Message"), "not <valid>") == 0,
	    "EC2's error answer gives its code and message");
	json_decref(x);

	gf_err_clear(&err);
	x = parse("<a>\n<b></a>", &err);
	ok(x == NULL && err.exit == GF_EXIT_DATAERR &&
	    strstr(err.msg, "test: 2:") != NULL,
	    "malformed XML is 65 with its line (%s)", err.msg);

	gf_err_clear(&err);
	x = parse("", &err);
	ok(x == NULL && err.exit == GF_EXIT_DATAERR, "empty input is 65");

	for (int i = 0; i < 100; i++)
		gf_buf_adds(&deep, "<a>");
	for (int i = 0; i < 100; i++)
		gf_buf_adds(&deep, "</a>");
	gf_err_clear(&err);
	x = parse(gf_buf_str(&deep), &err);
	ok(x == NULL && strstr(err.msg, "nested too deep") != NULL,
	    "nesting past the limit is refused (%s)", err.msg);
	gf_buf_release(&deep);
	return done_testing();
}
