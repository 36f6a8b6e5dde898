/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_archive: tar+zstd/gzip of a tree round-trips through extraction and
 * through tar(1); the sha256 is that of the file; zip output is stable;
 * unsafe entries are refused; failures leave no partial file.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_archive.h"
#include "gf_fs.h"
#include "gf_xalloc.h"
#include "tap.h"

static char *root, *src;

static void
put(const char *rel, const char *text)
{
	char *p = gf_xasprintf("%s/%s", root, rel);
	struct gf_err err = GF_ERR_INIT;

	if (gf_fs_write_atomic(p, text, strlen(text), 0644, &err) < 0)
		diag("%s", err.msg);
	free(p);
}

/* Runs and frees cmd. */
static int
sh(char *cmd)
{
	int rc = system(cmd);

	free(cmd);
	return rc;
}

static int
leftover_tmp(const char *dir)
{
	return sh(gf_xasprintf("ls -a %s | grep -q '\\.tmp\\.'", dir));
}

static void
tree_round_trip(enum gf_archive_compress c, const char *tar_flag)
{
	struct gf_archive_opts opts;
	struct gf_archive_info info;
	struct gf_err err = GF_ERR_INIT;
	char hex[GF_SHA256_HEX_LEN];
	char *out = gf_xasprintf("%s/out/a%s", root, gf_archive_suffix(c));
	char *dest = gf_xasprintf("%s/x-%s", root, gf_archive_compress_name(c));
	char *s;
	size_t len = 0;

	gf_archive_opts_init(&opts);
	opts.compress = c;
	ok(gf_archive_dir(src, "snap", out, &opts, &info,
	    &err) == 0, "%s: archive a tree", gf_archive_compress_name(c));
	if (err.exit)
		diag("%s", err.msg);
	is_int(info.files, 3, "%s: three files", gf_archive_compress_name(c));
	ok(gf_sha256_file(out, hex, &err) == 0 && strcmp(hex, info.sha256) == 0,
	    "%s: sha256 computed while writing is the file's",
	    gf_archive_compress_name(c));
	ok(info.size > 0, "%s: size recorded", gf_archive_compress_name(c));
	ok(sh(gf_xasprintf("tar %s -tf %s | grep -qx snap/blk/chunks/000001",
	    tar_flag, out)) == 0, "%s: tar(1) lists it",
	    gf_archive_compress_name(c));
	ok(gf_archive_extract(out, dest, &err) == 0, "%s: extract %s",
	    gf_archive_compress_name(c), err.msg);
	ok(sh(gf_xasprintf("diff -r %s/src %s/snap", root, dest)) == 0,
	    "%s: extracted tree equals the source",
	    gf_archive_compress_name(c));
	s = gf_archive_read_entry(out, "./snap/blk/meta.json", &len, &err);
	is_str(s, "{\"ulid\":\"01ABC\"}\n", "%s: read one entry",
	    gf_archive_compress_name(c));
	is_int(len, 17, "%s: entry length", gf_archive_compress_name(c));
	free(s);
	ok(gf_archive_read_entry(out, "nope", NULL, &err) == NULL &&
	    err.exit == 66, "%s: missing entry is 66",
	    gf_archive_compress_name(c));
	free(out);
	free(dest);
}

