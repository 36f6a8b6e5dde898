/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aws provider: EC2 instances started for the run and terminated by
 * down. Leak-proofing comes first:
 *
 * - The cleanup entry is written (and the state file saved) before
 *   RunInstances is sent. It names the run, the region and the endpoint,
 *   so down finds the run's instances by their gf:run tag even when the
 *   tool was killed before it learnt their ids; the ids are added as
 *   soon as EC2 answers.
 * - Every instance carries gf:run (the run id) and gf:deadline (RFC
 *   3339) from creation (TagSpecifications), shuts itself down at the
 *   deadline (a timer in its user data) and is terminated, not stopped,
 *   when it does (InstanceInitiatedShutdownBehavior). sweep removes the
 *   tagged instances whose deadline has passed.
 * - RunInstances carries a ClientToken derived from the run id: a retry
 *   of the same run cannot start a second set.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_ec2.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_section.h"
#include "gf_xalloc.h"
#include "gf_xml.h"
#include "gf_banned.h"

#define TAG_RUN "gf:run"
#define TAG_DEADLINE "gf:deadline"
#define DEFAULT_LIFETIME (6 * 3600.0)
#define DEFAULT_SSH_WAIT 600.0
#define RUNNING_WAIT 600.0
#define POLL_INTERVAL 2.0
#define PROGRESS_EVERY 15.0

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
base64(const char *s)
{
	size_t n = strlen(s);
	struct gf_buf b = GF_BUF_INIT;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		gf_buf_addc(&b, b64[(v >> 18) & 63]);
		gf_buf_addc(&b, b64[(v >> 12) & 63]);
		gf_buf_addc(&b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		gf_buf_addc(&b, i + 2 < n ? b64[v & 63] : '=');
	}
	return gf_buf_detach(&b);
}

/* Every instance of the answer of RunInstances or DescribeInstances. */
static json_t *
instances_of(json_t *x)
{
	json_t *out = json_array(), *r, *i;
	size_t k, l;

	if (gf_xml_list(x, "reservationSet") == NULL) {
		json_array_foreach(gf_xml_list(x, "instancesSet"), k, i)
			json_array_append(out, i);
		return out;
	}
	json_array_foreach(gf_xml_list(x, "reservationSet"), k, r)
		json_array_foreach(gf_xml_list(r, "instancesSet"), l, i)
			json_array_append(out, i);
	return out;
}

static const char *
tag_of(json_t *inst, const char *key)
{
	json_t *t;
	size_t i;

	json_array_foreach(gf_xml_list(inst, "tagSet"), i, t) {
		const char *k = gf_xml_str(t, "key");

		if (k != NULL && strcmp(k, key) == 0)
			return gf_xml_str(t, "value");
	}
	return NULL;
}

static int
gone(const char *state)
{
	return state == NULL || strcmp(state, "terminated") == 0 ||
	    strcmp(state, "shutting-down") == 0;
}

/*
 * DescribeInstances with one filter, every page; the instances (a new
 * array) or NULL with err.
 */
static json_t *
describe(struct gf_ec2 *ec2, const char *filter, const json_t *values,
    struct gf_err *err)
{
	struct gf_buf p = GF_BUF_INIT;
	json_t *out = json_array(), *x, *page, *v;
	char *next = NULL;
	size_t i;

	do {
		gf_buf_reset(&p);
		gf_ec2_param(&p, "Filter.1.Name", filter);
		json_array_foreach(values, i, v) {
			char name[48];

			snprintf(name, sizeof(name), "Filter.1.Value.%zu",
			    i + 1);
			gf_ec2_param(&p, name, json_string_value(v));
		}
		if (next != NULL)
			gf_ec2_param(&p, "NextToken", next);
		free(next);
		next = NULL;
		if ((x = gf_ec2_call(ec2, "DescribeInstances", &p, err)) ==
		    NULL) {
			json_decref(out);
			out = NULL;
			break;
		}
		page = instances_of(x);
		json_array_extend(out, page);
		json_decref(page);
		if (gf_xml_str(x, "nextToken") != NULL &&
		    *gf_xml_str(x, "nextToken") != '\0')
			next = gf_xstrdup(gf_xml_str(x, "nextToken"));
		json_decref(x);
	} while (next != NULL);
	gf_buf_release(&p);
	return out;
}

