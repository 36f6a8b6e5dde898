/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_section.h"
#include "gf_fs.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define S GF_FIELD_STRING
#define N GF_FIELD_NUMBER
#define I GF_FIELD_INTEGER
#define B GF_FIELD_BOOLEAN
#define O GF_FIELD_OBJECT
#define A GF_FIELD_ARRAY
#define T GF_FIELD_TIME
#define R GF_FIELD_RFC3339
#define P GF_FIELD_PATH
#define RP GF_FIELD_RELPATH
#define X GF_FIELD_ANY

/*
 * Keep in step with man/gf.7 and the writers: t-section.sh fails when a
 * tool writes a key this table lacks, or gf(7) names a field of a
 * section that is not here, or misses one that is.
 */
static const struct gf_section_field fields[] = {
	{ GF_SECTION_GF, "version", I, "the format version" },

	{ GF_SECTION_RUN, GF_FIELD_RUN_ID, S, "unique run identifier, set by "
	    "the first tool" },
	{ GF_SECTION_RUN, GF_FIELD_RUN_START, R, "when the document was "
	    "created" },
	{ GF_SECTION_RUN, "name", S, "optional name of the run" },
	{ GF_SECTION_RUN, GF_FIELD_RUN_LABELS, O, "optional labels, an object "
	    "of strings" },
	{ GF_SECTION_RUN, GF_FIELD_RUN_LABELS "." GF_FIELD_LABELS_TAG, S,
	    "gf-commit's {tag}" },

	{ GF_SECTION_HOSTS, GF_FIELD_HOST_NAME, S, "host name" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_PROVIDER, S, "the provider that "
	    "gave the host" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_PROVIDER_ID, S, "aws: the "
	    "provider's id of the machine (instance id)" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_ROLES, A, "server, agent, worker, "
	    "broker, control" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_ADDRESS, S, "the address tools "
	    "reach it at" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_ADDRESSES, A, "every address of the "
	    "host" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_CONNECTION, S, "local or ssh" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_USER, S, "ssh: the login user" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_PORT, I, "ssh: the port (22)" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KEY, P, "ssh: the private key "
	    "file" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KEY_PASSPHRASE_ENV, S, "ssh: the "
	    "variable holding the key's passphrase" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KNOWN_HOSTS, P, "ssh: the "
	    "known_hosts file its key is checked against" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KEY_SHA256, S, "ssh: the pinned "
	    "SHA256 fingerprint of its host key" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KEY_TOFU, B, "ssh: trust its key on "
	    "first use" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_SUDO, B, "ssh: run as root through "
	    "sudo -n" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_CONNECT_TIMEOUT, N, "ssh: seconds "
	    "to connect" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KEEPALIVE, I, "ssh: seconds between "
	    "keep-alives" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_ARCH, S, "machine architecture" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_KERNEL, S, "kernel release" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_OS, S, "operating system name" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_CPU_MODEL, S, "processor model" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_CORES, I, "processors online" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_MEMORY_BYTES, I, "memory size" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_CLOCK_OFFSET, N, "ssh: seconds its "
	    "clock is ahead of the runner's" },
	{ GF_SECTION_HOSTS, GF_FIELD_HOST_RAPL, O, "the RAPL check" },
	{ GF_SECTION_HOSTS, "rapl." GF_FIELD_RAPL_PATH, P, "the powercap "
	    "directory looked at" },
	{ GF_SECTION_HOSTS, "rapl." GF_FIELD_RAPL_PRESENT, B, "RAPL zones "
	    "exist" },
	{ GF_SECTION_HOSTS, "rapl." GF_FIELD_RAPL_READABLE, B, "every zone's "
	    "counter can be read" },
	{ GF_SECTION_HOSTS, "rapl.error", S, "why the directory cannot be "
	    "read" },
	{ GF_SECTION_HOSTS, "rapl.domains", A, "one entry per zone" },
	{ GF_SECTION_HOSTS, "rapl.domains[].zone", S, "the zone's directory "
	    "name" },
	{ GF_SECTION_HOSTS, "rapl.domains[].name", S, "the zone's name" },
	{ GF_SECTION_HOSTS, "rapl.domains[].readable", B, "its counter can be "
	    "read" },
	{ GF_SECTION_HOSTS, "rapl.domains[].error", S, "why it cannot" },

	{ GF_SECTION_PROVISION, GF_FIELD_PROVISION_PROVIDER, S, "the provider "
	    "of the hosts" },
	{ GF_SECTION_PROVISION, "hosts", I, "how many hosts it gave" },
	{ GF_SECTION_PROVISION, GF_FIELD_PROVISION_INVENTORY, P, "ssh: the "
	    "inventory read" },
	{ GF_SECTION_PROVISION, "down", A, "what gf-provision down gave back" },
	{ GF_SECTION_PROVISION, "down[].kind", S, "the cleanup entry's kind" },
	{ GF_SECTION_PROVISION, "down[].result", X, "what was done" },
	{ GF_SECTION_PROVISION, "down[].error", S, "why it could not be "
	    "given back" },
	{ GF_SECTION_PROVISION, "sweep", A, "leaked resources found" },
	{ GF_SECTION_PROVISION, "sweep[].provider", S, "the provider holding "
	    "it" },
	{ GF_SECTION_PROVISION, "sweep[].kind", S, "what it is (instance)" },
	{ GF_SECTION_PROVISION, "sweep[].id", S, "the provider's id of it" },
	{ GF_SECTION_PROVISION, "sweep[].run", S, "the run it was tagged "
	    "with" },
	{ GF_SECTION_PROVISION, "sweep[].deadline", R, "its deadline tag" },
	{ GF_SECTION_PROVISION, "sweep[].action", S, "terminated, or listed "
	    "(--dry-run)" },

	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_KIND, S, "stack, instance, "
	    "lease, job, ..." },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_TOOL, S, "the tool that "
	    "acquired it" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_PROVIDER, S, "the provider that "
	    "gives it back (kinds other than stack)" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_STATE_DIR, P, "the stack's "
	    "state directory" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_HOST, S, "the host the stack "
	    "runs on (absent: the runner)" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_RELEASED, R, "when it was given "
	    "back" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_ID, S, "the entry's identity "
	    "while it is completed (aws: aws:<client token>)" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_RUN, S, "aws: the run id its "
	    "resources are tagged with (gf:run)" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_CLIENT_TOKEN, S, "aws: "
	    "RunInstances' idempotency token" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_REGION, S, "aws: the region" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_ENDPOINT, S, "aws: the EC2 "
	    "endpoint when it is not AWS's own" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_DEADLINE, R, "aws: when the "
	    "resources end on their own (gf:deadline)" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_INSTANCES, A, "aws: the "
	    "instance ids, once EC2 gave them" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_TERMINATED, A, "aws: the "
	    "instances down terminated" },
	{ GF_SECTION_CLEANUP, GF_FIELD_CLEANUP_KEY_NAME, S, "aws: the key "
	    "pair imported (kind key-pair)" },

	{ GF_SECTION_STACK, "mode", S, "how the stack runs (local, "
	    "hosts)" },
	{ GF_SECTION_STACK, GF_FIELD_STACK_STATE_DIR, P, "the stack's state "
	    "directory" },
	{ GF_SECTION_STACK, "started", R, "when the stack was up" },
	{ GF_SECTION_STACK, "running", B, "false after --stop" },
	{ GF_SECTION_STACK, "scrape_interval", N, "Prometheus's scrape "
	    "interval, seconds" },
	{ GF_SECTION_STACK, "components", A, "the components started" },
	{ GF_SECTION_STACK, GF_FIELD_STACK_PROMETHEUS, O, "the Prometheus" },
	{ GF_SECTION_STACK, "prometheus.url", S, "its URL" },
	{ GF_SECTION_STACK, "prometheus.port", I, "its port" },
	{ GF_SECTION_STACK, "prometheus.pid", I, "its process" },
	{ GF_SECTION_STACK, "prometheus.pid_file", P, "its pid file" },
	{ GF_SECTION_STACK, "prometheus.log", P, "its log" },
	{ GF_SECTION_STACK, "prometheus.config", P, "its configuration" },
	{ GF_SECTION_STACK, "prometheus.data_dir", P, "its TSDB directory" },
	{ GF_SECTION_STACK, "prometheus.retention", S, "its retention" },
	{ GF_SECTION_STACK, "prometheus.admin_api", B, "the admin API is on" },
	{ GF_SECTION_STACK, "prometheus.version", S, "its version" },
	{ GF_SECTION_STACK, "prometheus.host", S, "its host, when not the "
	    "runner" },
	{ GF_SECTION_STACK, "node_exporter", O, "the node-exporter" },
	{ GF_SECTION_STACK, "node_exporter.url", S, "its URL" },
	{ GF_SECTION_STACK, "node_exporter.port", I, "its port" },
	{ GF_SECTION_STACK, "node_exporter.pid", I, "its process" },
	{ GF_SECTION_STACK, "node_exporter.pid_file", P, "its pid file" },
	{ GF_SECTION_STACK, "node_exporter.log", P, "its log" },
	{ GF_SECTION_STACK, "node_exporter.sysfs", P, "the sysfs tree it "
	    "reads" },
	{ GF_SECTION_STACK, "node_exporter.textfile_dir", P, "its textfile "
	    "directory" },
	{ GF_SECTION_STACK, "node_exporter.version", S, "its version" },
	{ GF_SECTION_STACK, "power", O, "the power source" },
	{ GF_SECTION_STACK, "power.source", S, "rapl, simulated or none" },
	{ GF_SECTION_STACK, "power.labels", O, "labels of its series" },
	{ GF_SECTION_STACK, "power.metric", S, "the metric of its energy" },
	{ GF_SECTION_STACK, "power.availability", O, "the RAPL check" },
	{ GF_SECTION_STACK, "power.meter", O, "the simulated meter" },
	{ GF_SECTION_STACK, GF_FIELD_STACK_KEPLER, O, "Kepler, once the stack "
	    "runs it" },
	{ GF_SECTION_STACK, "kepler.version", S, "its version "
	    "(gf-commit's {tag})" },
	{ GF_SECTION_STACK, GF_SECTION_HOSTS, A, "mode hosts: each host's "
	    "part" },
	{ GF_SECTION_STACK, "hosts.name", S, "the host" },
	{ GF_SECTION_STACK, "hosts.reach", S, "direct or ssh (a tunnel)" },
	{ GF_SECTION_STACK, "hosts.tunnels", A, "its SSH tunnels" },
	{ GF_SECTION_STACK, "stopped", R, "when --stop stopped it" },
	{ GF_SECTION_STACK, "stop", O, "what --stop did to each component" },

	{ GF_SECTION_WINDOWS, "name", S, "the window's name" },
	{ GF_SECTION_WINDOWS, "start", T, "its start" },
	{ GF_SECTION_WINDOWS, "end", T, "its end (excluded)" },
	{ GF_SECTION_WINDOWS, "params", O, "what ran in it" },
	{ GF_SECTION_WINDOWS, "params.kind", S, "the kind of load" },
	{ GF_SECTION_WINDOWS, "params.command", S, "the command" },

	{ GF_SECTION_STRESS, "plan", O, "the plan" },
	{ GF_SECTION_STRESS, "plan.name", S, "its name" },
	{ GF_SECTION_STRESS, "plan.estimated_seconds", N, "its length" },
	{ GF_SECTION_STRESS, "plan.phase_count", I, "its phases" },
	{ GF_SECTION_STRESS, "plan.phases", A, "each phase" },
	{ GF_SECTION_STRESS, "plan.freq_steps_khz", A, "its frequency steps" },
	{ GF_SECTION_STRESS, "plan.freq_skipped", X, "why they were "
	    "skipped" },
	{ GF_SECTION_STRESS, "dry_run", B, "nothing was run" },
	{ GF_SECTION_STRESS, "host", S, "the host it ran on" },
	{ GF_SECTION_STRESS, "cpus", I, "processors online" },
	{ GF_SECTION_STRESS, "time_scale", N, "the factor on every duration" },
	{ GF_SECTION_STRESS, "stress_ng_version", S, "stress-ng's version" },
	{ GF_SECTION_STRESS, "started", T, "when the first phase started" },
	{ GF_SECTION_STRESS, "ended", T, "when the last phase ended" },
	{ GF_SECTION_STRESS, "phases_run", I, "phases run" },
	{ GF_SECTION_STRESS, "skipped_frequency_steps", A, "frequency steps "
	    "not run" },
	{ GF_SECTION_STRESS, "interrupted", O, "the signal that ended it" },

	{ GF_SECTION_TRAIN, "pipeline", S, "the pipeline's name" },
	{ GF_SECTION_TRAIN, GF_FIELD_TRAIN_OUT, P, "the pipeline directory "
	    "(the model-db tree)" },
	{ GF_SECTION_TRAIN, "input", O, "where the data came from" },
	{ GF_SECTION_TRAIN, "input.csv", P, "the CSV file (- for standard "
	    "input)" },
	{ GF_SECTION_TRAIN, "input.query", P, "the recorded query results" },
	{ GF_SECTION_TRAIN, "input.prometheus", S, "the Prometheus" },
	{ GF_SECTION_TRAIN, "input.profile", S, "the metric profile" },
	{ GF_SECTION_TRAIN, "split", O, "how the data was split" },
	{ GF_SECTION_TRAIN, "split.test", S, "the held-out test split" },
	{ GF_SECTION_TRAIN, "split.cv", S, "the cross-validation" },
	{ GF_SECTION_TRAIN, "cv_folds", I, "cross-validation folds" },
	{ GF_SECTION_TRAIN, "cv_method", S, "blocked or forward" },
	{ GF_SECTION_TRAIN, "select", S, "the rule picking the best model" },
	{ GF_SECTION_TRAIN, "seed", I, "the random seed" },
	{ GF_SECTION_TRAIN, "extractor", S, "the feature extractor" },
	{ GF_SECTION_TRAIN, "isolator", S, "the idle-power isolator" },
	{ GF_SECTION_TRAIN, "datasets", A, "the training sets" },
	{ GF_SECTION_TRAIN, "datasets[].preprocessed", RP, "its table, "
	    "relative to out" },
	{ GF_SECTION_TRAIN, "models", A, "every model trained" },
	{ GF_SECTION_TRAIN, "models[].trainer", S, "its trainer" },
	{ GF_SECTION_TRAIN, "models[].source", S, "its energy source" },
	{ GF_SECTION_TRAIN, "models[].feature_group", S, "its features" },
	{ GF_SECTION_TRAIN, "models[].output_type", S, "AbsPower or "
	    "DynPower" },
	{ GF_SECTION_TRAIN, "models[].files", O, "its files, relative to "
	    "out" },
	{ GF_SECTION_TRAIN, "models[].components", O, "scores per component "
	    "and split" },
	{ GF_SECTION_TRAIN, "best", A, "the model chosen per component" },
	{ GF_SECTION_TRAIN, "best[].trainer", S, "its trainer" },
	{ GF_SECTION_TRAIN, "best[].component", S, "the component" },
	{ GF_SECTION_TRAIN, "skipped", A, "training sets not trained, and "
	    "why" },
	{ GF_SECTION_TRAIN, "preprocessed", A, "--extract-only's tables" },
	{ GF_SECTION_TRAIN, "preprocessed[].file", RP, "a table, relative to "
	    "out" },
	{ GF_SECTION_TRAIN, GF_FIELD_TRAIN_MODEL, S, "gf-commit's {model}, "
	    "set by a workflow" },

	{ GF_SECTION_VALIDATE, "prometheus", S, "the Prometheus, without "
	    "credentials" },
	{ GF_SECTION_VALIDATE, "checks_file", P, "the check set" },
	{ GF_SECTION_VALIDATE, "tag", S, "the report's tag" },
	{ GF_SECTION_VALIDATE, "step", N, "query step, seconds" },
	{ GF_SECTION_VALIDATE, "rate_interval", S, "the checks' rate "
	    "interval" },
	{ GF_SECTION_VALIDATE, "start", T, "start of the range compared" },
	{ GF_SECTION_VALIDATE, "end", T, "end of the range compared" },
	{ GF_SECTION_VALIDATE, "passed", I, "checks passed" },
	{ GF_SECTION_VALIDATE, "failed", I, "checks failed" },
	{ GF_SECTION_VALIDATE, "no_threshold", I, "checks without a "
	    "threshold" },
	{ GF_SECTION_VALIDATE, "verdict", S, "PASS or FAIL" },
	{ GF_SECTION_VALIDATE, GF_FIELD_VALIDATE_OUT, P, "the report "
	    "directory" },
	{ GF_SECTION_VALIDATE, GF_FIELD_VALIDATE_REPORT, P, "the Markdown "
	    "report" },
	{ GF_SECTION_VALIDATE, GF_FIELD_VALIDATE_JSON, P, "the JSON report" },
	{ GF_SECTION_VALIDATE, "step_summary", B, "the job summary was "
	    "written" },
	{ GF_SECTION_VALIDATE, "results", A, "one entry per check" },
	{ GF_SECTION_VALIDATE, "results[].name", S, "the check" },
	{ GF_SECTION_VALIDATE, "results[].samples", I, "samples compared" },
	{ GF_SECTION_VALIDATE, "results[].mae", N, "mean absolute error" },
	{ GF_SECTION_VALIDATE, "results[].mape", N, "mean absolute percentage "
	    "error" },
	{ GF_SECTION_VALIDATE, "results[].mse", N, "mean squared error" },
	{ GF_SECTION_VALIDATE, "results[].rmse", N, "root mean squared "
	    "error" },
	{ GF_SECTION_VALIDATE, "results[].thresholds", O, "its limits" },
	{ GF_SECTION_VALIDATE, "results[].verdict", S, "PASS, FAIL, ..." },
	{ GF_SECTION_VALIDATE, "results[].reason", S, "why" },
	{ GF_SECTION_VALIDATE, "results[].charts", A, "its charts, relative "
	    "to out" },
	{ GF_SECTION_VALIDATE, "results[].windows", A, "per window" },
	{ GF_SECTION_VALIDATE, "results[].model", P, "the model file "
	    "(--model)" },
	{ GF_SECTION_VALIDATE, "summaries", A, "power and energy per window" },
	{ GF_SECTION_VALIDATE, "summaries[].window", S, "the window" },
	{ GF_SECTION_VALIDATE, "summaries[].mean_power_w", N, "mean power" },
	{ GF_SECTION_VALIDATE, "summaries[].energy_j", N, "energy" },
	{ GF_SECTION_VALIDATE, "summaries[].work", N, "work done" },
	{ GF_SECTION_VALIDATE, "summaries[].energy_per_unit", N, "energy per "
	    "unit of work" },
	{ GF_SECTION_VALIDATE, "summaries[].overhead", O, "overhead against "
	    "a baseline" },
	{ GF_SECTION_VALIDATE, "gate", O, "the retraining gate" },
	{ GF_SECTION_VALIDATE, "gate.query", S, "its query" },
	{ GF_SECTION_VALIDATE, "gate.op", S, "its comparison" },
	{ GF_SECTION_VALIDATE, "gate.threshold", N, "its threshold" },
	{ GF_SECTION_VALIDATE, "gate.value", N, "the value found" },
	{ GF_SECTION_VALIDATE, "gate.tripped", B, "it tripped" },
	{ GF_SECTION_VALIDATE, "gate.time", T, "when it was evaluated" },

	{ GF_SECTION_SNAPSHOT, GF_FIELD_SNAPSHOT_ARCHIVE, P, "the archive" },
	{ GF_SECTION_SNAPSHOT, "sha256", S, "its SHA-256, hex" },
	{ GF_SECTION_SNAPSHOT, "size", I, "its size" },
	{ GF_SECTION_SNAPSHOT, "files", I, "files archived" },
	{ GF_SECTION_SNAPSHOT, "bytes", I, "their size" },
	{ GF_SECTION_SNAPSHOT, "compress", S, "zstd or gzip" },
	{ GF_SECTION_SNAPSHOT, "name", S, "the snapshot's name" },
	{ GF_SECTION_SNAPSHOT, "prometheus", S, "the Prometheus, without "
	    "credentials" },
	{ GF_SECTION_SNAPSHOT, "data_dir", P, "the TSDB directory" },
	{ GF_SECTION_SNAPSHOT, "snapshot_dir", P, "the snapshot directory" },
	{ GF_SECTION_SNAPSHOT, "data_host", S, "the host that holds them" },
	{ GF_SECTION_SNAPSHOT, "taken", T, "when it was taken" },
	{ GF_SECTION_SNAPSHOT, "seconds", N, "how long it took" },
	{ GF_SECTION_SNAPSHOT, "record", P, "the experiment record" },
	{ GF_SECTION_SNAPSHOT, "removed", B, "the snapshot directory was "
	    "removed" },
	{ GF_SECTION_SNAPSHOT, "openmetrics", O, "the OpenMetrics export" },
	{ GF_SECTION_SNAPSHOT, "openmetrics.path", P, "its file" },

	{ GF_SECTION_COMMIT, "remote", S, "the repository: a URL without "
	    "credentials, or an absolute path" },
	{ GF_SECTION_COMMIT, "branch", S, "the branch" },
	{ GF_SECTION_COMMIT, "layout", S, "the layout" },
	{ GF_SECTION_COMMIT, "dir", RP, "the run's directory, relative to the "
	    "repository" },
	{ GF_SECTION_COMMIT, "sha", S, "the commit" },
	{ GF_SECTION_COMMIT, "parent", S, "its parent" },
	{ GF_SECTION_COMMIT, "attempts", I, "pushes tried" },
	{ GF_SECTION_COMMIT, "web_url", S, "the commit on the forge" },
	{ GF_SECTION_COMMIT, "files", A, "every file committed" },
	{ GF_SECTION_COMMIT, "files[].path", RP, "where, relative to the "
	    "repository" },
	{ GF_SECTION_COMMIT, "files[].source", P, "from where" },
	{ GF_SECTION_COMMIT, "files[].bytes", I, "its size" },
	{ GF_SECTION_COMMIT, "files[].status", S, "added, replaced, ..." },
	{ GF_SECTION_COMMIT, "rows", A, "index rows appended" },
	{ GF_SECTION_COMMIT, "index_row_added", B, "an index row was "
	    "appended" },
	{ GF_SECTION_COMMIT, "bytes", I, "bytes committed" },
	{ GF_SECTION_COMMIT, "dry_run", B, "nothing was committed" },
	{ GF_SECTION_COMMIT, "s3", O, "the S3 upload" },

	{ GF_SECTION_STEPS, "tool", S, "the tool" },
	{ GF_SECTION_STEPS, "version", S, "its version" },
	{ GF_SECTION_STEPS, "start", R, "when it had read its input, with "
	    "milliseconds" },
	{ GF_SECTION_STEPS, "end", R, "when it ended, with milliseconds" },
	{ GF_SECTION_STEPS, "seconds", N, "its own time" },
	{ GF_SECTION_STEPS, "ok", B, "it succeeded" },
	{ GF_SECTION_STEPS, "exit", I, "its exit status" },
	{ GF_SECTION_STEPS, "error", O, "what failed" },
	{ GF_SECTION_STEPS, "error.origin", S, "the module or peer" },
	{ GF_SECTION_STEPS, "error.message", S, "the message" },
	{ GF_SECTION_STEPS, "error.kind", S, "the exit status's name" },
};

const struct gf_section_field *
gf_section_fields(size_t *n)
{
	*n = sizeof(fields) / sizeof(fields[0]);
	return fields;
}

const char *
gf_section_type_name(enum gf_field_type type)
{
	static const char *const names[] = {
		[GF_FIELD_STRING] = "string", [GF_FIELD_NUMBER] = "number",
		[GF_FIELD_INTEGER] = "integer", [GF_FIELD_BOOLEAN] = "boolean",
		[GF_FIELD_OBJECT] = "object", [GF_FIELD_ARRAY] = "array",
		[GF_FIELD_TIME] = "time", [GF_FIELD_RFC3339] = "rfc3339",
		[GF_FIELD_PATH] = "path", [GF_FIELD_RELPATH] = "relpath",
		[GF_FIELD_ANY] = "any",
	};

	if ((size_t)type >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[type];
}

char *
gf_section_path(const char *path)
{
	char *cwd;
	char *abs;

	if (path[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL)
		return gf_xstrdup(path);
	while (strncmp(path, "./", 2) == 0)
		for (path += 2; *path == '/'; path++)
			;
	if (*path == '\0' || strcmp(path, ".") == 0)
		return cwd;
	abs = gf_fs_join(cwd, path);
	free(cwd);
	return abs;
}
