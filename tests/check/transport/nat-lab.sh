#!/bin/sh
# The NAT lab of the transport tests: two peers, each behind its own Linux
# NAT router, and a STUN/TURN server (coturn) on the "public" side between
# the routers. Everything lives in network namespaces named <prefix>-*;
# nothing touches the host's own interfaces.
#
#   nA 10.10.1.2 -- 10.10.1.1 rA 10.200.1.2 --\
#                                              pub 10.200.1.1 / 10.200.2.1 (coturn)
#   nB 10.10.2.2 -- 10.10.2.1 rB 10.200.2.2 --/
#
# usage: nat-lab.sh up PREFIX cone|symmetric
#        nat-lab.sh down PREFIX
#        nat-lab.sh turn PREFIX LOGFILE     (coturn as a daemon in pub)
set -eu

cmd=$1
P=$2

down() {
  if [ -f "/tmp/$P-turn.pid" ]; then
    pid=$(cat "/tmp/$P-turn.pid")
    kill "$pid" 2>/dev/null || true
    # it writes its last log lines on the way out
    for _ in $(seq 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    rm -f "/tmp/$P-turn.pid"
  fi
  for n in nA nB rA rB pub; do
    # processes left in a namespace would keep it alive
    for pid in $(ip netns pids "$P-$n" 2>/dev/null); do
      kill -9 "$pid" 2>/dev/null || true
    done
    ip netns del "$P-$n" 2>/dev/null || true
  done
}

case $cmd in
up)
  mode=$3
  down
  for n in pub rA rB nA nB; do
    ip netns add "$P-$n"
    ip -n "$P-$n" link set lo up
  done
  for s in A:1 B:2; do
    x=${s%:*}
    i=${s#*:}
    ip link add eth0 netns "$P-r$x" type veth peer name "r$x" netns "$P-pub"
    ip link add eth0 netns "$P-n$x" type veth peer name eth1 netns "$P-r$x"
    ip -n "$P-pub" addr add "10.200.$i.1/24" dev "r$x"
    ip -n "$P-pub" link set "r$x" up
    ip -n "$P-r$x" addr add "10.200.$i.2/24" dev eth0
    ip -n "$P-r$x" addr add "10.10.$i.1/24" dev eth1
    ip -n "$P-r$x" link set eth0 up
    ip -n "$P-r$x" link set eth1 up
    ip -n "$P-r$x" route add default via "10.200.$i.1"
    ip -n "$P-n$x" addr add "10.10.$i.2/24" dev eth0
    ip -n "$P-n$x" link set eth0 up
    ip -n "$P-n$x" route add default via "10.10.$i.1"
    ip netns exec "$P-r$x" sysctl -qw net.ipv4.ip_forward=1
    # Like a home router, drop unsolicited packets to itself. Answering them
    # (port unreachable) would confirm a conntrack entry for the peer's
    # early check, and the clash would make MASQUERADE pick another port
    # for our own packets to that peer: symmetric behaviour by accident.
    ip netns exec "$P-r$x" iptables -A INPUT -i eth0 -p udp -j DROP
    if [ "$mode" = symmetric ]; then
      # a fresh random port per destination: srflx candidates are useless
      ip netns exec "$P-r$x" iptables -t nat -A POSTROUTING -o eth0 \
        -j MASQUERADE --random-fully
    else
      # Linux keeps the source port: endpoint-independent mapping
      ip netns exec "$P-r$x" iptables -t nat -A POSTROUTING -o eth0 \
        -j MASQUERADE
    fi
  done
  ip netns exec "$P-pub" sysctl -qw net.ipv4.ip_forward=1
  ;;
turn)
  log=$3
  ip netns exec "$P-pub" turnserver -n -o \
    --listening-ip=10.200.1.1 --listening-ip=10.200.2.1 --listening-port=3478 \
    --relay-ip=10.200.1.1 --min-port=50000 --max-port=50200 \
    --lt-cred-mech --user=p2p:secret --realm=gst-p2p.test \
    --no-tls --no-dtls --no-cli --no-tcp-relay \
    --pidfile="/tmp/$P-turn.pid" --log-file="$log" --simple-log >/dev/null
  # wait until it answers on both addresses
  for _ in $(seq 50); do
    if ip netns exec "$P-pub" ss -lun | grep -q '10.200.2.1:3478'; then
      exit 0
    fi
    sleep 0.1
  done
  echo "turnserver did not start, see $log" >&2
  exit 1
  ;;
down)
  down
  ;;
*)
  echo "usage: $0 up|down|turn PREFIX ..." >&2
  exit 2
  ;;
esac
