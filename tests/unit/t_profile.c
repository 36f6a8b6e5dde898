/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "gf_profile.h"
#include "gf_yaml.h"

static int
load_yaml(const char *text, struct gf_profile *p, struct gf_err *err)
{
	json_t *j = gf_yaml_parse(text, strlen(text), "t.yaml", err);
	int rc;

	if (j == NULL)
		return -1;
	rc = gf_profile_from_json(j, "t.yaml", p, err);
	json_decref(j);
	return rc;
}

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_profile p = GF_PROFILE_INIT;
	const struct gf_fgroup *g;
	const char *const *comps;
	const char **feats;
	size_t n;
	double scale = 0;
	json_t *labels;
	char *path;
	const char *src = getenv("GF_SRC");

	g = gf_fgroup_find("CounterOnly");
	ok(g != NULL && g->nfeatures == 3, "CounterOnly has 3 features");
	is_str(g->features[0], "cache_miss", "sorted as upstream sorts");
	is_str(g->features[2], "cpu_instructions", "last one");
	is_str(g->main, "cpu_instructions", "main feature");
	is_str(g->dram_main, "cache_miss", "dram main feature");
	g = gf_fgroup_find("Basic");
	is_int(g->nfeatures, 5, "Basic has 5");
	is_str(g->features[0], "bpf_cpu_time_ms", "Basic starts with bpf");
	is_int(gf_fgroup_find("WorkloadOnly")->nfeatures, 9, "WorkloadOnly 9");
	is_int(gf_fgroup_find("Full")->nfeatures, 11, "Full 11");
	ok(gf_fgroup_find("counteronly") == NULL, "names are exact");
	is_str(gf_feature_legacy("bpf_cpu_time_ms", &scale), "bpf_cpu_time_us",
	    "v0.6 name");
	ok(scale == 0.001, "us -> ms");
	ok(gf_feature_legacy("cache_miss", &scale) == NULL, "no old name");

	is_str(gf_source_canonical("rapl"), "rapl-sysfs", "rapl");
	is_str(gf_source_canonical("intel_rapl"), "rapl-sysfs", "intel_rapl");
	is_str(gf_source_canonical("acpi"), "acpi", "acpi");
	ok(gf_source_canonical("nuclear") == NULL, "unknown source");
	comps = gf_source_components("rapl-sysfs", &n);
	ok(n == 4 && !strcmp(comps[0], "package") && !strcmp(comps[3], "dram"),
	    "rapl components in upstream order");
	comps = gf_source_components("redfish", &n);
	ok(n == 1 && !strcmp(comps[0], "platform"), "redfish: platform");

	ok(load_yaml("name: t\nstep: 5s\nid_labels: [a, b]\n"
	    "exclude: {job: vm}\n"
	    "features:\n"
	    "  busy: {metric: node_cpu_seconds_total, "
	    "match: {mode: '!idle|iowait'}}\n"
	    "  ms: [m_ms_total, {metric: m_us_total, scale: 0.001}]\n"
	    "power:\n  rapl:\n    package: node_rapl_package_joules_total\n"
	    "groups:\n  G: [busy]\n", &p, &err) == 0, "profile parses: %s",
	    err.msg);
	is_str(p.name, "t", "name");
	ok(p.step == 5, "step");
	is_int(p.nid, 2, "id labels");
	is_int(p.nfeatures, 2, "features");
	is_int(gf_profile_feature(&p, "ms")->nalts, 2, "alternatives");
	ok(gf_profile_feature(&p, "ms")->alts[1].scale == 0.001, "alt scale");
	ok(gf_profile_source(&p, "rapl-sysfs") != NULL, "source canonical");
	labels = json_pack("{s:s}", "mode", "user");
	ok(gf_match_labels(gf_profile_feature(&p, "busy")->match, 1, labels),
	    "user is not idle");
	json_object_set_new(labels, "mode", json_string("iowait"));
	ok(!gf_match_labels(gf_profile_feature(&p, "busy")->match, 1, labels),
	    "iowait is negated");
	json_object_del(labels, "mode");
	ok(gf_match_labels(gf_profile_feature(&p, "busy")->match, 1, labels),
	    "absent label passes a negated match");
	json_decref(labels);
	feats = gf_profile_group_features(&p, "G", NULL, 0, &n, &err);
	ok(feats != NULL && n == 1 && !strcmp(feats[0], "busy"),
	    "profile's own group");
	free(feats);
	feats = gf_profile_group_features(&p, "CounterOnly", NULL, 0, &n, &err);
	ok(feats != NULL && n == 3, "built-in group through a profile");
	free(feats);
	ok(gf_profile_group_features(&p, "Nope", NULL, 0, &n, &err) == NULL &&
	    err.exit == GF_EXIT_USAGE, "unknown group is 64");
	ok(gf_profile_group_features(&p, "ThirdParty", NULL, 0, &n, &err) ==
	    NULL, "ThirdParty needs metrics");
	gf_profile_add_feature(&p, "my_metric_total");
	ok(gf_profile_feature(&p, "my_metric") != NULL, "third-party feature");
	gf_profile_release(&p);

	ok(load_yaml("name: t\nfeatures: {}\n", &p, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "power") != NULL,
	    "missing power is 65 naming the key: %s", err.msg);
	ok(load_yaml("power: {acpi: {platform: {scale: 2}}}\n", &p, &err) < 0 &&
	    strstr(err.msg, "power.acpi.platform") != NULL,
	    "metric missing named: %s", err.msg);
	ok(load_yaml("power: {acpi: {platform: x}}\ngroups: {G: [nope]}\n", &p,
	    &err) < 0 && strstr(err.msg, "nope") != NULL,
	    "group with an undefined feature: %s", err.msg);
	ok(load_yaml("step: -3s\npower: {acpi: {platform: x}}\n", &p, &err) < 0,
	    "negative step");

	if (src != NULL) {
		path = NULL;
		if (asprintf(&path, "%s/share/profiles", src) > 0)
			setenv("GF_PROFILE_PATH", path, 1);
		free(path);
		ok(gf_profile_load("kepler-0.7", &p, &err) == 0,
		    "kepler-0.7: %s", err.msg);
		ok(gf_profile_feature(&p, "bpf_cpu_time_ms") != NULL &&
		    gf_profile_source(&p, "acpi") != NULL,
		    "kepler-0.7 content");
		gf_profile_release(&p);
		ok(gf_profile_load("kepler-0.10", &p, &err) == 0,
		    "kepler-0.10");
		gf_profile_release(&p);
		ok(gf_profile_load("node-exporter", &p, &err) == 0 &&
		    p.ngroups == 4, "node-exporter");
		gf_profile_release(&p);
	} else {
		diag("GF_SRC unset: shipped profiles not checked");
	}
	ok(gf_profile_load("no-such-profile", &p, &err) < 0 &&
	    err.exit == GF_EXIT_NOINPUT, "missing profile is 66");
	return done_testing();
}
