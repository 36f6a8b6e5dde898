/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_profile.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

#define F(...) (const char *const[]){ __VA_ARGS__ }
#define G(name, main, dram, ...) { name, F(__VA_ARGS__), \
	sizeof(F(__VA_ARGS__)) / sizeof(const char *), main, dram }

static const struct gf_fgroup groups[] = {
	G("CounterOnly", "cpu_instructions", "cache_miss",
	    "cache_miss", "cpu_cycles", "cpu_instructions"),
	G("BPFOnly", "bpf_cpu_time_ms", "bpf_page_cache_hit",
	    "bpf_cpu_time_ms", "bpf_page_cache_hit"),
	G("BPFIRQ", "bpf_cpu_time_ms", "bpf_page_cache_hit",
	    "bpf_block_irq", "bpf_cpu_time_ms", "bpf_net_rx_irq",
	    "bpf_net_tx_irq", "bpf_page_cache_hit"),
	G("CounterIRQCombined", "cpu_instructions", "cache_miss",
	    "bpf_block_irq", "bpf_net_rx_irq", "bpf_net_tx_irq", "cache_miss",
	    "cpu_cycles", "cpu_instructions"),
	G("Basic", "cpu_instructions", "cache_miss",
	    "bpf_cpu_time_ms", "bpf_page_cache_hit", "cache_miss",
	    "cpu_cycles", "cpu_instructions"),
	G("WorkloadOnly", "cpu_instructions", "cache_miss",
	    "accelerator_intel_qat", "bpf_block_irq", "bpf_cpu_time_ms",
	    "bpf_net_rx_irq", "bpf_net_tx_irq", "bpf_page_cache_hit",
	    "cache_miss", "cpu_cycles", "cpu_instructions"),
	G("Full", "cpu_instructions", "cache_miss",
	    "accelerator_intel_qat", "bpf_block_irq", "bpf_cpu_time_ms",
	    "bpf_net_rx_irq", "bpf_net_tx_irq", "bpf_page_cache_hit",
	    "cache_miss", "cpu_cycles", "cpu_instructions",
	    "cpu_scaling_frequency_hertz", "node_info"),
	G("AcceleratorOnly", "accelerator_intel_qat", NULL,
	    "accelerator_intel_qat"),
	/* v0.6 groups, still in kepler-model-db's nx12 tables. */
	G("CgroupOnly", "cgroupfs_cpu_usage_us", "cgroupfs_memory_usage_bytes",
	    "cgroupfs_cpu_usage_us", "cgroupfs_memory_usage_bytes",
	    "cgroupfs_system_cpu_usage_us", "cgroupfs_user_cpu_usage_us"),
	G("KubeletOnly", "kubelet_cpu_usage", "kubelet_memory_bytes",
	    "kubelet_cpu_usage", "kubelet_memory_bytes"),
};

const struct gf_fgroup *
gf_fgroups(size_t *n)
{
	*n = GF_ARRAY_LEN(groups);
	return groups;
}

const struct gf_fgroup *
gf_fgroup_find(const char *name)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(groups); i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

const char *
gf_feature_legacy(const char *feature, double *scale)
{
	if (strcmp(feature, "bpf_cpu_time_ms") == 0) {
		*scale = 0.001;
		return "bpf_cpu_time_us";
	}
	return NULL;
}

static const char *const rapl_comps[] = { "package", "core", "uncore",
	"dram" };
static const char *const platform_comps[] = { "platform" };

static const struct {
	const char *name, *canonical;
} source_names[] = {
	{ "rapl-sysfs", "rapl-sysfs" }, { "rapl", "rapl-sysfs" },
	{ "intel_rapl", "rapl-sysfs" }, { "rapl-msr", "rapl-msr" },
	{ "acpi", "acpi" }, { "redfish", "redfish" }, { "hmc", "hmc" },
	{ "trained_power_model", "trained_power_model" },
};

const char *
gf_source_canonical(const char *name)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(source_names); i++)
		if (strcmp(source_names[i].name, name) == 0)
			return source_names[i].canonical;
	return NULL;
}

const char *const *
gf_source_components(const char *source, size_t *n)
{
	if (strcmp(source, "rapl-sysfs") == 0 ||
	    strcmp(source, "rapl-msr") == 0 ||
	    strcmp(source, "trained_power_model") == 0) {
		*n = GF_ARRAY_LEN(rapl_comps);
		return rapl_comps;
	}
	if (strcmp(source, "acpi") == 0 || strcmp(source, "redfish") == 0 ||
	    strcmp(source, "hmc") == 0) {
		*n = GF_ARRAY_LEN(platform_comps);
		return platform_comps;
	}
	*n = 0;
	return NULL;
}

/* Profiles ------------------------------------------------------------ */