/* TerminateInstances for ids (strings); ids already gone are success. */
static int
terminate(struct gf_ec2 *ec2, const json_t *ids, struct gf_err *err)
{
	struct gf_buf p = GF_BUF_INIT;
	json_t *x, *v;
	size_t i;

	if (json_array_size(ids) == 0)
		return 0;
	json_array_foreach(ids, i, v) {
		char name[32];

		snprintf(name, sizeof(name), "InstanceId.%zu", i + 1);
		gf_ec2_param(&p, name, json_string_value(v));
	}
	x = gf_ec2_call(ec2, "TerminateInstances", &p, err);
	gf_buf_release(&p);
	json_decref(x);
	if (x != NULL)
		return 0;
	if (strcmp(gf_ec2_last_code(ec2), "InvalidInstanceID.NotFound") != 0)
		return -1;
	/* One unknown id fails the whole call: the others one by one. */
	if (json_array_size(ids) > 1)
		json_array_foreach(ids, i, v) {
			json_t *one = json_pack("[O]", v);
			int rc = terminate(ec2, one, err);

			json_decref(one);
			if (rc < 0)
				return -1;
		}
	gf_err_clear(err);
	return 0;
}

static void
progress(const struct gf_provider_opts *o, const char *fmt, ...)
    GF_PRINTF(2, 3);

static void
progress(const struct gf_provider_opts *o, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	if (o->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->progress(line, o->progress_arg);
}

static void
checkpoint(const struct gf_provider_opts *o)
{
	if (o->checkpoint != NULL)
		o->checkpoint(o->checkpoint_arg);
}

/*
 * The cleanup entry of this attempt, in the document and the state file
 * before anything is asked. A run whose entry is still pending (up was
 * killed or failed) takes that entry and its ClientToken again, so EC2
 * answers with the instances it already started; once the entry was
 * released by down, a new attempt gets a new token. Borrowed from doc.
 */
static json_t *
record(json_t *doc, struct gf_ec2 *ec2, const char *run, double life,
    const struct gf_provider_opts *o)
{
	json_t *cleanup = json_object_get(doc, GF_SECTION_CLEANUP), *e;
	size_t i, attempt = 0;
	char deadline[32], *token;

	json_array_foreach(cleanup, i, e) {
		const char *prov = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_PROVIDER));
		const char *r = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_RUN));

		const char *kind = json_string_value(json_object_get(e,
		    GF_FIELD_CLEANUP_KIND));

		if (prov == NULL || strcmp(prov, "aws") != 0 || r == NULL ||
		    strcmp(r, run) != 0 || kind == NULL ||
		    strcmp(kind, "instance") != 0)
			continue;
		if (json_object_get(e, GF_FIELD_CLEANUP_RELEASED) != NULL) {
			attempt++;
			continue;
		}
		checkpoint(o);
		return e;
	}
	/* EC2 takes at most 64 ASCII characters. */
	token = attempt == 0 ? gf_xasprintf("gf-%.61s", run) :
	    gf_xasprintf("gf-%.50s-%zu", run, attempt);
	gf_time_format(gf_time_now() + life, 0, deadline);
	e = json_pack("{s:s+,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[]}",
	    GF_FIELD_CLEANUP_ID, "aws:", token, GF_FIELD_CLEANUP_KIND,
	    "instance", GF_FIELD_CLEANUP_PROVIDER, "aws",
	    GF_FIELD_CLEANUP_TOOL, "gf-provision", GF_FIELD_CLEANUP_RUN, run,
	    GF_FIELD_CLEANUP_CLIENT_TOKEN, token, GF_FIELD_CLEANUP_REGION,
	    gf_ec2_region(ec2), GF_FIELD_CLEANUP_DEADLINE, deadline,
	    GF_FIELD_CLEANUP_INSTANCES);
	free(token);
	if (gf_ec2_endpoint(ec2) != NULL)
		json_object_set_new(e, GF_FIELD_CLEANUP_ENDPOINT,
		    json_string(gf_ec2_endpoint(ec2)));
	if (!json_is_array(cleanup)) {
		cleanup = json_array();
		gf_doc_set(doc, GF_SECTION_CLEANUP, cleanup);
	}
	json_array_append_new(cleanup, e);
	checkpoint(o);
	return e;
}

