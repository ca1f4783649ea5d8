#!/usr/bin/env bash
# Two builds of kosmo-lua benchmarked side by side in one run: `Benchmarks/run.sh` for the
# build before a change and then for the build after it, on the same machine, then one table
# of kosmo-lua's figures and their change (Benchmarks/compare.py).
#
# usage: bash Benchmarks/compare.sh BEFORE_BIN AFTER_BIN [BEFORE_LABEL] [AFTER_LABEL]
#   (each BIN a release kosmo-lua with its KosmoBench beside it, as `make build` leaves them)
#
# Writes Benchmarks/results/before.md, latest.md (the build after) and comparison.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 2 ] || { echo "usage: bash Benchmarks/compare.sh BEFORE_BIN AFTER_BIN [BEFORE_LABEL] [AFTER_LABEL]" >&2; exit 2; }
BEFORE="$1"; AFTER="$2"
BEFORE_LABEL="${3:-before}"; AFTER_LABEL="${4:-after}"
BENCH_OUT="$HERE/results/before.md" bash "$HERE/run.sh" "$BEFORE" >/dev/null
BENCH_OUT="$HERE/results/latest.md" bash "$HERE/run.sh" "$AFTER" >/dev/null
python3 "$HERE/compare.py" "$HERE/results/before.md" "$HERE/results/latest.md" "$HERE/results/comparison.md" "$BEFORE_LABEL" "$AFTER_LABEL"
