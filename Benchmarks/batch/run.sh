#!/usr/bin/env bash
# Large batches under the service's rate limits: kosmo-lua's one pacer against the official
# Python client, each against a fresh `kosmo-lua sim` that enforces the limits (fixed one-minute
# windows, 429 with Retry-After, as the service answers).
#
#   A. 1,000 one-second runs (sim/slow) at concurrency 1,000, at the service's limits (600 creates
#      and 3,000 other requests a minute): wall time against the floor the limit sets, and the
#      share of requests answered 429 (counted from the simulator's request log).
#   B. 10,000 one-second runs at concurrency 2,000: peak RSS and errors. At the service's limits
#      this takes 17 minutes per client, so by default both the simulator and kosmo-lua use ten
#      times the limits (6,000 creates, 30,000 others a minute; the floor scales with them);
#      BATCH_FULL=1 runs it at the service's own limits.
#
# usage: bash Benchmarks/batch/run.sh [path/to/kosmo-lua]     (what `make bench-batch` runs)
# Writes Benchmarks/results/batch.md and prints it. Only 127.0.0.1 is contacted.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$(dirname "$HERE")")"
BIN="${1:-$ROOT/.build/release/kosmo-lua}"
WORK="$HERE/../.work/batch"
OUT="${BATCH_OUT:-$HERE/../results/batch.md}"
A_N="${BATCH_A_N:-1000}"; A_C="${BATCH_A_C:-1000}"
B_N="${BATCH_B_N:-10000}"; B_C="${BATCH_B_C:-2000}"
SCALE=10; [ "${BATCH_FULL:-0}" = 1 ] && SCALE=1
PY_TIMEOUT="${BATCH_PY_TIMEOUT:-1200}"   # the Python client may never finish; give up then
CASES="${BATCH_CASES:-A B}"               # which cases to run

die() { echo "Benchmarks/batch/run.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "no kosmo-lua binary at '$BIN' — build it first: make build"
[ -x /usr/bin/time ] || die "missing /usr/bin/time — install the Debian package 'time'"
python3 -c 'import importlib.metadata as m, sys; sys.exit(m.version("replicate") != "1.0.7")' >/dev/null 2>&1 \
  || die "python3 needs the official client pinned at replicate==1.0.7 (make deps)"
rm -rf "$WORK"; mkdir -p "$WORK" "$(dirname "$OUT")"

SIM_PID=""
trap '[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true' EXIT

# start_sim NAME CREATES OTHERS: a fresh simulator; sets SIM_BASE and SIM_PID.
start_sim() {
  "$BIN" sim --port 0 --creates-per-minute "$2" --requests-per-minute "$3" >"$WORK/$1.sim.out" 2>&1 &
  SIM_PID=$!
  SIM_BASE=""
  for _ in $(seq 1 200); do
    SIM_BASE="$(head -n1 "$WORK/$1.sim.out" 2>/dev/null || true)"
    case "$SIM_BASE" in http://127.0.0.1:*/v1) break ;; esac
    SIM_BASE=""; sleep 0.05
  done
  [ -n "$SIM_BASE" ] || die "the simulator did not print its URL: $(cat "$WORK/$1.sim.out")"
}

# stop_sim NAME: saves the request log's counts to NAME.counts (total API requests, 429s, creates).
stop_sim() {
  python3 - "$SIM_BASE" "$WORK/$1.requests.json" >"$WORK/$1.counts" <<'PY'
import json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1][:-3] + "/_sim/requests"))
json.dump(log, open(sys.argv[2], "w"))
api = [r for r in log if r["path"].startswith("/v1/")]
creates = [r for r in api if r["method"] == "POST" and r["path"].endswith("/predictions")]
print(len(api), sum(r["status"] == 429 for r in api), sum(r["status"] == 201 for r in creates), len(creates))
PY
  kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""
}

# measure NAME CMD…: wall seconds, peak RSS (KiB) and exit status of CMD.
measure() {
  local name="$1"; shift
  set +e
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
  echo $? >"$WORK/$name.status"
  set -e
  awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time" >"$WORK/$name.rss"
  awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/$name.time" >"$WORK/$name.wall"
}

# one CASE CLIENT N C CREATES OTHERS
one() {
  local name="$1_$2" n="$3" c="$4" creates="$5" others="$6"
  echo "== $1: $n runs at concurrency $c, limits $creates creates / $others others a minute: $2" >&2
  start_sim "$name" "$creates" "$others"
  if [ "$2" = kosmo ]; then
    REPLICATE_URL="$SIM_BASE" REPLICATE_API_TOKEN=bench-token \
      measure "$name" "$BIN" --allow run --quiet --rate-creates "$creates" --rate-requests "$others" "$HERE/batch.lua" "$n" "$c"
  else
    REPLICATE_BASE_URL="${SIM_BASE%/v1}" REPLICATE_API_TOKEN=bench-token \
      measure "$name" timeout "$PY_TIMEOUT" python3 "$HERE/batch.py" "$n" "$c"
  fi
  stop_sim "$name"
}

