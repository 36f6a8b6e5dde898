/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurement stack over the hosts of a run document: node-exporter
 * (and, where a host has no readable RAPL, the simulated meter) on each
 * host, supervised there with pid files (gf_stack.h), and one Prometheus
 * on the runner scraping every host's exporter, labelled host="NAME" and
 * source="rapl|simulated|none".
 *
 * Reaching a host's exporter. "direct": it listens on the host's address
 * and Prometheus scrapes that. "ssh": it listens on the host's loopback
 * only, and a tunnel on the runner (gf-tunnel(1), a supervised process
 * with its pid file under STATE/tunnels/) forwards a loopback port of
 * the runner to it over SSH. GF_STACK_TUNNEL_AUTO takes "ssh" for a host
 * whose address is not one of its own (its "addresses" fact: a NAT or
 * a jump in between) and "direct" otherwise.
 *
 *	"stack": { "mode": "hosts", "state_dir", "scrape_interval",
 *	  "prometheus": { as gf_stack_start's, "host" when not the runner },
 *	  "power": { "source": the hosts' one source, or "mixed" },
 *	  "hosts": [ { "name", "state_dir", "reach": "direct"|"ssh",
 *	      "node_exporter": { "url", "listen", ... },
 *	      "power": { "source", ..., "meter": {...} },
 *	      "tunnels": [ { "component", "pid", "pid_file", "log",
 *	                     "listen", "to" } ] } ],
 *	  "components", "running", "started" }
 *
 * The runner's part is stopped with gf_stack_stop (Prometheus, then the
 * tunnels), each host's with gf_stack_stop on that host. With Prometheus
 * on a host, the runner keeps only tunnels, and that host's part (last in
 * "hosts", without node_exporter when it was not one of the hosts)
 * holds Prometheus.
 */
#ifndef GF_STACK_HOSTS_H
#define GF_STACK_HOSTS_H

#include <jansson.h>

#include "gf_err.h"
#include "gf_stack.h"

enum gf_stack_tunnel {
	GF_STACK_TUNNEL_AUTO = 0,
	GF_STACK_TUNNEL_ALWAYS,
	GF_STACK_TUNNEL_NEVER,
};

/* What a host's power source is to be. */
enum gf_stack_power_want {
	GF_STACK_WANT_AUTO = 0,		/* RAPL when readable, else
					 * simulated */
	GF_STACK_WANT_RAPL,
	GF_STACK_WANT_SIMULATED,
	GF_STACK_WANT_NONE,
};

/*
 * The power source for a host: RAPL is checked (gf_hostinfo_rapl) before
 * anything is started. *rapl gets the check (new reference, recorded in
 * the section). 69 when RAPL is wanted and not readable.
 */
int gf_stack_choose_power(struct gf_host *h, const char *sysfs,
    enum gf_stack_power_want want, enum gf_stack_power *power, json_t **rapl,
    struct gf_err *err);

struct gf_stack_hosts_opts {
	/*
	 * What every host's part is started with (host, power, rapl_check,
	 * state_dir, reach and targets are set per host); state_dir is the
	 * runner's, for Prometheus and the tunnels.
	 */
	const struct gf_stack_opts *base;
	const json_t *const *entries;	/* borrowed: "hosts" entries */
	size_t nentries;
	enum gf_stack_power_want power;
	const char *host_state_dir;	/* on every host */
	enum gf_stack_tunnel tunnel;
	const char *tunnel_program;	/* gf-tunnel on the runner */
	/*
	 * The host Prometheus runs on (borrowed; NULL: the runner). It
	 * scrapes the others at their addresses (tunnel applies to it
	 * alone: how the runner reaches it), and its part gets Prometheus.
	 */
	const json_t *prometheus_entry;
	/*
	 * gf-powersim on the runner: copied to a host (of the runner's
	 * architecture) that does not have one in its PATH.
	 */
	const char *powersim;
	/* Called before a host's part starts (may be NULL). */
	void (*progress)(void *arg, const char *host, const char *what);
	void *progress_arg;
};

/*
 * Start every host's part, then Prometheus on the runner, and return
 * the "stack" section (new reference), or NULL with err naming the host
 * (errors of gf_stack_start, gf_host: 69 unreachable, 78 host key or
 * login). On failure everything started so far, on every host, is
 * stopped again.
 */
json_t *gf_stack_hosts_start(const struct gf_stack_hosts_opts *o,
    struct gf_err *err);

/*
 * Stop what the section "stack" of doc started: the runner's part, then
 * each host's (hosts looked up in the document's "hosts"). A host that
 * cannot be reached does not keep the others from being stopped: its
 * report entry says why, and the call returns -1 with that error (69)
 * after the others. *report (may be NULL) gets a new reference to
 * { "runner": {...}, "hosts": { "NAME": {...} | "error: ..." } }.
 */
int gf_stack_hosts_stop(const json_t *doc, const json_t *stack,
    json_t **report, struct gf_err *err);

/*
 * Stop the runner's stack in state_dir (gf_stack_stop), then the SSH
 * tunnels started from it. *report as gf_stack_stop's, with "tunnels".
 */
int gf_stack_stop_runner(const char *state_dir, json_t **report,
    struct gf_err *err);

/*
 * The cleanup kind "stack" (gf_cleanup.h): { "kind": "stack",
 * "state_dir", "tool", "host" }: gf_stack_stop_runner of state_dir when
 * the entry names no host, else gf_stack_stop on the document's host of
 * that name. *result gets the stop report. 65 when state_dir is missing.
 */
int gf_stack_release(json_t *doc, json_t *entry, json_t **result,
    struct gf_err *err);

/*
 * The stack's cleanup entry for state_dir on host (NULL: the runner):
 * added when the document has none, else made pending again.
 */
void gf_stack_record_cleanup(json_t *doc, const char *host,
    const char *state_dir);

/* Marks that entry "released" now. */
void gf_stack_mark_released(json_t *doc, const char *host,
    const char *state_dir);

#endif