static json_t *
run_instances(struct gf_ec2 *ec2, const struct gf_provider_opts *o,
    const char *key_name, const char *run, const char *token,
    const char *deadline, double life, struct gf_err *err)
{
	struct gf_buf p = GF_BUF_INIT;
	long n = o->count > 0 ? o->count : 1;
	char *script, *data;
	json_t *x, *list;

	/* The instance stops itself at the deadline even if gf never comes
	 * back; shutting down terminates it. */
	script = gf_xasprintf("#!/bin/sh\nshutdown -h +%ld "
	    "'gf: run %s reached its deadline'\n",
	    (long)(life / 60) > 0 ? (long)(life / 60) : 1L, run);
	data = base64(script);
	gf_ec2_param(&p, "ImageId", o->image);
	gf_ec2_param(&p, "InstanceType", o->instance_type);
	gf_ec2_paramf(&p, "MinCount", "%ld", n);
	gf_ec2_paramf(&p, "MaxCount", "%ld", n);
	gf_ec2_param(&p, "ClientToken", token);
	gf_ec2_param(&p, "InstanceInitiatedShutdownBehavior", "terminate");
	gf_ec2_param(&p, "UserData", data);
	if (o->spot) {
		/* One-time: an interrupted spot instance is gone for good. */
		gf_ec2_param(&p, "InstanceMarketOptions.MarketType", "spot");
		gf_ec2_param(&p, "InstanceMarketOptions.SpotOptions."
		    "SpotInstanceType", "one-time");
		gf_ec2_param(&p, "InstanceMarketOptions.SpotOptions."
		    "InstanceInterruptionBehavior", "terminate");
	}
	if (key_name != NULL)
		gf_ec2_param(&p, "KeyName", key_name);
	if (o->subnet != NULL)
		gf_ec2_param(&p, "SubnetId", o->subnet);
	if (o->security_group != NULL)
		gf_ec2_param(&p, "SecurityGroupId.1", o->security_group);
	gf_ec2_param(&p, "TagSpecification.1.ResourceType", "instance");
	gf_ec2_param(&p, "TagSpecification.1.Tag.1.Key", TAG_RUN);
	gf_ec2_param(&p, "TagSpecification.1.Tag.1.Value", run);
	gf_ec2_param(&p, "TagSpecification.1.Tag.2.Key", TAG_DEADLINE);
	gf_ec2_param(&p, "TagSpecification.1.Tag.2.Value", deadline);
	gf_ec2_param(&p, "TagSpecification.1.Tag.3.Key", "Name");
	gf_ec2_paramf(&p, "TagSpecification.1.Tag.3.Value", "gf-%s", run);
	x = gf_ec2_call(ec2, "RunInstances", &p, err);
	gf_buf_release(&p);
	free(script);
	free(data);
	if (x == NULL)
		return NULL;
	list = instances_of(x);
	json_decref(x);
	return list;
}

