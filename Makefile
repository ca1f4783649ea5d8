# kosmo-lua — the two commands a newcomer runs: `make demo` and `make test`.
# Both install what is missing first (Debian/Ubuntu: apt-get; macOS: brew), then build.

SWIFT ?= swift
BIN_DEBUG := .build/debug/kosmo-lua
BIN_RELEASE := .build/release/kosmo-lua
PYTHON ?= python3

APT_PACKAGES := pkg-config liblua5.4-dev lua5.4 libedit-dev libcurl4-openssl-dev libsqlite3-dev tmux lua-cjson hyperfine wrk time man-db
BREW_PACKAGES := pkg-config lua libedit tmux hyperfine

.PHONY: all deps build-info demo test build debug bench bench-batch stress sanitize sanitize-address sanitize-thread fuzz generate clean \
  install uninstall deb dist report-example

all: build

# Installs the system packages kosmo-lua builds and tests with, only when one is missing.
deps:
	@if command -v apt-get >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing:$$missing (apt-get)"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  fi; \
	elif command -v brew >/dev/null 2>&1; then \
	  for p in $(BREW_PACKAGES); do brew list $$p >/dev/null 2>&1 || brew install $$p; done; \
	else \
	  echo "Please install Lua 5.4 headers (liblua5.4-dev), SQLite headers (libsqlite3-dev), libedit, pkg-config and tmux."; \
	fi
	@# The simulator's interop test drives the official Python client (pinned), the host-call
	@# benchmark compares with lupa.
	@$(PYTHON) -c "import importlib.metadata as m, sys; sys.exit(m.version('replicate') != '1.0.7')" 2>/dev/null || \
	  { echo "Installing replicate==1.0.7 (pip)"; $(PYTHON) -m pip install -q replicate==1.0.7; }
	@$(PYTHON) -c "import lupa" 2>/dev/null || { echo "Installing lupa (pip)"; $(PYTHON) -m pip install -q lupa; }
	@# The MCP server's end-to-end tests drive it with the official MCP Python SDK as the client.
	@$(PYTHON) -c "import importlib.metadata as m, sys; sys.exit(int(m.version('mcp').split('.')[0]) < 2)" 2>/dev/null || \
	  { echo "Installing mcp>=2 (pip)"; $(PYTHON) -m pip install -q 'mcp>=2'; }

