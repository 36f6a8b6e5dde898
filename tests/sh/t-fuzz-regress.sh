#!/bin/sh
# The fuzz targets (tests/fuzz) on their regression inputs, without
# libFuzzer: every input a fuzzing run once found broken, and a few seeds
# per target, must pass each target's checks (under ASan and UBSan in
# the sanitizer build). New findings go in tests/fuzz/regress/<target>/.
. "$GF_SRC/tests/lib.sh"

export GF_PROFILE_PATH="$GF_SRC/share/profiles"
for src in "$GF_SRC"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz_}
	test_expect_success "fuzz target $t on its regression inputs" "
		ls \"\$GF_SRC/tests/fuzz/regress/$t\"/* >/dev/null &&
		\"\$GF_BUILD/tests/fuzz/fuzz_$t\" \"\$GF_SRC/tests/fuzz/regress/$t\"/* >out 2>err &&
		! grep -q '^not ok' out &&
		[ \$(grep -c '^ok' out) = \$(ls \"\$GF_SRC/tests/fuzz/regress/$t\" | wc -l) ]
	"
done
test_done
