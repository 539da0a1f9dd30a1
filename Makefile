# oomwatch — plain GNU make.
#   make            build everything into $(BUILD) (default build/)
#   make test       install missing Debian packages, build, run unit + fuzz-replay + integration
#                   + browser tests, and fuzz the JSON module for FUZZ_JSON_SECONDS
#   make demo       install missing Debian packages, build, run scripts/demo.sh
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1 ...   ASan+UBSan build in build/san (oomwatch and unit tests)
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS
#   make test-v2    integration tests on a cgroup v2 kernel under qemu (scripts/test-v2.sh)
#   make test-browser   only the browser tests (headless Chromium, tests/browser/)
VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
SYSCONFDIR ?= /etc
DESTDIR    ?=

ifeq ($(SANITIZE),1)
BUILD      ?= build/san
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT        ?= -O1 -g
HARDEN     := -fstack-protector-strong
else
BUILD      ?= build
SAN        :=
OPT        ?= -O2 -g
HARDEN     := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif
O := $(BUILD)/obj

PKG_CONFIG ?= pkg-config
pc = $(shell $(PKG_CONFIG) $(1) $(2) 2>/dev/null)

WARN := -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
        -Wstrict-prototypes -Wimplicit-fallthrough -Wundef
ifeq ($(CI),true)
WARN += -Werror
endif

CFLAGS   ?= $(OPT)
BASE_CPPFLAGS := -D_GNU_SOURCE -DOOMWATCH_VERSION='"$(VERSION)"' -DOOMWATCH_LIBDIR='"$(LIBDIR)"' -Isupervisor -Ianalyzer -Icommon
ALL_CFLAGS   = $(WARN) $(HARDEN) -fPIC -MMD -MP $(CFLAGS)
ALL_LDFLAGS  = -Wl,-z,relro,-z,now $(LDFLAGS)

