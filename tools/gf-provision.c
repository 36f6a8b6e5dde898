/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-provision: get the run's hosts (up), show what the run holds
 * (status), give it all back (down), or look for leaks (sweep). Each
 * provider is a module behind gf_provider.h; down also stops the
 * measurement stack recorded in the document's "cleanup".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_cleanup.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_inventory.h"
#include "gf_log.h"
#include "gf_provider.h"
#include "gf_stack.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static const char *const commands[] = { "up", "status", "down", "sweep",
	NULL };

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "provider", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "local, ssh or aws (equinix ended 2026-06-30)",
	  .env = "GF_PROVIDER",
	  .doc = GF_DOC_PROVISION_PROVIDER, .def = "local" },
	{ .name = "sysfs", .letter = 'S', .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "sysfs root for the RAPL check (default /sys)",
	  .env = "GF_SYSFS" },
	{ .name = "inventory", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "ssh: the hosts, an Ansible hosts.yaml or a list",
	  .env = "GF_INVENTORY" },
	{ .name = "inventory-out", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "ssh: write the hosts back as an Ansible hosts.yaml",
	  .env = "GF_INVENTORY_OUT" },
	{ .name = "known-hosts", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "ssh: check host keys against FILE (~/.ssh/known_hosts)",
	  .env = "GF_KNOWN_HOSTS" },
	{ .name = "trust-on-first-use", .kind = GF_OPT_FLAG,
	  .help = "ssh: accept a host key FILE does not list, and pin it",
	  .env = "GF_TRUST_ON_FIRST_USE" },
	{ .name = "image", .kind = GF_OPT_STRING, .arg = "AMI",
	  .help = "aws: the image to start" },
	{ .name = "instance-type", .kind = GF_OPT_STRING, .arg = "TYPE",
	  .help = "aws: the instance type (t3.micro, c5.metal...)" },
	{ .name = "count", .kind = GF_OPT_INT, .arg = "N",
	  .help = "aws: how many instances", .min = 1, .max = 100,
	  .def = "1" },
	{ .name = "key-name", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "aws: the EC2 key pair to install" },
	{ .name = "import-key", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "aws: import this public key as the run's key pair" },
	{ .name = "subnet", .kind = GF_OPT_STRING, .arg = "ID",
	  .help = "aws: the subnet to start in" },
	{ .name = "security-group", .kind = GF_OPT_STRING, .arg = "ID",
	  .help = "aws: the security group" },
	{ .name = "lifetime", .kind = GF_OPT_DURATION, .arg = "DUR",
	  .help = "aws: deadline after which instances go (default 6h)",
	  .min = 60, .max = 30 * 86400.0, .def = "6h" },
	{ .name = "spot", .kind = GF_OPT_FLAG,
	  .help = "aws: spot instances (one-time) instead of on-demand" },
	{ .name = "no-ssh", .kind = GF_OPT_FLAG,
	  .help = "aws: do not wait for SSH and facts" },
	{ .name = "private-address", .kind = GF_OPT_FLAG,
	  .help = "aws: reach the instances at their private address" },
	{ .name = "ssh-wait", .kind = GF_OPT_DURATION, .arg = "DUR",
	  .help = "aws: how long to wait for SSH (default 10m)",
	  .min = 1, .max = 86400, .def = "10m" },
	{ .name = "ssh-user", .kind = GF_OPT_STRING, .arg = "USER",
	  .help = "aws: the user to log in as (default ec2-user)" },
	{ .name = "ssh-key", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "aws: the private key to log in with" },
	{ .name = "older-than", .kind = GF_OPT_DURATION, .arg = "DUR",
	  .help = "sweep: also what was started longer ago than DUR" },
	{ .name = "dry-run", .kind = GF_OPT_FLAG,
	  .help = "sweep: list what would be removed, remove nothing" },
};

static const struct gf_cli cli = {
	.name = "gf-provision",
	.synopsis = "[-hV] [-c file] [-i file] [-S dir] [--provider name] "
	    "[--inventory file] [--inventory-out file] [--known-hosts file] "
	    "[--trust-on-first-use] [--image ami] [--instance-type type] "
	    "[--count n] [--key-name name] [--import-key file] [--subnet id] "
	    "[--security-group id] [--lifetime dur] [--spot] [--no-ssh] "
	    "[--private-address] "
	    "[--ssh-wait dur] [--ssh-user user] [--ssh-key file] "
	    "[--older-than dur] [--dry-run] up | status | down | sweep",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts), .max_operands = 1,
	.footer = "down and status read the document from -i, else standard "
	    "input, else the state file.\nSee gf-provision(1).",
};

/*
 * down and status read the document from -i, else from stdin when it
 * carries one, else from the state file: a broken pipeline still leaves
 * the state file to give everything back from. Returns the state file's
 * document (new reference) and its path in *from (a new string), NULL
 * when t's document is to be used.
 */
