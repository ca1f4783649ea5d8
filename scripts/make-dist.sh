#!/bin/sh
# A tarball of the install tree (install-tree.sh with PREFIX=/usr/local) and its SHA-256:
# OUTDIR/kosmo-lua-<version>-linux-<machine>.tar.gz and .tar.gz.sha256 (sha256sum -c reads it).
# Unpack with: tar -xzf kosmo-lua-….tar.gz -C /usr/local --strip-components=1
#
#   scripts/make-dist.sh FROM OUTDIR
set -eu
if [ $# -ne 2 ]; then echo "usage: $0 FROM OUTDIR" >&2; exit 2; fi
from=$1 outdir=$2
version=$("$from/kosmo-lua" -v | awk 'NR == 1 { print $2 }')
name="kosmo-lua-$version-linux-$(uname -m)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
sh "$(dirname "$0")/install-tree.sh" "$from" "$stage/root" /usr/local > /dev/null
mv "$stage/root/usr/local" "$stage/$name"
mkdir -p "$outdir"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$outdir/$name.tar.gz" "$name"
(cd "$outdir" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$outdir/$name.tar.gz"
