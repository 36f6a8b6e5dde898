/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH host's files: over SFTP, or through commands (their stdin)
 * under sudo and on servers without SFTP. Writes are atomic: a
 * temporary file beside the target, renamed over it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_host_ssh_impl.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_ssh.h"
#include "gf_banned.h"

/*
 * The connection for SFTP, or NULL (err untouched) when files go
 * through commands: under sudo, or when the server has no SFTP.
 */
static struct gf_ssh *
sftp_session(struct gf_host *h, int *failed, struct gf_err *err)
{
	struct ssh_host *sh = h->impl;
	struct gf_ssh *s;
	int fresh;

	*failed = 0;
	if (sh->sudo)
		return NULL;
	if ((s = gf_host_ssh_session(h, &fresh, err)) == NULL)
		*failed = 1;
	return s != NULL && gf_ssh_has_sftp(s) ? s : NULL;
}

char *
gf_host_ssh_read(struct gf_host *h, const char *path, size_t max_bytes, size_t *len,
    struct gf_err *err)
{
	struct gf_buf out = GF_BUF_INIT, eout = GF_BUF_INIT;
	const char *args[] = { path, NULL };
	int failed, st;
	struct gf_ssh *s = sftp_session(h, &failed, err);

	if (s != NULL || failed)
		return s != NULL ? gf_ssh_read(s, path, max_bytes, len, err) :
		    NULL;
	st = gf_host_ssh_sh_run(h, "[ -e \"$1\" ] || exit 66\nexec cat -- \"$1\"\n", args,
	    NULL, 0, &out, &eout, err);
	if (st == 66)
		gf_err_set(err, GF_EXIT_NOINPUT, "host", "host '%s': cannot "
		    "open '%s': No such file or directory", h->name, path);
	else if (st > 0)
		gf_err_set(err, GF_EXIT_IOERR, "host", "host '%s': cannot "
		    "read '%s': %s", h->name, path, gf_host_ssh_first_line(&eout,
		    "failed"));
	else if (st == 0 && max_bytes > 0 && out.len > max_bytes)
		st = gf_err_set(err, GF_EXIT_DATAERR, "host", "host '%s': "
		    "'%s' is larger than %zu bytes", h->name, path, max_bytes);
	gf_buf_release(&eout);
	if (st != 0) {
		gf_buf_release(&out);
		return NULL;
	}
	if (len != NULL)
		*len = out.len;
	if (out.data == NULL)
		gf_buf_addc(&out, '\0');
	return gf_buf_detach(&out);
}

/* Without SFTP the data goes through the command's stdin. */
static const char cmd_write_script[] =
    "if [ \"$3\" = in-place ]; then\n"
    "  exec 3>\"$1\" || exit 73; exec cat >&3\n"
    "fi\n"
    "t=$(mktemp \"$1.gf-XXXXXX\") || exit 73\n"
    "cat >\"$t\" && chmod \"$2\" \"$t\" && mv -f -- \"$t\" \"$1\" || "
    "{ rm -f -- \"$t\"; exit 74; }\n";

