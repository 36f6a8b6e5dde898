/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 against FIPS 180-4 examples and sha256sum(1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_sha256.h"
#include "tap.h"

int
main(int argc, char **argv)
{
	char hex[GF_SHA256_HEX_LEN], hex2[GF_SHA256_HEX_LEN];
	char *big, path[] = "/tmp/t_sha256.XXXXXX";
	struct gf_sha256 c;
	unsigned char d[GF_SHA256_LEN];
	struct gf_err err = GF_ERR_INIT;
	int fd;

	is_str(gf_sha256_hex("", 0, hex),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "empty string");
	is_str(gf_sha256_hex("abc", 3, hex),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "FIPS 180-4 one block 'abc'");
	is_str(gf_sha256_hex(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    hex),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	    "FIPS 180-4 two blocks (56 bytes)");

	big = malloc(1000000);
	memset(big, 'a', 1000000);
	is_str(gf_sha256_hex(big, 1000000, hex),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	    "one million 'a'");
	/* Odd-sized updates cross block edges in every position. */
	gf_sha256_init(&c);
	for (size_t off = 0, step = 1; off < 1000000; step = step % 131 + 1) {
		size_t n = off + step > 1000000 ? 1000000 - off : step;

		gf_sha256_update(&c, big + off, n);
		off += n;
	}
	gf_sha256_final(&c, d);
	is_str(gf_sha256_to_hex(d, hex2), hex, "streamed in odd pieces");

	fd = mkstemp(path);
	ok(fd >= 0 && write(fd, big, 1000000) == 1000000, "temp file written");
	close(fd);
	ok(gf_sha256_file(path, hex2, &err) == 0, "sha256 of a file");
	is_str(hex2, hex, "file digest matches buffer digest");
	unlink(path);
	ok(gf_sha256_file(path, hex2, &err) == -1 && err.exit == 66,
	    "missing file is 66");
	free(big);

	diag("implementation: %s", gf_sha256_impl());
	if (argc == 1 && getenv("GF_SHA256_GENERIC") == NULL) {
		/* The same vectors through the portable code. */
		char *cmd = malloc(strlen(argv[0]) + 64);

		snprintf(cmd, strlen(argv[0]) + 64,
		    "GF_SHA256_GENERIC=1 %s again >/dev/null", argv[0]);
		is_int(system(cmd), 0, "portable code passes the same vectors");
		free(cmd);
	}
	if (system("command -v sha256sum >/dev/null") == 0) {
		char cmd[128], line[128] = "";
		FILE *p;

		memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		fd = mkstemp(path);
		big = malloc(3000001);
		for (size_t i = 0; i < 3000001; i++)
			big[i] = (char)(rand() >> 7);
		ok(write(fd, big, 3000001) == 3000001, "random file written");
		close(fd);
		snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
		p = popen(cmd, "r");
		if (p != NULL && fgets(line, sizeof(line), p) != NULL)
			line[64] = '\0';
		if (p != NULL)
			pclose(p);
		is_str(gf_sha256_hex(big, 3000001, hex), line,
		    "3 MB of random bytes agree with sha256sum(1)");
		unlink(path);
		free(big);
	}
	return done_testing();
}