# `kosmo-lua --version` names the commit: Sources/CBuildInfo/build_commit.h (not in the
# repository) is rewritten only when the commit changes, so an unchanged tree rebuilds nothing
# and a new commit recompiles one C file. A plain `swift build` without it says "unknown".
BUILD_COMMIT_HEADER := Sources/CBuildInfo/build_commit.h
build-info:
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	  if [ "$$commit" != unknown ] && [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$$commit-dirty"; fi; \
	  line="#define KOSMO_BUILD_COMMIT \"$$commit\""; \
	  if [ "$$(cat $(BUILD_COMMIT_HEADER) 2>/dev/null)" != "$$line" ]; then \
	    echo "$$line" > $(BUILD_COMMIT_HEADER); touch Sources/CBuildInfo/build_info.c; fi

debug: deps build-info
	$(SWIFT) build

# Release build, the Swift runtime, Foundation, libstdc++ and SQLite (the journal's, through
# GRDB) linked in statically: as shared libraries, loading them was most of `kosmo-lua -e ''`'s
# start-up (Package.swift says how; .build/static-c++ holds links to the C++ compiler's
# libstdc++.a and the system's libsqlite3.a, found there before the shared ones). PIE=1: see README.
build: deps build-info
	@mkdir -p .build/static-c++
	@archive=$$(c++ -print-file-name=libstdc++.a 2>/dev/null); \
	  if [ "$(PIE)" != 1 ] && [ -f "$$archive" ]; then ln -sf "$$archive" .build/static-c++/libstdc++.a; \
	  else rm -f .build/static-c++/libstdc++.a; fi
	@sqlite=$$(cc -print-file-name=libsqlite3.a 2>/dev/null); \
	  if [ "$(PIE)" != 1 ] && [ -f "$$sqlite" ]; then ln -sf "$$sqlite" .build/static-c++/libsqlite3.a; \
	  else rm -f .build/static-c++/libsqlite3.a; fi
	$(SWIFT) build -c release --static-swift-stdlib

# Builds and runs the quickstart example against the built-in simulator (no token, no spend).
# `--allow run` lets replicate.run create predictions without asking (writes ask by default).
demo: debug
	$(BIN_DEBUG) --sim --allow run examples/quickstart.lua

# The whole suite: unit tests of each module and end-to-end tests of the built binary.
# One test at a time: several tests check that limits and deadlines end things in time, and
# two cores shared by every test at once would measure the queue, not kosmo-lua.
test: debug
	$(SWIFT) test --no-parallel

# Long runs of what `make test` runs briefly: the seeded fuzz properties (JSON <-> Lua,
# the SSE parser, malformed server responses) with STRESS_ITERATIONS cases each, the fault
# test, the MCP soak (SOAK_CALLS execute_lua calls in one session, memory checked flat), and
# the journal's kill-and-resume at full size (JOURNAL_ITEMS runs of sim/slow, 1-3 s each, killed
# JOURNAL_KILLS times).
# Each prints what it covered. Replay a failure with the seed it prints: KOSMO_FUZZ_SEED=N
# (KOSMO_JOURNAL_SEED=N for the kill moments of the kill-and-resume test).
STRESS_ITERATIONS ?= 100000
SOAK_CALLS ?= 10000
JOURNAL_ITEMS ?= 200
JOURNAL_KILLS ?= 10
stress: debug
	KOSMO_FUZZ_ITERATIONS=$(STRESS_ITERATIONS) KOSMO_SOAK_CALLS=$(SOAK_CALLS) \
	  KOSMO_JOURNAL_ITEMS=$(JOURNAL_ITEMS) KOSMO_JOURNAL_KILLS=$(JOURNAL_KILLS) KOSMO_JOURNAL_SPEED=1 $(SWIFT) test --no-parallel \
	  --filter 'JSONFuzzTests|SSEFuzzTests|MalformedResponseTests|FaultTests|MCPSoakTests|JournalKillResumeTests'

# The suite under AddressSanitizer, then under ThreadSanitizer, each build in its own scratch
# folder (SwiftPM's --sanitize instruments the Swift targets and the C bridge alike). The
# end-to-end tests run the kosmo-lua built beside the sanitized tests (KOSMO_LUA_BIN), so the
# processes they start are sanitized too. Every process writes its reports to
# .build-{asan,tsan}/reports instead of standard error (a child's report would otherwise hide
# in one test's failure message); the target fails when that folder is not empty.
# - LeakSanitizer is on, with LSAN_OPTIONS=exitcode=0: a leak is reported (and fails the
#   target) without changing the exit status a test checks. lsan.supp lists only leaks
#   explained there as not ours.
# - handle_abort/handle_sigill: a Swift runtime trap (a failed precondition) also gets a
#   sanitizer report with its stack. SWIFT_BACKTRACE=enable=no: the Swift backtracer would
#   otherwise take the signal first, and it can hang inspecting a sanitized process.
# - halt_on_error=1 (ThreadSanitizer): the first race ends the process, so no test passes on
#   top of one. tsan.supp lists only reports explained there as not ours.
# Time-limit tests run unchanged: their bounds are generous safety bounds, and the sanitized
# host is slower but inside them (all pass under both). Skipped, with the reason:
# - MCPSoakTests under AddressSanitizer: it checks the server's resident memory stays flat over
#   many calls, and AddressSanitizer keeps freed memory in quarantine (up to 256 MB) so that a
#   use after free is caught: resident memory grows by design there. For the same reason, and
#   the shadow memory both sanitizers map, the tests that bound a process's peak memory skip
#   that one expectation under a sanitizer (KOSMO_SANITIZER; `Sanitizer.boundsMemory` in the
#   tests) and check the rest.
# - the two Ctrl-C tests under ThreadSanitizer (ctrlCStopsRunningCodeAndKeepsTheREPL,
#   ctrlCStopsAScriptThatRunsWithoutTheHook): ThreadSanitizer runs a signal handler only when
#   the thread next enters its runtime, and a script spinning inside liblua (not instrumented)
#   never does, so SIGINT is never handled there (both pass under AddressSanitizer).
SANITIZE_ENV = SWIFT_BACKTRACE=enable=no
ASAN_OPTIONS_ALL = detect_leaks=1:handle_abort=1:handle_sigill=1:log_path=$(CURDIR)/.build-asan/reports/asan
LSAN_OPTIONS_ALL = exitcode=0:print_suppressions=0:suppressions=$(CURDIR)/lsan.supp
TSAN_OPTIONS_ALL = halt_on_error=1:handle_abort=1:handle_sigill=1:suppressions=$(CURDIR)/tsan.supp:log_path=$(CURDIR)/.build-tsan/reports/tsan
SANITIZE_TEST_ARGS ?=
ASAN_SKIP := --skip MCPSoakTests
TSAN_SKIP := --skip ctrlCStopsRunningCodeAndKeepsTheREPL --skip ctrlCStopsAScriptThatRunsWithoutTheHook

sanitize: sanitize-address sanitize-thread

# One sanitized build and run: $(1) the sanitizer (address, thread), $(2) its scratch folder,
# $(3) its options for the run, $(4) the tests it skips, $(5) its name in messages.
define sanitized-run
	$(SWIFT) build --scratch-path $(2) --sanitize=$(1) --build-tests
	@rm -rf $(2)/reports && mkdir -p $(2)/reports
	$(SANITIZE_ENV) $(3) KOSMO_SANITIZER=$(1) KOSMO_LUA_BIN=$(CURDIR)/$(2)/debug/kosmo-lua \
	  $(SWIFT) test --scratch-path $(2) --sanitize=$(1) --skip-build --no-parallel $(4) $(SANITIZE_TEST_ARGS)
	@if ls $(2)/reports/* >/dev/null 2>&1; then \
	  echo "$(5) reports from $$(ls $(2)/reports | wc -l) processes in $(2)/reports; the first:"; \
	  head -60 "$$(ls -d $(2)/reports/* | head -1)"; grep -h "^SUMMARY" $(2)/reports/* | sort | uniq -c | sort -rn | head -20; \
	  exit 1; fi
	@echo "$(5): no reports"
endef

sanitize-address: deps
	$(call sanitized-run,address,.build-asan,ASAN_OPTIONS=$(ASAN_OPTIONS_ALL) LSAN_OPTIONS=$(LSAN_OPTIONS_ALL),$(ASAN_SKIP),AddressSanitizer)

sanitize-thread: deps
	$(call sanitized-run,thread,.build-tsan,TSAN_OPTIONS=$(TSAN_OPTIONS_ALL),$(TSAN_SKIP),ThreadSanitizer)

# libFuzzer (clang's, from the Swift toolchain) on the JSON <-> Lua round trip and the SSE parser,
# FUZZ_SECONDS each, under AddressSanitizer (Fuzz/README.md). The targets join the package only
# with KOSMO_FUZZ=1. They are ordinary executables whose main hands libFuzzer's driver the test
# function, linked with compiler-rt's libFuzzer without its main: SwiftPM's --sanitize=fuzzer
# would build every executable as a library for libFuzzer's main, the build tool that embeds
# lua/*.lua included. Swift and C get the coverage libFuzzer follows (edges, comparisons,
# 8-bit counters, the PC table). Each run starts from a copy of Fuzz/corpus/<name> in
# .build-fuzz/corpus, so new inputs never land in the repository; a failing input is saved in
# .build-fuzz/artifacts.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := FuzzJSONRoundTrip:json FuzzSSEParser:sse
FUZZER_LIBRARY = $(firstword $(wildcard $(dir $(realpath $(shell command -v $(SWIFT))))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-$(shell uname -m).a))
FUZZ_FLAGS = -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table \
  -Xcc -fsanitize=fuzzer-no-link,address -Xlinker $(FUZZER_LIBRARY) -Xlinker -lstdc++
fuzz: deps
	@[ -n "$(FUZZER_LIBRARY)" ] || { echo "libclang_rt.fuzzer_no_main not found in the Swift toolchain beside $$(command -v $(SWIFT))"; exit 1; }
	@# The build runs the instrumented build tool too: no leak report may fail it.
	KOSMO_FUZZ=1 ASAN_OPTIONS=detect_leaks=0 $(SWIFT) build --scratch-path .build-fuzz $(FUZZ_FLAGS) --product FuzzJSONRoundTrip
	KOSMO_FUZZ=1 ASAN_OPTIONS=detect_leaks=0 $(SWIFT) build --scratch-path .build-fuzz $(FUZZ_FLAGS) --product FuzzSSEParser
	@mkdir -p .build-fuzz/artifacts
	@failed=""; for pair in $(FUZZ_TARGETS); do \
	  target=$${pair%%:*}; corpus=$${pair##*:}; \
	  rm -rf .build-fuzz/corpus/$$corpus && mkdir -p .build-fuzz/corpus/$$corpus && cp Fuzz/corpus/$$corpus/* .build-fuzz/corpus/$$corpus/; \
	  echo "== $$target, $(FUZZ_SECONDS) s, corpus Fuzz/corpus/$$corpus"; \
	  $(SANITIZE_ENV) ASAN_OPTIONS=detect_leaks=1:handle_abort=1:handle_sigill=1 \
	    .build-fuzz/debug/$$target .build-fuzz/corpus/$$corpus -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=8192 -print_final_stats=1 -artifact_prefix=$(CURDIR)/.build-fuzz/artifacts/$$target- \
	    2> .build-fuzz/$$target.log; status=$$?; \
	  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' .build-fuzz/$$target.log; grep -E '^stat::' .build-fuzz/$$target.log; \
	  if [ $$status != 0 ]; then grep -E -A3 '^(json-round-trip|sse-parser): |ERROR: ' .build-fuzz/$$target.log | head -40; \
	    echo "$$target failed: see .build-fuzz/$$target.log"; failed="$$failed $$target"; fi; \
	done; \
	if [ -n "$$failed" ]; then echo "Failed:$$failed"; exit 1; fi

# Regenerates the Swift code that describes the API from reference/ (Replicate's OpenAPI spec,
# functions.tsv, objects.json): the catalog, the API object types and the LuaLS stubs' classes.
# GeneratedCodeTests fails when the committed files differ from what this makes. The stubs file
# itself comes from the built binary: run `.build/debug/kosmo-lua docs --stubs > lua/types/replicate.lua`
# after a build when the classes change.
generate:
	$(PYTHON) scripts/generate_api.py

bench: build
	bash Benchmarks/run.sh $(BIN_RELEASE)
	bash Benchmarks/sim/bench.sh $(BIN_RELEASE)
	bash Benchmarks/batch/run.sh $(BIN_RELEASE)

# Large batches under the rate limits beside the Python client (a few minutes; part of `bench`).
bench-batch: build
	bash Benchmarks/batch/run.sh $(BIN_RELEASE)

# Installs the release build (INSTALL_FROM) into $(DESTDIR)$(PREFIX): bin/kosmo-lua and
# bin/kosmo-lua-mcp (stripped), the man page and the bash/zsh/fish completions (written by the
# built kosmo-lua from its --help texts), the LuaLS stubs and the examples; `make uninstall`
# removes exactly the files it lists in share/kosmo-lua/installed-files. scripts/ says more.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_FROM ?= .build/release
PACKAGE_DIR ?= .
# INSTALL_FROM=.build/debug installs the debug build instead (built by `make debug`).
INSTALL_BUILD = $(if $(filter .build/debug,$(INSTALL_FROM)),debug,build)
install: $(INSTALL_BUILD)
	sh scripts/install-tree.sh $(INSTALL_FROM) "$(DESTDIR)" "$(PREFIX)"

uninstall:
	sh scripts/uninstall-tree.sh "$(DESTDIR)" "$(PREFIX)"

# kosmo-lua_<version>_<arch>.deb from the same tree with PREFIX=/usr (apt-get install ./kosmo-lua_*.deb).
deb: $(INSTALL_BUILD)
	sh scripts/make-deb.sh $(INSTALL_FROM) $(PACKAGE_DIR)

# kosmo-lua-<version>-linux-<machine>.tar.gz of the tree with PREFIX=/usr/local, and its .sha256.
dist: $(INSTALL_BUILD)
	sh scripts/make-dist.sh $(INSTALL_FROM) $(PACKAGE_DIR)

# docs/report-example.png: `kosmo-lua report` of examples/image_pipeline.lua and a 50-run map
# under --sim, opened in headless Chromium (installed when missing).
report-example: debug
	@command -v chromium >/dev/null 2>&1 || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	sh scripts/report-example.sh $(BIN_DEBUG) docs/report-example.png

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz
