#!/bin/sh
# The live-event lab, one command (docs/lab.md):
#   tests/lab/run-lab.sh [--viewers N] [--duration S] [--scenario steady,...]
# Builds into $BUILDDIR (default build/), then runs tests/lab/lab.py as root
# with Debian's python3 (python3-matplotlib draws the plots).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$top/build}
[ -n "${LAB_NO_BUILD:-}" ] || BUILDDIR=$builddir "$top/tools/dev/build.sh" >/dev/null
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$py" "$top/tests/lab/lab.py" --builddir "$builddir" "$@"
fi
exec "$py" "$top/tests/lab/lab.py" --builddir "$builddir" "$@"
