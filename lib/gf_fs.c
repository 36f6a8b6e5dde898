/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_fs.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_fs_mkdir_p(const char *path, mode_t mode, struct gf_err *err)
{
	char *copy = gf_xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;

		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = gf_err_set(err, GF_EXIT_CANTCREAT, "fs",
			    "cannot create directory '%s': %s", copy,
			    strerror(errno));
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (rc == 0 && !gf_fs_is_dir(path))
		rc = gf_err_set(err, GF_EXIT_CANTCREAT, "fs",
		    "'%s' exists and is not a directory", path);
	free(copy);
	return rc;
}

static int
write_file(const char *path, int (*fill)(FILE *, void *), void *arg,
    mode_t mode, int sync, struct gf_err *err)
{
	char *tmp = gf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = NULL;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "fs",
		    "cannot create '%s': %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	errno = 0;
	if (fill(f, arg) < 0 || fflush(f) != 0 || ferror(f) ||
	    (sync && fsync(fd) < 0)) {
		gf_err_set(err, GF_EXIT_IOERR, "fs", "cannot write '%s': %s",
		    tmp, errno ? strerror(errno) : "write error");
		goto out;
	}
	rc = fclose(f);
	f = NULL;
	if (rc != 0) {
		gf_err_set(err, GF_EXIT_IOERR, "fs", "cannot write '%s': %s",
		    tmp, strerror(errno));
		goto out;
	}
	rc = -1;
	if (rename(tmp, path) < 0) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "fs",
		    "cannot rename '%s' to '%s': %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int
gf_fs_write_atomic_with(const char *path, int (*fill)(FILE *, void *),
    void *arg, mode_t mode, struct gf_err *err)
{
	return write_file(path, fill, arg, mode, 1, err);
}

int
gf_fs_write_staged_with(const char *path, int (*fill)(FILE *, void *),
    void *arg, mode_t mode, struct gf_err *err)
{
	return write_file(path, fill, arg, mode, 0, err);
}

int
gf_fs_sync_tree(const char *dir, struct gf_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return gf_err_set(err, GF_EXIT_NOINPUT, "fs", "cannot open "
		    "'%s': %s", dir, strerror(errno));
#ifdef __linux__
	rc = syncfs(fd);
#else
	sync();
	rc = 0;
#endif
	if (rc < 0)
		gf_err_set(err, GF_EXIT_IOERR, "fs", "cannot write '%s' to "
		    "disk: %s", dir, strerror(errno));
	close(fd);
	return rc < 0 ? -1 : 0;
}

struct bytes {
	const void *data;
	size_t len;
};

static int
fill_bytes(FILE *f, void *arg)
{
	const struct bytes *b = arg;

	return fwrite(b->data, 1, b->len, f) == b->len ? 0 : -1;
}

int
gf_fs_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct gf_err *err)
{
	struct bytes b = { data, len };

	return write_file(path, fill_bytes, &b, mode, 1, err);
}

int
gf_fs_write_staged(const char *path, const void *data, size_t len,
    mode_t mode, struct gf_err *err)
{
	struct bytes b = { data, len };

	return write_file(path, fill_bytes, &b, mode, 0, err);
}

char *
gf_fs_read(const char *path, size_t max_bytes, size_t *lenp,
    struct gf_err *err)
{
	FILE *fp = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0, cap = 0;

	if (fp == NULL) {
		gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "fs", "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = gf_xreallocarray(data, cap + 1, 1);
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (max_bytes > 0 && len > max_bytes) {
			gf_err_set(err, GF_EXIT_DATAERR, "fs",
			    "'%s' is larger than %zu bytes", path, max_bytes);
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		gf_err_set(err, GF_EXIT_IOERR, "fs",
		    "cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	data[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return data;
fail:
	fclose(fp);
	free(data);
	return NULL;
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int
gf_fs_remove_tree(const char *path, struct gf_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : gf_err_set(err, GF_EXIT_IOERR,
		    "fs", "cannot remove '%s': %s", path, strerror(errno));
	if (nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return gf_err_set(err, GF_EXIT_IOERR, "fs",
		    "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int
gf_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* dir/name.yaml when it exists: a new string, else NULL. */
static char *
yaml_in(const char *dir, const char *kind, const char *name)
{
	char *p = kind != NULL ?
	    gf_xasprintf("%s/%s/%s.yaml", dir, kind, name) :
	    gf_xasprintf("%s/%s.yaml", dir, name);

	if (gf_fs_exists(p))
		return p;
	free(p);
	return NULL;
}

char *
gf_fs_find_shared(const char *kind, const char *name, const char *path_env)
{
	const char *env = path_env != NULL ? getenv(path_env) : NULL;
	const char *share = getenv("GF_SHARE");
	char exe[PATH_MAX], *hit = NULL, *slash;
	ssize_t n;

	if (env != NULL && *env != '\0') {
		char *copy = gf_xstrdup(env), *save = NULL;

		for (char *d = strtok_r(copy, ":", &save); d != NULL &&
		    hit == NULL; d = strtok_r(NULL, ":", &save))
			hit = yaml_in(d, NULL, name);
		free(copy);
	}
	if (hit == NULL && share != NULL && *share != '\0')
		hit = yaml_in(share, kind, name);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (hit == NULL && n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			char *installed, *tree;

			*slash = '\0';
			installed = gf_xasprintf("%s/../share/gf", exe);
			tree = gf_xasprintf("%s/../../share", exe);
			hit = yaml_in(installed, kind, name);
			if (hit == NULL)
				hit = yaml_in(tree, kind, name);
			free(installed);
			free(tree);
		}
	}
	if (hit == NULL)
		hit = yaml_in("/usr/local/share/gf", kind, name);
	if (hit == NULL)
		hit = yaml_in("/usr/share/gf", kind, name);
	return hit;
}

int
gf_fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
gf_fs_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	while (*name == '/')
		name++;
	return gf_xasprintf("%.*s/%s", (int)n, dir, name);
}
