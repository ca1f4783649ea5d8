#!/usr/bin/env bash
# kosmo-lua benchmarks, side by side with their peers, in one run (the host core, and the
# client against the simulator next to the official Python client).
#
# usage: bash Benchmarks/run.sh [path/to/kosmo-lua]      (what `make bench` runs)
#
# Writes Benchmarks/results/latest.md and prints it. Scratch files (the generated JSON document,
# raw measurements) go to Benchmarks/.work, which git ignores. Nothing here leaves the machine: the
# client benchmarks talk to a `kosmo-lua sim` (and a tiny token emitter) on 127.0.0.1.
# Loop sizes can be changed through the environment (see Benchmarks/README.md).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
BIN="${1:-$ROOT/.build/release/kosmo-lua}"
WORK="$HERE/.work"
OUT="${BENCH_OUT:-$HERE/results/latest.md}"   # where the report goes (compare.sh sets it)

HOSTCALL_N="${HOSTCALL_N:-5000000}"          # calls per timed loop (kosmo-lua, lua5.4)
LUPA_N="${LUPA_N:-500000}"                    # calls per timed loop (lupa; each call is ~20x dearer)
HOSTCALL_REPS="${HOSTCALL_REPS:-9}"           # timed loops per runtime; the median is reported
JSON_BYTES="${JSON_BYTES:-2097152}"           # size of the generated document
JSON_ITERATIONS="${JSON_ITERATIONS:-15}"      # decodes per process
JSON_ROUNDS="${JSON_ROUNDS:-5}"               # processes per decoder, alternating kosmo-lua / cjson
STARTUP_RUNS="${STARTUP_RUNS:-200}"           # hyperfine runs per command
PY_STARTUP_RUNS="${PY_STARTUP_RUNS:-20}"      # hyperfine runs of python3 -c "import replicate" (~0.5 s each)
GET_N="${GET_N:-1000}"                        # sequential get_prediction calls per process
GET_RUNS="${GET_RUNS:-10}"                     # hyperfine runs per get_prediction command
FANOUT_N="${FANOUT_N:-100}"                   # one-second runs started at once
FANOUT_RUNS="${FANOUT_RUNS:-3}"               # processes per client
STREAM_TOKENS="${STREAM_TOKENS:-200}"         # tokens per streamed run
STREAM_INTERVAL_MS="${STREAM_INTERVAL_MS:-10}" # time between tokens
STREAM_ROUNDS="${STREAM_ROUNDS:-3}"           # streamed runs per client, alternating
CHECK_N="${CHECK_N:-2000}"                    # runs of a cached model, half checked, half not
CHECK_ALONE_N="${CHECK_ALONE_N:-50000}"       # calls stopped at the budget, half checked, half not
CHECK_ROUNDS="${CHECK_ROUNDS:-3}"             # processes running each
MCP_CALLS="${MCP_CALLS:-500}"                 # execute_lua calls inside a session (a fifth of them without)

