# deflector: one Makefile for the whole tree. `make help` lists the targets.
#
# Every component folder contributes its *.c files to one static library
# (build/libdeflector.a); cli/ links it into build/deflector. Adding a file
# needs no edit here. BPF programs (bpf/*.bpf.c) become objects and
# bpftool-generated skeletons under build/bpf/.
#
# SAN=1 builds the same tree with AddressSanitizer and UndefinedBehaviorSanitizer
# into build/san/; `make check` runs every unit test in both builds.

.DELETE_ON_ERROR:
.SUFFIXES:
SHELL := /bin/bash

V ?= 0
Q := $(if $(filter 1,$(V)),,@)
msg = $(if $(filter 1,$(V)),,@printf '  %-8s %s\n' '$(1)' '$(2)';)

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT := -O1 -g
else
BUILD ?= build
SAN_FLAGS :=
OPT := -O2 -g
endif

# Targets that need Debian packages first run mk/deps.sh, then re-enter make,
# so that pkg-config below sees what was just installed.
DEPS_PROFILE_all := build
DEPS_PROFILE_check := test
DEPS_PROFILE_demo := demo
DEPS_PROFILE_bench := bench
DEPS_PROFILE_fuzz := fuzz
ENTRY_TARGETS := all check demo bench fuzz

ifndef DFL_DEPS_DONE
.DEFAULT_GOAL := all
$(ENTRY_TARGETS):
	$(Q)mk/deps.sh $(DEPS_PROFILE_$@)
	$(Q)$(MAKE) --no-print-directory DFL_DEPS_DONE=1 $@
else
.DEFAULT_GOAL := all
endif

CC := gcc
CLANG := clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m)

PKGS := libbpf yaml-0.1 libcyaml jansson libpcre2-8 ldns libcurl libcrypto
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz -lpthread -lm
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

LLHTTP_SRC := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN_FLAGS) -I. -I$(BUILD) \
	-I$(LLHTTP_INC) $(PKG_CFLAGS) -MMD -MP
LDFLAGS := $(SAN_FLAGS)

COMPONENTS := util crd identity policy flow proxy bpf agent
LIB_SRCS := $(filter-out %.bpf.c,$(foreach d,$(COMPONENTS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LLHTTP_OBJS := $(addprefix $(BUILD)/llhttp/,api.o http.o llhttp.o)
LIB := $(BUILD)/libdeflector.a

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
BIN := $(BUILD)/deflector

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
BPF_SKELS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
BPF_CFLAGS := -O2 -g -target bpf -Wall -Wextra -Werror -Wshadow \
	-Wno-unused-parameter -Wno-missing-field-initializers \
	-I. -Ibpf/include -I/usr/include/$(ARCH)-linux-gnu

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
TEST_HELPER_SRCS := $(wildcard tests/unit/helpers/*.c)
TEST_HELPER_OBJS := $(TEST_HELPER_SRCS:%.c=$(BUILD)/%.o)

BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(BPF_TEST_SRCS:tests/bpf/%.c=$(BUILD)/tests/bpf/%)

EXTRA_PROGS_SRCS := $(wildcard examples/*/*.c bench/*.c tests/tools/*.c)
EXTRA_PROGS := $(EXTRA_PROGS_SRCS:%.c=$(BUILD)/%)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS ?= 60

.PHONY: help all check unit bpf-tests netns-tests scenario-tests demo bench fuzz \
	clean install format tools

help:
	@echo 'deflector build targets:'
	@echo '  all        build build/deflector and the BPF objects (default)'
	@echo '  check      install test dependencies, build, run every test (also under ASan+UBSan)'
	@echo '  unit       build and run the Check unit tests of this build (SAN=1 for sanitizers)'
	@echo '  demo       run the Star Wars walkthrough'
	@echo '  bench      run the benchmarks in bench/ and print their figures'
	@echo '  fuzz       build the libFuzzer targets and run each for FUZZ_SECONDS (default 60)'
	@echo '  install    install build/deflector to $$(PREFIX)/sbin (PREFIX=/usr/local)'
	@echo '  format     reformat the C sources with clang-format'
	@echo '  clean      remove build/'
	@echo 'variables: V=1 (show commands), SAN=1 (sanitizer build in build/san)'

ifdef DFL_DEPS_DONE
all: $(BIN) $(BPF_OBJS) tools $(BUILD)/all_headers.o

tools: $(EXTRA_PROGS)

check:
	$(Q)tests/run.sh

demo: all
	$(Q)examples/starwars/demo.sh

bench: all
	$(Q)bench/run.sh

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)
endif

unit: $(UNIT_BINS)
	$(Q)tests/unit/run.sh $(UNIT_BINS)

bpf-tests: $(BPF_TEST_BINS) $(BPF_OBJS)

$(BIN): $(CLI_OBJS) $(LIB) $(LLHTTP_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LLHTTP_OBJS) $(PKG_LIBS)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c | $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Every header in one translation unit: the agent includes them all, so the
# names of different components must not clash.
ALL_HEADERS := $(filter-out bpf/lib/%,$(wildcard $(addsuffix /*.h,$(COMPONENTS) cli) bpf/include/*.h))
$(BUILD)/all_headers.o: $(ALL_HEADERS) | $(BPF_SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)printf '#include "%s"\n' $(ALL_HEADERS) > $(BUILD)/all_headers.c
	$(Q)$(CC) $(CFLAGS) -c -o $@ $(BUILD)/all_headers.c

# llhttp is compiled from the C sources Debian ships in node-llhttp.
$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -std=c11 $(OPT) $(SAN_FLAGS) -I$(LLHTTP_INC) -w -c -o $@ $<

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/include/*.h bpf/lib/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) $(LLHTTP_OBJS) $(TEST_HELPER_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(TEST_HELPER_OBJS) $(LIB) \
		$(LLHTTP_OBJS) $(PKG_LIBS) $(CHECK_LIBS) $(LDFLAGS)

$(BUILD)/tests/bpf/%: tests/bpf/%.c $(LIB) $(LLHTTP_OBJS) $(BPF_SKELS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIB) $(LLHTTP_OBJS) \
		$(PKG_LIBS) $(CHECK_LIBS) $(LDFLAGS)

# Helper programs (the demo's deathstar server, benchmark drivers, test tools).
$(BUILD)/examples/%: examples/%.c $(LIB) $(LLHTTP_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LLHTTP_OBJS) $(PKG_LIBS) $(LDFLAGS)
$(BUILD)/bench/%: bench/%.c $(LIB) $(LLHTTP_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LLHTTP_OBJS) $(PKG_LIBS) $(LDFLAGS)
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB) $(LLHTTP_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LLHTTP_OBJS) $(PKG_LIBS) $(LDFLAGS)

# Fuzzers: clang's libFuzzer with ASan and UBSan, one binary per target, built
# from the pure libraries' sources (no kernel-facing code: bpf/ and agent/ stay out).
FUZZ_COMPONENTS := util crd identity policy flow proxy
FUZZ_LIB_SRCS := $(foreach d,$(FUZZ_COMPONENTS),$(wildcard $(d)/*.c))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-I. -I$(LLHTTP_INC) $(WARN) -Wno-missing-prototypes
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_SRCS) \
		$(addprefix $(LLHTTP_SRC)/,api.c http.c llhttp.c) $(PKG_LIBS)

PREFIX ?= /usr/local
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/deflector

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

.SECONDARY: $(BPF_OBJS) $(BPF_SKELS)

# Every object and test binary records its headers (-MMD): a changed header
# rebuilds all that include it, test helpers and unit tests included.
-include $(shell find $(BUILD) -name "*.d" 2>/dev/null)
