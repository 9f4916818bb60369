#!/bin/sh
# Configures (once) and builds gst-p2p in $BUILDDIR (default: build/).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$top/build}

"$top/tools/dev/install-deps.sh"
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$top"
fi
ninja -C "$builddir"
