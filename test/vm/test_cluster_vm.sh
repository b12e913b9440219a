#!/usr/bin/env bash
# The cluster with the kernel data plane, in the VM: `make run VM=1`'s lab (scripts/
# lab-cluster.py: three gateways, six strongSwan clients redirected from the VIP), checked:
# every client pings the gateway it landed on through its tunnel, and the gateways count the
# packets in their IPsec SAs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "SKIP: qemu-system-x86_64 is not installed (scripts/deps.sh installs it)"
  exit 77
fi
bin=$(dirname "${IKEGATED:?IKEGATED is set by ctest}")
cmds=$(mktemp /tmp/ikgt-vmcl-XXXXXX)
out=$(mktemp /tmp/ikgt-vmcl-out-XXXXXX)
trap 'rm -f "$cmds" "$out"' EXIT
printf 'show crypto ikev2 cluster\nshow crypto ipsec sa\n' >"$cmds"
set +e
test/vm/run-in-vm.sh -t 600 -m 2048 -e "LAB_COMMANDS=$cmds" -e "IKEGATE_BIN=$bin" -- \
  python3 scripts/lab-cluster.py --dataplane kernel >"$out" 2>&1
rc=$?
set -e
cat "$out"
[[ $rc -eq 0 ]] || { echo "FAIL: the VM run ended with $rc"; exit 1; }
fail=0
grep -q 'pings through the tunnels: 6 of 6 answered' "$out" && echo "ok: every redirected client pinged its gateway through its tunnel" || { echo "FAIL: not every client's ping passed"; fail=1; }
grep -Eq 'clients placed: .*10\.10\.10\.2: [1-9].*10\.10\.10\.3: [1-9]' "$out" && echo "ok: clients were redirected to both members" || { echo "FAIL: clients not spread over the members"; fail=1; }
grep -Eq '#pkts decaps: [1-9]' "$out" && echo "ok: the master's SAs counted the pings (show crypto ipsec sa)" || { echo "FAIL: no decaps counted on the master"; fail=1; }
exit $fail
