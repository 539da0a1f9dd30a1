# oomwatch — plain GNU make.
#   make            build everything into $(BUILD) (default build/)
#   make test       install missing Debian packages, build, run unit + fuzz-replay + integration tests
#   make demo       install missing Debian packages, build, run scripts/demo.sh
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1 ...   ASan+UBSan build in build/san (oomwatch and unit tests)
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS
#   make test-v2    integration tests on a cgroup v2 kernel under qemu (scripts/test-v2.sh)
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
BASE_CPPFLAGS := -D_GNU_SOURCE -DOOMWATCH_VERSION='"$(VERSION)"' -DOOMWATCH_LIBDIR='"$(LIBDIR)"' -Isupervisor -Ianalyzer
ALL_CFLAGS   = $(WARN) $(HARDEN) -fPIC -MMD -MP $(CFLAGS)
ALL_LDFLAGS  = -Wl,-z,relro,-z,now $(LDFLAGS)

# ---- sources ---------------------------------------------------------------
ANA_SRC := $(wildcard analyzer/*.c)
SUP_SRC := $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
AGT_SRC := $(wildcard agent/*.c)
TGT_SRC := $(wildcard target/*.c)
UT_SRC  := $(wildcard tests/unit/test_*.c)
FUZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

ANA_OBJ := $(ANA_SRC:%.c=$(O)/%.o)
SUP_OBJ := $(SUP_SRC:%.c=$(O)/%.o)
AGT_OBJ := $(AGT_SRC:%.c=$(O)/pic/%.o)
TGT_OBJ := $(TGT_SRC:%.c=$(O)/%.o)

ANA_LIBS := $(call pc,--libs,libdw libelf) -lm
SUP_LIBS := $(call pc,--libs,libcgroup inih) $(ANA_LIBS)
SUP_CFLAGS := $(call pc,--cflags,libcgroup inih libdw libelf)
CHECK_LIBS := $(call pc,--libs,check)
CHECK_CFLAGS := $(call pc,--cflags,check)

OOMWATCH := $(BUILD)/oomwatch
AGENT    := $(BUILD)/liboomwatch-agent.so
LEAKY    := $(BUILD)/leaky-server
ANA_LIB  := $(BUILD)/libohp.a
UNIT_BINS := $(UT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY := $(FUZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/replay_%)

# The demo target and the agent run inside the supervised process, next to
# jemalloc: their rules never add the sanitizers, also in a SANITIZE=1 build.
ALL_TARGETS := $(OOMWATCH) $(AGENT) $(LEAKY) $(UNIT_BINS) $(FUZZ_REPLAY)

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
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(O)/supervisor/%.o: supervisor/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(ANA_LIB): $(ANA_OBJ)
	@mkdir -p $(@D)
	$(Q)rm -f $@
	$(Q)$(call say_cc,AR,$@)$(AR) rcs $@ $^

$(OOMWATCH): $(O)/supervisor/main.o $(SUP_OBJ) $(ANA_LIB)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -o $@ $^ $(SUP_LIBS)

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

$(BUILD)/tests/test_%: $(O)/tests/unit/test_%.o $(SUP_OBJ) $(ANA_LIB)
	@mkdir -p $(@D)
	$(Q)$(call say_cc,LD,$@)$(CC) $(ALL_CFLAGS) $(SAN) $(ALL_LDFLAGS) -o $@ $^ $(SUP_LIBS) $(CHECK_LIBS)

# fuzz entry points replayed over their corpora by a plain driver (no clang needed)
$(O)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(Q)$(call say_cc,CC,$@)$(CC) $(BASE_CPPFLAGS) $(CPPFLAGS) $(SUP_CFLAGS) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/tests/replay_%: $(O)/tests/fuzz/%.o $(O)/tests/fuzz/replay_main.o $(SUP_OBJ) $(ANA_LIB)
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
	@$(MAKE) --no-print-directory unit fuzz-replay integration

unit: $(UNIT_BINS)
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

demo: deps
	@$(MAKE) --no-print-directory all
	@OOMWATCH_BUILD=$(CURDIR)/$(BUILD) scripts/demo.sh

bench: all
	@scripts/bench.sh

# ---- browser test (issue 9) ------------------------------------------------
# make test-browser: the flame graph of a real incident in headless Chromium
# (tests/browser/). Installs Chromium and zlib1g-dev first
# (scripts/install-browser.sh); they are not part of the default deps.
# The test prints what it checks; the screenshot is left in $(BUILD)/test-browser/flamegraph.png.
.PHONY: test-browser
test-browser: deps
	@scripts/install-browser.sh
	@$(MAKE) --no-print-directory all
	@OOMWATCH_BUILD=$(CURDIR)/$(BUILD) timeout -k 5 300 bash tests/browser/t_flamegraph.sh; rc=$$?; \
	  case $$rc in 0) echo "PASS t_flamegraph"; echo "1 passed, 0 failed, 0 skipped" ;; \
	  77) echo "SKIP t_flamegraph"; echo "0 passed, 0 failed, 1 skipped" ;; \
	  *) echo "FAIL t_flamegraph (exit $$rc)"; echo "0 passed, 1 failed, 0 skipped"; exit 1 ;; esac
# ---- end of browser test ---------------------------------------------------

# ---- install ---------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/oomwatch $(DESTDIR)$(SYSCONFDIR)/oomwatch
	install -m 0755 $(OOMWATCH) $(DESTDIR)$(BINDIR)/oomwatch
	install -m 0755 $(LEAKY) $(DESTDIR)$(BINDIR)/oomwatch-leaky-server
	install -m 0644 $(AGENT) $(DESTDIR)$(LIBDIR)/oomwatch/liboomwatch-agent.so
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
