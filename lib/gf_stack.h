/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measurement stack: Prometheus, node-exporter and (on machines
 * without a power meter) gf-powersim, run on a host (gf_host.h; today
 * the runner, on 127.0.0.1) as supervised background processes.
 *
 * The stack is a table of components (gf_stack.c): each row says what
 * to start (program, arguments built from the settings, a config file
 * to write), how to tell it is ready (an HTTP path on its port, or a
 * file appearing), what its part of the section holds, whether
 * Prometheus scrapes it, and which runner runs it (enum
 * gf_stack_runner). Adding an exporter is adding a row.
 *
 * Each process is started in its own session (setsid), so it survives
 * the tool that started it and a Ctrl-C in the pipeline's terminal, with
 * its output in a log file and its pid in a pid file, all under one state
 * directory:
 *
 *	STATE/prometheus/{prometheus.yml,data/,prometheus.log,prometheus.pid}
 *	STATE/node-exporter/{textfile/,node-exporter.log,node-exporter.pid}
 *	STATE/powersim/{sysfs/class/powercap/...,powersim.log,powersim.pid}
 *
 * Stopping reads the pid files, never a process name: a pid is signalled
 * only when /proc/PID/cmdline still names the state directory, so a pid
 * reused by an unrelated process is left alone (that pid file is stale,
 * which is not an error).
 */
#ifndef GF_STACK_H
#define GF_STACK_H

#include <jansson.h>

#include "gf_err.h"
#include "gf_host.h"

/*
 * How a component is run. Only supervised processes exist now; the
 * others are slots in the runner table that answer 78 until written.
 */
enum gf_stack_runner {
	GF_STACK_RUNNER_PROCESS = 0,	/* gf_host_spawn + pid file */
	GF_STACK_RUNNER_SYSTEMD,	/* a unit on the host (not yet) */
	GF_STACK_RUNNER_KUBERNETES,	/* a pod in the cluster (not yet) */
};

enum gf_stack_power {
	GF_STACK_POWER_NONE = 0,	/* node-exporter only, no power
					 * source */
	GF_STACK_POWER_RAPL,		/* the machine's powercap tree */
	GF_STACK_POWER_SIMULATED,	/* gf-powersim's tree */
};

/* The simulated meter's power curve (gf-powersim(1)). */
struct gf_stack_curve {
	double idle_watts;		/* per package, at 0 % CPU */
	double dynamic_watts;		/* per package, added at 100 % CPU */
	double dram_idle_watts;
	double dram_dynamic_watts;
	int packages;
};

/* A target of another host that Prometheus scrapes too. */
struct gf_stack_target {
	const char *job;		/* "node" */
	const char *address;		/* "ADDR:PORT", as Prometheus reaches
					 * it */
	const char *host;		/* the host's name: label host */
	const char *source;		/* its power source: label source */
};

/*
 * How the runner reaches a component that listens on port of the host:
 * a new "http://ADDR:PORT" URL, or NULL with err. It may be called again
 * for another port of the same component (a port taken between choosing
 * and binding it): the hook then drops what it made for the last one.
 */
typedef char *(*gf_stack_reach_fn)(void *arg, const char *component,
    int port, struct gf_err *err);

struct gf_stack_opts {
	struct gf_host *host;		/* required, borrowed: where it runs */
	/* Where its components listen; NULL: the host's address. */
	const char *listen_address;
	gf_stack_reach_fn reach;	/* NULL: http://LISTEN:PORT */
	void *reach_arg;
	const struct gf_stack_target *targets;	/* borrowed */
	size_t ntargets;
	/* Label host="NAME" on its own scrape targets too (NULL: none). */
	const char *host_label;
	const char *state_dir;		/* required; made absolute */
	int prometheus;			/* start Prometheus */
	int node_exporter;		/* start node-exporter */
	enum gf_stack_power power;
	const char *sysfs;		/* RAPL: sysfs root (NULL = "/sys") */
	json_t *rapl_check;		/* borrowed; recorded in the section */
	struct gf_stack_curve curve;	/* SIMULATED */
	const char *powersim;		/* path of gf-powersim (SIMULATED) */
	double scrape_interval;		/* seconds, > 0 */
	const char *retention;		/* e.g. "100y" */
	double ready_timeout;		/* seconds to wait for each process */
};

/*
 * Defaults: both components, no power, 3 s, "100y", 60 s,
 * curve 10/40/2/3 x1; no host (the caller sets one).
 */
void gf_stack_opts_init(struct gf_stack_opts *o);

/*
 * Start the stack and return the "stack" section (new reference), or NULL
 * with err. Refuses (75) when a process of a stack is still running in
 * the same state directory. Programs missing from PATH give 69 naming the
 * Debian package; a process that does not get ready in time gives 69 with
 * the tail of its log. On failure every process started so far is stopped
 * again.
 *
 *	{ "mode": "local", "state_dir", "started", "running": true,
 *	  "scrape_interval", "components": [...],
 *	  "prometheus": { "url", "port", "pid", "pid_file", "data_dir",
 *	                  "config", "log", "version", "retention" },
 *	  "node_exporter": { "url", "port", "pid", "pid_file", "log",
 *	                     "version", "sysfs", "textfile_dir" },
 *	  "power": { "source": "rapl"|"simulated"|"none", "labels": {...},
 *	             "metric", "availability": <rapl check>,
 *	             "meter": { "program", "pid", "pid_file", "log", "sysfs",
 *	                        "curve": {...} } } }
 *
 * With a reach hook, each listening component's "url" is the one the
 * hook gave and "listen" says where it listens on the host. Prometheus
 * also scrapes o->targets (labels host and source) and waits for them
 * too.
 */
json_t *gf_stack_start(const struct gf_stack_opts *o, struct gf_err *err);

/*
 * Stop every process of the stack in state_dir (Prometheus first, so it
 * flushes, then node-exporter, then the meter) and remove their pid
 * files. A missing state directory, a missing pid file or a stale one
 * (the process is gone, or the pid now belongs to something else) is not
 * an error. *report (may be NULL) gets a new reference to
 * { "<component>": "stopped"|"not running"|"stale pid file" }.
 */
int gf_stack_stop(struct gf_host *h, const char *state_dir, json_t **report,
    struct gf_err *err);

/*
 * { "<component>": { "pid", "running": bool } } for each pid file found
 * in state_dir. New reference; never NULL.
 */
json_t *gf_stack_status(struct gf_host *h, const char *state_dir);

/*
 * Default state directory: $RUNNER_TEMP/gf-stack, else ./gf-stack, as an
 * absolute path. New string.
 */
char *gf_stack_default_dir(void);

#endif
