# kosmo-lua — the two commands a newcomer runs: `make demo` and `make test`.
# Both install what is missing first (Debian/Ubuntu: apt-get; macOS: brew), then build.

SWIFT ?= swift
BIN_DEBUG := .build/debug/kosmo-lua
BIN_RELEASE := .build/release/kosmo-lua
PYTHON ?= python3

APT_PACKAGES := pkg-config liblua5.4-dev lua5.4 libedit-dev libcurl4-openssl-dev tmux lua-cjson hyperfine wrk time
BREW_PACKAGES := pkg-config lua libedit tmux hyperfine

.PHONY: all deps demo test build debug bench stress clean

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
	  echo "Please install Lua 5.4 headers (liblua5.4-dev), libedit, pkg-config and tmux."; \
	fi
	@# The simulator's interop test drives the official Python client (pinned), the host-call
	@# benchmark compares with lupa.
	@$(PYTHON) -c "import importlib.metadata as m, sys; sys.exit(m.version('replicate') != '1.0.7')" 2>/dev/null || \
	  { echo "Installing replicate==1.0.7 (pip)"; $(PYTHON) -m pip install -q replicate==1.0.7; }
	@$(PYTHON) -c "import lupa" 2>/dev/null || { echo "Installing lupa (pip)"; $(PYTHON) -m pip install -q lupa; }

debug: deps
	$(SWIFT) build

# Release build, the Swift runtime, Foundation and libstdc++ linked in statically: as shared
# libraries, loading them was most of `kosmo-lua -e ''`'s start-up (Package.swift says how;
# .build/static-c++ holds a link to the C++ compiler's libstdc++.a for it). PIE=1: see README.
build: deps
	@mkdir -p .build/static-c++
	@archive=$$(c++ -print-file-name=libstdc++.a 2>/dev/null); \
	  if [ "$(PIE)" != 1 ] && [ -f "$$archive" ]; then ln -sf "$$archive" .build/static-c++/libstdc++.a; \
	  else rm -f .build/static-c++/libstdc++.a; fi
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

# Long runs of what `make test` runs briefly (issue 7): the seeded fuzz properties (JSON <-> Lua,
# the SSE parser, malformed server responses) with STRESS_ITERATIONS cases each, the fault
# test, and the MCP soak (SOAK_CALLS execute_lua calls in one session, memory checked flat).
# Each prints what it covered. Replay a failure with the seed it prints: KOSMO_FUZZ_SEED=N.
STRESS_ITERATIONS ?= 100000
SOAK_CALLS ?= 10000
stress: debug
	KOSMO_FUZZ_ITERATIONS=$(STRESS_ITERATIONS) KOSMO_SOAK_CALLS=$(SOAK_CALLS) $(SWIFT) test --no-parallel \
	  --filter 'JSONFuzzTests|SSEFuzzTests|MalformedResponseTests|FaultTests|MCPSoakTests'

bench: build
	bash Benchmarks/run.sh $(BIN_RELEASE)
	bash Benchmarks/sim/bench.sh $(BIN_RELEASE)

clean:
	rm -rf .build
