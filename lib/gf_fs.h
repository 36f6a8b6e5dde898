/* SPDX-License-Identifier: Apache-2.0 */
/* Files and directories: the few operations every tool needs. */
#ifndef GF_FS_H
#define GF_FS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "gf_err.h"

/* mkdir -p with mode for the directories it creates. 73 on failure. */
int gf_fs_mkdir_p(const char *path, mode_t mode, struct gf_err *err);

/*
 * Write data to path atomically: a temporary file in the same directory,
 * fsync, rename. On failure the old file is untouched and the temporary
 * one is removed. Exit 73 when it cannot be created, 74 on a write error
 * (including ENOSPC).
 */
int gf_fs_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct gf_err *err);
/*
 * gf_fs_write_atomic of what fill writes to the stream it is given (for
 * text too large to build in memory first). fill returns 0, or -1 after a
 * failed write; the same exit codes.
 */
int gf_fs_write_atomic_with(const char *path, int (*fill)(FILE *, void *),
    void *arg, mode_t mode, struct gf_err *err);

/*
 * A file in a staging directory that is renamed into place once it is
 * complete (a model tree) needs no fsync of its own: gf_fs_sync_tree
 * makes the whole directory durable at once before that rename. These
 * are gf_fs_write_atomic(_with) without the fsync; the same exit codes.
 * (A model tree of one dataset was 48 fsyncs.)
 */
int gf_fs_write_staged(const char *path, const void *data, size_t len,
    mode_t mode, struct gf_err *err);
int gf_fs_write_staged_with(const char *path, int (*fill)(FILE *, void *),
    void *arg, mode_t mode, struct gf_err *err);
/*
 * Everything written under dir (files staged by the calls above) on
 * stable storage: syncfs(2) of its file system on Linux, sync(2)
 * elsewhere. 74 when it fails (a write error surfacing), 66 when dir
 * cannot be opened.
 */
int gf_fs_sync_tree(const char *dir, struct gf_err *err);

/*
 * Read a whole file. Returns a new NUL-terminated buffer (caller frees),
 * its length in *len when len is not NULL. 66 when missing, 74 otherwise.
 * max_bytes 0 means no limit; a larger file is an error (65).
 */
char *gf_fs_read(const char *path, size_t max_bytes, size_t *len,
    struct gf_err *err);

/* rm -rf; a missing path is not an error. */
int gf_fs_remove_tree(const char *path, struct gf_err *err);

/* 1 when path exists (any type), 0 otherwise. */
int gf_fs_exists(const char *path);

/* 1 when path is a directory. */
int gf_fs_is_dir(const char *path);

/*
 * A data file gf ships (a metric profile, a check set), by name: the first
 * "<name>.yaml" found in the colon-separated directories of the variable
 * path_env (when not NULL), in $GF_SHARE/<kind>, beside the running
 * program (installed: <bindir>/../share/gf/<kind>; built in the source
 * tree: build/bin/../../share/<kind>), in /usr/local/share/gf/<kind>, then
 * /usr/share/gf/<kind>. Returns a new string, or NULL when there is none.
 */
char *gf_fs_find_shared(const char *kind, const char *name,
    const char *path_env);

/* Joins two path parts with exactly one '/'. Returns a new string. */
char *gf_fs_join(const char *dir, const char *name);

#endif
