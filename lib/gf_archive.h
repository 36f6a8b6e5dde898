/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Archives (libarchive): a directory tree as tar (pax) with zstd or gzip,
 * zip files of in-memory entries, extraction, and reading one entry.
 *
 * Every archive is written to a temporary file beside the output and
 * renamed into place, so a reader never sees a partial archive; on any
 * failure the temporary file is removed. An output path that exists and
 * is not a regular file (a device, a symbolic link, a directory) is
 * refused with 73 rather than replaced. Exit codes: 73 when the output
 * cannot be created, 74 on a write error (ENOSPC included), 66 when an
 * input is missing, 65 for a damaged or unsafe archive.
 */
#ifndef GF_ARCHIVE_H
#define GF_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "gf_err.h"
#include "gf_sha256.h"

enum gf_archive_compress {
	GF_ARCHIVE_ZSTD = 0,
	GF_ARCHIVE_GZIP,
	GF_ARCHIVE_NONE,
};

struct gf_archive_opts {
	enum gf_archive_compress compress;
	int level;	/* 0: the codec's default (zstd 3, gzip 6) */
	int threads;	/* zstd worker threads; 0: one per CPU */
	/*
	 * fsync before the rename, so the archive survives a power loss,
	 * at the cost of waiting for the disk. The rename alone already
	 * keeps readers from seeing a partial archive if the process dies.
	 */
	int sync;
};

struct gf_archive_info {
	uint64_t size;		/* bytes of the archive file */
	uint64_t files;		/* regular files stored */
	uint64_t bytes_in;	/* bytes of those files */
	char sha256[GF_SHA256_HEX_LEN];	/* of the archive file */
};

/* Fills opts with zstd at the default level, one thread per CPU, no sync. */
void gf_archive_opts_init(struct gf_archive_opts *opts);

/*
 * "zstd", "gzip" or "none" to the enum; -1 for anything else.
 * gf_archive_compress_name() is the reverse; gf_archive_suffix() gives
 * ".tar.zst", ".tar.gz" or ".tar".
 */
int gf_archive_compress_parse(const char *s);
const char *gf_archive_compress_name(enum gf_archive_compress c);
const char *gf_archive_suffix(enum gf_archive_compress c);

/*
 * Archive the tree under dir (regular files, directories, symbolic links;
 * entries in name order) into out_path, each entry named
 * "<prefix_in_archive>/<relative path>" (prefix may be NULL or "": then
 * just the relative path). info (may be NULL) gets size, file count and
 * the sha256 of the archive, computed while writing.
 */
int gf_archive_dir(const char *dir, const char *prefix_in_archive,
    const char *out_path, const struct gf_archive_opts *opts,
    struct gf_archive_info *info, struct gf_err *err);

struct gf_archive_entry {
	const char *name;	/* relative path inside the zip */
	const void *data;	/* len bytes, when path is NULL */
	size_t len;
	const char *path;	/* else: the content of this file */
};

/*
 * Write a zip of n entries, in memory or read from files (deflate, fixed
 * 1980-01-01 mtimes, mode 0644) so the same entries always give the same
 * bytes. Synced before the rename when sync (0: in a staging directory
 * that gf_fs_sync_tree makes durable). 66 when an entry's file is
 * missing, 74 when it cannot be read.
 */
int gf_archive_zip(const char *out_path, const struct gf_archive_entry *entries,
    size_t n, int sync, struct gf_err *err);

/*
 * Extract any archive libarchive reads (tar with any compression, zip)
 * into dest_dir (created when missing). Entries with an absolute path or
 * a ".." component are refused (65) before anything is written for them.
 */
int gf_archive_extract(const char *archive, const char *dest_dir,
    struct gf_err *err);

/*
 * Read the entry called name (a leading "./" is ignored on both sides).
 * Returns a new NUL-terminated buffer (caller frees) and its length in
 * *len (may be NULL); 66 when the archive or the entry is missing.
 */
char *gf_archive_read_entry(const char *archive, const char *name,
    size_t *len, struct gf_err *err);

/*
 * Start loading libarchive on a thread of its own, for a tool that will
 * need it after work that leaves a core idle: loading it (with libxml2,
 * ICU and libstdc++) takes 5-7 ms, which the first archive would
 * otherwise wait for. Failures are not reported here but by that first
 * use, as without a preload.
 */
void gf_archive_preload(void);

#endif
