/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "gf_archive.h"
#include "gf_buf.h"
#include "gf_dl.h"
#include "gf_fs.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/*
 * libarchive, loaded by the first call that needs it: with what it needs
 * in turn (libxml2, ICU, libstdc++, five compressors) it took 5-6 ms of
 * every start of every tool, a sixth of gf-train's raw-query extraction,
 * which never opens an archive. Only this table calls it; its soname
 * has been libarchive.so.13 since 3.0.
 */
#define LIBARCHIVE_FUNCS(X) \
	X(archive_entry_clear) X(archive_entry_copy_hardlink) \
	X(archive_entry_copy_pathname) X(archive_entry_copy_stat) \
	X(archive_entry_copy_symlink) X(archive_entry_free) \
	X(archive_entry_hardlink) X(archive_entry_new) \
	X(archive_entry_pathname) X(archive_entry_set_filetype) \
	X(archive_entry_set_gid) X(archive_entry_set_mtime) \
	X(archive_entry_set_nlink) X(archive_entry_set_perm) \
	X(archive_entry_set_size) X(archive_entry_set_uid) \
	X(archive_error_string) X(archive_read_data) \
	X(archive_read_data_block) X(archive_read_free) X(archive_read_new) \
	X(archive_read_next_header) X(archive_read_open_filename) \
	X(archive_read_support_filter_all) X(archive_read_support_format_all) \
	X(archive_set_error) X(archive_write_add_filter_gzip) \
	X(archive_write_add_filter_zstd) X(archive_write_close) \
	X(archive_write_data) X(archive_write_data_block) \
	X(archive_write_disk_new) X(archive_write_disk_set_options) \
	X(archive_write_finish_entry) X(archive_write_free) \
	X(archive_write_header) X(archive_write_new) X(archive_write_open2) \
	X(archive_write_set_bytes_in_last_block) \
	X(archive_write_set_bytes_per_block) \
	X(archive_write_set_filter_option) X(archive_write_set_format_option) \
	X(archive_write_set_format_pax_restricted) \
	X(archive_write_set_format_zip)

static struct {
#define LA_FIELD(f) __typeof__(f) *f;
	LIBARCHIVE_FUNCS(LA_FIELD)
#undef LA_FIELD
} la;
static pthread_once_t la_once = PTHREAD_ONCE_INIT;
static char la_error[512];	/* why libarchive is not usable, or "" */

static void
la_open(void)
{
	static const struct gf_dl_sym syms[] = {
#define LA_SYM(f) { #f, offsetof(__typeof__(la), f) },
		LIBARCHIVE_FUNCS(LA_SYM)
#undef LA_SYM
	};

	(void)gf_dl_table("libarchive.so.13", "libarchive", syms,
	    GF_ARRAY_LEN(syms), &la, la_error, sizeof(la_error));
}

static void *
la_preload(void *unused)
{
	(void)unused;
	pthread_once(&la_once, la_open);
	return NULL;
}

void
gf_archive_preload(void)
{
	pthread_attr_t at;
	pthread_t th;

	if (pthread_attr_init(&at) != 0)
		return;
	/* Nobody waits for it: la_load's pthread_once does. */
	if (pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) == 0)
		(void)pthread_create(&th, &at, la_preload, NULL);
	pthread_attr_destroy(&at);
}

/* 0 once libarchive is loaded, else -1 with err. */
static int
la_load(struct gf_err *err)
{
	pthread_once(&la_once, la_open);
	if (la_error[0] != '\0')
		return gf_err_set(err, GF_EXIT_NOINPUT, "archive", "%s",
		    la_error);
	return 0;
}

#define COPY_BUF (1024 * 1024)
#define WRITEBACK (8 * 1024 * 1024)
/* 1980-01-01 12:00 UTC: the earliest zip date in every time zone. */
#define ZIP_MTIME 315576000

/*
 * Output file: a temporary beside the target. A writer thread writes and
 * hashes it, so the thread feeding the compressor never waits for the
 * disk or for SHA-256 (tar | zstd gets the same overlap from its pipe).
 */
