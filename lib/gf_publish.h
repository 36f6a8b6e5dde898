/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_publish: what a run publishes to a results repository (gf-commit).
 * A plan of files from --add arguments and from the paths a run document
 * names; their destinations under the layout's directory, checked before
 * anything is written (paths, sizes, the budget, secrets) and stored as
 * blobs; and, on each attempt, their places on the branch's current tip
 * by an exists policy, with the index row. The git side is gf_git.
 */
#ifndef GF_PUBLISH_H
#define GF_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_git.h"
#include "gf_layout.h"

struct gf_publish_item {
	char *src;		/* the file on disk; owned */
	char *dst;		/* its path in the repository; owned */
	char *final;		/* its path in the current attempt; owned */
	char oid[GF_GIT_OID_HEX];	/* its blob, once prepared */
	uint64_t size;
	const char *status;	/* added, replaced, unchanged, skipped */
};

struct gf_publish_plan {
	struct gf_publish_item *items;
	size_t n;
	uint64_t total;		/* bytes in all, once prepared */
	/* Each file left out and why; NULL: none. */
	gf_warn_fn *warn;
	void *arg;
};

#define GF_PUBLISH_PLAN_INIT { NULL, 0, 0, NULL, NULL }

/*
 * --add SRC[:DST]: a file, or every regular file below a directory (.git
 * left out), to DST; no DST keeps SRC's name, a DST ending in '/' puts it
 * in that directory, a DST starting with '/' is from the repository root
 * rather than the layout's directory. 66 for a missing SRC, 74 for one
 * that cannot be read; anything not a regular file is warned of.
 */
int gf_publish_add(struct gf_publish_plan *p, const char *arg,
    struct gf_err *err);

/* Flags of gf_publish_add_doc(). */
enum gf_publish_doc_flags {
	/*
	 * The document carries a failed step: a path it names that is
	 * missing (a report that was never written) is warned of and left
	 * out, so that what exists is still published.
	 */
	GF_PUBLISH_DOC_PARTIAL = 1 << 0,
};

/*
 * The files a run document names, as the tools write them:
 * validate.out (every file below it: the reports, the JSON report, the
 * charts and the artifacts) and validate.report and validate.json unless
 * they are below it, into the layout's directory; train.out (gf-train's
 * pipeline directory, "<out>/<pipeline>") with every file below it, kept
 * under the pipeline's name (model-db: at the repository root);
 * snapshot.archive, under prometheus-snapshot/. A file already planned
 * is not added again. A path that is missing is an error (66, naming
 * the field and the path) unless GF_PUBLISH_DOC_PARTIAL.
 */
int gf_publish_add_doc(struct gf_publish_plan *p, const json_t *doc,
    const char *layout, unsigned flags, struct gf_err *err);

/*
 * Each destination put under dir and checked (64 for two files to one
 * path or a path out of the repository), each file's size against
 * max_file and the sum against max_total (65), no file holding a
 * registered secret (gf_log_has_secret: 65), then every blob stored in g
 * (g NULL: a dry run, nothing stored). Nothing is written unless every
 * file passes.
 */
int gf_publish_prepare(struct gf_publish_plan *p, const char *dir,
    uint64_t max_file, uint64_t max_total, struct gf_git *g,
    struct gf_err *err);

/* One attempt's changes to the tree: the files and the index. */
struct gf_publish_attempt {
	struct gf_git_change *changes;	/* paths borrowed from the plan */
	size_t nchanges;
	char *index_text;	/* the index file with the row; owned */
	char index_oid[GF_GIT_OID_HEX];
	int row_added;		/* 0: the row was there already */
};

#define GF_PUBLISH_ATTEMPT_INIT { NULL, 0, NULL, "", 0 }

void gf_publish_attempt_release(struct gf_publish_attempt *a);

/* Where the run goes and its index (all borrowed). */
struct gf_publish_shape {
	const char *layout;
	const char *dir;
	const struct gf_layout_vars *v;
	const struct gf_layout_index *ix;	/* NULL: no index */
};

/*
 * Places every file on g's current base by policy (rename: the next free
 * numbered name; replace; skip; fail: 73), the same content already
 * there being "unchanged"; *row (owned, replaced) becomes the index row
 * linking the run's report, and a the changes to commit. g NULL: placed
 * as if on an empty tree (a dry run).
 */
int gf_publish_build(struct gf_publish_plan *p, struct gf_git *g,
    const char *policy, const struct gf_publish_shape *sh, char **row,
    struct gf_publish_attempt *a, struct gf_err *err);

