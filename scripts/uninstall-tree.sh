#!/bin/sh
# Removes what install-tree.sh installed into DESTDIR/PREFIX: the files its list names, then the
# folders it leaves empty (never PREFIX itself, never a folder that still holds anything).
#
#   scripts/uninstall-tree.sh DESTDIR PREFIX
set -eu
if [ $# -ne 2 ]; then echo "usage: $0 DESTDIR PREFIX" >&2; exit 2; fi
root="$1$2"
list="$root/share/kosmo-lua/installed-files"
if [ ! -f "$list" ]; then
  echo "uninstall: $list not found: nothing from 'make install' is in $root (give the same PREFIX and DESTDIR)" >&2
  exit 1
fi
dirs=$(mktemp)
trap 'rm -f "$dirs"' EXIT
while IFS= read -r path; do
  case "$path" in
    ""|/*|..|../*|*/..|*/../*) echo "uninstall: skipping '$path' in $list (not a path inside the prefix)" >&2; continue ;;
  esac
  rm -f "$root/$path"
  parent=$(dirname "$path")
  while [ "$parent" != "." ]; do echo "$parent" >> "$dirs"; parent=$(dirname "$parent"); done
done < "$list"
# Deepest first, so a folder is tried after everything below it.
sort -u "$dirs" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2- | while IFS= read -r dir; do
  rmdir "$root/$dir" 2>/dev/null || true
done
echo "removed kosmo-lua from $root"
