#!/usr/bin/env bash
# Requests per second of GET /v1/predictions/{id} against `kosmo-lua sim` on loopback.
# Usage: Benchmarks/sim/bench.sh PATH/TO/kosmo-lua [seconds=10] [connections=64]
# Needs wrk (Debian: apt-get install -y wrk) and curl. Targets only 127.0.0.1; bounded in time.
# Appends one line to Benchmarks/results/sim.md.
set -euo pipefail

BIN=${1:?usage: bench.sh PATH/TO/kosmo-lua [seconds] [connections]}
SECONDS_=${2:-10}
CONNS=${3:-64}
HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS="$HERE/../results/sim.md"
command -v wrk >/dev/null || { echo "bench.sh: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
[ "$SECONDS_" -le 60 ] || { echo "bench.sh: at most 60 s" >&2; exit 2; }

OUT=$(mktemp)
# Rate limits off: the point is the simulator's own throughput.
"$BIN" sim --host 127.0.0.1 --port 0 --creates-per-minute 0 --requests-per-minute 0 >"$OUT" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -f "$OUT"' EXIT

BASE=""
for _ in $(seq 1 100); do   # up to 10 s for the first line
  BASE=$(head -n1 "$OUT" 2>/dev/null || true)
  case "$BASE" in http://127.0.0.1:*/v1) break ;; esac
  BASE=""
  sleep 0.1
done
[ -n "$BASE" ] || { echo "bench.sh: simulator did not print its URL:" >&2; cat "$OUT" >&2; exit 1; }

TOKEN=bench-token
ID=$(curl -fsS -m 10 -X POST "$BASE/predictions" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -H "Prefer: wait" \
  -d '{"version":"5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa","input":{"text":"bench"}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

THREADS=2
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
WRK=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_}s" --timeout 5s -H "Authorization: Bearer $TOKEN" "$BASE/predictions/$ID")
echo "$WRK"
RPS=$(echo "$WRK" | awk '/Requests\/sec/ {print $2}')
LAT=$(echo "$WRK" | awk '/Latency/ {print $2; exit}')
ERRS=$(echo "$WRK" | awk '/Non-2xx/ {print $NF}')

case "$BIN" in */release/*) BUILD=release ;; */debug/*) BUILD=debug ;; *) BUILD=unknown ;; esac

mkdir -p "$(dirname "$RESULTS")"
[ -s "$RESULTS" ] || printf '# Simulator benchmark: GET /v1/predictions/{id} on loopback\n\n| date (UTC) | build | host | cpus | load avg before | wrk threads/conns/seconds | requests/s | avg latency | non-2xx |\n|---|---|---|---|---|---|---|---|---|\n' >"$RESULTS"
printf '| %s | %s | %s | %s | %s | %s/%s/%s | %s | %s | %s |\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$BUILD" "$(uname -m)" "$(nproc)" "$LOAD" \
  "$THREADS" "$CONNS" "$SECONDS_" "$RPS" "$LAT" "${ERRS:-0}" >>"$RESULTS"
echo "bench.sh: $RPS requests/s (appended to $RESULTS)"
