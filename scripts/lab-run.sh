#!/usr/bin/env bash
# `make run`: the seed's cluster (three gateways and strongSwan clients) in network
# namespaces on this host, then the master's IOS shell (scripts/lab-cluster.py). Without a
# terminal, the commands read from stdin run on the master once the clients have settled.
# `make run VM=1`: the same lab, non-interactively, inside the VM of test/vm/ with Debian's
# kernel, so the data plane is real.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${IKEGATE_BIN:-build/release}
if [[ $(id -u) -ne 0 ]]; then
  echo "make run: needs root to create the lab's network namespaces" >&2
  exit 1
fi
if [[ "${VM:-0}" == 1 ]]; then
  cmds=$(mktemp /tmp/ikgt-lab-cmds-XXXXXX)
  trap 'rm -f "$cmds"' EXIT
  if [[ -t 0 ]]; then echo "show crypto ikev2 cluster" >"$cmds"; else cat >"$cmds"; fi
  exec test/vm/run-in-vm.sh -t 900 -m 2048 -e "LAB_COMMANDS=$cmds" -e "IKEGATE_BIN=$PWD/$BIN" -- \
    python3 scripts/lab-cluster.py --dataplane kernel
fi
exec python3 scripts/lab-cluster.py --bin "$BIN"