#define SLOT (128 * 1024)
#define NSLOTS 64

struct out {
	const char *path;
	char *tmp;
	int fd;
	int sync;		/* fsync before the rename */
	int write_errno;	/* first write(2) failure, 0 if none */
	uint64_t size;		/* written by the writer thread */
	uint64_t flushed;	/* bytes handed to writeback so far */
	struct gf_sha256 sha;

	char *pool[NSLOTS];	/* slot buffers, allocated when first used */
	char *cur;		/* slot being filled by the producer */
	size_t curlen;
	pthread_t thread;
	int running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t qlen[NSLOTS];	/* filled slots: pool[qhead..] */
	size_t qhead, qcount;
	int done;		/* no more slots will come */
	int werr;		/* errno of a failed write, under mu */
};

struct walk {
	struct archive *a;
	struct archive_entry *entry;
	struct out *out;
	struct gf_archive_info *info;
	char *buf;
	struct gf_err *err;
};

void
gf_archive_opts_init(struct gf_archive_opts *opts)
{
	opts->compress = GF_ARCHIVE_ZSTD;
	opts->level = 0;
	opts->threads = 0;
	opts->sync = 0;
}

int
gf_archive_compress_parse(const char *s)
{
	if (strcmp(s, "zstd") == 0)
		return GF_ARCHIVE_ZSTD;
	if (strcmp(s, "gzip") == 0)
		return GF_ARCHIVE_GZIP;
	if (strcmp(s, "none") == 0)
		return GF_ARCHIVE_NONE;
	return -1;
}

const char *
gf_archive_compress_name(enum gf_archive_compress c)
{
	return c == GF_ARCHIVE_ZSTD ? "zstd" : c == GF_ARCHIVE_GZIP ? "gzip" :
	    "none";
}

const char *
gf_archive_suffix(enum gf_archive_compress c)
{
	return c == GF_ARCHIVE_ZSTD ? ".tar.zst" : c == GF_ARCHIVE_GZIP ?
	    ".tar.gz" : ".tar";
}

static void *
writer(void *cookie)
{
	struct out *o = cookie;

	for (;;) {
		char *buf;
		size_t len, off = 0;
		int failed;

		pthread_mutex_lock(&o->mu);
		while (o->qcount == 0 && !o->done)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->qcount == 0) {
			pthread_mutex_unlock(&o->mu);
			return NULL;
		}
		/*
		 * The slot stays queued until written, so it is not
		 * refilled.
		 */
		buf = o->pool[o->qhead];
		len = o->qlen[o->qhead];
		failed = o->werr != 0;
		pthread_mutex_unlock(&o->mu);
		while (!failed && off < len) {
			ssize_t n = write(o->fd, buf + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				pthread_mutex_lock(&o->mu);
				o->werr = errno;
				pthread_cond_broadcast(&o->cv);
				pthread_mutex_unlock(&o->mu);
				failed = 1;
				break;
			}
			off += (size_t)n;
		}
		if (!failed) {
			gf_sha256_update(&o->sha, buf, len);
			o->size += len;
			/*
			 * Start writeback as we go, so the fsync before the
			 * rename does not flush the whole archive at once.
			 */
			if (o->sync && o->size - o->flushed >= WRITEBACK) {
				(void)sync_file_range(o->fd, (off_t)o->flushed,
				    (off_t)(o->size - o->flushed),
				    SYNC_FILE_RANGE_WRITE);
				o->flushed = o->size;
			}
		}
		pthread_mutex_lock(&o->mu);
		o->qhead = (o->qhead + 1) % NSLOTS;
		o->qcount--;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
}

/*
 * Reserves the next free slot for the producer to fill; -1 (errno set)
 * after a failed write.
 */
