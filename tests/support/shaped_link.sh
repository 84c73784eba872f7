#!/usr/bin/env bash
# A network link of known rate between two network namespaces, for the shaped-link tests
# (tests/support/shaped_link.hpp) and benchmark (scripts/bench-network.sh): the one place that
# knows how it is built.
#
#   shaped_link.sh up NAME MBIT [DELAY_MS]   makes namespaces NAME-send and NAME-recv joined by a
#                                            veth pair, 10.77.0.1 (send) and 10.77.0.2 (recv),
#                                            shaped on the sending side: tbf at MBIT Mbit/s, and
#                                            netem DELAY_MS of one-way delay in front of it if
#                                            given; the other direction (ACKs) is not shaped
#   shaped_link.sh down NAME                 deletes those two namespaces (and so the veth pair)
#
# NAME must be unique to its caller (tests use screenreel-PID-N). Each namespace has its own
# interfaces, so every link uses the same addresses. Needs root and iproute2 (ip, tc). Programs
# run in a namespace with `ip netns exec NAME-send PROGRAM ...`, which execs PROGRAM itself (its
# pid is the program's). An X server's socket in /tmp/.X11-unix is a path on the shared file
# system, so X clients in either namespace reach a server started outside both (libxcb falls back
# from the abstract socket, which belongs to the server's network namespace, to the path).
set -euo pipefail

send_addr=10.77.0.1
recv_addr=10.77.0.2

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1 name=$2
case $name in *[!A-Za-z0-9_.-]* | "") echo "shaped_link: bad name '$name'" >&2; exit 2 ;; esac

case $cmd in
  up)
    mbit=${3:?shaped_link: up needs a rate in Mbit/s}
    delay_ms=${4:-0}
    [ "$(id -u)" -eq 0 ] || { echo "shaped_link: needs root (network namespaces, tc)" >&2; exit 1; }
    command -v ip >/dev/null && command -v tc >/dev/null ||
      { echo "shaped_link: ip and tc not found (apt-get install iproute2)" >&2; exit 1; }
    send=$name-send recv=$name-recv
    # On any failure, leave nothing behind.
    trap 'ip netns del "$send" 2>/dev/null || true; ip netns del "$recv" 2>/dev/null || true' ERR
    ip netns add "$send"
    ip netns add "$recv"
    # Made inside the sending namespace, so names never clash with another link's.
    ip -n "$send" link add veth-send type veth peer name veth-recv
    ip -n "$send" link set veth-recv netns "$recv"
    ip -n "$send" addr add "$send_addr/24" dev veth-send
    ip -n "$recv" addr add "$recv_addr/24" dev veth-recv
    for ns in "$send" "$recv"; do
      ip -n "$ns" link set lo up
    done
    ip -n "$send" link set veth-send up
    ip -n "$recv" link set veth-recv up
    # tbf's bucket must hold what arrives between two timer ticks at full rate (10 ms here), and
    # its queue 100 ms of traffic, as a router's buffer on such a link would.
    burst=$(awk -v m="$mbit" 'BEGIN { b = m * 1e6 / 8 / 100; printf "%d", b < 16384 ? 16384 : b }')
    tbf=(tbf rate "${mbit}mbit" burst "$burst" latency 100ms)
    if [ "$delay_ms" != 0 ]; then
      ip netns exec "$send" tc qdisc add dev veth-send root handle 1: netem delay "${delay_ms}ms" limit 100000 ||
        { echo "shaped_link: cannot add a delay: this kernel has no netem (sch_netem); use no delay" >&2; false; }
      ip netns exec "$send" tc qdisc add dev veth-send parent 1: handle 2: "${tbf[@]}"
    else
      ip netns exec "$send" tc qdisc add dev veth-send root handle 1: "${tbf[@]}"
    fi
    echo "$send $recv $send_addr $recv_addr"
    ;;
  down)
    rc=0
    for ns in "$name-send" "$name-recv"; do
      if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then ip netns del "$ns" || rc=1; fi
    done
    exit $rc
    ;;
  *) usage ;;
esac