static void
match_release(struct gf_match *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].label);
		for (size_t j = 0; j < m[i].nvalues; j++)
			free(m[i].values[j]);
		free(m[i].values);
	}
	free(m);
}

static void
pmetric_release(struct gf_pmetric *m)
{
	free(m->name);
	for (size_t i = 0; i < m->nalts; i++)
		free(m->alts[i].metric);
	free(m->alts);
	match_release(m->match, m->nmatch);
}

void
gf_profile_release(struct gf_profile *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->path);
	for (size_t i = 0; i < p->nid; i++)
		free(p->id_labels[i]);
	free(p->id_labels);
	match_release(p->exclude, p->nexclude);
	for (size_t i = 0; i < p->nfeatures; i++)
		pmetric_release(&p->features[i]);
	free(p->features);
	for (size_t i = 0; i < p->nsources; i++) {
		free(p->sources[i].source);
		for (size_t j = 0; j < p->sources[i].ncomps; j++)
			pmetric_release(&p->sources[i].comps[j]);
		free(p->sources[i].comps);
	}
	free(p->sources);
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		for (size_t j = 0; j < p->groups[i].nfeatures; j++)
			free(p->groups[i].features[j]);
		free(p->groups[i].features);
	}
	free(p->groups);
	memset(p, 0, sizeof(*p));
}

static int
bad(struct gf_err *err, const char *name, const char *key, const char *why)
{
	return gf_err_set(err, GF_EXIT_DATAERR, "profile", "%s: %s: %s",
	    name, key, why);
}

static int
parse_match(const json_t *j, const char *name, const char *key,
    struct gf_match **out, size_t *nout, struct gf_err *err)
{
	const char *label;
	json_t *v;

	*out = NULL;
	*nout = 0;
	if (j == NULL)
		return 0;
	if (!json_is_object(j))
		return bad(err, name, key,
		    "expected a mapping of label: values");
	*out = gf_xcalloc(json_object_size(j) + 1, sizeof(**out));
	json_object_foreach((json_t *)j, label, v) {
		struct gf_match *m = &(*out)[(*nout)++];
		const char *s, *p;

		if (!json_is_string(v))
			return bad(err, name, key, "match values are strings");
		s = json_string_value(v);
		m->label = gf_xstrdup(label);
		if (*s == '!') {
			m->negate = 1;
			s++;
		}
		for (;;) {
			p = strchr(s, '|');
			m->values = gf_xreallocarray(m->values, m->nvalues + 1,
			    sizeof(char *));
			m->values[m->nvalues++] = p ? gf_xstrndup(s, p - s) :
			    gf_xstrdup(s);
			if (p == NULL)
				break;
			s = p + 1;
		}
	}
	return 0;
}

static int
parse_alt(const json_t *j, const char *name, const char *key,
    struct gf_pmetric *m, struct gf_err *err)
{
	struct gf_metric_alt *a;
	const json_t *metric, *scale;

	m->alts = gf_xreallocarray(m->alts, m->nalts + 1, sizeof(*m->alts));
	a = &m->alts[m->nalts];
	a->metric = NULL;
	a->scale = 1;
	a->gauge = 0;
	if (json_is_string(j)) {
		a->metric = gf_xstrdup(json_string_value(j));
		m->nalts++;
		return 0;
	}
	if (!json_is_object(j))
		return bad(err, name, key,
		    "expected a metric name or a mapping");
	metric = json_object_get(j, "metric");
	if (!json_is_string(metric))
		return bad(err, name, key,
		    "'metric' is missing or not a string");
	scale = json_object_get(j, "scale");
	if (scale != NULL && !json_is_number(scale))
		return bad(err, name, key, "'scale' is not a number");
	if (json_object_get(j, "type") != NULL) {
		const json_t *ty = json_object_get(j, "type");

		if (!json_is_string(ty) || (strcmp(json_string_value(ty),
		    "gauge") != 0 && strcmp(json_string_value(ty),
		    "counter") != 0))
			return bad(err, name, key,
			    "'type' is counter or gauge");
		a->gauge = strcmp(json_string_value(ty), "gauge") == 0;
	}
	a->metric = gf_xstrdup(json_string_value(metric));
	if (scale != NULL)
		a->scale = json_number_value(scale);
	m->nalts++;
	if (json_object_get(j, "match") != NULL && m->match == NULL)
		return parse_match(json_object_get(j, "match"), name, key,
		    &m->match, &m->nmatch, err);
	return 0;
}

static int
parse_pmetric(const json_t *j, const char *name, const char *key,
    const char *mname, struct gf_pmetric *m, struct gf_err *err)
{
	memset(m, 0, sizeof(*m));
	m->name = gf_xstrdup(mname);
	if (json_is_array(j)) {
		size_t i;
		json_t *v;

		if (json_array_size(j) == 0)
			return bad(err, name, key, "empty list");
		json_array_foreach(j, i, v)
			if (parse_alt(v, name, key, m, err) < 0)
				return -1;
		return 0;
	}
	return parse_alt(j, name, key, m, err);
}

