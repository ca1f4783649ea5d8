#!/bin/sh
# Runs examples/image_pipeline.lua and scripts/map50.lua under --sim with --log, writes their
# reports, and screenshots them with headless Chromium: OUT (the pipeline) and OUT with -map50
# before its extension (the 50-run map).
#
#   scripts/report-example.sh KOSMO_LUA OUT.png
set -eu
if [ $# -ne 2 ]; then echo "usage: $0 KOSMO_LUA OUT.png" >&2; exit 2; fi
kosmo=$(readlink -f "$1") out=$2
mkdir -p "$(dirname "$out")"
root=$(cd "$(dirname "$0")/.." && pwd)
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report-example: chromium not found (apt-get install chromium)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(readlink -f "$(dirname "$out")")/$(basename "$out")
cd "$root"
"$kosmo" --sim --allow run --log "$work/pipeline.jsonl" examples/image_pipeline.lua "$work"
"$kosmo" report "$work/pipeline.jsonl"
"$kosmo" --sim --allow run --log "$work/map50.jsonl" scripts/map50.lua
"$kosmo" report "$work/map50.jsonl"
shot() {
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,"$3" \
    --screenshot="$2" "file://$1" 2>/dev/null
}
shot "$work/pipeline.html" "$out" 900
map_out="${out%.*}-map50.${out##*.}"
shot "$work/map50.html" "$map_out" 1600
echo "screenshots: $out $map_out"
