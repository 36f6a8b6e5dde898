/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/utsname.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_hostinfo.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static char *
read_line(struct gf_host *h, const char *path)
{
	struct gf_err err = GF_ERR_INIT;
	char *s = gf_host_read(h, path, 4096, NULL, &err);
	size_t n;

	if (s == NULL)
		return NULL;
	n = strcspn(s, "\n");
	s[n] = '\0';
	return s;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory on the host (unsorted), or -1 (errno). */
static int
list_dir(struct gf_host *h, const char *dir, char ***names, size_t *n)
{
	const char *argv[] = { "ls", "-1", dir, NULL };
	struct gf_err err = GF_ERR_INIT;
	struct dirent *de;
	char *out = NULL, *line, *save = NULL;
	DIR *d;

	if (!gf_host_is_local(h)) {
		/* Most hosts have no powercap: ls's complaint is not news. */
		struct gf_host_cmd cmd = { .argv = argv, .timeout = 20,
			.capture = GF_HOST_CAPTURE_STDOUT |
			    GF_HOST_CAPTURE_STDERR };
		struct gf_host_result res = { 0 };

		if (gf_host_run(h, &cmd, &res, &err) != 0 || res.status != 0) {
			gf_host_result_release(&res);
			errno = ENOENT;
			return -1;
		}
		out = res.out;
		res.out = NULL;
		gf_host_result_release(&res);
		for (line = out == NULL ? NULL : strtok_r(out, "\n", &save);
		    line != NULL; line = strtok_r(NULL, "\n", &save)) {
			*names = gf_xreallocarray(*names, *n + 1,
			    sizeof(**names));
			(*names)[(*n)++] = gf_xstrdup(line);
		}
		free(out);
		return 0;
	}
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*names = gf_xreallocarray(*names, *n + 1, sizeof(**names));
		(*names)[(*n)++] = gf_xstrdup(de->d_name);
	}
	closedir(d);
	return 0;
}

/*
 * Whether energy_uj can be read: 1, or 0 with the reason (the kernel's
 * words on the runner, gf_host_read's message elsewhere).
 */
static int
energy_readable(struct gf_host *h, const char *path, char *why, size_t len)
{
	struct gf_err err = GF_ERR_INIT;
	char buf[32], *text;
	ssize_t r;
	int fd, e;

	if (!gf_host_is_local(h)) {
		if ((text = gf_host_read(h, path, 64, NULL, &err)) != NULL &&
		    *text != '\0') {
			free(text);
			return 1;
		}
		snprintf(why, len, "%s", text != NULL ? "empty" : err.msg);
		free(text);
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return 0;
	}
	r = read(fd, buf, sizeof(buf));
	e = errno;
	close(fd);
	if (r > 0)
		return 1;
	snprintf(why, len, "%s", r == 0 ? "empty" : strerror(e));
	return 0;
}

json_t *
gf_hostinfo_rapl(struct gf_host *h, const char *sysfs_root)
{
	json_t *rec = json_object(), *domains = json_array();
	char *base = gf_fs_join(sysfs_root ? sysfs_root : "/sys",
	    "class/powercap");
	char **names = NULL;
	char *shown;
	size_t n = 0, readable = 0;

	/* A relative --sysfs is relative to this machine's directory. */
	shown = strcmp(gf_host_connection(h), "local") == 0 ?
	    gf_section_path(base) : gf_xstrdup(base);
	json_object_set_new(rec, GF_FIELD_RAPL_PATH, json_string(shown));
	free(shown);
	if (list_dir(h, base, &names, &n) < 0)
		json_object_set_new(rec, "error", json_string(strerror(errno)));
	/* Sorted, so the record is the same on every run. */
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *zdir = gf_fs_join(base, names[i]);
		char *npath = gf_fs_join(zdir, "name");
		char *epath = gf_fs_join(zdir, "energy_uj");
		char *zname = read_line(h, npath);
		char why[1024];
		json_t *dom;

		if (zname != NULL) {
			dom = json_object();
			json_object_set_new(dom, "zone", json_string(names[i]));
			json_object_set_new(dom, "name", json_string(zname));
			if (energy_readable(h, epath, why, sizeof(why))) {
				readable++;
				json_object_set_new(dom, "readable",
				    json_true());
			} else {
				json_object_set_new(dom, "readable",
				    json_false());
				json_object_set_new(dom, "error",
				    json_string(why));
			}
			json_array_append_new(domains, dom);
		}
		free(zname);
		free(epath);
		free(npath);
		free(zdir);
		free(names[i]);
	}
	free(names);
	json_object_set_new(rec, GF_FIELD_RAPL_PRESENT,
	    json_boolean(json_array_size(domains) > 0));
	json_object_set_new(rec, GF_FIELD_RAPL_READABLE, json_boolean(
	    json_array_size(domains) > 0 &&
	    readable == json_array_size(domains)));
	json_object_set_new(rec, "domains", domains);
	free(base);
	return rec;
}

int
gf_hostinfo_rapl_usable(const json_t *rapl)
{
	return json_is_true(json_object_get(rapl, GF_FIELD_RAPL_PRESENT)) &&
	    json_is_true(json_object_get(rapl, GF_FIELD_RAPL_READABLE));
}

static char *
os_name(struct gf_host *h)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = gf_host_read(h, "/etc/os-release", 65536, NULL, &err);
	char *line, *save = NULL, *out = NULL;

	if (text == NULL)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		size_t len;

		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		line += 12;
		len = strlen(line);
		if (len >= 2 && (line[0] == '"' || line[0] == '\'') &&
		    line[len - 1] == line[0]) {
			line++;
			len -= 2;
		}
		out = gf_xstrndup(line, len);
		break;
	}
	free(text);
	return out;
}