/* Until every instance of ids is running: their descriptions, or NULL. */
static json_t *
wait_running(struct gf_ec2 *ec2, const json_t *ids,
    const struct gf_provider_opts *o, struct gf_err *err)
{
	double start = gf_time_monotonic(), said = start;

	for (;;) {
		json_t *list = describe(ec2, "instance-id", ids, err), *i;
		size_t k, running = 0;

		if (list == NULL)
			return NULL;
		json_array_foreach(list, k, i) {
			const char *st = gf_xml_str(i, "instanceState/name");

			if (st != NULL && strcmp(st, "running") == 0)
				running++;
			else if (st != NULL && strcmp(st, "pending") != 0) {
				gf_err_set(err, GF_EXIT_UNAVAILABLE, "aws",
				    "instance %s is %s instead of running",
				    gf_xml_str(i, "instanceId"), st);
				json_decref(list);
				return NULL;
			}
		}
		if (running == json_array_size(ids) &&
		    json_array_size(list) == running)
			return list;
		json_decref(list);
		if (gf_time_monotonic() - start > RUNNING_WAIT) {
			gf_err_set(err, GF_EXIT_TEMPFAIL, "aws", "%zu of %zu "
			    "instance(s) not running after %.0f s",
			    json_array_size(ids) - running,
			    json_array_size(ids), RUNNING_WAIT);
			return NULL;
		}
		if (gf_time_monotonic() - said >= PROGRESS_EVERY) {
			said = gf_time_monotonic();
			progress(o, "aws: %zu of %zu instance(s) running after "
			    "%.0f s", running, json_array_size(ids),
			    said - start);
		}
		gf_time_sleep(POLL_INTERVAL, 0);
	}
}

/* The document's host entry of a running instance. */
static json_t *
host_of(json_t *inst, const struct gf_provider_opts *o)
{
	const char *id = gf_xml_str(inst, "instanceId");
	const char *addr = gf_xml_str(inst, "ipAddress");
	double wait = o->ssh_wait > 0 ? o->ssh_wait : DEFAULT_SSH_WAIT;
	json_t *h;

	if (o->private_address || addr == NULL || *addr == '\0')
		addr = gf_xml_str(inst, "privateIpAddress");
	h = json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s,s:s}", GF_FIELD_HOST_NAME,
	    id, GF_FIELD_HOST_PROVIDER, "aws", GF_FIELD_HOST_PROVIDER_ID, id,
	    GF_FIELD_HOST_ROLES, "worker", GF_FIELD_HOST_ADDRESS,
	    addr != NULL ? addr : "", GF_FIELD_HOST_CONNECTION, "ssh",
	    GF_FIELD_HOST_USER, o->ssh_user != NULL ? o->ssh_user :
	    "ec2-user");
	if (o->ssh_key != NULL) {
		char *abs = gf_section_path(o->ssh_key);

		json_object_set_new(h, GF_FIELD_HOST_KEY, json_string(abs));
		free(abs);
	}
	/* A new instance has a new host key: trusted once, then pinned. */
	json_object_set_new(h, GF_FIELD_HOST_KEY_TOFU, json_true());
	json_object_set_new(h, GF_FIELD_HOST_CONNECT_TIMEOUT,
	    json_integer(wait < 10 ? (json_int_t)wait + 1 : 10));
	return h;
}

/* Until every host answers over SSH; their facts merged into hosts. */
static int
wait_ssh(json_t *hosts, const struct gf_provider_opts *o, struct gf_err *err)
{
	double wait = o->ssh_wait > 0 ? o->ssh_wait : DEFAULT_SSH_WAIT;
	double start = gf_time_monotonic();

	for (;;) {
		json_t *res = gf_provider_ssh_probe(hosts, 1, err), *r, *v;
		const char *k, *why = NULL;
		size_t i;

		if (res == NULL)
			return -1;
		json_array_foreach(res, i, r)
			if (why == NULL && json_object_get(r, "exit") != NULL)
				why = json_string_value(json_object_get(r,
				    "msg"));
		if (why == NULL) {
			json_array_foreach(res, i, r) {
				json_t *h = json_array_get(hosts, i);

				json_object_foreach(json_object_get(r, "host"),
				    k, v)
					if (json_object_get(h, k) == NULL)
						json_object_set(h, k, v);
				json_object_set(h, GF_FIELD_HOST_CLOCK_OFFSET,
				    json_object_get(r, "clock_offset"));
				json_object_set(h, GF_FIELD_HOST_KEY_SHA256,
				    json_object_get(r, "host_key"));
				json_object_del(h, GF_FIELD_HOST_KEY_TOFU);
			}
			json_decref(res);
			return 0;
		}
		if (gf_time_monotonic() - start >= wait) {
			gf_err_set(err, GF_EXIT_TEMPFAIL, "aws", "no SSH "
			    "answer from the instance(s) within %.0f s (give "
			    "--no-ssh for instances no SSH can reach): %s",
			    wait, why);
			json_decref(res);
			return -1;
		}
		progress(o, "aws: waiting for SSH (%.0f s): %s",
		    gf_time_monotonic() - start, why);
		json_decref(res);
		gf_time_sleep(POLL_INTERVAL, 0);
	}
}