static int
out_reserve(struct out *o)
{
	int werr;

	pthread_mutex_lock(&o->mu);
	while (o->qcount == NSLOTS && o->werr == 0)
		pthread_cond_wait(&o->cv, &o->mu);
	/*
	 * With nothing queued the ring starts over: a writer that keeps up
	 * reuses the first slot or two instead of touching all 8 MB of them
	 * in turn (a model tree's zips are written beside the models).
	 */
	if (o->qcount == 0)
		o->qhead = 0;
	werr = o->werr;
	if (werr == 0) {
		size_t k = (o->qhead + o->qcount) % NSLOTS;

		if (o->pool[k] == NULL)
			o->pool[k] = gf_xmalloc(SLOT);
		o->cur = o->pool[k];
	}
	pthread_mutex_unlock(&o->mu);
	if (werr != 0) {
		errno = werr;
		return -1;
	}
	return 0;
}

/* Hands the current slot to the writer; -1 (errno set) after a failure. */
static int
out_push(struct out *o)
{
	int werr;

	if (o->curlen == 0)
		return 0;
	pthread_mutex_lock(&o->mu);
	werr = o->werr;
	if (werr == 0) {
		o->qlen[(o->qhead + o->qcount) % NSLOTS] = o->curlen;
		o->qcount++;
		o->cur = NULL;
		o->curlen = 0;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	if (werr != 0) {
		errno = werr;
		return -1;
	}
	return 0;
}

/* Waits for the writer to drain; -1 with errno when a write failed. */
static int
out_finish(struct out *o)
{
	int push = out_push(o), werr;

	if (!o->running)
		return push;
	pthread_mutex_lock(&o->mu);
	o->done = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
	o->running = 0;
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	for (int i = 0; i < NSLOTS; i++) {
		free(o->pool[i]);
		o->pool[i] = NULL;
	}
	o->cur = NULL;
	werr = o->werr;
	if (werr != 0) {
		if (o->write_errno == 0)
			o->write_errno = werr;
		errno = werr;
		return -1;
	}
	return push;
}

static int
out_open(struct out *o, const char *path, int sync, struct gf_err *err)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	/* The rename would replace a device, a link or a directory entry. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return gf_err_set(err, GF_EXIT_CANTCREAT, "archive",
		    "refusing to replace '%s': not a regular file", path);
	o->path = path;
	o->sync = sync;
	o->tmp = gf_xasprintf("%s.tmp.XXXXXX", path);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "archive",
		    "cannot create '%s': %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	(void)fchmod(o->fd, 0644);
	gf_sha256_init(&o->sha);
	for (int i = 0; i < NSLOTS; i++)
		o->pool[i] = NULL;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	if (pthread_create(&o->thread, NULL, writer, o) != 0) {
		gf_err_set(err, GF_EXIT_OSERR, "archive",
		    "cannot start a writer thread");
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
		for (int i = 0; i < NSLOTS; i++)
			free(o->pool[i]);
		close(o->fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		o->fd = -1;
		return -1;
	}
	o->running = 1;
	return 0;
}

/* Removes the temporary file unless it was renamed. */
static void
out_abort(struct out *o)
{
	(void)out_finish(o);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp != NULL)
		unlink(o->tmp);
	free(o->tmp);
	o->tmp = NULL;
}

static int
out_commit(struct out *o, char hex[GF_SHA256_HEX_LEN], struct gf_err *err)
{
	unsigned char d[GF_SHA256_LEN];

	if (out_finish(o) < 0 || (o->sync && fsync(o->fd) < 0) ||
	    close(o->fd) < 0) {
		o->fd = -1;
		gf_err_set(err, GF_EXIT_IOERR, "archive",
		    "cannot write '%s': %s", o->path, strerror(errno));
		out_abort(o);
		return -1;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "archive",
		    "cannot rename to '%s': %s", o->path, strerror(errno));
		out_abort(o);
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	gf_sha256_final(&o->sha, d);
	if (hex != NULL)
		gf_sha256_to_hex(d, hex);
	return 0;
}