# ---- sources ---------------------------------------------------------------
COM_SRC := $(wildcard common/*.c)
ANA_SRC := $(wildcard analyzer/*.c)
SUP_SRC := $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
APR_SRC := $(wildcard analysis/*.c)
AGT_SRC := $(wildcard agent/*.c)
TGT_SRC := $(wildcard target/*.c)
UT_SRC  := $(wildcard tests/unit/test_*.c)
FUZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

COM_OBJ := $(COM_SRC:%.c=$(O)/%.o)
ANA_OBJ := $(ANA_SRC:%.c=$(O)/%.o)
SUP_OBJ := $(SUP_SRC:%.c=$(O)/%.o)
APR_OBJ := $(APR_SRC:%.c=$(O)/%.o)
AGT_OBJ := $(AGT_SRC:%.c=$(O)/pic/%.o)
TGT_OBJ := $(TGT_SRC:%.c=$(O)/%.o)

ANA_LIBS := $(call pc,--libs,libdw libelf zlib) -lm
# libcgroup is not linked: the short-lived child that calls it loads it
# (supervisor/cgroup.c), so that the supervisor never maps it
LIBCGROUP_SONAME := $(shell readelf -d "$$($(PKG_CONFIG) --variable=libdir libcgroup 2>/dev/null)/libcgroup.so" 2>/dev/null | \
  sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
# libinih statically where its archive is there: one mapped library less
INIH_A := $(wildcard $(call pc,--variable=libdir,inih)/libinih.a)
SUP_LIBS := $(if $(INIH_A),$(INIH_A),$(call pc,--libs,inih)) $(ANA_LIBS)
SUP_CFLAGS := $(call pc,--cflags,libcgroup inih libdw libelf zlib) \
  $(if $(LIBCGROUP_SONAME),-DOW_LIBCGROUP_SONAME='"$(LIBCGROUP_SONAME)"')
CHECK_LIBS := $(call pc,--libs,check)
CHECK_CFLAGS := $(call pc,--cflags,check)

OOMWATCH := $(BUILD)/oomwatch
# the analysis program: a fresh process image for each bundle (run as the
# target's user) and what `oomwatch diff|trend` exec; the supervisor itself
# never maps the analyzer's libraries (--as-needed drops what it does not use)
ANALYSIS := $(BUILD)/oomwatch-analysis
SUP_LIB  := $(BUILD)/libowsup.a
AGENT    := $(BUILD)/liboomwatch-agent.so
LEAKY    := $(BUILD)/leaky-server
ANA_LIB  := $(BUILD)/libohp.a
# code shared by the analyzer library and the supervisor (common/): link it after libohp.a
COM_LIB  := $(BUILD)/libowcommon.a
UNIT_BINS := $(UT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY := $(FUZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)

# The demo target and the agent run inside the supervised process, next to
# jemalloc: their rules never add the sanitizers, also in a SANITIZE=1 build.
ALL_TARGETS := $(OOMWATCH) $(ANALYSIS) $(AGENT) $(LEAKY) $(UNIT_BINS) $(FUZZ_REPLAY)

# quiet by default; make V=1 shows the commands
ifeq ($(V),1)
Q :=
say_cc :=
else
Q := @
say_cc = printf '  %-6s %s\n' $(1) $(2);
endif

# objects are not intermediates to delete
.SECONDARY:

.PHONY: all test unit integration fuzz-replay demo install uninstall clean deps fuzz bench
all: $(ALL_TARGETS)

$(O)/analyzer/%.o: analyzer/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) -I$(GEN) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

# the incident page's script and styles, as C strings for render_html.c
GEN := $(BUILD)/gen
PAGE_ASSETS := analyzer/page/incident.css analyzer/page/incident.js
$(GEN)/page_assets.h: $(PAGE_ASSETS)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,GEN,$@){ echo '/* made by the Makefile from $(PAGE_ASSETS) */'; \
	  for f in $(PAGE_ASSETS); do n=$$(basename "$$f" | tr . _); echo "static const char page_$$n[] ="; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; echo ';'; done; } > $@.tmp && mv $@.tmp $@
$(O)/analyzer/render_html.o: $(GEN)/page_assets.h

$(O)/common/%.o: common/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(COM_LIB): $(COM_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(call say_cc,AR,$@)$(AR) rcs $@ $^

$(O)/supervisor/%.o: supervisor/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(ANA_LIB): $(ANA_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(call say_cc,AR,$@)$(AR) rcs $@ $^

$(SUP_LIB): $(SUP_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(call say_cc,AR,$@)$(AR) rcs $@ $^

$(O)/analysis/%.o: analysis/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

# archives: each program takes only the objects it uses
$(OOMWATCH): $(O)/supervisor/main.o $(SUP_LIB) $(ANA_LIB) $(COM_LIB)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $< \
	  -Wl,--start-group $(SUP_LIB) $(ANA_LIB) $(COM_LIB) -Wl,--end-group $(SUP_LIBS)

$(ANALYSIS): $(APR_OBJ) $(SUP_LIB) $(ANA_LIB) $(COM_LIB)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $(APR_OBJ) \
	  -Wl,--start-group $(SUP_LIB) $(ANA_LIB) $(COM_LIB) -Wl,--end-group $(SUP_LIBS)

# agent: position independent, no sanitizers, only its entry points exported
$(O)/pic/agent/%.o: agent/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) -fvisibility=hidden -c -o $@ $<

$(AGENT): $(AGT_OBJ)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -shared -o $@ $^ -ldl -lpthread

$(O)/target/%.o: target/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(call pc,--cflags,libmicrohttpd jemalloc) $(ALL_CFLAGS) -fno-omit-frame-pointer -c -o $@ $<

$(LEAKY): $(TGT_OBJ)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(call pc,--libs,libmicrohttpd jemalloc) -lpthread

# unit tests: one Check binary per module, linked against every library object
$(O)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/tests/test_%: $(O)/tests/unit/test_%.o $(SUP_OBJ) $(ANA_LIB) $(COM_LIB)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -o $@ $^ $(SUP_LIBS) $(CHECK_LIBS)

# fuzz entry points replayed over their corpora by a plain driver (no clang needed)
$(O)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/tests/replay_%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/replay_main.o $(SUP_OBJ) $(ANA_LIB) $(COM_LIB)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -o $@ $^ $(SUP_LIBS)

$(O)/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

# ---- tests -----------------------------------------------------------------
deps:
	@scripts/install-deps.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit fuzz-replay integration browser $(if $(filter 1,$(SANITIZE)),,fuzz-json)

# the unit tests find the analysis program next to them, as oomwatch does (ep_probe runs it)
unit: $(UNIT_BINS) $(ANALYSIS)
	@ln -sf ../oomwatch-analysis $(BUILD)/tests/oomwatch-analysis
	@rc=0; for t in $(UNIT_BINS); do CK_FORK=yes OOMWATCH_SRC=$(CURDIR) $$t || rc=1; done; exit $$rc

fuzz-replay: $(FUZZ_REPLAY)
	@rc=0; for t in $(FUZZ_REPLAY); do n=$${t##*/replay_fuzz_}; \
	  $$t tests/fuzz/corpus/$$n || rc=1; done; exit $$rc

integration: all
	@OOMWATCH_BUILD=$(CURDIR)/$(BUILD) tests/integration/run.sh

# ---- cgroup v2 VM (scripts/test-v2.sh) --------------------------------------
# Boots Debian's kernel under qemu with the unified hierarchy and runs the OOM,
# signal, restart, PID 1 and v2-only integration tests in it against $(BUILD).
# The kernel package and the initramfs are cached in build/v2/. Where qemu
# cannot run, the tests are reported as skipped.
.PHONY: test-v2
test-v2: all
	@OOMWATCH_BUILD=$(CURDIR)/$(BUILD) scripts/test-v2.sh
# ---- end of cgroup v2 VM ----------------------------------------------------

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# make test fuzzes the JSON module (every JSON file oomwatch writes goes
# through it: UTF-8 kept, other bytes escaped so that they come back) for
# FUZZ_JSON_SECONDS (about 10 s more for the build); once, in the run without
# SANITIZE=1 (the fuzzer's build has the sanitizers itself). Skipped, saying
# so, where clang is missing.
FUZZ_JSON_SECONDS ?= 15
.PHONY: fuzz-json
fuzz-json:
	@if command -v clang >/dev/null || command -v clang-14 >/dev/null; then \
	  scripts/fuzz.sh $(FUZZ_JSON_SECONDS) json; else echo "SKIP fuzz-json: clang is not installed"; fi

demo: deps
	@$(MAKE) --no-print-directory all
	@OOMWATCH_BUILD=$(CURDIR)/$(BUILD) scripts/demo.sh

bench: all
	@scripts/bench.sh

# ---- browser tests ------------------------------------------------------------
# The incident page and the flame graph of real incidents in headless Chromium
# (tests/browser/, run by the integration runner): part of make test (about
# 25 s on a 2-core machine); they skip, saying so, where Chromium is missing
# (install-deps.sh installs it but with OOMWATCH_DEPS=minimal). The
# screenshots are left in $(BUILD)/test-browser/ (flamegraph.png,
# incident.png, unobserved.png, restart.png).
# make test-browser runs only them, showing what each one checked.
.PHONY: browser test-browser
BROWSER_RUN = OOMWATCH_BUILD=$(CURDIR)/$(BUILD) TEST_DIR=$(CURDIR)/tests/browser tests/integration/run.sh
browser: all
	@$(BROWSER_RUN)

test-browser: deps
	@$(MAKE) --no-print-directory all
	@TEST_VERBOSE=1 $(BROWSER_RUN)
# ---- end of browser test ---------------------------------------------------

# ---- install ---------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/oomwatch $(DESTDIR)$(SYSCONFDIR)/oomwatch
	install -m 0755 $(OOMWATCH) $(DESTDIR)$(BINDIR)/oomwatch
	install -m 0755 $(LEAKY) $(DESTDIR)$(BINDIR)/oomwatch-leaky-server
	install -m 0644 $(AGENT) $(DESTDIR)$(LIBDIR)/oomwatch/liboomwatch-agent.so
	install -m 0755 $(ANALYSIS) $(DESTDIR)$(LIBDIR)/oomwatch/oomwatch-analysis
	install -m 0644 configs/oomwatch.conf $(DESTDIR)$(SYSCONFDIR)/oomwatch/oomwatch.conf
	if [ -d docs/man ]; then install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5; \
	  for p in docs/man/*.1; do [ -e "$$p" ] && install -m 0644 "$$p" $(DESTDIR)$(MANDIR)/man1/; done; \
	  for p in docs/man/*.5; do [ -e "$$p" ] && install -m 0644 "$$p" $(DESTDIR)$(MANDIR)/man5/; done; true; fi

# the configuration in $(SYSCONFDIR)/oomwatch is the administrator's: left in place
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/oomwatch $(DESTDIR)$(BINDIR)/oomwatch-leaky-server
	rm -rf $(DESTDIR)$(LIBDIR)/oomwatch
	rm -f $(DESTDIR)$(MANDIR)/man1/oomwatch.1 $(DESTDIR)$(MANDIR)/man5/oomwatch.conf.5

clean:
	rm -rf build

-include $(shell find $(O) -name '*.d' 2>/dev/null)
