# excam — hand-written Makefile.
#
#   make                 library (build/libexcam.a, build/libexcam.so) and CLI (build/excam)
#   make test            build, then run every test (tests/run.sh); last line "N passed, ..."
#   make demo            encode a sample with excam and verify it (scripts/demo.sh)
#   make asan            the same build with ASan+UBSan, in build-asan/
#   make fuzz            libFuzzer targets (clang) in build/fuzz/; `make fuzz-run` runs them
#   make bench           benchmarks (bench/run.sh), tables in bench/results/; the
#                        coordinator's load generator is build/bench/loadgen
#   make deps            install missing Debian packages (scripts/deps.sh)
#   make install PREFIX=/usr/local   library, headers, excam.pc, the CLI
#
# Options: WERROR=1 (CI) adds -Werror; BUILD=dir; CC=...; V=1 shows commands;
#          PROTOC_C=... (protoc-c, which generates $(BUILD)/proto/excam.pb-c.[ch]).

BUILD    ?= build
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
CC       ?= cc
CLANG    ?= clang
PKG_CONFIG ?= pkg-config
PROTOC_C ?= protoc-c

VERSION  := 0.1.0
SOMAJOR  := 0

ifeq ($(V),1)
Q :=
else
Q := @
endif

# libcurl, OpenSSL and libavformat are not linked: they are loaded on first use
# (storage/dynlib.h), since linked they cost every command ~40 ms at start (OpenSSL alone
# 0.8 ms, a third of the rest); only their headers are needed.
PKGS := libsodium libprotobuf-c
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) libcurl libssl libcrypto 2>/dev/null)
# The tests' own MD5s (tests/test_util.h) call libcrypto directly.
TEST_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# libvpx, for `--stage1 libvpx` only: linked into the CLI, the tests and the fuzzers, never
# into libexcam.
VPX_CFLAGS := $(shell $(PKG_CONFIG) --cflags vpx 2>/dev/null)
VPX_LIBS   := $(shell $(PKG_CONFIG) --libs vpx 2>/dev/null)
# libavformat, for WebM output and input (tools/webm.c, through tools/av_api.h): headers
# only, the library is loaded when a WebM file is read or written.
AV_CFLAGS := $(shell $(PKG_CONFIG) --cflags libavformat libavcodec libavutil 2>/dev/null)
TOOL_LIBS := $(VPX_LIBS)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wvla -Wformat=2 -Wno-unused-parameter
# CI builds with -Werror (.ci/run sets CI=1).
ifneq ($(CI),)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

# The codec is the hot path: -O3 (measured 25-30% faster than -O2 on 1080p decode).
OPT_CODEC ?= -O3
OPT       ?= -O2
DEBUG     ?= -g
SAN       ?=

BASE_CFLAGS := -std=c11 $(WARN) $(DEBUG) $(SAN) -MMD -MP -Iinclude -Icodec \
               -fvisibility=hidden $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL  := $(PKG_LIBS) -lm -pthread $(LDLIBS)
ALL_LDFLAGS := $(SAN) $(LDFLAGS)

