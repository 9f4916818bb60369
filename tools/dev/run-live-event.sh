#!/bin/sh
# The README's main command: a live event on this machine.
#
# Starts an origin/CDN edge (nginx), a live packager (ffmpeg: AES-128 HLS,
# 2 s segments, in real time) and viewers playing it with playbin through
# p2phttpsrc, then prints what was fetched, by the viewers' own account and
# by the CDN's access log (the truth for CDN bytes).
#
# Usage: tools/dev/run-live-event.sh [--viewers N] [--duration SECONDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${BUILDDIR:-$top/build}
viewers=3
duration=30

while [ $# -gt 0 ]; do
  case "$1" in
    --viewers) viewers=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    *) echo "usage: $0 [--viewers N] [--duration SECONDS]" >&2; exit 2 ;;
  esac
done

"$top/tools/dev/build.sh" >/dev/null

work=$(mktemp -d /tmp/gst-p2p-event.XXXXXX)
chmod 755 "$work"  # nginx workers run unprivileged
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www/live" "$work/logs"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  log_format cdn '\$request_uri \$status \$body_bytes_sent';
  access_log $work/logs/access.log cdn;
  client_body_temp_path $work/tmp;
  proxy_temp_path $work/tmp;
  fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp;
  scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port;
    root $work/www;
    location ~ \.m3u8\$ { add_header Cache-Control no-cache; }
  }
}
NGINX
mkdir -p "$work/tmp"
nginx -p "$work" -c "$work/nginx.conf"

# AES-128: the key lives on the origin, viewers fetch it there.
head -c 16 /dev/urandom > "$work/www/live/stream.key"
printf 'http://127.0.0.1:%s/live/stream.key\n%s\n' "$port" \
  "$work/www/live/stream.key" > "$work/keyinfo"
ffmpeg -loglevel error -re -f lavfi -i "testsrc2=size=640x360:rate=25" \
  -f lavfi -i "sine=frequency=440" -t $((duration + 20)) \
  -c:v libx264 -preset ultrafast -tune zerolatency -g 50 -b:v 1M \
  -c:a aac -b:a 96k \
  -f hls -hls_time 2 -hls_list_size 6 -hls_flags delete_segments \
  -hls_key_info_file "$work/keyinfo" \
  -hls_segment_filename "$work/www/live/seg%05d.ts" \
  "$work/www/live/index.m3u8" &
pids="$pids $!"

echo "live event: origin http://127.0.0.1:$port/live/index.m3u8," \
  "$viewers viewers, $duration s"
i=0
while [ ! -f "$work/www/live/index.m3u8" ] || \
  [ "$(grep -c '\.ts' "$work/www/live/index.m3u8")" -lt 3 ]; do
  sleep 0.5; i=$((i + 1)); [ $i -lt 60 ] || { echo "packager did not start" >&2; exit 1; }
done

export GST_PLUGIN_PATH="$builddir/plugins"
v=1
vpids=""
while [ $v -le "$viewers" ]; do
  "$builddir/tools/play/gst-p2p-play" --duration "$duration" \
    "http://127.0.0.1:$port/live/index.m3u8" > "$work/viewer$v.log" 2>&1 &
  vpids="$vpids $!"
  v=$((v + 1))
done
pids="$pids $vpids"
failed=0
for p in $vpids; do wait "$p" || failed=$((failed + 1)); done

v=1
while [ $v -le "$viewers" ]; do
  echo "--- viewer $v"
  cat "$work/viewer$v.log"
  v=$((v + 1))
done

echo "--- CDN (nginx access log)"
awk '{ kind = "other";
       if ($1 ~ /\.ts/) kind = "segments"; else if ($1 ~ /\.m3u8/) kind = "playlists";
       else if ($1 ~ /\.key/) kind = "keys";
       n[kind]++; b[kind] += $3; total += $3 }
     END { printf "%-10s %9s %14s\n", "kind", "requests", "bytes";
           for (k in n) printf "%-10s %9d %14d\n", k, n[k], b[k];
           printf "%-10s %9s %14d\n", "total", "", total }' "$work/logs/access.log"
echo "offload: 0.0 % (peer delivery is not enabled yet: every byte came from the CDN)"
[ "$failed" -eq 0 ] || { echo "$failed viewer(s) failed" >&2; exit 1; }
