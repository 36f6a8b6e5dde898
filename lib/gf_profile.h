/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What gf-train knows about power-model inputs:
 *
 * - feature groups (kepler-model-server's names and feature lists, sorted
 *   as upstream sorts them, which is the column order of X and of the
 *   weight JSON), plus the two v0.6 groups kepler-model-db still ships
 *   (CgroupOnly, KubeletOnly) and ThirdParty (features given at run time);
 * - energy sources and their components (rapl-sysfs: package, core,
 *   uncore, dram; acpi: platform...), with the old spellings ("rapl",
 *   "intel_rapl") mapped to today's;
 * - old column names (v0.6 "bpf_cpu_time_us" is bpf_cpu_time_ms x 1000);
 * - metric profiles: YAML files that say which Prometheus counters give
 *   each feature and each power component (share/profiles/NAME.yaml).
 *
 * A profile file:
 *
 *	name: kepler-0.7
 *	step: 3s                        # query step (default 3s)
 *	id_labels: [container_id, pod_name, container_name, container_namespace]
 *	exclude: {job: vm}              # series dropped everywhere
 *	features:                       # feature -> counter(s)
 *	  cache_miss: kepler_container_cache_miss_total
 *	  bpf_cpu_time_ms:              # alternatives: the first present wins
 *	    - kepler_container_bpf_cpu_time_ms_total
 *	    - {metric: kepler_container_bpf_cpu_time_us_total, scale: 0.001}
 *	  cpu_busy: {metric: node_cpu_seconds_total, match: {mode: "!idle"}}
 *	power:                          # source -> component -> counter
 *	  rapl-sysfs:
 *	    package: {metric: kepler_node_package_joules_total,
 *	              match: {source: "rapl-sysfs|rapl"}}
 *	groups:                         # optional: the profile's own groups
 *	  NodeCPU: [cpu_busy]
 *
 * A match value is a list of alternatives separated by "|"; a leading "!"
 * negates the whole list. A series whose label is absent matches only a
 * negated list. id_labels name one workload series (a container); without
 * them every label set is its own series.
 */
#ifndef GF_PROFILE_H
#define GF_PROFILE_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"

/* Feature groups ------------------------------------------------------- */

struct gf_fgroup {
	const char *name;
	const char *const *features;	/* upstream (sorted) order */
	size_t nfeatures;
	const char *main;		/* curve-fit main feature, may be
					 * NULL */
	const char *dram_main;		/* main feature for dram, may be NULL */
};

/* All built-in groups; *n is set. Static. */
const struct gf_fgroup *gf_fgroups(size_t *n);
/* The built-in group called name (exact), or NULL. Static. */
const struct gf_fgroup *gf_fgroup_find(const char *name);

/*
 * Old name of a feature as it appears in v0.6 tables and 2023 queries,
 * and the factor that turns the old value into the new unit:
 * "bpf_cpu_time_ms" -> "bpf_cpu_time_us", 0.001. NULL when there is none.
 */
const char *gf_feature_legacy(const char *feature, double *scale);

/* Energy sources ------------------------------------------------------- */

/*
 * Today's name of an energy source: "rapl", "intel_rapl" -> "rapl-sysfs";
 * rapl-msr, acpi, redfish, hmc, trained_power_model as they are. NULL when
 * unknown. Static.
 */
const char *gf_source_canonical(const char *name);
/* Components of a canonical source (static), NULL when unknown. */
const char *const *gf_source_components(const char *source, size_t *n);

/* Metric profiles ------------------------------------------------------ */

struct gf_match {
	char *label;
	char **values;		/* alternatives */
	size_t nvalues;
	int negate;
};

struct gf_metric_alt {
	char *metric;
	double scale;		/* applied to rates; default 1 */
	int gauge;		/* "type: gauge": used as is, not as a rate */
};

/* A feature or a power component and where its counter comes from. */
struct gf_pmetric {
	char *name;		/* feature or component */
	struct gf_metric_alt *alts;
	size_t nalts;
	struct gf_match *match;
	size_t nmatch;
};

struct gf_psource {
	char *source;		/* canonical source name */
	struct gf_pmetric *comps;
	size_t ncomps;
};

struct gf_pgroup {
	char *name;
	char **features;
	size_t nfeatures;
};

struct gf_profile {
	char *name;
	char *path;		/* where it was read from; NULL when built */
	double step;		/* seconds */
	char **id_labels;
	size_t nid;
	struct gf_match *exclude;
	size_t nexclude;
	struct gf_pmetric *features;
	size_t nfeatures;
	struct gf_psource *sources;
	size_t nsources;
	struct gf_pgroup *groups;	/* the profile's own groups */
	size_t ngroups;
};

#define GF_PROFILE_INIT { 0 }

/*
 * Load a profile: name_or_path containing a '/' or ending in ".yaml" is a
 * file; otherwise "<name>.yaml" is looked for in $GF_PROFILE_PATH (a
 * colon-separated list), then beside the executable (../share/gf/profiles
 * when installed, ../../share/profiles in a build tree), then in
 * /usr/local/share/gf/profiles and /usr/share/gf/profiles. 66 when not
 * found, 65 naming file and key for a malformed profile. p is
 * overwritten.
 */
int gf_profile_load(const char *name_or_path, struct gf_profile *p,
    struct gf_err *err);
/* Build from parsed YAML; name is used in messages. */
int gf_profile_from_json(const json_t *j, const char *name,
    struct gf_profile *p, struct gf_err *err);
void gf_profile_release(struct gf_profile *p);

/*
 * Add a feature read from a counter of the same name (THIRDPARTY_METRICS):
 * feature name = metric name with a trailing "_total" removed.
 */
void gf_profile_add_feature(struct gf_profile *p, const char *metric);

/* Borrowed lookups; NULL when absent. */
const struct gf_pmetric *gf_profile_feature(const struct gf_profile *p,
    const char *feature);
const struct gf_psource *gf_profile_source(const struct gf_profile *p,
    const char *source);

/*
 * The feature list of a group: the profile's own group of that name when
 * it has one, else the built-in one. "ThirdParty" = the given extra
 * features. Returns a new NULL-terminated array of borrowed strings
 * (caller frees the array), *n set; NULL with 64 for an unknown group.
 */
const char **gf_profile_group_features(const struct gf_profile *p,
    const char *group, const char *const *thirdparty, size_t nthirdparty,
    size_t *n, struct gf_err *err);

/* 1 when the label set (a JSON object) passes all of m[0..n). */
int gf_match_labels(const struct gf_match *m, size_t n, const json_t *labels);

#endif
