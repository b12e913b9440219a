#!/usr/bin/env bash
# `make run`: the appliance with the shipped startup-config and a console on this terminal,
# inside a network namespace of its own. GigabitEthernet1 is a veth whose other end sits in
# a second namespace (the "LAN", 10.10.10.254), so the host's interfaces are never touched.
# Without a terminal on stdin, the commands read from stdin run and their output is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${IKEGATE_BIN:-build/release}
CONFIG=${IKEGATE_CONFIG:-configs/startup-config}
id=$$
gw=ikgt-lab-gw-$id
lan=ikgt-lab-lan-$id
work=$(mktemp -d /tmp/ikgt-lab-XXXXXX)

cleanup() {
  for ns in "$gw" "$lan"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [[ $(id -u) -ne 0 ]]; then
  echo "make run: needs root to create the lab's network namespaces" >&2
  exit 1
fi
ip netns add "$gw"
ip netns add "$lan"
ip -n "$gw" link set lo up
ip -n "$lan" link set lo up
ip link add "ikgt$id" netns "$gw" type veth peer name lan0 netns "$lan"
ip -n "$gw" link set "ikgt$id" name eth0
ip -n "$lan" addr add 10.10.10.254/24 dev lan0
ip -n "$lan" link set lan0 up
cp "$CONFIG" "$work/startup-config"

if [[ -t 0 ]]; then
  echo "ikegate lab: appliance in namespace $gw (GigabitEthernet1 = veth to $lan)." >&2
  echo "Type 'exit' to leave; 'write memory' saves to $work/startup-config (discarded)." >&2
fi
ip netns exec "$gw" "$BIN/ikegated" --console --no-syslog -f "$work/startup-config" \
  -s "$work/cli.sock"
