#!/usr/bin/env bash
# Two builds of kosmo-lua benchmarked side by side in one run: `Benchmarks/run.sh` for the
# build before a change and for the build after it, alternating, ROUNDS times each (default 3),
# on the same machine; then one table of kosmo-lua's figures, each the median of its rounds,
# and their change (Benchmarks/compare.py). Alternating rounds keep a machine whose speed
# drifts from favouring whichever build ran last: one round each was seen to move lua5.4's
# own start-up by a third.
#
# usage: bash Benchmarks/compare.sh BEFORE_BIN AFTER_BIN [BEFORE_LABEL] [AFTER_LABEL]
#   (each BIN a release kosmo-lua with its KosmoBench beside it, as `make build` leaves them)
#
# Writes Benchmarks/results/before-N.md, after-N.md, latest.md (the last round of the build
# after) and comparison.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 2 ] || { echo "usage: bash Benchmarks/compare.sh BEFORE_BIN AFTER_BIN [BEFORE_LABEL] [AFTER_LABEL]" >&2; exit 2; }
BEFORE="$1"; AFTER="$2"
BEFORE_LABEL="${3:-before}"; AFTER_LABEL="${4:-after}"
ROUNDS="${ROUNDS:-3}"
before=(); after=()
for round in $(seq 1 "$ROUNDS"); do
  BENCH_OUT="$HERE/results/before-$round.md" bash "$HERE/run.sh" "$BEFORE" >/dev/null
  BENCH_OUT="$HERE/results/after-$round.md" bash "$HERE/run.sh" "$AFTER" >/dev/null
  before+=("$HERE/results/before-$round.md"); after+=("$HERE/results/after-$round.md")
done
cp "$HERE/results/after-$ROUNDS.md" "$HERE/results/latest.md"
python3 "$HERE/compare.py" "$HERE/results/comparison.md" "$BEFORE_LABEL" "$AFTER_LABEL" \
  --before "${before[@]}" --after "${after[@]}"
