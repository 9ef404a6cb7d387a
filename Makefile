# cairn — one Makefile for the node, the tools, the tests and the benchmarks.
#
#   make            build build/cairnd and build/cairn-cli (when their sources exist)
#   make run        install missing packages, build, start a regtest full node
#   make test       install missing packages, build, run every test
#   make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test TSAN=1 the same under ThreadSanitizer
#   make check-layers check every include against the layer table (tools/check_layers.py)
#   make bench      build and run the benchmarks in bench/
#   make fuzz       build the libFuzzer harnesses of tests/fuzz into build/fuzz (clang)
#   make fuzz-long MINUTES=N  run each harness N minutes on its corpus (tests/fuzz/README.md)
#   make scale      a 500-node regtest mesh on loopback, formed from one seed, measured
#                   (make scale NODES=N DELAY_MS=D JITTER_MS=J RATE_KBIT=R: one-way delay D ± J ms
#                   per link and R kbit/s per node through build/relay, tests/scale/relay.c;
#                   COMPACT=0: every node with -compactblocks=0);
#                   figures in build/scale/scale-N.json, docs/scale.md

CC      ?= cc
SAN     ?= 0
TSAN    ?= 0
BUILD   := build
PKGS    := openssl libsecp256k1 libevent libevent_pthreads libcjson
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT     := -O2 -g
ifeq ($(SAN),1)
BUILD   := build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
ifeq ($(TSAN),1)
ifeq ($(SAN),1)
$(error SAN=1 and TSAN=1 cannot be combined: the sanitizers exclude each other)
endif
BUILD   := build/tsan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) -I. $(PKG_CFLAGS) -MMD -MP
ASANFLAGS := -fsanitize=address,undefined
SANFLAGS := $(if $(filter 1,$(SAN)),$(ASANFLAGS)) $(if $(filter 1,$(TSAN)),-fsanitize=thread)
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lleveldb -lpthread -lm

# Every .c under these folders is part of the library, except the programs' mains.
MAINS    := node/main.c rpc/cli.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard util/*.c chain/*.c p2p/*.c rpc/*.c wallet/*.c node/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB      := $(BUILD)/libcairn.a

PROGS    := $(if $(wildcard node/main.c),$(BUILD)/cairnd) $(if $(wildcard rpc/cli.c),$(BUILD)/cairn-cli)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
TOOL_SRCS  := $(wildcard bench/tool_*.c)
TOOL_BINS  := $(TOOL_SRCS:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
RELAY      := $(BUILD)/relay

.PHONY: all deps run test unit bench scale fuzz fuzz-long clean check-layers
.DEFAULT_GOAL := all

all: $(PROGS) $(LIB)

# Installs the Debian packages only when a header or library is missing, so
# that a machine which already has them never needs root or the network.
deps:
	@sh tools/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/cairnd: $(BUILD)/obj/node/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/cairn-cli: $(BUILD)/obj/rpc/cli.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The scale harness's delay relay: test tooling on libevent alone, never
# linked into cairnd.
$(RELAY): tests/scale/relay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libevent 2>/dev/null)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

run: deps
	@$(MAKE) --no-print-directory all
	@sh tools/run.sh

# The functional tests scale their timeouts by 4 for build/san on their own;
# a ThreadSanitizer build is as slow, so it gets the same factor.
TEST_ENV := $(if $(filter 1,$(TSAN)),CAIRN_TIMEOUT_FACTOR=$${CAIRN_TIMEOUT_FACTOR:-4})

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TOOL_BINS) $(RELAY)
	@$(TEST_ENV) python3 tests/run.py --build $(BUILD)

unit: $(UNIT_BINS)
	@$(TEST_ENV) python3 tests/run.py --build $(BUILD) --unit-only

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS) $(TOOL_BINS)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done
	@for p in bench/bench_*.py; do [ -e "$$p" ] || continue; echo "== $$p"; python3 $$p --build $(BUILD) || exit 1; done

NODES     ?= 500
DELAY_MS  ?= 0
JITTER_MS ?= 0
RATE_KBIT ?= 0
COMPACT   ?= 1
scale:
	@sh tools/deps.sh scale
	@$(MAKE) --no-print-directory all $(RELAY)
	@python3 tests/scale/scale.py --build $(BUILD) --nodes $(NODES) --delay-ms $(DELAY_MS) --jitter-ms $(JITTER_MS) --rate-kbit $(RATE_KBIT) $(if $(filter 0,$(COMPACT)),--no-compact); \
	  rc=$$?; runs="$(BUILD)/scale/scale-$(NODES).json $(BUILD)/scale/scale-$(NODES)-*.json"; \
	  python3 tests/scale/plot.py --out $(BUILD)/scale/propagation-$(NODES).png $$runs; \
	  python3 tests/scale/plot.py --what full_blocks --out $(BUILD)/scale/propagation-full-$(NODES).png $$runs; exit $$rc

# libFuzzer harnesses, one per deserializer: make fuzz, then build/fuzz/fuzz_X corpus/
# The library is compiled once for them (instrumented, without libFuzzer's
# main) into build/fuzz/libcairn.a; each harness links against it.
FUZZ_CC    := clang
FUZZ_FLAGS := $(CSTD) -g -O1 -I. $(PKG_CFLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_OBJS  := $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
FUZZ_BINS  := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

build/fuzz/libcairn.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c build/fuzz/libcairn.a
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< build/fuzz/libcairn.a $(PKG_LIBS) -lleveldb -lpthread -lm

fuzz: $(FUZZ_BINS)

# Every harness for MINUTES minutes (default 1) on a copy of its seed corpus
# (tests/fuzz/corpus/), with its dictionary (tests/fuzz/dict/) if it has one;
# new inputs stay in build/fuzz/corpus, crashes in build/fuzz/crashes, and
# the run fails if any harness crashed. JOBS=2 runs two at a time.
MINUTES ?= 1
JOBS    ?= 1
fuzz-long: fuzz
	@python3 tests/fuzz/run_long.py --minutes $(MINUTES) --jobs $(JOBS) --bin build/fuzz

# Layering: every include of every source against the rank table
# (util < chain < p2p, wallet < rpc < node) and the per-layer bans; the
# rules are in the script's comment, its test in tests/tools/.
check-layers:
	@python3 tools/check_layers.py

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
-include $(shell find build/fuzz/obj -name '*.d' 2>/dev/null)
