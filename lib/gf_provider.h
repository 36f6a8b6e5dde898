/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Providers: where a run's hosts come from. Each provider is one module
 * (gf_provider_<name>.c) exporting one table of functions; gf-provision
 * looks the table up by name and never knows a provider's internals.
 *
 *	const struct gf_provider *p = gf_provider_find("local", &err);
 *	p->up(doc, &opts, &err);            // fills "hosts", "cleanup"
 *	p->status(doc, &report, &err);      // what the provider sees now
 *	gf_cleanup_release_all(doc, &report, &err); // gives every
 *	                                            // "cleanup" entry back
 *
 * Cleanup entries ("cleanup" in the document) are objects with at least
 * "kind" and either "provider" (a resource of that provider, given back
 * by its down()) or a kind registered in gf_cleanup.h (the stack).
 *
 * Every down() is idempotent: giving back something already gone is
 * success. Entries are marked with "released" (RFC 3339) when given back.
 */
#ifndef GF_PROVIDER_H
#define GF_PROVIDER_H

#include <jansson.h>

#include "gf_err.h"

struct gf_provider_opts {
	const char *sysfs;	/* local: sysfs root for the RAPL check */
	json_t *config;		/* borrowed: the provider's config, or NULL */
	const char *inventory;	/* ssh: the inventory file (gf_inventory.h) */
	/* ssh: for hosts without their own; NULL: ~/.ssh/known_hosts */
	const char *known_hosts;
	int trust_on_first_use;	/* ssh: accept (and record) unknown keys */
	/* aws: what to start (gf_provider_aws.c) */
	const char *image;		/* AMI id */
	const char *instance_type;
	long count;			/* 0: 1 */
	const char *key_name;		/* an EC2 key pair, or NULL */
	const char *import_key;		/* a public key file to import */
	const char *subnet;
	const char *security_group;
	double lifetime;		/* seconds to the deadline; 0: 6 h */
	int spot;			/* spot instances, not on-demand */
	int no_ssh;			/* do not wait for SSH and facts */
	int private_address;		/* reach hosts at their private IP */
	double ssh_wait;		/* seconds to wait for SSH; 0: 600 */
	const char *ssh_user;		/* NULL: ec2-user */
	const char *ssh_key;		/* private key file, or NULL */
	/* sweep: also what is older than this (seconds; 0: no limit) */
	double older_than;
	int dry_run;			/* sweep: list, do not remove */
	/*
	 * Save the document to the state file now, or NULL: up calls it
	 * after adding to "cleanup" and before waiting on anything.
	 */
	void (*checkpoint)(void *arg);
	void *checkpoint_arg;
	/* Progress of long waits, one line at a time; NULL: none. */
	gf_warn_fn *progress;
	void *progress_arg;
};

struct gf_provider {
	const char *name;
	/*
	 * Get hosts: replace the document's "hosts", add what must be given
	 * back to "cleanup" before waiting for anything, fill
	 * "provision". 0 or -1 with err.
	 */
	int (*up)(json_t *doc, const struct gf_provider_opts *o,
	    struct gf_err *err);
	/*
	 * What the provider says about the document's hosts now: *report
	 * gets a new object (for local: the host's name and whether it is
	 * this machine). 0 or -1 with err.
	 */
	int (*status)(const json_t *doc, json_t **report, struct gf_err *err);
	/* Give back one cleanup entry of this provider. 0 or -1 with err. */
	int (*down)(json_t *doc, json_t *entry, struct gf_err *err);
	/*
	 * Find resources this provider holds that no document accounts for.
	 * *found gets a new array (possibly empty). 0 or -1 with err.
	 */
	int (*sweep)(json_t *doc, const struct gf_provider_opts *o,
	    json_t **found, struct gf_err *err);
};

extern const struct gf_provider gf_provider_local;
/*
 * ssh (gf_provider_ssh.c): the hosts of an inventory, each reached and
 * described over SSH, at most GF_PROVIDER_SSH_PARALLEL at a time. up
 * writes hosts only when every host answered with an accepted key;
 * status reports per host "reachable" (and "error"); nothing is ever
 * given back (the hosts are not the run's to delete).
 */
extern const struct gf_provider gf_provider_ssh;
#define GF_PROVIDER_SSH_PARALLEL 8

/*
 * Reach every host entry of hosts over SSH (in child processes, as the
 * ssh provider does), and with facts describe it. Returns a new array,
 * one object per host in order: { "host": facts, "clock_offset",
 * "host_key", "tofu" } or { "exit", "msg" }; NULL with err when a probe
 * could not be started.
 */
json_t *gf_provider_ssh_probe(const json_t *hosts, int facts,
    struct gf_err *err);

/*
 * aws (gf_provider_aws.c): EC2 instances (gf_ec2.h), tagged with the
 * run id (gf:run) and a deadline (gf:deadline), terminated by down.
 */
extern const struct gf_provider gf_provider_aws;

/*
 * The provider called name. "equinix" is refused (78: the service ended
 * on 2026-06-30); providers not in this build give 78 as well; an unknown
 * name gives 64 listing the known ones. Borrowed (static).
 */
const struct gf_provider *gf_provider_find(const char *name,
    struct gf_err *err);

/*
 * Give back one cleanup entry of the provider called provider, through
 * its down() (gf_cleanup_release dispatches provider kinds here). 0 or
 * -1 with err (gf_provider_find's errors included).
 */
int gf_provider_release(json_t *doc, const char *provider, json_t *entry,
    struct gf_err *err);

#endif
