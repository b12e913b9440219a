#!/usr/bin/env bash
# Installs the Debian packages ikegate needs to build, run and test; idempotent and quick
# when everything is present (one dpkg-query, no apt-get at all).
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
  libcli-dev libnl-3-dev libnl-route-3-dev libmnl-dev libssl-dev libcmocka-dev
  iproute2 iputils-ping python3 python3-scapy tshark keepalived util-linux
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
mkdir -p build
echo "ikegate: installing ${missing[*]} (log: build/setup.log)" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
{
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
} >>build/setup.log 2>&1 || { tail -n 30 build/setup.log >&2; exit 1; }