static json_t *
state_doc(const struct gf_tool *t, char **from, struct gf_err *err)
{
	json_t *doc = t->doc;
	char *state;

	if (gf_opt_str(&t->set, "input") != NULL ||
	    json_object_size(doc) > 2 || json_object_get(doc, "gf") == NULL ||
	    json_object_get(doc, "run") == NULL)
		return NULL;
	if ((state = gf_doc_state_path()) == NULL || !gf_fs_exists(state)) {
		gf_err_set(err, GF_EXIT_NOINPUT, "provision",
		    "no document on standard input and no state file%s%s%s",
		    state ? " at '" : "", state ? state : "", state ? "'" : "");
		free(state);
		return NULL;
	}
	doc = gf_doc_read(state, err);
	*from = state;
	return doc;
}

static const char *
source_name(const struct gf_tool *t, const char *state)
{
	const char *input = gf_opt_str(&t->set, "input");

	return state != NULL ? state : input != NULL ? input : "<stdin>";
}

/* What the run holds, on stderr; the document goes on unchanged. */
static int
cmd_status(json_t *doc, const char *provider, const char *from)
{
	struct gf_err err = GF_ERR_INIT;
	const struct gf_provider *p;
	json_t *hosts = json_object_get(doc, GF_SECTION_HOSTS), *h, *c;
	json_t *report = NULL;
	size_t i;

	p = gf_provider_find(provider, &err);
	if (p != NULL && p->status(doc, &report, &err) == 0) {
		json_array_foreach(json_object_get(report, "hosts"), i, h) {
			json_t *reach = json_object_get(h, "reachable");
			const char *why = json_string_value(json_object_get(h,
			    "error"));

			fprintf(stderr, "provider %s: host %s%s%s%s%s\n",
			    p->name,
			    json_string_value(json_object_get(h, "name")),
			    json_is_true(json_object_get(h, "this_machine")) ?
			    " (this machine)" : "", reach == NULL ? "" :
			    json_is_true(reach) ? " reachable" :
			    " unreachable", why ? ": " : "", why ? why : "");
		}
	} else if (err.exit != 0) {
		gf_warn("%s", err.msg);
	}
	json_decref(report);
	fprintf(stderr, "run %s (from %s)\n", json_string_value(
	    gf_doc_path(doc, GF_DOC_RUN_ID)), from);
	json_array_foreach(hosts, i, h)
		fprintf(stderr, "host %s %s (%s)\n",
		    json_string_value(json_object_get(h, GF_FIELD_HOST_NAME)),
		    json_string_value(json_object_get(h,
		    GF_FIELD_HOST_ADDRESS)),
		    json_string_value(json_object_get(h,
		    GF_FIELD_HOST_PROVIDER)));
	json_array_foreach(json_object_get(doc, GF_SECTION_CLEANUP), i, c) {
		const char *kind = json_string_value(json_object_get(c,
		    GF_FIELD_CLEANUP_KIND));
		const char *dir = json_string_value(json_object_get(c,
		    GF_FIELD_CLEANUP_STATE_DIR));
		const char *rel = json_string_value(json_object_get(c,
		    GF_FIELD_CLEANUP_RELEASED));

		fprintf(stderr, "cleanup %s%s%s%s\n", kind ? kind : "?",
		    dir ? " " : "", dir ? dir : "",
		    rel ? " (released)" : "");
		if (kind != NULL && dir != NULL &&
		    strcmp(kind, GF_CLEANUP_KIND_STACK) == 0) {
			struct gf_host *me = gf_host_local_new();
			json_t *st = gf_stack_status(me, dir), *v;
			const char *k;

			gf_host_free(me);
			json_object_foreach(st, k, v)
				fprintf(stderr, "  %s pid %lld %s\n", k,
				    (long long)json_integer_value(
				    json_object_get(v, "pid")),
				    json_is_true(json_object_get(v,
				    "running")) ? "running" : "not running");
			json_decref(st);
		}
	}
	if (gf_doc_write(stdout, doc, &err) < 0) {
		gf_error("%s", err.msg);
		gf_close_stdout();
		return GF_EXIT_IOERR;
	}
	return gf_close_stdout();
}

static void
checkpoint(void *arg)
{
	gf_tool_checkpoint(arg);
}