int
main(void)
{
	char tmpl[] = "/tmp/t_archive.XXXXXX";
	struct gf_archive_entry ents[2] = {
		{ "model/weights.json", "{\"w\":[1,2,3]}", 13, NULL },
		{ "README", "hello\n", 6, NULL },
	};
	struct gf_archive_opts opts;
	struct gf_err err = GF_ERR_INIT;
	char h1[GF_SHA256_HEX_LEN], h2[GF_SHA256_HEX_LEN];
	char *p, *q, *s;
	char big[8192];

	root = mkdtemp(tmpl);
	if (root == NULL)
		skip_all("no temp dir");
	src = gf_fs_join(root, "src");
	p = gf_xasprintf("%s/src/blk/chunks", root);
	gf_fs_mkdir_p(p, 0755, &err);
	free(p);
	p = gf_xasprintf("%s/out", root);
	gf_fs_mkdir_p(p, 0755, &err);
	free(p);
	put("src/blk/meta.json", "{\"ulid\":\"01ABC\"}\n");
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + (i * 7919) % 26);
	big[sizeof(big) - 1] = '\0';
	put("src/blk/chunks/000001", big);
	put("src/blk/index", "index");
	p = gf_xasprintf("%s/src/link", root);
	ok(symlink("blk/index", p) == 0, "symlink in the tree");
	free(p);

	tree_round_trip(GF_ARCHIVE_ZSTD, "--zstd");
	tree_round_trip(GF_ARCHIVE_GZIP, "-z");
	p = gf_xasprintf("%s/out", root);
	ok(leftover_tmp(p) != 0, "no temporary files left behind");
	free(p);

	gf_archive_opts_init(&opts);
	p = gf_xasprintf("%s/no/such/dir/a.tar.zst", root);
	ok(gf_archive_dir(src, NULL, p, &opts, NULL,
	    &err) == -1 && err.exit == 73, "output dir missing is 73");
	free(p);
	p = gf_xasprintf("%s/out/link.tar.zst", root);
	ok(symlink("/dev/null", p) == 0,
	    "a symbolic link where the archive goes");
	ok(gf_archive_dir(src, NULL, p, &opts, NULL, &err) == -1 &&
	    err.exit == 73, "is not replaced (73): %s", err.msg);
	ok(unlink(p) == 0, "the link is still there");
	free(p);
	p = gf_xasprintf("%s/out/b.tar.zst", root);
	ok(gf_archive_dir("/nonexistent-gf", NULL, p, &opts, NULL, &err) == -1
	    && err.exit == 66, "missing input dir is 66");
	ok(!gf_fs_exists(p), "nothing written for a missing input");
	free(p);
	opts.level = 99;
	p = gf_xasprintf("%s/out/c.tar.zst", root);
	ok(gf_archive_dir(src, NULL, p, &opts, NULL,
	    &err) == -1 && !gf_fs_exists(p), "bad level fails, no file: %s",
	    err.msg);
	free(p);

	p = gf_xasprintf("%s/out/m1.zip", root);
	q = gf_xasprintf("%s/out/m2.zip", root);
	ok(gf_archive_zip(p, ents, 2, 1, &err) == 0, "zip written");
	sleep(1);
	ok(gf_archive_zip(q, ents, 2, 1, &err) == 0, "zip written again");
	gf_sha256_file(p, h1, &err);
	gf_sha256_file(q, h2, &err);
	is_str(h1, h2, "same entries give the same zip bytes");
	s = gf_archive_read_entry(p, "model/weights.json", NULL, &err);
	is_str(s, "{\"w\":[1,2,3]}", "zip entry reads back");
	free(s);
	ok(sh(gf_xasprintf("cd %s/out && unzip -p m1.zip README | "
	    "grep -qx hello", root)) == 0 ||
	    system("command -v unzip >/dev/null") != 0,
	    "unzip(1) reads it (when installed)");
	free(q);
	free(p);

	/* An entry streamed from a file gives the same bytes as in memory. */
	put("readme.txt", "hello\n");
	s = gf_xasprintf("%s/readme.txt", root);
	ents[1].path = s;
	ents[1].data = NULL;
	p = gf_xasprintf("%s/out/m1.zip", root);
	q = gf_xasprintf("%s/out/m3.zip", root);
	ok(gf_archive_zip(q, ents, 2, 1, &err) == 0, "zip with a file entry");
	gf_sha256_file(q, h2, &err);
	gf_sha256_file(p, h1, &err);
	is_str(h1, h2, "a file entry gives the bytes of the same text");
	free(s);
	s = gf_xasprintf("%s/no-such-file", root);
	ents[1].path = s;
	unlink(q);
	ok(gf_archive_zip(q, ents, 2, 1, &err) == -1 && err.exit == 66 &&
	    !gf_fs_exists(q), "a missing entry file is 66, no zip: %s",
	    err.msg);
	free(s);
	free(q);
	free(p);
	p = gf_xasprintf("%s/out", root);
	ok(leftover_tmp(p) != 0, "no temporary zip left behind");
	free(p);

	/* GNU tar writes "../evil" with -P; extraction must refuse it. */
	if (sh(gf_xasprintf("cd %s/src && tar -cPf ../evil.tar "
	    "--transform 's,^,../,' blk/index", root)) == 0) {
		p = gf_xasprintf("%s/evil.tar", root);
		q = gf_xasprintf("%s/x-evil/sub", root);
		ok(gf_archive_extract(p, q, &err) == -1 && err.exit == 65,
		    "'..' entry refused with 65: %s", err.msg);
		s = gf_xasprintf("%s/x-evil/blk/index", root);
		ok(!gf_fs_exists(s), "nothing written outside the destination");
		free(s);
		free(p);
		free(q);
	} else {
		skip("tar cannot write '..' entries");
		skip("tar cannot write '..' entries");
	}
	p = gf_xasprintf("%s/src/blk/index", root);
	ok(gf_archive_extract(p, root, &err) == -1 && err.exit == 65,
	    "a non-archive is 65");
	free(p);
	ok(gf_archive_extract("/nonexistent-gf.tar", root, &err) == -1 &&
	    err.exit == 66, "a missing archive is 66");

	sh(gf_xasprintf("rm -rf %s", root));
	free(src);
	return done_testing();
}