/*
 * --import-key: the public key imported as the key pair named after the
 * instance entry's token, tagged like the instances; its own cleanup
 * entry is saved first. Already imported (an earlier attempt of the run)
 * is success. Returns the key pair's name (borrowed from doc) or NULL.
 */
static const char *
import_key(json_t *doc, struct gf_ec2 *ec2, const json_t *inst,
    const struct gf_provider_opts *o, struct gf_err *err)
{
	const char *token = json_string_value(json_object_get(inst,
	    GF_FIELD_CLEANUP_CLIENT_TOKEN));
	json_t *cleanup = json_object_get(doc, GF_SECTION_CLEANUP), *e, *x;
	struct gf_buf p = GF_BUF_INIT;
	char *pub, *data;
	size_t len;

	if ((pub = gf_fs_read(o->import_key, 16384, &len, err)) == NULL)
		return NULL;
	while (len > 0 && (pub[len - 1] == '\n' || pub[len - 1] == '\r'))
		pub[--len] = '\0';
	e = json_pack("{s:s+,s:s,s:s,s:s,s:O,s:O,s:O,s:s}",
	    GF_FIELD_CLEANUP_ID, "aws-key:", token, GF_FIELD_CLEANUP_KIND,
	    "key-pair", GF_FIELD_CLEANUP_PROVIDER, "aws",
	    GF_FIELD_CLEANUP_TOOL, "gf-provision", GF_FIELD_CLEANUP_RUN,
	    json_object_get(inst, GF_FIELD_CLEANUP_RUN),
	    GF_FIELD_CLEANUP_REGION, json_object_get(inst,
	    GF_FIELD_CLEANUP_REGION), GF_FIELD_CLEANUP_DEADLINE,
	    json_object_get(inst, GF_FIELD_CLEANUP_DEADLINE),
	    GF_FIELD_CLEANUP_KEY_NAME, token);
	if (json_object_get(inst, GF_FIELD_CLEANUP_ENDPOINT) != NULL)
		json_object_set(e, GF_FIELD_CLEANUP_ENDPOINT,
		    json_object_get(inst, GF_FIELD_CLEANUP_ENDPOINT));
	/* Given back after the instances that use it (reverse order); an
	 * earlier attempt's entry is kept as it is. */
	json_array_foreach(cleanup, len, x)
		if (json_equal(json_object_get(x, GF_FIELD_CLEANUP_ID),
		    json_object_get(e, GF_FIELD_CLEANUP_ID))) {
			json_decref(e);
			e = NULL;
			break;
		}
	if (e != NULL)
		json_array_insert_new(cleanup, json_array_size(cleanup) - 1,
		    e);
	checkpoint(o);
	data = base64(pub);
	free(pub);
	gf_ec2_param(&p, "KeyName", token);
	gf_ec2_param(&p, "PublicKeyMaterial", data);
	gf_ec2_param(&p, "TagSpecification.1.ResourceType", "key-pair");
	gf_ec2_param(&p, "TagSpecification.1.Tag.1.Key", TAG_RUN);
	gf_ec2_param(&p, "TagSpecification.1.Tag.1.Value", json_string_value(
	    json_object_get(inst, GF_FIELD_CLEANUP_RUN)));
	gf_ec2_param(&p, "TagSpecification.1.Tag.2.Key", TAG_DEADLINE);
	gf_ec2_param(&p, "TagSpecification.1.Tag.2.Value", json_string_value(
	    json_object_get(inst, GF_FIELD_CLEANUP_DEADLINE)));
	x = gf_ec2_call(ec2, "ImportKeyPair", &p, err);
	gf_buf_release(&p);
	free(data);
	if (x == NULL && strcmp(gf_ec2_last_code(ec2),
	    "InvalidKeyPair.Duplicate") != 0)
		return NULL;
	json_decref(x);
	gf_err_clear(err);
	return token;
}

