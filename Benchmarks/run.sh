#!/usr/bin/env bash
# kosmo-lua benchmarks, side by side with their peers, in one run (issue 2, "Benchmarks").
#
# usage: bash Benchmarks/run.sh [path/to/kosmo-lua]      (what `make bench` runs)
#
# Writes Benchmarks/results/latest.md and prints it. Scratch files (the generated JSON document,
# raw measurements) go to Benchmarks/.work, which git ignores. Nothing here uses the network.
# Loop sizes can be changed through the environment (see Benchmarks/README.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${1:-$ROOT/.build/release/kosmo-lua}"
WORK="$HERE/.work"
OUT="$HERE/results/latest.md"

HOSTCALL_N="${HOSTCALL_N:-5000000}"          # calls per timed loop (kosmo-lua, lua5.4)
LUPA_N="${LUPA_N:-500000}"                    # calls per timed loop (lupa; each call is ~20x dearer)
HOSTCALL_REPS="${HOSTCALL_REPS:-9}"           # timed loops per runtime; the median is reported
JSON_BYTES="${JSON_BYTES:-2097152}"           # size of the generated document
JSON_ITERATIONS="${JSON_ITERATIONS:-15}"      # decodes per process
JSON_ROUNDS="${JSON_ROUNDS:-3}"               # processes per decoder, alternating kosmo-lua / cjson
STARTUP_RUNS="${STARTUP_RUNS:-200}"           # hyperfine runs per command

die() { echo "Benchmarks/run.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing '$1' — install the Debian package '$2' (apt-get install -y $2)"; }

# --- tools --------------------------------------------------------------------------------
[ -x "$BIN" ] || die "no kosmo-lua binary at '$BIN' — build it first: swift build -c release --product kosmo-lua"
need hyperfine hyperfine
need lua5.4 lua5.4
need python3 python3
[ -x /usr/bin/time ] || die "missing /usr/bin/time — install the Debian package 'time' (apt-get install -y time)"
lua5.4 -e 'require "cjson"' >/dev/null 2>&1 || die "lua5.4 cannot load cjson — install the Debian package 'lua-cjson'"
python3 -c 'import lupa.lua54' >/dev/null 2>&1 || die "python3 cannot import lupa.lua54 — install the PyPI package 'lupa' (pip install lupa)"

KOSMOBENCH="$(dirname "$BIN")/KosmoBench"
if [ ! -x "$KOSMOBENCH" ]; then
  command -v swift >/dev/null 2>&1 || die "no KosmoBench beside '$BIN' and no swift to build it"
  echo "== building KosmoBench (swift build -c release --product KosmoBench)" >&2
  (cd "$ROOT" && swift build -c release --product KosmoBench >&2)
  KOSMOBENCH="$ROOT/.build/release/KosmoBench"
  [ -x "$KOSMOBENCH" ] || die "KosmoBench did not build"
fi

rm -rf "$WORK"
mkdir -p "$WORK" "$HERE/results"

# Runs a command under /usr/bin/time -v; its stdout goes to $1.out, its peak RSS to $1.rss (KiB).
measured() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out"
  awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time" >"$WORK/$name.rss"
}

# --- machine and versions -------------------------------------------------------------------
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$(nproc)"
  echo "cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "memory=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "kernel=$(uname -sr)"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "kosmo_lua=$("$BIN" -v 2>&1 | head -n1)"
  echo "lua54=$(lua5.4 -v 2>&1 | head -n1)"
  echo "python3=$(python3 --version 2>&1)"
  echo "lupa=$(python3 -c 'import lupa; from lupa import lua54; print(lupa.__version__, "(", lua54.LuaRuntime().eval("_VERSION"), ")")')"
  echo "cjson=$(lua5.4 -e 'io.write(require("cjson")._VERSION)')"
  echo "hyperfine=$(hyperfine --version)"
} >"$WORK/machine.env"

# --- 1. start-up --------------------------------------------------------------------------
echo "== start-up: kosmo-lua -e '' vs lua5.4 -e '' (hyperfine, $STARTUP_RUNS runs each)" >&2
hyperfine -N --style none --warmup 20 --runs "$STARTUP_RUNS" \
  --export-json "$WORK/startup.json" \
  -n kosmo-lua "$BIN -e ''" \
  -n lua5.4 "lua5.4 -e ''" >&2
measured startup_kosmo "$BIN" -e ''
measured startup_lua54 lua5.4 -e ''

# --- 2. host-call overhead ----------------------------------------------------------------
echo "== host calls: Swift host function in kosmo-lua, C function in lua5.4, Python in lupa" >&2
measured hostcall_kosmo "$KOSMOBENCH" "$HERE/hostcall.lua" "$HOSTCALL_N" "$HOSTCALL_REPS"
measured hostcall_lua54 lua5.4 "$HERE/hostcall_lua54.lua" "$HERE/hostcall.lua" "$HOSTCALL_N" "$HOSTCALL_REPS"
measured hostcall_lupa python3 "$HERE/hostcall_lupa.py" "$HERE/hostcall.lua" "$LUPA_N" "$HOSTCALL_REPS"

# --- 3. JSON document -> Lua tables -------------------------------------------------------
echo "== JSON decode: kosmo-lua json.decode vs lua-cjson cjson.decode" >&2
python3 "$HERE/gen_json.py" "$WORK/doc.json" "$JSON_BYTES" >"$WORK/doc.info"
for round in $(seq 1 "$JSON_ROUNDS"); do
  measured "json_kosmo_$round" "$BIN" "$HERE/json_decode.lua" kosmo "$WORK/doc.json" "$JSON_ITERATIONS"
  measured "json_cjson_$round" lua5.4 "$HERE/json_decode.lua" cjson "$WORK/doc.json" "$JSON_ITERATIONS"
done
# Peak RSS of a single decode (the timing runs above hold garbage from earlier iterations).
measured json1_kosmo "$BIN" "$HERE/json_decode.lua" kosmo "$WORK/doc.json" 1
measured json1_cjson lua5.4 "$HERE/json_decode.lua" cjson "$WORK/doc.json" 1
# The same processes reading the document without decoding it: the baseline of the two above.
measured json0_kosmo "$BIN" "$HERE/json_decode.lua" kosmo "$WORK/doc.json" 0
measured json0_cjson lua5.4 "$HERE/json_decode.lua" cjson "$WORK/doc.json" 0

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine.env"

# --- report -------------------------------------------------------------------------------
python3 "$HERE/report.py" "$WORK" "$OUT" "$HERE/notes.md"
cat "$OUT"
