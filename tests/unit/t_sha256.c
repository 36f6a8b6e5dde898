/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 against FIPS 180-4 examples, HMAC-SHA256 against RFC 4231. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_sha256.h"
#include "tap.h"

static void
hmac_is(const char *key, size_t klen, const char *data, size_t dlen,
    const char *want, size_t wantlen, const char *name)
{
	unsigned char d[GF_SHA256_LEN];
	char hex[GF_SHA256_HEX_LEN];

	gf_hmac_sha256(key, klen, data, dlen, d);
	gf_sha256_to_hex(d, hex);
	hex[wantlen] = '\0';	/* RFC 4231 case 5 compares 128 bits */
	is_str(hex, want, "%s", name);
}

int
main(int argc, char **argv)
{
	char hex[GF_SHA256_HEX_LEN], hex2[GF_SHA256_HEX_LEN];
	char *big, path[] = "/tmp/t_sha256.XXXXXX";
	struct gf_sha256 c;
	unsigned char d[GF_SHA256_LEN];
	struct gf_err err = GF_ERR_INIT;
	char key[131], data[152];
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

	memset(key, 0x0b, 20);
	hmac_is(key, 20, "Hi There", 8,
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    64, "RFC 4231 case 1");
	hmac_is("Jefe", 4, "what do ya want for nothing?", 28,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    64, "RFC 4231 case 2");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	hmac_is(key, 20, data, 50,
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	    64, "RFC 4231 case 3");
	for (int i = 0; i < 25; i++)
		key[i] = (char)(i + 1);
	memset(data, 0xcd, 50);
	hmac_is(key, 25, data, 50,
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	    64, "RFC 4231 case 4");
	memset(key, 0x0c, 20);
	hmac_is(key, 20, "Test With Truncation", 20,
	    "a3b6167473100ee06e0c796c2955552b", 32, "RFC 4231 case 5");
	memset(key, 0xaa, 131);
	hmac_is(key, 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First", 54,
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    64, "RFC 4231 case 6 (key longer than a block)");
	hmac_is(key, 131, "This is a test using a larger than block-size key "
	    "and a larger than block-size data. The key needs to be hashed "
	    "before being used by the HMAC algorithm.", 152,
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	    64, "RFC 4231 case 7");
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