static int
aws_up(json_t *doc, const struct gf_provider_opts *o, struct gf_err *err)
{
	const char *run = gf_doc_path_string(doc, GF_DOC_RUN_ID);
	double life = o->lifetime > 0 ? o->lifetime : DEFAULT_LIFETIME;
	struct gf_ec2 *ec2 = NULL;
	json_t *entry, *list = NULL, *ids = NULL, *hosts = NULL, *i, *prov;
	json_t *known;
	const char *key = o->key_name;
	size_t k;
	int rc = -1;

	if (o->image == NULL || o->instance_type == NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "aws", "the aws provider "
		    "needs --image AMI and --instance-type TYPE");
	if (o->import_key != NULL && o->key_name != NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "aws", "--import-key and "
		    "--key-name are exclusive: the imported key is named after "
		    "the run");
	if (run == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "aws", "the document "
		    "has no run id");
	if ((ec2 = gf_ec2_new(NULL, NULL, err)) == NULL)
		return -1;
	entry = record(doc, ec2, run, life, o);
	if (o->import_key != NULL && json_array_size(json_object_get(entry,
	    GF_FIELD_CLEANUP_INSTANCES)) == 0 &&
	    (key = import_key(doc, ec2, entry, o, err)) == NULL)
		goto out;
	if ((list = run_instances(ec2, o, key, run, json_string_value(
	    json_object_get(entry, GF_FIELD_CLEANUP_CLIENT_TOKEN)),
	    json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_DEADLINE)), life, err)) == NULL)
		goto out;
	/* A retried attempt keeps the ids it knew (and EC2 gives them). */
	known = json_object_get(entry, GF_FIELD_CLEANUP_INSTANCES);
	ids = json_array();
	json_array_foreach(list, k, i) {
		const char *id = gf_xml_str(i, "instanceId");
		json_t *v;
		size_t l;
		int seen = 0;

		json_array_foreach(known, l, v)
			seen |= strcmp(json_string_value(v), id) == 0;
		if (!seen)
			json_array_append_new(known, json_string(id));
		json_array_append_new(ids, json_string(id));
	}
	checkpoint(o);
	json_decref(list);
	progress(o, "aws: %zu instance(s) in %s, waiting until running",
	    json_array_size(ids), gf_ec2_region(ec2));
	if ((list = wait_running(ec2, ids, o, err)) == NULL)
		goto out;
	hosts = json_array();
	json_array_foreach(list, k, i)
		json_array_append_new(hosts, host_of(i, o));
	if (!o->no_ssh && wait_ssh(hosts, o, err) < 0)
		goto out;
	gf_doc_set(doc, GF_SECTION_HOSTS, json_incref(hosts));
	prov = gf_doc_object(doc, GF_SECTION_PROVISION);
	json_object_set_new(prov, GF_FIELD_PROVISION_PROVIDER,
	    json_string("aws"));
	json_object_set_new(prov, "hosts", json_integer(
	    (json_int_t)json_array_size(hosts)));
	rc = 0;
out:
	json_decref(ids);
	json_decref(hosts);
	json_decref(list);
	gf_ec2_free(ec2);
	return rc;
}