static int
parse_strings(const json_t *j, const char *name, const char *key,
    char ***out, size_t *n, struct gf_err *err)
{
	size_t i;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (j == NULL)
		return 0;
	if (!json_is_array(j))
		return bad(err, name, key, "expected a list");
	*out = gf_xcalloc(json_array_size(j) + 1, sizeof(char *));
	json_array_foreach(j, i, v) {
		if (!json_is_string(v))
			return bad(err, name, key, "expected strings");
		(*out)[(*n)++] = gf_xstrdup(json_string_value(v));
	}
	return 0;
}

int
gf_profile_from_json(const json_t *j, const char *name, struct gf_profile *p,
    struct gf_err *err)
{
	const json_t *v, *sv;
	const char *key, *ckey;
	char *path = NULL;

	memset(p, 0, sizeof(*p));
	p->step = 3;
	if (!json_is_object(j))
		return bad(err, name, "top level", "expected a mapping");
	v = json_object_get(j, "name");
	p->name = gf_xstrdup(json_is_string(v) ? json_string_value(v) : name);
	v = json_object_get(j, "step");
	if (v != NULL) {
		struct gf_err e2 = GF_ERR_INIT;

		if (json_is_number(v))
			p->step = json_number_value(v);
		else if (!json_is_string(v) || gf_parse_duration(
		    json_string_value(v), "step", &p->step, &e2) < 0)
			goto badstep;
		if (p->step <= 0)
			goto badstep;
	}
	if (parse_strings(json_object_get(j, "id_labels"), name, "id_labels",
	    &p->id_labels, &p->nid, err) < 0)
		goto fail;
	if (parse_match(json_object_get(j, "exclude"), name, "exclude",
	    &p->exclude, &p->nexclude, err) < 0)
		goto fail;
	v = json_object_get(j, "features");
	if (v != NULL && !json_is_object(v)) {
		bad(err, name, "features", "expected a mapping");
		goto fail;
	}
	if (v != NULL) {
		p->features = gf_xcalloc(json_object_size(v) + 1,
		    sizeof(*p->features));
		json_object_foreach((json_t *)v, key, sv) {
			path = gf_xasprintf("features.%s", key);
			if (parse_pmetric(sv, name, path, key,
			    &p->features[p->nfeatures++], err) < 0)
				goto fail;
			free(path);
			path = NULL;
		}
	}
	v = json_object_get(j, "power");
	if (v == NULL || !json_is_object(v)) {
		bad(err, name, "power", "missing or not a mapping");
		goto fail;
	}
	p->sources = gf_xcalloc(json_object_size(v) + 1, sizeof(*p->sources));
	json_object_foreach((json_t *)v, key, sv) {
		struct gf_psource *s = &p->sources[p->nsources++];
		const char *canon = gf_source_canonical(key);
		const json_t *cv;

		s->source = gf_xstrdup(canon ? canon : key);
		if (!json_is_object(sv)) {
			path = gf_xasprintf("power.%s", key);
			bad(err, name, path,
			    "expected a mapping of components");
			goto fail;
		}
		s->comps = gf_xcalloc(json_object_size(sv) + 1,
		    sizeof(*s->comps));
		json_object_foreach((json_t *)sv, ckey, cv) {
			path = gf_xasprintf("power.%s.%s", key, ckey);
			if (parse_pmetric(cv, name, path, ckey,
			    &s->comps[s->ncomps++], err) < 0)
				goto fail;
			free(path);
			path = NULL;
		}
	}
	v = json_object_get(j, "groups");
	if (v != NULL) {
		if (!json_is_object(v)) {
			bad(err, name, "groups", "expected a mapping");
			goto fail;
		}
		p->groups = gf_xcalloc(json_object_size(v) + 1,
		    sizeof(*p->groups));
		json_object_foreach((json_t *)v, key, sv) {
			struct gf_pgroup *g = &p->groups[p->ngroups++];

			g->name = gf_xstrdup(key);
			path = gf_xasprintf("groups.%s", key);
			if (parse_strings(sv, name, path, &g->features,
			    &g->nfeatures, err) < 0)
				goto fail;
			for (size_t i = 0; i < g->nfeatures; i++)
				if (gf_profile_feature(p, g->features[i]) ==
				    NULL) {
					gf_err_set(err, GF_EXIT_DATAERR,
					    "profile", "%s: %s: feature '%s' "
					    "is not defined in features",
					    name, path, g->features[i]);
					goto fail;
				}
			free(path);
			path = NULL;
		}
	}
	return 0;
badstep:
	bad(err, name, "step", "expected a positive duration");
fail:
	free(path);
	gf_profile_release(p);
	return -1;
}