die() { echo "Benchmarks/run.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "missing '$1' — install the Debian package '$2' (apt-get install -y $2)"; }

# --- tools --------------------------------------------------------------------------------
[ -x "$BIN" ] || die "no kosmo-lua binary at '$BIN' — build it first: make build"
need hyperfine hyperfine
need lua5.4 lua5.4
need python3 python3
[ -x /usr/bin/time ] || die "missing /usr/bin/time — install the Debian package 'time' (apt-get install -y time)"
lua5.4 -e 'require "cjson"' >/dev/null 2>&1 || die "lua5.4 cannot load cjson — install the Debian package 'lua-cjson'"
python3 -c 'import lupa.lua54' >/dev/null 2>&1 || die "python3 cannot import lupa.lua54 — install the PyPI package 'lupa' (pip install lupa)"
python3 -c 'import importlib.metadata as m, sys; sys.exit(m.version("replicate") != "1.0.7")' >/dev/null 2>&1 \
  || die "python3 needs the official client pinned at replicate==1.0.7 (make deps, or pip install replicate==1.0.7)"

KOSMOBENCH="$(dirname "$BIN")/KosmoBench"
if [ ! -x "$KOSMOBENCH" ]; then
  command -v swift >/dev/null 2>&1 || die "no KosmoBench beside '$BIN' and no swift to build it"
  echo "== building KosmoBench (swift build -c release --static-swift-stdlib --product KosmoBench)" >&2
  (cd "$ROOT" && swift build -c release --static-swift-stdlib --product KosmoBench >&2)
  KOSMOBENCH="$ROOT/.build/release/KosmoBench"
  [ -x "$KOSMOBENCH" ] || die "KosmoBench did not build"
fi

rm -rf "$WORK"
mkdir -p "$WORK" "$HERE/results"

# Runs a command under /usr/bin/time -v; its stdout goes to $1.out, its peak RSS to $1.rss (KiB).
# Its wall time goes to $1.wall (seconds).
# start_sim NAME [sim flags…]: starts `kosmo-lua sim --port 0` in the background, its output in
# $WORK/NAME.stdout and .stderr; sets STARTED_PID and STARTED_BASE (the URL it prints).
start_sim() {
  local name="$1"; shift
  "$BIN" sim --port 0 "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  STARTED_PID=$!
  STARTED_BASE=""
  for _ in $(seq 1 200); do
    STARTED_BASE="$(head -n1 "$WORK/$name.stdout" 2>/dev/null || true)"
    case "$STARTED_BASE" in http://127.0.0.1:*/v1) return 0 ;; esac
    STARTED_BASE=""
    sleep 0.05
  done
  die "the simulator ($name) did not print its URL: $(cat "$WORK/$name.stderr")"
}

measured() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out"
  awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time" >"$WORK/$name.rss"
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' \
    "$WORK/$name.time" >"$WORK/$name.wall"
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
  echo "replicate_py=$(python3 -c 'import importlib.metadata as m; print(m.version("replicate"))')"
  echo "httpx=$(python3 -c 'import importlib.metadata as m; print(m.version("httpx"))')"
} >"$WORK/machine.env"

# --- 1. start-up --------------------------------------------------------------------------
echo "== start-up: kosmo-lua -e '' vs lua5.4 -e '' (hyperfine, $STARTUP_RUNS runs each)" >&2
hyperfine -N --style none --warmup 20 --runs "$STARTUP_RUNS" \
  --export-json "$WORK/startup.json" \
  -n kosmo-lua "$BIN -e ''" \
  -n lua5.4 "lua5.4 -e ''" >&2
measured startup_kosmo "$BIN" -e ''
measured startup_lua54 lua5.4 -e ''
echo "== start-up: python3 -c 'import replicate' (hyperfine, $PY_STARTUP_RUNS runs)" >&2
hyperfine -N --style none --warmup 3 --runs "$PY_STARTUP_RUNS" \
  --export-json "$WORK/startup_python.json" \
  -n python-replicate "python3 -c 'import replicate'" >&2
measured startup_python python3 -c 'import replicate'

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

# --- 4-6. the client against the simulator, side by side with the official Python client -----
# One `kosmo-lua sim` serves both clients, rate limits off (its defaults, 600 creates and 3000
# other requests a minute, would throttle the fan-out and the 1,000 reads). kosmo-lua is pointed
# at it with REPLICATE_URL (not --sim, which would start a simulator inside the measured process),
# Python with REPLICATE_BASE_URL.
echo "== simulator: $BIN sim --port 0 --creates-per-minute 0 --requests-per-minute 0" >&2
start_sim sim --creates-per-minute 0 --requests-per-minute 0
SIM_PID=$STARTED_PID SIM_BASE=$STARTED_BASE
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
export REPLICATE_URL="$SIM_BASE" REPLICATE_BASE_URL="${SIM_BASE%/v1}" REPLICATE_API_TOKEN=bench-token
PREDICTION_ID="$("$BIN" --write allow -e 'print(replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "bench"}, wait = true}.id)')"
echo "simulator=$SIM_BASE" >>"$WORK/machine.env"

echo "== $GET_N sequential get_prediction: kosmo-lua vs the official Python client (hyperfine, $GET_RUNS runs)" >&2
# Each client also runs with N = 0 (start-up, import, client set-up): the difference is the calls.
hyperfine -N --style none --warmup 1 --runs "$GET_RUNS" --export-json "$WORK/get.json" \
  -n kosmo-lua "$BIN $HERE/client/get_prediction.lua $PREDICTION_ID $GET_N" \
  -n kosmo-lua-0 "$BIN $HERE/client/get_prediction.lua $PREDICTION_ID 0" \
  -n python "python3 $HERE/client/get_prediction.py $PREDICTION_ID $GET_N" \
  -n python-0 "python3 $HERE/client/get_prediction.py $PREDICTION_ID 0" >&2