static char *
cpu_model(struct gf_host *h)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = gf_host_read(h, "/proc/cpuinfo", 0, NULL, &err);
	char *line, *save = NULL, *out = NULL;

	if (text == NULL)
		return NULL;
	/* x86 says "model name"; arm64 kernels often give only "CPU part". */
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (colon == NULL || (strncmp(line, "model name", 10) != 0 &&
		    strncmp(line, "Model", 5) != 0 &&
		    strncmp(line, "cpu model", 9) != 0))
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		out = gf_xstrdup(colon);
		break;
	}
	free(text);
	return out;
}

static long long
mem_total(struct gf_host *h)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = gf_host_read(h, "/proc/meminfo", 0, NULL, &err);
	char *p;
	long long kb = -1;

	if (text == NULL)
		return -1;
	p = strstr(text, "MemTotal:");
	if (p != NULL && sscanf(p + 9, "%lld", &kb) != 1)
		kb = -1;
	free(text);
	return kb < 0 ? -1 : kb * 1024;
}

static json_t *
addresses(void)
{
	json_t *arr = json_array();
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return arr;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		char buf[INET6_ADDRSTRLEN];
		const void *a;
		int fam;

		if (i->ifa_addr == NULL)
			continue;
		fam = i->ifa_addr->sa_family;
		if (fam == AF_INET) {
			const struct sockaddr_in *s4 =
			    (const struct sockaddr_in *)(const void *)
			    i->ifa_addr;

			if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
				continue;
			a = &s4->sin_addr;
		} else if (fam == AF_INET6) {
			const struct sockaddr_in6 *s6 =
			    (const struct sockaddr_in6 *)(const void *)
			    i->ifa_addr;

			if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
			    IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				continue;
			a = &s6->sin6_addr;
		} else {
			continue;
		}
		if (inet_ntop(fam, a, buf, sizeof(buf)) != NULL)
			json_array_append_new(arr, json_string(buf));
	}
	freeifaddrs(ifa);
	return arr;
}

/* One line of a command's output on the host (new string), or NULL. */
static char *
host_line(struct gf_host *h, const char *const *argv)
{
	struct gf_err err = GF_ERR_INIT;
	char *out = NULL;

	if (gf_host_capture(h, argv, 20, &out, &err) != 0 || out == NULL ||
	    *out == '\0') {
		free(out);
		return NULL;
	}
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Another host's addresses: "hostname -I". */
static json_t *
remote_addresses(struct gf_host *h)
{
	const char *argv[] = { "hostname", "-I", NULL };
	char *line = host_line(h, argv), *a, *save = NULL;
	json_t *arr = json_array();

	for (a = line != NULL ? strtok_r(line, " \t", &save) : NULL;
	    a != NULL; a = strtok_r(NULL, " \t", &save))
		json_array_append_new(arr, json_string(a));
	free(line);
	return arr;
}

json_t *
gf_hostinfo_collect(struct gf_host *host, const char *sysfs_root,
    struct gf_err *err)
{
	static const char *const arch_argv[] = { "uname", "-m", NULL };
	static const char *const kernel_argv[] = { "uname", "-r", NULL };
	static const char *const cores_argv[] = { "getconf",
		"_NPROCESSORS_ONLN", NULL };
	int local = gf_host_is_local(host);
	struct utsname u;
	json_t *h;
	char *s;
	long n = -1;
	long long mem;

	if (local && uname(&u) < 0) {
		gf_err_set(err, GF_EXIT_OSERR, "hostinfo", "uname: %s",
		    strerror(errno));
		return NULL;
	}
	h = json_object();
	json_object_set_new(h, GF_FIELD_HOST_NAME,
	    json_string(gf_host_name(host)));
	json_object_set_new(h, GF_FIELD_HOST_ADDRESS,
	    json_string(gf_host_address(host)));
	json_object_set_new(h, GF_FIELD_HOST_ADDRESSES, local ? addresses() :
	    remote_addresses(host));
	json_object_set_new(h, GF_FIELD_HOST_CONNECTION,
	    json_string(gf_host_connection(host)));
	if (local) {
		json_object_set_new(h, GF_FIELD_HOST_ARCH,
		    json_string(u.machine));
		json_object_set_new(h, GF_FIELD_HOST_KERNEL,
		    json_string(u.release));
	} else {
		if ((s = host_line(host, arch_argv)) != NULL)
			json_object_set_new(h, GF_FIELD_HOST_ARCH,
			    json_string(s));
		free(s);
		if ((s = host_line(host, kernel_argv)) != NULL)
			json_object_set_new(h, GF_FIELD_HOST_KERNEL,
			    json_string(s));
		free(s);
	}
	if ((s = os_name(host)) != NULL)
		json_object_set_new(h, GF_FIELD_HOST_OS, json_string(s));
	free(s);
	if ((s = cpu_model(host)) != NULL)
		json_object_set_new(h, GF_FIELD_HOST_CPU_MODEL,
		    json_string(s));
	free(s);
	if (local) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
	} else if ((s = host_line(host, cores_argv)) != NULL) {
		n = strtol(s, NULL, 10);
		free(s);
	}
	if (n > 0)
		json_object_set_new(h, GF_FIELD_HOST_CORES, json_integer(n));
	if ((mem = mem_total(host)) > 0)
		json_object_set_new(h, GF_FIELD_HOST_MEMORY_BYTES,
		    json_integer(mem));
	json_object_set_new(h, GF_FIELD_HOST_RAPL,
	    gf_hostinfo_rapl(host, sysfs_root));
	return h;
}
