#!/usr/bin/env bash
# Installs the Debian packages ikegate needs to build, run and test; idempotent and quick
# when everything is present (one dpkg-query, no apt-get at all).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
  libcli-dev libnl-3-dev libnl-route-3-dev libmnl-dev libssl-dev libcmocka-dev
  iproute2 iputils-ping python3 python3-scapy tshark keepalived util-linux
  # NAT and fragment-dropping routers in the lab (test_natt_churn, test_fragmentation)
  nftables
  # real IKEv2 peers for the lab (test/lib/peers.py); libreswan conflicts with these and is
  # unpacked privately at test time instead (scripts/fetch-libreswan.sh)
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins
  libstrongswan-standard-plugins openssl
  # the VM that has the kernel ESP this host lacks (test/vm/run-in-vm.sh)
  qemu-system-x86 busybox-static kmod
  # strongSwan with load-tester, built from Debian's source for the responder benchmark
  # (scripts/build-strongswan-ldt.sh)
  dpkg-dev libgmp-dev bzip2
)
missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "ikegate: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
# strongswan-charon pulls in strongswan-starter, whose service Debian starts and enables: a
# charon in the root namespace holding UDP 500 and 4500, which an ikegated run there needs.
# The lab runs its own charons in namespaces, so a starter that we install is switched off.
starter_before=$(dpkg-query -W -f='${Status}' strongswan-starter 2>/dev/null || true)
mkdir -p build
echo "ikegate: installing ${missing[*]} (log: build/setup.log)" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
{
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
} >>build/setup.log 2>&1 || { tail -n 30 build/setup.log >&2; exit 1; }
if [[ $starter_before != "install ok installed" ]] &&
  [[ $(dpkg-query -W -f='${Status}' strongswan-starter 2>/dev/null || true) == "install ok installed" ]]; then
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now strongswan-starter.service >>build/setup.log 2>&1 || true
  else
    systemctl disable strongswan-starter.service >>build/setup.log 2>&1 || true
  fi
  echo "ikegate: disabled the strongswan-starter service (the lab starts its own charons)" >&2
fi
