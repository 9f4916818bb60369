#!/bin/sh
# The README's main command: a live event on this machine.
#
# Runs the live-event lab (tests/lab, docs/lab.md) with a small default: an
# origin/CDN edge (nginx), a live packager (ffmpeg: AES-128 HLS, 2 s
# segments, in real time), the tracker, the operator's hash publisher,
# coturn, and viewers — each gst-p2p-play (playbin through p2phttpsrc) in its
# own network namespace with a residential upload cap, some behind NAT —
# once CDN-only and once with P2P, then prints the offload: from the CDN's
# access log (the truth for CDN bytes) against the CDN-only run, and from the
# viewers' own p2p-stats.
#
# Usage: tools/dev/run-live-event.sh [--viewers N] [--duration SECONDS]
#   (default 5 viewers, 60 s per run; any other option goes to the lab,
#   e.g. --scenario flash, --out DIR; see tests/lab/lab.py --help)
# Needs root (network namespaces); uses sudo otherwise.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$top/build}
viewers=5
duration=60
rest=""

while [ $# -gt 0 ]; do
  case "$1" in
    --viewers) viewers=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -h|--help)
      echo "usage: $0 [--viewers N] [--duration SECONDS] [lab options]"
      exit 0 ;;
    *) rest="$rest $1"; shift ;;
  esac
done

BUILDDIR=$builddir "$top/tools/dev/build.sh" >/dev/null

echo "live event: $viewers viewers, $duration s per run (CDN-only, then P2P)"
# shellcheck disable=SC2086
LAB_NO_BUILD=1 BUILDDIR=$builddir "$top/tests/lab/run-lab.sh" \
  --viewers "$viewers" --duration "$duration" --scenario steady $rest