static int
aws_status(const json_t *doc, json_t **report, struct gf_err *err)
{
	json_t *ids = json_array(), *list = NULL, *out, *h, *i;
	const json_t *entry = NULL;
	struct gf_ec2 *ec2;
	size_t k;

	json_array_foreach(json_object_get(doc, GF_SECTION_HOSTS), k, h)
		if (json_object_get(h, GF_FIELD_HOST_PROVIDER_ID) != NULL)
			json_array_append(ids, json_object_get(h,
			    GF_FIELD_HOST_PROVIDER_ID));
	/* Where the run's instances are: its last aws cleanup entry. */
	json_array_foreach(json_object_get(doc, GF_SECTION_CLEANUP), k, h) {
		const char *p = json_string_value(json_object_get(h,
		    GF_FIELD_CLEANUP_PROVIDER));

		if (p != NULL && strcmp(p, "aws") == 0)
			entry = h;
	}
	if ((ec2 = gf_ec2_new(json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_REGION)), json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_ENDPOINT)), err)) == NULL ||
	    (list = describe(ec2, "instance-id", ids, err)) == NULL) {
		gf_ec2_free(ec2);
		json_decref(ids);
		return -1;
	}
	out = json_array();
	json_array_foreach(list, k, i) {
		const char *st = gf_xml_str(i, "instanceState/name");

		json_array_append_new(out, json_pack("{s:s,s:b,s:s}", "name",
		    gf_xml_str(i, "instanceId"), "reachable", st != NULL &&
		    strcmp(st, "running") == 0, "state", st ? st : "?"));
	}
	*report = json_pack("{s:s,s:o}", "provider", "aws", "hosts", out);
	json_decref(list);
	json_decref(ids);
	gf_ec2_free(ec2);
	return 0;
}

/*
 * Add to ids the instances matching filter that are not gone yet (and
 * not in ids already). 0 or -1 with err.
 */
static int
list_into(struct gf_ec2 *ec2, const char *filter, const json_t *values,
    json_t *ids, struct gf_err *err)
{
	json_t *list = describe(ec2, filter, values, err), *i, *v;
	size_t k, l;

	if (list == NULL)
		return -1;
	json_array_foreach(list, k, i) {
		const char *id = gf_xml_str(i, "instanceId");
		int seen = 0;

		if (id == NULL || gone(gf_xml_str(i, "instanceState/name")))
			continue;
		json_array_foreach(ids, l, v)
			seen |= strcmp(json_string_value(v), id) == 0;
		if (!seen)
			json_array_append_new(ids, json_string(id));
	}
	json_decref(list);
	return 0;
}

/*
 * Terminate the entry's instances: those it lists and every instance
 * tagged with its run (the tool may have died before EC2 answered).
 * What was terminated goes into the entry's "terminated".
 */
/* A key pair: deleted; one already gone is success. */
static int
delete_key(json_t *entry, struct gf_err *err)
{
	const char *name = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_KEY_NAME));
	struct gf_buf p = GF_BUF_INIT;
	struct gf_ec2 *ec2;
	json_t *x;

	if (name == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "aws", "cleanup entry "
		    "of kind key-pair has no '%s'", GF_FIELD_CLEANUP_KEY_NAME);
	if ((ec2 = gf_ec2_new(json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_REGION)), json_string_value(json_object_get(
	    entry, GF_FIELD_CLEANUP_ENDPOINT)), err)) == NULL)
		return -1;
	gf_ec2_param(&p, "KeyName", name);
	x = gf_ec2_call(ec2, "DeleteKeyPair", &p, err);
	gf_buf_release(&p);
	if (x == NULL && strcmp(gf_ec2_last_code(ec2),
	    "InvalidKeyPair.NotFound") == 0) {
		gf_err_clear(err);
		x = json_object();
	}
	gf_ec2_free(ec2);
	json_decref(x);
	return x == NULL ? -1 : 0;
}

