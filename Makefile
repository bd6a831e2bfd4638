# heapwatch - build, test and demo. `make` builds build/heapwatch; `make test` runs every
# suite plain and under ASan+UBSan; `make demo` runs the main job. Every target first
# makes sure the Debian packages it needs are there (installing them when run as root).

PREFIX  ?= /usr/local
BUILD   := build
PKGS    := libcurl zlib libprotobuf-c cairo jansson libmicrohttpd libgvc yaml-0.1 libpcre2-8
DEBS    := libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler zlib1g-dev libjansson-dev \
           libcairo2-dev libmicrohttpd-dev libgraphviz-dev libyaml-dev libpcre2-dev libcmocka-dev \
           pkg-config golang-go gcc make clang libclang-rt-14-dev curl fonts-dejavu-core time \
           graphviz libxml2-utils chromium nodejs wrk
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla
PKGCFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKGLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
CFLAGS  ?= -g -O2
ALLCFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CFLAGS) $(WARN) \
            -I. -Iprofile -Irender -Iweb -I$(BUILD)/gen $(PKGCFLAGS)
SAN     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

LIBSRC  := $(wildcard profile/*.c render/*.c web/*.c)
CMDSRC  := $(wildcard cmd/*.c)
GENSRC  := $(BUILD)/gen/profile.pb-c.c
UNITSRC := $(wildcard tests/unit/*/test_*.c)
FUZZSRC := $(wildcard tests/fuzz/fuzz_*.c)
EXAMPLES := $(notdir $(patsubst %/,%,$(dir $(wildcard examples/*/main.go))))

# Two flavours of every object: plain (build/obj) and sanitized (build/san/obj).
OBJ      = $(patsubst %.c,$(BUILD)/obj/%.o,$(LIBSRC) $(GENSRC:$(BUILD)/%=%))
SANOBJ   = $(patsubst %.c,$(BUILD)/san/obj/%.o,$(LIBSRC) $(GENSRC:$(BUILD)/%=%))
CMDOBJ   = $(patsubst %.c,$(BUILD)/obj/%.o,$(CMDSRC))
SANCMDOBJ = $(patsubst %.c,$(BUILD)/san/obj/%.o,$(CMDSRC))
UNITBIN  = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNITSRC))
SANUNITBIN = $(patsubst tests/unit/%.c,$(BUILD)/san/tests/%,$(UNITSRC))

.PHONY: all deps test test-unit test-e2e demo fuzz bench install clean format format-check examples
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory $(BUILD)/heapwatch

# Installs what is missing when root; otherwise says what to install.
deps:
	@missing=""; \
	for p in $(PKGS) cmocka; do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	for c in protoc-c go clang curl dot xmllint chromium node wrk; do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	[ -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || \
	  ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing="$$missing clang-rt"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || missing="$$missing fonts"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing Debian packages (missing:$$missing)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $(DEBS) >/dev/null || exit 1; \
	  else \
	    echo "deps: missing:$$missing; as root run: apt-get install $(DEBS)"; exit 1; \
	  fi; \
	fi

$(BUILD)/gen/profile.pb-c.c $(BUILD)/gen/profile.pb-c.h: profile/profile.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iprofile profile/profile.proto

# Every object depends on the generated header so that it exists before anything includes it.
$(BUILD)/obj/%.o: %.c $(BUILD)/gen/profile.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/san/obj/%.o: %.c $(BUILD)/gen/profile.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SAN) -MMD -MP -c $< -o $@
$(BUILD)/san/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SAN) -MMD -MP -c $< -o $@

$(BUILD)/libhw.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/san/libhw.a: $(SANOBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/heapwatch: $(CMDOBJ) $(BUILD)/libhw.a
	$(CC) $(ALLCFLAGS) -o $@ $(CMDOBJ) $(BUILD)/libhw.a $(PKGLIBS)
$(BUILD)/san/heapwatch: $(SANCMDOBJ) $(BUILD)/san/libhw.a
	$(CC) $(ALLCFLAGS) $(SAN) -o $@ $(SANCMDOBJ) $(BUILD)/san/libhw.a $(PKGLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libhw.a
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -Itests/unit -MMD -MP -o $@ $< $(BUILD)/libhw.a $(PKGLIBS) $(shell pkg-config --libs cmocka)
$(BUILD)/san/tests/%: tests/unit/%.c $(BUILD)/san/libhw.a
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(SAN) -Itests/unit -MMD -MP -o $@ $< $(BUILD)/san/libhw.a $(PKGLIBS) $(shell pkg-config --libs cmocka)

# Fuzz targets: clang, libFuzzer, ASan+UBSan; each links the library sources directly.
FUZZCFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -I. -Iprofile -Irender -Iweb \
             -I$(BUILD)/gen $(PKGCFLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIBSRC) $(GENSRC)
	@mkdir -p $(dir $@)
	clang $(FUZZCFLAGS) -o $@ $< $(filter profile/% web/config.c,$(LIBSRC)) $(GENSRC) $(PKGLIBS)

examples: deps
	@mkdir -p $(BUILD)/examples
	@for e in $(EXAMPLES); do \
	  (cd examples && GOFLAGS=-mod=mod go build -o ../$(BUILD)/examples/$$e ./$$e) || exit 1; done

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/heapwatch $(BUILD)/san/heapwatch $(UNITBIN) $(SANUNITBIN) \
	  $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZSRC))
	@$(MAKE) --no-print-directory examples
	@tests/run.sh

fuzz: deps
	@$(MAKE) --no-print-directory $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZSRC))
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

bench: all examples
	@for b in bench/bench_*.sh; do bash $$b || exit 1; done

demo: all examples
	@bash examples/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/heapwatch $(DESTDIR)$(PREFIX)/bin/heapwatch

format:
	clang-format -i $(LIBSRC) $(CMDSRC) $(wildcard */*.h tests/unit/*/*.c tests/fuzz/*.c)
format-check:
	clang-format --dry-run --Werror $(LIBSRC) $(CMDSRC) $(wildcard */*.h)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