CODEC_SRC := $(sort $(wildcard codec/*.c))
TOOLS_SRC := $(sort $(wildcard tools/*.c))
TEST_SRC  := $(sort $(wildcard tests/*.c))
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
# The wire protocol (proto/) and blob storage (storage/): one object group, linked into
# the CLI, the tests and the fuzzers but not into libexcam (its API stays excam_* only).
# The protobuf-c code is generated into $(BUILD)/proto/ from proto/excam.proto, never
# committed; sources find it as "proto/excam.pb-c.h" through -I$(BUILD).
PROTO_DEF   := proto/excam.proto
PROTO_GEN_C := $(PROTO_DEF:%.proto=$(BUILD)/%.pb-c.c)
PROTO_GEN_H := $(PROTO_DEF:%.proto=$(BUILD)/%.pb-c.h)
NET_SRC     := $(sort $(wildcard proto/*.c storage/*.c coordinator/*.c worker/*.c))
NET_INC     := -Iproto -Istorage -Icoordinator -Iworker -I$(BUILD)

CODEC_OBJ := $(CODEC_SRC:%.c=$(BUILD)/%.o)
TOOLS_OBJ := $(TOOLS_SRC:%.c=$(BUILD)/%.o)
NET_OBJ   := $(NET_SRC:%.c=$(BUILD)/%.o) $(PROTO_GEN_C:.c=.o)
# Tool objects other than the main program, shared with tests and fuzzers.
TOOLS_LIB_OBJ := $(filter-out $(BUILD)/tools/excam.o $(BUILD)/tools/cmd_%.o,$(TOOLS_OBJ))
TOOLS_LIB_SRC := $(filter-out tools/excam.c tools/cmd_%.c,$(TOOLS_SRC))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

LIB_A  := $(BUILD)/libexcam.a
LIB_SO := $(BUILD)/libexcam.so.$(VERSION)
EXCAM  := $(BUILD)/excam

.PHONY: all lib test tests check demo asan fuzz fuzz-run bench deps install uninstall clean
all: lib $(EXCAM) $(BUILD)/excam.pc

lib: $(LIB_A) $(LIB_SO)

$(BUILD)/codec/%.o: codec/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CODEC) -fPIC -DEXCAM_BUILDING_LIB -c $< -o $@

# Objects that may include the generated header wait for it (order-only: -MMD's .d files
# then track it like any header, so a changed .proto rebuilds exactly its users).
$(BUILD)/tools/%.o: tools/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) -Itools $(NET_INC) $(AV_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) -Itools -Itests $(NET_INC) -c $< -o $@

$(BUILD)/proto/%.o: proto/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) $(NET_INC) -c $< -o $@

# The coordinator and the worker run the pipeline's tasks (tools/tasks.h).
$(BUILD)/coordinator/%.o: coordinator/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) -Itools $(NET_INC) -c $< -o $@

$(BUILD)/worker/%.o: worker/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) -Itools $(NET_INC) -c $< -o $@

$(BUILD)/storage/%.o: storage/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) $(NET_INC) -c $< -o $@

# protoc-c writes both files in one run (a pattern rule with two targets is one recipe).
$(BUILD)/%.pb-c.c $(BUILD)/%.pb-c.h: %.proto
	@mkdir -p $(@D)
	@$(if $(Q),echo "  PROTOC  $<")
	$(Q)$(PROTOC_C) --c_out=$(BUILD) $<

$(PROTO_GEN_C:.c=.o): $(PROTO_GEN_C)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT) $(NET_INC) -c $< -o $@

$(LIB_A): $(CODEC_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(CODEC_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,libexcam.so.$(SOMAJOR) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_ALL)
	$(Q)ln -sf libexcam.so.$(VERSION) $(BUILD)/libexcam.so.$(SOMAJOR)
	$(Q)ln -sf libexcam.so.$(VERSION) $(BUILD)/libexcam.so

$(EXCAM): $(TOOLS_OBJ) $(NET_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(TOOLS_OBJ) $(NET_OBJ) $(LIB_A) -o $@ $(TOOL_LIBS) $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TOOLS_LIB_OBJ) $(NET_OBJ) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $< $(TOOLS_LIB_OBJ) $(NET_OBJ) $(LIB_A) -o $@ $(TOOL_LIBS) $(TEST_LIBS) $(LDLIBS_ALL)

$(BUILD)/excam.pc: excam.pc.in Makefile
	@mkdir -p $(@D)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCDIR@|$(INCDIR)|g' -e 's|@VERSION@|$(VERSION)|g' $< >$@

# ---------------------------------------------------------------- tests

# `make test` and `make demo` first install missing packages, then build in a fresh
# make (so that pkg-config sees what was just installed).
test:
	$(Q)bash scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all tests
	$(Q)bash tests/run.sh

tests: $(TEST_BIN)

check: test

demo:
	$(Q)bash scripts/demo.sh

asan:
	$(Q)$(MAKE) BUILD=build-asan OPT=-O1 OPT_CODEC=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    all $(TEST_SRC:tests/%.c=build-asan/tests/%)

# ---------------------------------------------------------------- fuzzing

FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
              -Iinclude -Icodec -Itools -Ifuzz $(NET_INC) $(PKG_CFLAGS) $(AV_CFLAGS)
FUZZ_TIME ?= 200

fuzz: $(FUZZ_BIN)

$(BUILD)/fuzz/%: fuzz/%.c $(CODEC_SRC) $(TOOLS_LIB_SRC) $(NET_SRC) $(PROTO_GEN_C) $(PROTO_GEN_H) \
                 $(wildcard codec/*.h tools/*.h fuzz/*.h proto/*.h storage/*.h coordinator/*.h worker/*.h)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CLANG) $(FUZZ_FLAGS) $< $(CODEC_SRC) $(TOOLS_LIB_SRC) $(NET_SRC) $(PROTO_GEN_C) \
	    -o $@ $(TOOL_LIBS) $(PKG_LIBS) -lm -pthread

# Seed the corpora and run each target for FUZZ_TIME seconds.
fuzz-run: fuzz $(EXCAM) $(BUILD)/tests/test_wire
	$(Q)EXCAM_BIN=$(EXCAM) EXCAM_TEST_WIRE=$(BUILD)/tests/test_wire bash fuzz/seed.sh $(BUILD)/fuzz
	$(Q)set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	    echo "== $$n ($(FUZZ_TIME) s)"; \
	    $$f -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/crash-$$n- $(BUILD)/fuzz/corpus-$$n 2>&1 | tail -n 12; \
	done

# ---------------------------------------------------------------- the rest

# The coordinator's load generator (bench/coordinator.sh): the wire code only.
LOADGEN  := $(BUILD)/bench/loadgen
WIRE_OBJ := $(filter $(BUILD)/proto/%,$(NET_OBJ))

$(BUILD)/bench/%.o: bench/%.c | $(PROTO_GEN_H)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) -D_GNU_SOURCE $(OPT) $(NET_INC) -c $< -o $@

$(LOADGEN): $(BUILD)/bench/loadgen.o $(WIRE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LDLIBS_ALL)

bench: all $(LOADGEN)
	$(Q)bash bench/run.sh

deps:
	$(Q)bash scripts/deps.sh

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/excam $(DESTDIR)$(BINDIR)
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libexcam.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libexcam.so.$(SOMAJOR)
	ln -sf libexcam.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libexcam.so
	install -m 644 include/excam/*.h $(DESTDIR)$(INCDIR)/excam/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' excam.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/excam.pc
	install -m 755 $(EXCAM) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 644 doc/excam.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libexcam.a $(DESTDIR)$(LIBDIR)/libexcam.so* \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/excam.pc $(DESTDIR)$(BINDIR)/excam \
	      $(DESTDIR)$(MANDIR)/man1/excam.1
	rm -rf $(DESTDIR)$(INCDIR)/excam

clean:
	rm -rf build build-asan

.SECONDARY:

-include $(wildcard $(BUILD)/*/*.d)
