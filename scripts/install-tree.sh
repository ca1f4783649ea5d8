#!/bin/sh
# Installs kosmo-lua into DESTDIR/PREFIX: the two executables (stripped), the man page and the
# bash, zsh and fish completions (both written by the built kosmo-lua from its --help texts),
# the LuaLS type stubs and the examples. Every file it writes is listed, relative to PREFIX, in
# PREFIX/share/kosmo-lua/installed-files, which uninstall-tree.sh reads to remove exactly them.
#
#   scripts/install-tree.sh FROM DESTDIR PREFIX
#     FROM     the folder holding the built kosmo-lua and kosmo-lua-mcp (.build/release)
#     DESTDIR  staging root ("" for none), as in `make install DESTDIR=…`
#     PREFIX   where it is installed (/usr/local, /usr)
set -eu
if [ $# -ne 3 ]; then echo "usage: $0 FROM DESTDIR PREFIX" >&2; exit 2; fi
from=$1 destdir=$2 prefix=$3
case "$prefix" in /*) ;; *) echo "install: PREFIX must be an absolute path, got '$prefix'" >&2; exit 2 ;; esac
source_root=$(cd "$(dirname "$0")/.." && pwd)
root="$destdir$prefix"
for binary in kosmo-lua kosmo-lua-mcp; do
  if [ ! -x "$from/$binary" ]; then
    echo "install: $from/$binary is not built; run 'make build' (or 'swift build' and INSTALL_FROM=.build/debug)" >&2
    exit 1
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/installed-files"

# put MODE FILE RELATIVE-DESTINATION
put() {
  install -D -m "$1" "$2" "$root/$3"
  echo "$3" >> "$work/installed-files"
}

for binary in kosmo-lua kosmo-lua-mcp; do
  cp "$from/$binary" "$work/$binary"
  strip --strip-all "$work/$binary"
  put 755 "$work/$binary" "bin/$binary"
done
"$from/kosmo-lua" --generate-manual > "$work/kosmo-lua.1"
put 644 "$work/kosmo-lua.1" share/man/man1/kosmo-lua.1
"$from/kosmo-lua" --generate-completion-script bash > "$work/bash"
put 644 "$work/bash" share/bash-completion/completions/kosmo-lua
"$from/kosmo-lua" --generate-completion-script zsh > "$work/zsh"
put 644 "$work/zsh" share/zsh/site-functions/_kosmo-lua
"$from/kosmo-lua" --generate-completion-script fish > "$work/fish"
put 644 "$work/fish" share/fish/vendor_completions.d/kosmo-lua.fish
for stub in "$source_root"/lua/types/*.lua; do
  put 644 "$stub" "share/kosmo-lua/types/$(basename "$stub")"
done
for example in "$source_root"/examples/*.lua; do
  put 644 "$example" "share/doc/kosmo-lua/examples/$(basename "$example")"
done
put 644 "$source_root/README.md" share/doc/kosmo-lua/README.md
echo share/kosmo-lua/installed-files >> "$work/installed-files"
install -D -m 644 "$work/installed-files" "$root/share/kosmo-lua/installed-files"
echo "installed $(wc -l < "$work/installed-files") files into $root"