measured get_kosmo "$BIN" "$HERE/client/get_prediction.lua" "$PREDICTION_ID" "$GET_N"
measured get_python python3 "$HERE/client/get_prediction.py" "$PREDICTION_ID" "$GET_N"

echo "== fan-out: $FANOUT_N runs of sim/slow {seconds = 1} at once, $FANOUT_RUNS processes each" >&2
for round in $(seq 1 "$FANOUT_RUNS"); do
  measured "fanout_kosmo_$round" "$BIN" --allow run "$HERE/client/fanout.lua" "$FANOUT_N"
  measured "fanout_python_$round" python3 "$HERE/client/fanout.py" "$FANOUT_N"
done

echo "== streaming: token written by the server -> received by the client's loop ($STREAM_ROUNDS x $STREAM_TOKENS tokens)" >&2
for round in $(seq 1 "$STREAM_ROUNDS"); do
  python3 "$HERE/client/stream_latency.py" "$WORK/stream_kosmo_$round.json" "$STREAM_TOKENS" "$STREAM_INTERVAL_MS" -- \
    /usr/bin/time -v -o "$WORK/stream_kosmo_$round.time" "$BIN" --allow stream "$HERE/client/stream.lua"
  python3 "$HERE/client/stream_latency.py" "$WORK/stream_python_$round.json" "$STREAM_TOKENS" "$STREAM_INTERVAL_MS" -- \
    /usr/bin/time -v -o "$WORK/stream_python_$round.time" python3 "$HERE/client/stream_client.py"
  for c in kosmo python; do
    awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/stream_${c}_$round.time" >"$WORK/stream_${c}_$round.rss"
  done
done

# The simulator's own peak, for the record (it served everything above).
awk '/VmHWM/ {print $2}' "/proc/$SIM_PID/status" >"$WORK/sim.rss" 2>/dev/null || echo 0 >"$WORK/sim.rss"
kill "$SIM_PID" 2>/dev/null || true
wait "$SIM_PID" 2>/dev/null || true
trap - EXIT

# --- 8. the model-input check, on a simulator of its own whose models run 1000x faster (the
# CPU a run costs is measured, not the model's time).
echo "== model-input check: $CHECK_ALONE_N calls stopped at the budget and $CHECK_N runs of a cached model, checked vs validate = false ($CHECK_ROUNDS processes each)" >&2
start_sim sim_check --speed 1000 --creates-per-minute 0 --requests-per-minute 0
CHECK_SIM_PID=$STARTED_PID CHECK_BASE=$STARTED_BASE
trap 'kill "$CHECK_SIM_PID" 2>/dev/null || true' EXIT
for round in $(seq 1 "$CHECK_ROUNDS"); do
  # The check alone: every call refused at the budget (--max-predictions 0), after the check
  # and before any request.
  REPLICATE_URL="$CHECK_BASE" measured "check_alone_$round" "$BIN" --allow run --max-predictions 0 \
    "$HERE/client/input_check.lua" "$CHECK_ALONE_N" alone
  # Whole runs. Unpaced: the simulator's limits are off, and waiting for the pacer's turns
  # would measure its timers, not the check.
  REPLICATE_URL="$CHECK_BASE" measured "check_$round" "$BIN" --allow run --rate-creates 0 --rate-requests 0 \
    "$HERE/client/input_check.lua" "$CHECK_N" run
done
REPLICATE_URL="$CHECK_BASE" python3 "$HERE/client/first_run_requests.py" "$BIN" "${CHECK_BASE%/v1}" "$WORK/check_first.json"
kill "$CHECK_SIM_PID" 2>/dev/null || true
wait "$CHECK_SIM_PID" 2>/dev/null || true
trap - EXIT
echo "== MCP: execute_lua round trip for 'return 1', without and inside a session ($MCP_CALLS calls)" >&2
python3 "$HERE/mcp/roundtrip.py" "$BIN" "$HERE/results/mcp-session.md" "$MCP_CALLS" >&2

echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/machine.env"

# --- report -------------------------------------------------------------------------------
python3 "$HERE/report.py" "$WORK" "$OUT" "$HERE/notes.md"
cat "$OUT"