static la_ssize_t
out_write(struct archive *a, void *cookie, const void *data, size_t len)
{
	struct out *o = cookie;
	const char *p = data;
	size_t left = len;

	while (left > 0) {
		size_t n;

		if (o->cur == NULL && out_reserve(o) < 0) {
			o->write_errno = errno;
			la.archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
		n = SLOT - o->curlen < left ? SLOT - o->curlen : left;
		memcpy(o->cur + o->curlen, p, n);
		o->curlen += n;
		p += n;
		left -= n;
		if (o->curlen == SLOT && out_push(o) < 0) {
			o->write_errno = errno;
			la.archive_set_error(a, errno, "%s", strerror(errno));
			return -1;
		}
	}
	return (la_ssize_t)len;
}

/* A libarchive failure while writing: 74, with the OS reason when known. */
static int
write_failed(struct archive *a, struct out *o, const char *what,
    struct gf_err *err)
{
	if (o->write_errno != 0)
		return gf_err_set(err, GF_EXIT_IOERR, "archive",
		    "cannot write '%s': %s", o->path, strerror(o->write_errno));
	return gf_err_set(err, GF_EXIT_IOERR, "archive", "%s: %s", what,
	    la.archive_error_string(a) ? la.archive_error_string(a) :
	    "unknown error");
}

/* Appends the file's bytes to the entry whose header was just written. */
static int
stream_file(struct archive *a, struct out *o, const char *path, char *buf,
    size_t cap, uint64_t *bytes, struct gf_err *err)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "archive", "cannot open '%s': %s", path,
		    strerror(errno));
	while ((n = read(fd, buf, cap)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gf_err_set(err, GF_EXIT_IOERR, "archive",
			    "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (la.archive_write_data(a, buf, (size_t)n) != n) {
			close(fd);
			return write_failed(a, o, path, err);
		}
		if (bytes != NULL)
			*bytes += (uint64_t)n;
	}
	close(fd);
	return 0;
}

static int
copy_file(struct walk *w, const char *path)
{
	return stream_file(w->a, w->out, path, w->buf, COPY_BUF,
	    &w->info->bytes_in, w->err);
}

