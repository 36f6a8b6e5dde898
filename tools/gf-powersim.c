/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-powersim: a simulated power meter for machines without RAPL. It
 * keeps a powercap-style tree (DIR/class/powercap/intel-rapl:N/...) whose
 * energy counters follow a fixed, documented curve of the CPU utilisation
 * measured from /proc/stat:
 *
 *	package W = idle + dynamic x u          (per package)
 *	core W    = idle / 4 + dynamic x u      (part of the package)
 *	dram W    = dram_idle + dram_dynamic x u
 *
 * node-exporter reads the tree with --path.sysfs=DIR. It is a stand-in
 * that lets the whole flow run anywhere, not a measurement: everything it
 * feeds is labelled source="simulated". It does not read or write a run
 * document.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_buf.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* What a real package zone reports (about 262 kJ before wrapping). */
#define MAX_RANGE_UJ 262143328850.0

struct zone {
	char *dir;
	char name[32];
	double energy_uj;
	double watts;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct gf_opt opts[] = {
	GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "dir", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "sysfs root to keep (DIR/class/powercap); required" },
	{ .name = "textfile", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "write gf_powersim.prom for node-exporter's textfile "
	  "collector" },
	{ .name = "idle-watts", .kind = GF_OPT_NUMBER, .arg = "W",
	  .help = "package power at 0 % CPU", .def = "10", .min = 0,
	  .max = 1e6 },
	{ .name = "dynamic-watts", .kind = GF_OPT_NUMBER, .arg = "W",
	  .help = "added at 100 % CPU", .def = "40", .min = 0, .max = 1e6 },
	{ .name = "dram-idle-watts", .kind = GF_OPT_NUMBER, .arg = "W",
	  .help = "DRAM at 0 % CPU", .def = "2", .min = 0, .max = 1e6 },
	{ .name = "dram-dynamic-watts", .kind = GF_OPT_NUMBER, .arg = "W",
	  .help = "added to DRAM at 100 % CPU", .def = "3", .min = 0,
	  .max = 1e6 },
	{ .name = "packages", .kind = GF_OPT_INT, .arg = "N",
	  .help = "packages", .def = "1", .min = 1, .max = 64 },
	{ .name = "interval", .kind = GF_OPT_DURATION, .arg = "DURATION",
	  .help = "update period", .def = "1s", .min = 0.05, .max = 86400 },
	{ .name = "procfs", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "read DIR/stat", .def = "/proc" },
	{ .name = "once", .kind = GF_OPT_FLAG,
	  .help = "update once and exit" },
};

static const struct gf_cli cli = {
	.name = "gf-powersim",
	.synopsis = "[-hV] --dir dir [--textfile dir] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "See gf-powersim(1).",
};

/* Write text to path via a temporary name and rename(2): readers never
 * see a half-written counter. No fsync: the tree is as volatile as sysfs. */