int
gf_host_ssh_write(struct gf_host *h, const char *path, const void *data,
    size_t len, mode_t mode, int flags, struct gf_err *err)
{
	static unsigned long serial;
	struct gf_buf tmp = GF_BUF_INIT, eout = GF_BUF_INIT;
	char m[16];
	const char *args[] = { path, m,
		(flags & GF_HOST_WRITE_IN_PLACE) ? "in-place" : "atomic",
		NULL };
	int failed, st;
	struct gf_ssh *s = sftp_session(h, &failed, err);

	snprintf(m, sizeof(m), "%04o", (unsigned)(mode & 07777));
	if (failed)
		return -1;
	if (s == NULL) {
		st = gf_host_ssh_sh_run(h, cmd_write_script, args, data, len, NULL, &eout,
		    err);
		if (st > 0)
			gf_err_set(err, st == 73 ? GF_EXIT_CANTCREAT :
			    GF_EXIT_IOERR, "host", "host '%s': cannot write "
			    "'%s': %s", h->name, path, gf_host_ssh_first_line(&eout,
			    "failed"));
		gf_buf_release(&eout);
		return st == 0 ? 0 : -1;
	}
	if (flags & GF_HOST_WRITE_IN_PLACE)
		return gf_ssh_write(s, path, data, len, mode, 0, err);
	gf_buf_addf(&tmp, "%s.gf-%ld-%lu", path, (long)getpid(), ++serial);
	if (gf_ssh_write(s, gf_buf_str(&tmp), data, len, mode, 1, err) < 0) {
		gf_buf_release(&tmp);
		return -1;
	}
	args[0] = gf_buf_str(&tmp);
	args[2] = path;
	st = gf_host_ssh_sh_run(h, "chmod \"$2\" \"$1\" && mv -f -- \"$1\" \"$3\"", args,
	    NULL, 0, NULL, &eout, err);
	if (st != 0) {
		if (st > 0)
			gf_err_set(err, GF_EXIT_IOERR, "host", "host '%s': "
			    "cannot write '%s': %s", h->name, path,
			    gf_host_ssh_first_line(&eout, "failed"));
		gf_ssh_remove(s, gf_buf_str(&tmp), NULL);
	}
	gf_buf_release(&tmp);
	gf_buf_release(&eout);
	return st == 0 ? 0 : -1;
}

int
gf_host_ssh_mkdir_p(struct gf_host *h, const char *path, mode_t mode,
    struct gf_err *err)
{
	struct gf_buf eout = GF_BUF_INIT;
	char mask[16];
	const char *args[] = { path, mask, NULL };
	int st;

	snprintf(mask, sizeof(mask), "%04o", (unsigned)(~mode & 0777));
	st = gf_host_ssh_sh_run(h, "umask \"$2\" && mkdir -p -- \"$1\"", args, NULL, 0,
	    NULL, &eout, err);
	if (st > 0)
		gf_err_set(err, GF_EXIT_CANTCREAT, "host", "host '%s': cannot "
		    "create '%s': %s", h->name, path, gf_host_ssh_first_line(&eout,
		    "failed"));
	gf_buf_release(&eout);
	return st == 0 ? 0 : -1;
}

static int
put_tree(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (lstat(src, &st) < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "host", "cannot copy '%s': %s", src,
		    strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		const char *args[] = { target, dest, NULL };

		if (n < 0)
			return gf_err_set(err, GF_EXIT_IOERR, "host",
			    "cannot read link '%s': %s", src, strerror(errno));
		target[n] = '\0';
		rc = gf_host_ssh_sh_run(h, "ln -sfn -- \"$1\" \"$2\"", args, NULL, 0,
		    NULL, NULL, err);
		if (rc > 0)
			gf_err_set(err, GF_EXIT_CANTCREAT, "host", "host '%s': "
			    "cannot create link '%s'", h->name, dest);
		return rc == 0 ? 0 : -1;
	}
	if (S_ISREG(st.st_mode)) {
		size_t len;
		char *data = gf_fs_read(src, 0, &len, err);

		if (data == NULL)
			return -1;
		rc = gf_host_ssh_write(h, dest, data, len, st.st_mode & 07777, 0, err);
		free(data);
		return rc;
	}
	if (!S_ISDIR(st.st_mode))
		return gf_err_set(err, GF_EXIT_DATAERR, "host", "cannot copy "
		    "'%s': not a file, link or directory", src);
	if (gf_host_ssh_mkdir_p(h, dest, st.st_mode & 07777, err) < 0)
		return -1;
	if ((d = opendir(src)) == NULL)
		return gf_err_set(err, GF_EXIT_IOERR, "host", "cannot open "
		    "'%s': %s", src, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *s, *t;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		s = gf_fs_join(src, de->d_name);
		t = gf_fs_join(dest, de->d_name);
		rc = put_tree(h, s, t, err);
		free(t);
		free(s);
	}
	closedir(d);
	return rc;
}

int
gf_host_ssh_copy(struct gf_host *h, const char *src, const char *dest,
    struct gf_err *err)
{
	return put_tree(h, src, dest, err);
}