case " $CASES " in *" A "*)
  one A kosmo "$A_N" "$A_C" 600 3000
  one A python "$A_N" "$A_C" 600 3000 ;;
esac
case " $CASES " in *" B "*)
  one B kosmo "$B_N" "$B_C" $((600 * SCALE)) $((3000 * SCALE))
  one B python "$B_N" "$B_C" $((600 * SCALE)) $((3000 * SCALE)) ;;
esac

python3 - "$WORK" "$OUT" "$A_N" "$A_C" "$B_N" "$B_C" "$SCALE" "$BIN" <<'PY'
import json, math, os, subprocess, sys, datetime
work, out, a_n, a_c, b_n, b_c, scale, binary = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:8]), sys.argv[8]
def read(name, ext, cast=str):
    try: return cast(open(os.path.join(work, f"{name}.{ext}")).read().strip())
    except Exception: return None
def floor(n, per_minute):
    # Fixed one-minute windows: the first `per_minute` creates at once, the next a minute later…
    return (math.ceil(n / per_minute) - 1) * 60 + 1
rows = []
for case, n, c, creates in (("A", a_n, a_c, 600), ("B", b_n, b_c, 600 * scale)):
    for client in ("kosmo", "python"):
        name = f"{case}_{client}"
        if not os.path.exists(os.path.join(work, f"{name}.status")): continue
        total, refused, created, posts = (read(name, "counts") or "0 0 0 0").split()
        wall, rss, status = read(name, "wall", float), read(name, "rss", int), read(name, "status", int)
        done = None
        if client == "kosmo":
            text = read(name, "stdout") or ""
            done = int(text) if text.isdigit() else 0
        else:
            try:
                summary = json.loads(read(name, "stdout") or "{}"); done = summary.get("ok", 0); errors = summary.get("errors", {})
            except Exception: summary = {}; errors = {}
        err = (read(name, "stderr") or "").strip().splitlines()
        note = "" if status == 0 else ("timed out" if status == 124 else f"exit {status}: " + (err[-1][:120] if err else ""))
        if client == "python" and status == 0 and errors: note = ", ".join(f"{v} {k}" for k, v in sorted(errors.items()))
        fl = floor(n, creates)
        rows.append(dict(case=case, client="kosmo-lua" if client == "kosmo" else "Python replicate 1.0.7", n=n, c=c, creates=creates,
                         done=done, wall=wall, floor=fl, over=(wall / fl - 1) * 100 if wall else None, total=int(total), refused=int(refused),
                         created=int(created), rss=rss, note=note))
version = subprocess.run([binary, "-v"], capture_output=True, text=True).stdout.strip().splitlines()[:1]
lines = ["# Large batches under the rate limits", "",
         f"Run {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC by `Benchmarks/batch/run.sh` on {os.cpu_count()} CPUs "
         f"(load {open('/proc/loadavg').read().split()[0]} at the end); {version[0] if version else 'kosmo-lua'}.", "",
         "Each client against a fresh `kosmo-lua sim` enforcing fixed one-minute windows (429 with Retry-After). "
         "`sim/slow` with `{seconds = 1}`; kosmo-lua: `replicate.map(…, {concurrency = C})` over `replicate.run` "
         "(Benchmarks/batch/batch.lua); Python: `asyncio.gather` over `replicate.async_run`, at most C at once "
         "(Benchmarks/batch/batch.py). The floor is what the create limit allows: the first window's creates at once, "
         "the next a minute later, plus the one-second run. 429s and requests are counted from the simulator's request log.", "",
         "| case | client | runs / concurrency | creates a minute | finished | wall | floor | over the floor | API requests | answered 429 | peak RSS | notes |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    share = f"{r['refused']} ({r['refused'] / r['total'] * 100:.1f}%)" if r["total"] else "0"
    lines.append(f"| {r['case']} | {r['client']} | {r['n']} / {r['c']} | {r['creates']} | {r['done']} | "
                 f"{r['wall']:.1f} s | {r['floor']} s | {r['over']:+.1f}% | {r['total']} | {share} | "
                 f"{(r['rss'] or 0) / 1024:.1f} MiB | {r['note']} |")
if scale != 1 and any(r["case"] == "B" for r in rows):
    lines += ["", f"Case B ran at {scale}x the service's limits (simulator and kosmo-lua's `--rate-creates`/`--rate-requests`) "
              "to keep it to minutes; `BATCH_FULL=1` runs it at the service's own."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