/*
 * Register with gf_log_mask() every value a secret may have: those of
 * GF_GIT_TOKEN, GITHUB_TOKEN, GF_GIT_SSH_PASSPHRASE,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and of every GF_SECRET_*
 * variable in envp. They are then masked in every message and refused
 * in every file (gf_publish_prepare).
 */
void gf_publish_mask_secrets(char *const *envp);

/*
 * "Name <email>" into two new strings (caller frees); 64 for anything
 * else, the message naming what (e.g. "--author").
 */
int gf_publish_parse_ident(const char *s, const char *what, char **name,
    char **email, struct gf_err *err);

/*
 * The commit message: first (NULL: one by layout, from v's date and
 * time), then a "Run:" line when run_id is not NULL and a Signed-off-by
 * line for signoff (NULL: none). Returns a new string.
 */
char *gf_publish_message(const char *first, const char *layout,
    const struct gf_layout_vars *v, const char *run_id,
    const struct gf_git_ident *signoff);

/*
 * The HTTPS and SSH credentials of the environment into auth: the token
 * of GF_GIT_TOKEN, else GITHUB_TOKEN (token_source names which; empty
 * means unset), the user of GF_GIT_USER, the SSH key's passphrase of
 * GF_GIT_SSH_PASSPHRASE. The strings are the environment's (borrowed);
 * the other fields are left alone.
 */
void gf_publish_auth_env(struct gf_git_auth *auth);

/*
 * A private scratch directory "$TMPDIR/gf-commit.XXXXXX" (/tmp without
 * TMPDIR) for a remote's work repository; 73 when it cannot be made.
 * Returns a new string; the caller removes the directory.
 */
char *gf_publish_scratch_dir(struct gf_err *err);

/*
 * The commit section's files: {path, source, bytes, status} for each
 * planned file ("planned" before any attempt). Returns a new reference.
 */
json_t *gf_publish_files_json(const struct gf_publish_plan *p);

/*
 * Upload every planned file to url ("s3://bucket/prefix") at its path in
 * the repository (gf_s3; endpoint NULL: AWS). sec gets "s3" (url,
 * objects, bytes) with what was uploaded, also when it fails part-way.
 */
int gf_publish_s3(const struct gf_publish_plan *p, const char *url,
    const char *endpoint, json_t *sec, struct gf_err *err);

/*
 * A dry run: the files placed as on an empty tree (gf_publish_build with
 * no repository) and *row (owned, replaced) made, each file and the row
 * told to note ("would add PATH (N bytes, from SRC)", "would append to
 * INDEX: ROW"; note may be NULL).
 */
int gf_publish_dry_run(struct gf_publish_plan *p, const char *policy,
    const struct gf_publish_shape *sh, char **row, gf_warn_fn *note,
    void *arg, struct gf_err *err);

/* What gf_publish_push() needs (borrowed) and what came of it. */
struct gf_publish_push {
	const char *branch;
	const char *policy;	/* rename, replace, skip, fail */
	const struct gf_publish_shape *shape;
	const char *message;
	struct gf_git_ident author, committer;
	long long retries;	/* attempts in all */
	/* Warnings and progress notes, one line each; NULL: none. */
	gf_warn_fn *warn, *note;
	void *arg;
	/* out */
	int attempts;
	int pushed;		/* 0: nothing new, no commit made */
	int row_added;		/* the index row was not there yet */
	char sha[GF_GIT_OID_HEX]; /* the commit, or the unchanged tip */
	char *row;		/* the index row, or NULL; caller frees */
};

/*
 * Fetch the branch, place the files and the row on its tip
 * (gf_publish_build), commit and publish; when the branch moved, or the
 * network failed (75), again after a growing, jittered delay, up to
 * x->retries attempts in all, then 75. Nothing new on the tip: no
 * commit, x->sha is the tip. On return (also on failure) x's out fields
 * say how far it went.
 */
int gf_publish_push(struct gf_publish_plan *p, struct gf_git *g,
    struct gf_publish_push *x, struct gf_err *err);

/*
 * What a push did, into the commit section sec: index_row_added; when
 * it succeeded (ok), sha, attempts, web_url (for a github.com or
 * gitlab.com repo) and, when a commit landed, parent (null for a first
 * commit).
 */
void gf_publish_push_json(const struct gf_publish_push *x,
    const struct gf_git *g, const char *repo, int ok, json_t *sec);

void gf_publish_plan_release(struct gf_publish_plan *p);

#endif