static int
add_tree(struct walk *w, const char *path, const char *name)
{
	struct dirent **list = NULL;
	struct stat st;
	char target[4096];
	int n, rc = 0;

	if (lstat(path, &st) < 0)
		return gf_err_set(w->err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "archive", "cannot stat '%s': %s", path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		return 0;	/* sockets, fifos: nothing a TSDB restores */
	if (name[0] != '\0') {
		la.archive_entry_clear(w->entry);
		la.archive_entry_copy_pathname(w->entry, name);
		la.archive_entry_copy_stat(w->entry, &st);
		la.archive_entry_set_nlink(w->entry, 1);
		if (S_ISLNK(st.st_mode)) {
			ssize_t len = readlink(path, target,
			    sizeof(target) - 1);

			if (len < 0)
				return gf_err_set(w->err, GF_EXIT_IOERR,
				    "archive", "cannot read link '%s': %s",
				    path, strerror(errno));
			target[len] = '\0';
			la.archive_entry_copy_symlink(w->entry, target);
		}
		if (la.archive_write_header(w->a, w->entry) != ARCHIVE_OK)
			return write_failed(w->a, w->out, name, w->err);
		if (S_ISREG(st.st_mode)) {
			if (copy_file(w, path) < 0)
				return -1;
			w->info->files++;
		}
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0)
		return gf_err_set(w->err, GF_EXIT_IOERR, "archive",
		    "cannot read directory '%s': %s", path, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *d = list[i]->d_name;

		if (rc == 0 && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
			char *p = gf_fs_join(path, d);
			char *nm = name[0] ? gf_xasprintf("%s/%s", name, d) :
			    gf_xstrdup(d);

			rc = add_tree(w, p, nm);
			free(p);
			free(nm);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

static int
set_filter(struct archive *a, const struct gf_archive_opts *opts,
    struct gf_err *err)
{
	char num[32];
	int level = opts->level;
	int r = ARCHIVE_OK;

	switch (opts->compress) {
	case GF_ARCHIVE_ZSTD: {
		long threads = opts->threads;

		if (threads <= 0)
			threads = gf_proc_cpus();
		r = la.archive_write_add_filter_zstd(a);
		snprintf(num, sizeof(num), "%d", level > 0 ? level : 3);
		if (r == ARCHIVE_OK)
			r = la.archive_write_set_filter_option(a, "zstd",
			    "compression-level", num);
		snprintf(num, sizeof(num), "%ld", threads);
		/* Older libarchive has no "threads": one thread then. */
		if (r == ARCHIVE_OK)
			(void)la.archive_write_set_filter_option(a, "zstd",
			    "threads", num);
		break;
	}
	case GF_ARCHIVE_GZIP:
		r = la.archive_write_add_filter_gzip(a);
		snprintf(num, sizeof(num), "%d", level > 0 ? level : 6);
		if (r == ARCHIVE_OK)
			r = la.archive_write_set_filter_option(a, "gzip",
			    "compression-level", num);
		/* No name or time in the header: same input, same bytes. */
		if (r == ARCHIVE_OK)
			r = la.archive_write_set_filter_option(a, "gzip",
			    "timestamp", NULL);
		break;
	case GF_ARCHIVE_NONE:
		break;
	}
	if (r != ARCHIVE_OK)
		return gf_err_set(err, GF_EXIT_CONFIG, "archive",
		    "cannot set up %s compression (level %d): %s",
		    gf_archive_compress_name(opts->compress), level,
		    la.archive_error_string(a));
	return 0;
}

int
gf_archive_dir(const char *dir, const char *prefix_in_archive,
    const char *out_path, const struct gf_archive_opts *opts,
    struct gf_archive_info *info, struct gf_err *err)
{
	struct gf_archive_info local;
	struct gf_archive_opts defaults;
	struct out o;
	struct walk w;
	int rc = -1;

	if (la_load(err) < 0)
		return -1;
	if (info == NULL)
		info = &local;
	memset(info, 0, sizeof(*info));
	if (opts == NULL) {
		gf_archive_opts_init(&defaults);
		opts = &defaults;
	}
	if (!gf_fs_is_dir(dir))
		return gf_err_set(err, GF_EXIT_NOINPUT, "archive",
		    "'%s' is not a directory", dir);
	if (out_open(&o, out_path, opts->sync, err) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.a = la.archive_write_new();
	w.entry = la.archive_entry_new();
	w.out = &o;
	w.info = info;
	w.err = err;
	w.buf = gf_xmalloc(COPY_BUF);
	if (la.archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
	    set_filter(w.a, opts, err) < 0)
		goto out;
	la.archive_write_set_bytes_per_block(w.a, 64 * 1024);
	la.archive_write_set_bytes_in_last_block(w.a, 1);
	if (la.archive_write_open2(w.a, &o, NULL, out_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		write_failed(w.a, &o, out_path, err);
		goto out;
	}
	if (add_tree(&w, dir, prefix_in_archive ? prefix_in_archive : "") < 0)
		goto out;
	if (la.archive_write_close(w.a) != ARCHIVE_OK) {
		write_failed(w.a, &o, out_path, err);
		goto out;
	}
	rc = out_commit(&o, info->sha256, err);
	info->size = o.size;
out:
	/*
	 * libarchive finishes (and frees) a failed archive into o before o
	 * is discarded: the other way round it wrote into a stopped output.
	 */
	la.archive_entry_free(w.entry);
	la.archive_write_free(w.a);
	if (rc < 0)
		out_abort(&o);
	free(w.buf);
	return rc;
}

/* One zip entry with the content of the file ent->path. */
static int
zip_file_entry(struct archive *a, struct archive_entry *e, struct out *o,
    const struct gf_archive_entry *ent, struct gf_err *err)
{
	char buf[1 << 16];
	struct stat st;

	if (stat(ent->path, &st) < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "archive", "cannot stat '%s': %s",
		    ent->path, strerror(errno));
	la.archive_entry_set_size(e, (la_int64_t)st.st_size);
	if (la.archive_write_header(a, e) != ARCHIVE_OK)
		return write_failed(a, o, ent->name, err);
	return stream_file(a, o, ent->path, buf, sizeof(buf), NULL, err);
}

int
gf_archive_zip(const char *out_path, const struct gf_archive_entry *entries,
    size_t n, int sync, struct gf_err *err)
{
	struct archive *a;
	struct archive_entry *e;
	struct out o;
	int rc = -1;

	if (la_load(err) < 0 || out_open(&o, out_path, sync, err) < 0)
		return -1;
	a = la.archive_write_new();
	e = la.archive_entry_new();
	/*
	 * Deflate at level 1: model files are mostly digits, which the
	 * fastest level packs nearly as well (a few percent larger) at a
	 * third of the time; at level 6, deflate was a tenth of a whole
	 * gf-train run.
	 */
	if (la.archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    la.archive_write_set_format_option(a, "zip", "compression",
	    "deflate") != ARCHIVE_OK ||
	    la.archive_write_set_format_option(a, "zip", "compression-level",
	    "1") != ARCHIVE_OK) {
		gf_err_set(err, GF_EXIT_SOFTWARE, "archive", "zip: %s",
		    la.archive_error_string(a));
		goto out;
	}
	la.archive_write_set_bytes_in_last_block(a, 1);
	if (la.archive_write_open2(a, &o, NULL, out_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		write_failed(a, &o, out_path, err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		la.archive_entry_clear(e);
		la.archive_entry_copy_pathname(e, entries[i].name);
		la.archive_entry_set_filetype(e, AE_IFREG);
		la.archive_entry_set_perm(e, 0644);
		la.archive_entry_set_mtime(e, ZIP_MTIME, 0);
		la.archive_entry_set_uid(e, 0);
		la.archive_entry_set_gid(e, 0);
		if (entries[i].path != NULL) {
			if (zip_file_entry(a, e, &o, &entries[i], err) < 0)
				goto out;
			continue;
		}
		la.archive_entry_set_size(e, (la_int64_t)entries[i].len);
		if (la.archive_write_header(a, e) != ARCHIVE_OK ||
		    (entries[i].len > 0 && la.archive_write_data(a,
		    entries[i].data, entries[i].len) !=
		    (la_ssize_t)entries[i].len)) {
			write_failed(a, &o, entries[i].name, err);
			goto out;
		}
	}
	if (la.archive_write_close(a) != ARCHIVE_OK) {
		write_failed(a, &o, out_path, err);
		goto out;
	}
	rc = out_commit(&o, NULL, err);
out:
	la.archive_entry_free(e);
	la.archive_write_free(a);	/* before out_abort: see gf_archive_dir */
	if (rc < 0)
		out_abort(&o);
	return rc;
}

static struct archive *
open_reader(const char *path, struct gf_err *err)
{
	struct archive *a = la.archive_read_new();

	la.archive_read_support_filter_all(a);
	la.archive_read_support_format_all(a);
	if (la.archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		gf_err_set(err, errno == ENOENT || !gf_fs_exists(path) ?
		    GF_EXIT_NOINPUT : GF_EXIT_DATAERR, "archive",
		    "cannot open archive '%s': %s", path,
		    la.archive_error_string(a));
		la.archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Absolute paths and ".." components could write outside dest_dir. */
static int
unsafe_path(const char *p)
{
	if (p == NULL || p[0] == '/')
		return p != NULL;
	for (const char *s = p; *s != '\0';) {
		size_t len = strcspn(s, "/");

		if (len == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s += len;
		while (*s == '/')
			s++;
	}
	return 0;
}

int
gf_archive_extract(const char *archive, const char *dest_dir,
    struct gf_err *err)
{
	struct archive *a, *disk;
	struct archive_entry *e;
	char *name = NULL;
	const void *block;
	size_t size;
	la_int64_t off;
	int r, rc = -1;

	if (la_load(err) < 0 || gf_fs_mkdir_p(dest_dir, 0755, err) < 0)
		return -1;
	if ((a = open_reader(archive, err)) == NULL)
		return -1;
	disk = la.archive_write_disk_new();
	/*
	 * Entry names are checked here and then prefixed with dest_dir, so
	 * libarchive's own absolute-path and ".." guards would refuse the
	 * prefixed names; symbolic links in the way are still refused.
	 */
	la.archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_TIME |
	    ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	while ((r = la.archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *link = la.archive_entry_hardlink(e);
		char *full;

		free(name);
		name = gf_xstrdup(la.archive_entry_pathname(e) ?
		    la.archive_entry_pathname(e) : "");
		if (name[0] == '\0' || unsafe_path(name) || unsafe_path(link)) {
			gf_err_set(err, GF_EXIT_DATAERR, "archive",
			    "'%s': refusing entry '%s' (absolute path or '..')",
			    archive, unsafe_path(link) ? link : name);
			goto out;
		}
		if (link != NULL) {
			full = gf_fs_join(dest_dir, link);
			la.archive_entry_copy_hardlink(e, full);
			free(full);
		}
		full = gf_fs_join(dest_dir, name);
		la.archive_entry_copy_pathname(e, full);
		free(full);
		if (la.archive_write_header(disk, e) != ARCHIVE_OK) {
			gf_err_set(err, GF_EXIT_CANTCREAT, "archive",
			    "cannot extract '%s': %s", name,
			    la.archive_error_string(disk));
			goto out;
		}
		while ((r = la.archive_read_data_block(a, &block, &size, &off)) ==
		    ARCHIVE_OK) {
			if (la.archive_write_data_block(disk, block, size, off) !=
			    ARCHIVE_OK) {
				gf_err_set(err, GF_EXIT_IOERR, "archive",
				    "cannot write '%s': %s", name,
				    la.archive_error_string(disk));
				goto out;
			}
		}
		if (r != ARCHIVE_EOF) {
			gf_err_set(err, GF_EXIT_DATAERR, "archive",
			    "'%s': entry '%s': %s", archive, name,
			    la.archive_error_string(a));
			goto out;
		}
		if (la.archive_write_finish_entry(disk) != ARCHIVE_OK) {
			gf_err_set(err, GF_EXIT_IOERR, "archive",
			    "cannot finish '%s': %s", name,
			    la.archive_error_string(disk));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		gf_err_set(err, GF_EXIT_DATAERR, "archive", "'%s': %s", archive,
		    la.archive_error_string(a));
		goto out;
	}
	if (la.archive_write_close(disk) != ARCHIVE_OK) {
		gf_err_set(err, GF_EXIT_IOERR, "archive", "'%s': %s", dest_dir,
		    la.archive_error_string(disk));
		goto out;
	}
	rc = 0;
out:
	free(name);
	la.archive_write_free(disk);
	la.archive_read_free(a);
	return rc;
}

static const char *
skip_dot_slash(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	return s;
}

char *
gf_archive_read_entry(const char *archive, const char *name, size_t *len,
    struct gf_err *err)
{
	struct archive *a;
	struct archive_entry *e;
	struct gf_buf b = GF_BUF_INIT;
	char chunk[65536];
	la_ssize_t n;
	int r;

	if (la_load(err) < 0 || (a = open_reader(archive, err)) == NULL)
		return NULL;
	name = skip_dot_slash(name);
	while ((r = la.archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = la.archive_entry_pathname(e);

		if (p == NULL || strcmp(skip_dot_slash(p), name) != 0)
			continue;
		while ((n = la.archive_read_data(a, chunk, sizeof(chunk))) > 0)
			gf_buf_add(&b, chunk, (size_t)n);
		if (n < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "archive",
			    "'%s': entry '%s': %s", archive, name,
			    la.archive_error_string(a));
			gf_buf_release(&b);
			la.archive_read_free(a);
			return NULL;
		}
		la.archive_read_free(a);
		if (len != NULL)
			*len = b.len;
		return gf_buf_detach(&b);
	}
	if (r == ARCHIVE_EOF)
		gf_err_set(err, GF_EXIT_NOINPUT, "archive",
		    "'%s' has no entry '%s'", archive, name);
	else
		gf_err_set(err, GF_EXIT_DATAERR, "archive", "'%s': %s", archive,
		    la.archive_error_string(a));
	la.archive_read_free(a);
	return NULL;
}