static int
aws_down(json_t *doc, json_t *entry, struct gf_err *err)
{
	const char *run = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_RUN));
	json_t *ids = json_object_get(entry, GF_FIELD_CLEANUP_INSTANCES);
	json_t *by_tag = NULL, *kill = json_array();
	struct gf_ec2 *ec2;
	int rc = -1;

	(void)doc;
	if (json_is_string(json_object_get(entry, GF_FIELD_CLEANUP_KIND)) &&
	    strcmp(json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_KIND)), "key-pair") == 0) {
		json_decref(kill);
		return delete_key(entry, err);
	}
	if (run == NULL) {
		json_decref(kill);
		return gf_err_set(err, GF_EXIT_DATAERR, "aws", "cleanup entry "
		    "of kind instance has no '%s'", GF_FIELD_CLEANUP_RUN);
	}
	if ((ec2 = gf_ec2_new(json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_REGION)), json_string_value(json_object_get(
	    entry, GF_FIELD_CLEANUP_ENDPOINT)), err)) == NULL) {
		json_decref(kill);
		return -1;
	}
	by_tag = json_pack("[s]", run);
	if (list_into(ec2, "tag:" TAG_RUN, by_tag, kill, err) < 0 ||
	    (json_array_size(ids) > 0 &&
	    list_into(ec2, "instance-id", ids, kill, err) < 0) ||
	    terminate(ec2, kill, err) < 0)
		goto out;
	json_object_set(entry, GF_FIELD_CLEANUP_TERMINATED, kill);
	rc = 0;
out:
	json_decref(by_tag);
	json_decref(kill);
	gf_ec2_free(ec2);
	return rc;
}

/*
 * Instances gf tagged (gf:run) that are still there and whose deadline
 * has passed, or that were launched more than --older-than ago; they are
 * terminated unless --dry-run.
 */
static int
aws_sweep(json_t *doc, const struct gf_provider_opts *o, json_t **found,
    struct gf_err *err)
{
	static const char *const live[] = { "pending", "running", "stopping",
		"stopped" };
	json_t *states = json_array(), *list = NULL, *ids, *out, *i;
	struct gf_ec2 *ec2;
	double now = gf_time_now();
	size_t k;

	(void)doc;
	*found = NULL;
	for (size_t s = 0; s < sizeof(live) / sizeof(live[0]); s++)
		json_array_append_new(states, json_string(live[s]));
	if ((ec2 = gf_ec2_new(NULL, NULL, err)) == NULL ||
	    (list = describe(ec2, "instance-state-name", states, err)) ==
	    NULL) {
		json_decref(states);
		gf_ec2_free(ec2);
		return -1;
	}
	json_decref(states);
	ids = json_array();
	out = json_array();
	json_array_foreach(list, k, i) {
		const char *run = tag_of(i, TAG_RUN);
		const char *dl = tag_of(i, TAG_DEADLINE);
		const char *launched = gf_xml_str(i, "launchTime");
		double deadline = 0, at = now;
		struct gf_err ignored = GF_ERR_INIT;
		int expired;

		if (run == NULL)
			continue;	/* not gf's */
		if (dl == NULL || gf_parse_time(dl, TAG_DEADLINE, &deadline,
		    &ignored) < 0)
			deadline = 0;	/* gf's but unreadable: expired */
		if (launched != NULL)
			gf_parse_time(launched, "launchTime", &at, &ignored);
		expired = deadline <= now ||
		    (o->older_than > 0 && now - at > o->older_than);
		if (!expired)
			continue;
		json_array_append_new(ids, json_string(gf_xml_str(i,
		    "instanceId")));
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s}",
		    "provider", "aws", "kind", "instance", "id",
		    gf_xml_str(i, "instanceId"), "run", run));
		if (deadline > 0)
			json_object_set_new(json_array_get(out,
			    json_array_size(out) - 1), "deadline",
			    json_string(dl));
	}
	json_decref(list);
	if (!o->dry_run && terminate(ec2, ids, err) < 0) {
		json_decref(ids);
		json_decref(out);
		gf_ec2_free(ec2);
		return -1;
	}
	json_array_foreach(out, k, i)
		json_object_set_new(i, "action", json_string(o->dry_run ?
		    "listed" : "terminated"));
	json_decref(ids);
	gf_ec2_free(ec2);
	*found = out;
	return 0;
}

const struct gf_provider gf_provider_aws = {
	"aws", aws_up, aws_status, aws_down, aws_sweep,
};