int
gf_profile_load(const char *name_or_path, struct gf_profile *p,
    struct gf_err *err)
{
	char *path;
	json_t *j;
	size_t len = strlen(name_or_path);
	int rc;

	memset(p, 0, sizeof(*p));
	if (strchr(name_or_path, '/') != NULL ||
	    (len > 5 && strcmp(name_or_path + len - 5, ".yaml") == 0))
		path = gf_xstrdup(name_or_path);
	else if ((path = gf_fs_find_shared("profiles", name_or_path,
	    "GF_PROFILE_PATH")) == NULL)
		return gf_err_set(err, GF_EXIT_NOINPUT, "profile",
		    "no metric profile '%s' (looked in $GF_PROFILE_PATH and "
		    "share/gf/profiles)", name_or_path);
	j = gf_yaml_load(path, err);
	if (j == NULL) {
		free(path);
		return -1;
	}
	rc = gf_profile_from_json(j, path, p, err);
	json_decref(j);
	if (rc == 0)
		p->path = path;
	else
		free(path);
	return rc;
}

void
gf_profile_add_feature(struct gf_profile *p, const char *metric)
{
	struct gf_pmetric *m;
	size_t len = strlen(metric);
	char *name;

	if (len > 6 && strcmp(metric + len - 6, "_total") == 0)
		name = gf_xstrndup(metric, len - 6);
	else
		name = gf_xstrdup(metric);
	if (gf_profile_feature(p, name) != NULL) {
		free(name);
		return;
	}
	p->features = gf_xreallocarray(p->features, p->nfeatures + 1,
	    sizeof(*p->features));
	m = &p->features[p->nfeatures++];
	memset(m, 0, sizeof(*m));
	m->name = name;
	m->alts = gf_xcalloc(1, sizeof(*m->alts));
	m->alts[0].metric = gf_xstrdup(metric);
	m->alts[0].scale = 1;
	m->nalts = 1;
}

const struct gf_pmetric *
gf_profile_feature(const struct gf_profile *p, const char *feature)
{
	for (size_t i = 0; i < p->nfeatures; i++)
		if (strcmp(p->features[i].name, feature) == 0)
			return &p->features[i];
	return NULL;
}

const struct gf_psource *
gf_profile_source(const struct gf_profile *p, const char *source)
{
	for (size_t i = 0; i < p->nsources; i++)
		if (strcmp(p->sources[i].source, source) == 0)
			return &p->sources[i];
	return NULL;
}

const char **
gf_profile_group_features(const struct gf_profile *p, const char *group,
    const char *const *thirdparty, size_t nthirdparty, size_t *n,
    struct gf_err *err)
{
	const char **out;
	const struct gf_fgroup *g;

	*n = 0;
	for (size_t i = 0; p != NULL && i < p->ngroups; i++) {
		if (strcmp(p->groups[i].name, group) != 0)
			continue;
		out = gf_xcalloc(p->groups[i].nfeatures + 1, sizeof(*out));
		for (size_t k = 0; k < p->groups[i].nfeatures; k++)
			out[k] = p->groups[i].features[k];
		*n = p->groups[i].nfeatures;
		return out;
	}
	if (strcmp(group, "ThirdParty") == 0) {
		if (nthirdparty == 0) {
			gf_err_set(err, GF_EXIT_USAGE, NULL, "feature group "
			    "ThirdParty needs --thirdparty-metrics");
			return NULL;
		}
		out = gf_xcalloc(nthirdparty + 1, sizeof(*out));
		for (size_t k = 0; k < nthirdparty; k++)
			out[k] = thirdparty[k];
		*n = nthirdparty;
		return out;
	}
	g = gf_fgroup_find(group);
	if (g == NULL) {
		gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown feature group "
		    "'%s'", group);
		return NULL;
	}
	out = gf_xcalloc(g->nfeatures + 1, sizeof(*out));
	for (size_t k = 0; k < g->nfeatures; k++)
		out[k] = g->features[k];
	*n = g->nfeatures;
	return out;
}

static int
match_one(const struct gf_match *m, const json_t *labels)
{
	const json_t *v = json_object_get(labels, m->label);
	const char *s;
	int hit = 0;

	if (v == NULL || !json_is_string(v))
		return m->negate;
	s = json_string_value(v);
	for (size_t i = 0; i < m->nvalues && !hit; i++)
		hit = strcmp(m->values[i], s) == 0;
	return m->negate ? !hit : hit;
}

int
gf_match_labels(const struct gf_match *m, size_t n, const json_t *labels)
{
	for (size_t i = 0; i < n; i++)
		if (!match_one(&m[i], labels))
			return 0;
	return 1;
}
