#!/bin/sh
# Builds kosmo-lua_<version>_<arch>.deb in OUTDIR from the same install tree as `make install`
# (install-tree.sh with PREFIX=/usr). Depends names the Debian packages of the shared libraries
# the executables link (liblua5.4-0, libc6, …); Recommends those of libcurl and libedit, which
# are loaded only when used (in-place requests, the REPL). A library no package provides stops
# it (KOSMO_DEB_UNPACKAGED_OK=1: a warning instead, for a package used only on this machine).
# KOSMO_DEB_LEVEL: gzip level (default 9; the tests use 1).
#
#   scripts/make-deb.sh FROM OUTDIR
set -eu
if [ $# -ne 2 ]; then echo "usage: $0 FROM OUTDIR" >&2; exit 2; fi
from=$1 outdir=$2
command -v dpkg-deb >/dev/null || { echo "deb: dpkg-deb not found (Debian's dpkg package)" >&2; exit 1; }
version=$("$from/kosmo-lua" -v | awk 'NR == 1 { print $2 }')
arch=$(dpkg --print-architecture)

# The package that holds a library, found by its soname through the loader's cache.
package_of() {
  path=$(ldconfig -p | awk -v lib="$1" '$1 == lib { print $NF; exit }')
  [ -n "$path" ] || return 0
  { dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null; } | head -1 | cut -d: -f1
}
needed=$(for binary in "$from/kosmo-lua" "$from/kosmo-lua-mcp"; do objdump -p "$binary" | awk '$1 == "NEEDED" { print $2 }'; done | sort -u)
unpackaged=""
for lib in $needed; do [ -n "$(package_of "$lib")" ] || unpackaged="$unpackaged $lib"; done
if [ -n "$unpackaged" ]; then
  # A debug build links the Swift runtime as shared libraries from the toolchain, which no
  # Debian package provides; the release build (`make build`) links it in.
  if [ "${KOSMO_DEB_UNPACKAGED_OK:-}" = 1 ]; then
    echo "deb: warning: not from a Debian package, so the .deb works only where they are installed:$unpackaged" >&2
  else
    echo "deb: $from links libraries no Debian package provides:$unpackaged; build it with 'make build' (the release build links the Swift runtime in)" >&2
    exit 1
  fi
fi
depends=$(for lib in $needed; do package_of "$lib"; done | sort -u | paste -sd, - | sed 's/,/, /g')
recommends=$(for lib in libcurl.so.4 libedit.so.2; do package_of "$lib"; done | sort -u | paste -sd, - | sed 's/,/, /g')
case "$depends" in *liblua5.4-0*) ;; *) depends="${depends:+$depends, }liblua5.4-0" ;; esac
[ -n "$recommends" ] || recommends="libcurl4, libedit2"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
sh "$(dirname "$0")/install-tree.sh" "$from" "$stage/root" /usr > /dev/null

mkdir -p "$stage/root/DEBIAN"
cat > "$stage/root/DEBIAN/control" <<CONTROL
Package: kosmo-lua
Version: $version
Architecture: $arch
Maintainer: kosmo-lua developers <kosmo-lua@localhost>
Installed-Size: $(du -sk "$stage/root/usr" | cut -f1)
Depends: $depends
Recommends: $recommends
Section: interpreters
Priority: optional
Description: Lua 5.4 with Replicate's HTTP API as a Lua table
 kosmo-lua runs Lua 5.4 scripts as lua5.4 does, with a replicate table
 bridged to Replicate's HTTP API under a read/write permission policy;
 an agent mode (exec --json), an MCP server, a REPL and an offline
 simulator of the API (--sim).
CONTROL
mkdir -p "$outdir"
deb="$outdir/kosmo-lua_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip -z"${KOSMO_DEB_LEVEL:-9}" --build "$stage/root" "$deb" > /dev/null
echo "$deb"