static int
put(const char *path, const char *text, struct gf_err *err)
{
	char *tmp = gf_xasprintf("%s.tmp", path);
	size_t len = strlen(text);
	int fd, rc = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = gf_err_set(err, GF_EXIT_CANTCREAT, "powersim",
		    "cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len) {
		rc = gf_err_set(err, GF_EXIT_IOERR, "powersim",
		    "cannot write '%s': %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		rc = gf_err_set(err, GF_EXIT_IOERR, "powersim",
		    "cannot rename '%s': %s", tmp, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

static int
zone_init(struct zone *z, const char *root, const char *id,
    const char *name, struct gf_err *err)
{
	struct gf_err ignore = GF_ERR_INIT;
	char *path, *old;
	char line[64];

	z->dir = gf_xasprintf("%s/class/powercap/%s", root, id);
	snprintf(z->name, sizeof(z->name), "%s", name);
	z->energy_uj = 0;
	z->watts = 0;
	if (gf_fs_mkdir_p(z->dir, 0755, err) < 0)
		return -1;
	/* Continue an existing counter: a restart is not a counter reset. */
	path = gf_fs_join(z->dir, "energy_uj");
	old = gf_fs_read(path, 64, NULL, &ignore);
	if (old != NULL)
		z->energy_uj = fmod(strtod(old, NULL), MAX_RANGE_UJ);
	free(old);
	free(path);
	path = gf_fs_join(z->dir, "name");
	snprintf(line, sizeof(line), "%s\n", name);
	if (put(path, line, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	path = gf_fs_join(z->dir, "max_energy_range_uj");
	snprintf(line, sizeof(line), "%.0f\n", MAX_RANGE_UJ);
	if (put(path, line, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

static int
zone_write(const struct zone *z, struct gf_err *err)
{
	char *path = gf_fs_join(z->dir, "energy_uj");
	char line[64];
	int rc;

	snprintf(line, sizeof(line), "%.0f\n", floor(z->energy_uj));
	rc = put(path, line, err);
	free(path);
	return rc;
}

/* busy and total jiffies from the first line of /proc/stat. */
static int
cpu_times(const char *stat_path, double *busy, double *total,
    struct gf_err *err)
{
	unsigned long long v[8] = { 0 };
	char *text = gf_fs_read(stat_path, 0, NULL, err);
	int n;

	if (text == NULL)
		return -1;
	n = sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
	    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	free(text);
	if (n < 4)
		return gf_err_set(err, GF_EXIT_DATAERR, "powersim",
		    "%s: no 'cpu' line", stat_path);
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += (double)v[i];
	/* idle and iowait are the only times no CPU work is done. */
	*busy = *total - (double)v[3] - (double)v[4];
	return 0;
}

static int
write_textfile(const char *tdir, const struct zone *z, size_t nz, double u,
    struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	char *path;
	int rc;

	gf_buf_addf(&b, "# HELP gf_powersim_cpu_utilisation CPU utilisation "
	    "(0-1) gf-powersim last measured.\n"
	    "# TYPE gf_powersim_cpu_utilisation gauge\n"
	    "gf_powersim_cpu_utilisation{source=\"simulated\"} %.6f\n"
	    "# HELP gf_powersim_watts Power gf-powersim assigns to each zone "
	    "(simulated, not measured).\n"
	    "# TYPE gf_powersim_watts gauge\n", u);
	for (size_t i = 0; i < nz; i++)
		gf_buf_addf(&b, "gf_powersim_watts{source=\"simulated\","
		    "zone=\"%s\",path=\"%s\"} %.6f\n", z[i].name,
		    strrchr(z[i].dir, '/') + 1, z[i].watts);
	path = gf_fs_join(tdir, "gf_powersim.prom");
	rc = put(path, b.data, err);
	free(path);
	gf_buf_release(&b);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct gf_err err = GF_ERR_INIT;
	const char *dir, *tdir, *procfs;
	double idle, dyn, didle, ddyn, interval;
	double busy0, total0, busy, total, t0, t, u = 0;
	long long packages;
	struct zone *z = NULL;
	size_t nz;
	char *stat_path = NULL, *enabled = NULL;
	int once, rc = 0;
	struct sigaction sa;
	struct gf_tool tool;

	gf_tool_start(&tool, &cli, argc, argv, GF_TOOL_NO_DOC |
	    GF_TOOL_OWN_SIGNALS);
	if ((dir = gf_opt_str(&tool.set, "dir")) == NULL)
		gf_die(GF_EXIT_USAGE, "--dir is required (see --help)");
	tdir = gf_opt_str(&tool.set, "textfile");
	procfs = gf_opt_str(&tool.set, "procfs");
	idle = gf_opt_num(&tool.set, "idle-watts");
	dyn = gf_opt_num(&tool.set, "dynamic-watts");
	didle = gf_opt_num(&tool.set, "dram-idle-watts");
	ddyn = gf_opt_num(&tool.set, "dram-dynamic-watts");
	packages = (long long)gf_opt_num(&tool.set, "packages");
	interval = gf_opt_num(&tool.set, "interval");
	once = gf_opt_flag(&tool.set, "once");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	stat_path = gf_fs_join(procfs, "stat");
	if (cpu_times(stat_path, &busy0, &total0, &err) < 0)
		goto fail;
	nz = (size_t)packages * 3;
	z = gf_xcalloc(nz, sizeof(*z));
	for (long long p = 0; p < packages; p++) {
		char id[48], name[32];

		snprintf(id, sizeof(id), "intel-rapl:%lld", p);
		snprintf(name, sizeof(name), "package-%lld", p);
		if (zone_init(&z[p * 3], dir, id, name, &err) < 0)
			goto fail;
		snprintf(id, sizeof(id), "intel-rapl:%lld:0", p);
		if (zone_init(&z[p * 3 + 1], dir, id, "core", &err) < 0)
			goto fail;
		snprintf(id, sizeof(id), "intel-rapl:%lld:1", p);
		if (zone_init(&z[p * 3 + 2], dir, id, "dram", &err) < 0)
			goto fail;
	}
	/* The parent of the zones, as the kernel has it (no name file). */
	enabled = gf_xasprintf("%s/class/powercap/intel-rapl", dir);
	if (gf_fs_mkdir_p(enabled, 0755, &err) < 0)
		goto fail;
	free(enabled);
	enabled = gf_xasprintf("%s/class/powercap/intel-rapl/enabled", dir);
	if (put(enabled, "1\n", &err) < 0)
		goto fail;
	if (tdir != NULL && gf_fs_mkdir_p(tdir, 0755, &err) < 0)
		goto fail;
	gf_info("simulated meter: package %g W + %g W x utilisation, dram "
	    "%g W + %g W x utilisation, %lld package(s), under %s", idle, dyn,
	    didle, ddyn, packages, dir);

	t0 = gf_time_monotonic();
	for (;;) {
		for (size_t i = 0; i < nz; i++) {
			if (i % 3 == 0)
				z[i].watts = idle + dyn * u;
			else if (i % 3 == 1)
				z[i].watts = idle / 4 + dyn * u;
			else
				z[i].watts = didle + ddyn * u;
		}
		for (size_t i = 0; i < nz; i++)
			if (zone_write(&z[i], &err) < 0)
				goto fail;
		if (tdir != NULL && write_textfile(tdir, z, nz, u, &err) < 0)
			goto fail;
		if (once || stop)
			break;
		gf_time_sleep(interval, 1);	/* stop is checked next */
		if (stop)
			break;
		t = gf_time_monotonic();
		if (cpu_times(stat_path, &busy, &total, &err) < 0)
			goto fail;
		u = total > total0 ? (busy - busy0) / (total - total0) : u;
		u = u < 0 ? 0 : u > 1 ? 1 : u;
		busy0 = busy;
		total0 = total;
		/* Energy over the elapsed time at the power of the period. */
		for (size_t i = 0; i < nz; i++) {
			double w = i % 3 == 0 ? idle + dyn * u :
			    i % 3 == 1 ? idle / 4 + dyn * u : didle + ddyn * u;

			z[i].energy_uj = fmod(z[i].energy_uj +
			    w * (t - t0) * 1e6, MAX_RANGE_UJ);
		}
		t0 = t;
	}
	goto out;
fail:
	gf_error("%s", err.msg);
	rc = err.exit != 0 ? err.exit : GF_EXIT_SOFTWARE;
out:
	if (tdir != NULL && !once) {
		char *p = gf_fs_join(tdir, "gf_powersim.prom");

		unlink(p);
		free(p);
	}
	if (z != NULL)
		for (size_t i = 0; i < (size_t)packages * 3; i++)
			free(z[i].dir);
	free(z);
	free(enabled);
	free(stat_path);
	gf_opt_free(&tool.set);
	return rc;
}
