/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of gf_log's streams: lines, prefixes, masking, groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_buf.h"
#include "gf_log.h"
#include "gf_xalloc.h"
#include "tap.h"

/* What the streams wrote to f since the last call (a new string). */
static char *
take(FILE *f)
{
	struct gf_buf b = GF_BUF_INIT;
	char chunk[4096];
	size_t n;

	rewind(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		gf_buf_add(&b, chunk, n);
	if (ftruncate(fileno(f), 0) != 0)
		perror("ftruncate");
	rewind(f);
	return gf_buf_detach(&b);
}

static void
feed(struct gf_log_stream *s, const char *text)
{
	gf_log_stream_feed(s, text, strlen(text));
}

int
main(void)
{
	FILE *f = tmpfile();
	struct gf_log_stream *s, *a, *b;
	char *got, *big;

	if (f == NULL) {
		perror("tmpfile");
		return 1;
	}
	unsetenv("GITHUB_ACTIONS");
	gf_log_mask("hunter2-secret");

	s = gf_log_stream_new("gfh1", "host gfh1: stress-ng --cpu 1", fileno(f));
	feed(s, "first li");
	got = take(f);
	is_str(got, "", "a partial line is held");
	free(got);
	feed(s, "ne\nsecond\nthi");
	got = take(f);
	is_str(got, "[gfh1] first line\n[gfh1] second\n",
	    "whole lines shown as they come, prefixed");
	free(got);
	feed(s, "rd with hunter2-se");
	feed(s, "cret in it\r\n");
	got = take(f);
	is_str(got, "[gfh1] third with *** in it\n",
	    "a secret split over two chunks is masked; CR LF ends a line");
	free(got);
	gf_log_stream_feed(s, "a\0b", 3);
	gf_log_stream_free(s);
	got = take(f);
	is_str(got, "[gfh1] a?b\n",
	    "the partial line shown at the end, NUL as '?', no group "
	    "outside Actions");
	free(got);

	setenv("GITHUB_ACTIONS", "true", 1);
	s = gf_log_stream_new("gfh1", "host gfh1: true", fileno(f));
	gf_log_stream_free(s);
	got = take(f);
	is_str(got, "", "under Actions: no output, no group");
	free(got);

	s = gf_log_stream_new("gfh2", "host gfh2: echo hunter2-secret 100%",
	    fileno(f));
	feed(s, "one\ntwo\n");
	gf_log_stream_finish(s);
	got = take(f);
	is_str(got, "::group::host gfh2: echo *** 100%25\n[gfh2] one\n"
	    "[gfh2] two\n::endgroup::\n",
	    "under Actions: one group, its title masked and escaped");
	free(got);
	gf_log_stream_free(s);
	got = take(f);
	is_str(got, "", "finish twice: one endgroup");
	free(got);

	a = gf_log_stream_new("gfh1", "host gfh1: x", fileno(f));
	b = gf_log_stream_new("gfh2", "host gfh2: y", fileno(f));
	feed(a, "a1\na");
	feed(b, "b1\n");
	feed(a, "2\n");
	gf_log_stream_free(a);
	gf_log_stream_free(b);
	got = take(f);
	is_str(got, "::group::host gfh1: x\n[gfh1] a1\n::endgroup::\n"
	    "::group::host gfh2: y\n[gfh2] b1\n::endgroup::\n"
	    "::group::host gfh1: x\n[gfh1] a2\n::endgroup::\n",
	    "two streams: each line in its own host's group, never mixed");
	free(got);
	unsetenv("GITHUB_ACTIONS");

	big = gf_xmalloc(70000);
	memset(big, 'x', 70000);
	s = gf_log_stream_new("h", NULL, fileno(f));
	gf_log_stream_feed(s, big, 70000);
	gf_log_stream_free(s);
	got = take(f);
	ok(strlen(got) == 70000 + 2 * strlen("[h] \n") &&
	    strncmp(got + 4 + 65536, "\n[h] x", 6) == 0,
	    "a line over 64 KiB is cut there");
	free(got);
	free(big);
	fclose(f);
	return done_testing();
}
