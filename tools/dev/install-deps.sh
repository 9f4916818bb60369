#!/bin/sh
# Installs everything gst-p2p needs to build, test and run its lab on a fresh
# Debian 12 machine. Idempotent: does nothing when all packages are there.
set -eu

PACKAGES="
  gcc meson ninja-build pkg-config indent python3
  libglib2.0-dev libjson-glib-dev libxml2-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-libav
  libsoup-3.0-dev libnice-dev libusrsctp-dev libgnutls28-dev
  nginx-light ffmpeg coturn iproute2 iptables procps psmisc
  python3-matplotlib
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "install-deps: need root to install:$missing" >&2
    exit 1
  fi
else
  SUDO=
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Packaged servers (nginx, coturn) must not start system-wide daemons: the
# tests and the lab start their own on loopback and in namespaces.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  cleanup_policy=1
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
[ -n "${cleanup_policy:-}" ] && $SUDO rm -f /usr/sbin/policy-rc.d
exit 0