/* The aws provider's settings. */
static void
aws_opts(struct gf_provider_opts *po, struct gf_tool *t)
{
	po->image = gf_opt_str(&t->set, "image");
	po->instance_type = gf_opt_str(&t->set, "instance-type");
	po->count = (long)gf_opt_num(&t->set, "count");
	po->key_name = gf_opt_str(&t->set, "key-name");
	po->import_key = gf_opt_str(&t->set, "import-key");
	po->subnet = gf_opt_str(&t->set, "subnet");
	po->security_group = gf_opt_str(&t->set, "security-group");
	po->lifetime = gf_opt_num(&t->set, "lifetime");
	po->spot = gf_opt_flag(&t->set, "spot");
	po->no_ssh = gf_opt_flag(&t->set, "no-ssh");
	po->private_address = gf_opt_flag(&t->set, "private-address");
	po->ssh_wait = gf_opt_num(&t->set, "ssh-wait");
	po->ssh_user = gf_opt_str(&t->set, "ssh-user");
	po->ssh_key = gf_opt_str(&t->set, "ssh-key");
	po->older_than = gf_opt_num_or(&t->set, "older-than", 0);
	po->dry_run = gf_opt_flag(&t->set, "dry-run");
	po->checkpoint = checkpoint;
	po->checkpoint_arg = t;
	po->progress = gf_log_info_cb;
}

/* --inventory-out: the document's hosts as an Ansible hosts.yaml. */
static int
write_inventory(const char *path, const json_t *doc, struct gf_err *err)
{
	char *yaml = gf_inventory_ansible(json_object_get(doc,
	    GF_SECTION_HOSTS));
	int rc = gf_fs_write_atomic(path, yaml, strlen(yaml), 0644, err);

	free(yaml);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_provider_opts po = { 0 };
	const struct gf_provider *p;
	const char *cmd = NULL;
	char *from = NULL;
	json_t *report = NULL, *doc;
	struct gf_tool t;
	unsigned flags = 0;
	int rc;

	gf_tool_parse(&t, &cli, argc, argv);
	if (t.set.noperands == 1)
		cmd = t.set.operands[0];
	/* down gives back and status reports, after a failed step too. */
	if (cmd != NULL && strcmp(cmd, "down") == 0)
		flags = GF_TOOL_RUN_ANYWAY;
	else if (cmd != NULL && strcmp(cmd, "status") == 0)
		flags = GF_TOOL_RUN_ANYWAY | GF_TOOL_NO_STATE;
	gf_tool_read(&t, flags);
	if (cmd == NULL)
		gf_tool_usage_error(&t, "a command is missing: up, status, "
		    "down or sweep");
	if (gf_opt_choose("command", cmd, commands, GF_EXIT_USAGE, &err) < 0)
		gf_tool_usage_error(&t, "%s", err.msg);
	po.sysfs = gf_opt_str(&t.set, "sysfs");
	po.config = json_object_get(t.set.config, gf_opt_str(&t.set,
	    "provider"));
	po.inventory = gf_opt_str(&t.set, "inventory");
	po.known_hosts = gf_opt_str(&t.set, "known-hosts");
	po.trust_on_first_use = gf_opt_flag(&t.set, "trust-on-first-use");
	aws_opts(&po, &t);

	if (flags & GF_TOOL_RUN_ANYWAY) {
		if ((doc = state_doc(&t, &from, &err)) != NULL) {
			gf_tool_adopt(&t, doc);
		} else if (err.exit == GF_EXIT_NOINPUT &&
		    strcmp(cmd, "down") == 0) {
			/* Nothing was ever taken: nothing to give back. */
			gf_info("%s: nothing to give back", err.msg);
			gf_err_clear(&err);
		} else if (err.exit != 0) {
			gf_tool_fail(&t, &err);
		}
		if (strcmp(cmd, "status") == 0) {
			rc = cmd_status(t.doc, gf_opt_str(&t.set, "provider"),
			    source_name(&t, from));
			free(from);
			json_decref(t.doc);
			gf_opt_free(&t.set);
			return rc;
		}
		gf_info("giving back what run %s holds (document from %s)",
		    gf_doc_path_string(t.doc, GF_DOC_RUN_ID),
		    source_name(&t, from));
		free(from);
		rc = gf_cleanup_release_all(t.doc, &report, &err);
		json_object_set_new(gf_doc_object(t.doc, GF_SECTION_PROVISION),
		    "down",
		    report);
		return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
	}

	/* A provider that cannot work is refused before anything is done. */
	if ((p = gf_provider_find(gf_opt_str(&t.set, "provider"), &err)) ==
	    NULL)
		return gf_tool_finish(&t, &err, NULL);
	if (strcmp(cmd, "up") == 0) {
		rc = p->up(t.doc, &po, &err);
		if (rc == 0)
			gf_info("%s: %zu host(s)", p->name,
			    json_array_size(json_object_get(t.doc,
			    GF_SECTION_HOSTS)));
		if (rc == 0 && gf_opt_str(&t.set, "inventory-out") != NULL)
			rc = write_inventory(gf_opt_str(&t.set,
			    "inventory-out"), t.doc, &err);
	} else {
		json_t *found = NULL;

		rc = p->sweep(t.doc, &po, &found, &err);
		if (rc == 0) {
			gf_info("%s: %zu leaked resource(s)", p->name,
			    json_array_size(found));
			json_object_set_new(gf_doc_object(t.doc,
			    GF_SECTION_PROVISION),
			    "sweep", found);
		}
	}
	return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
}
