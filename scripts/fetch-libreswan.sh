#!/usr/bin/env bash
# Unpacks Debian's libreswan into a private root for the lab tests and prints that root.
#
# libreswan cannot be installed next to strongSwan (the packages conflict), so the tests run
# its pluto out of an unpacked .deb instead: `apt-get download` + `dpkg-deb -x`. Libraries it
# links against that are not installed on this machine (libldns3 and libevent-pthreads on a
# plain Debian 12, and certutil from libnss3-tools) are unpacked into the same root; the
# caller runs pluto with LD_LIBRARY_PATH pointing there (test/lib/peers.py does).
#
# Idempotent and safe to run concurrently (flock); once the root is complete it costs one
# stat. Exit status 0 with the root on stdout; 77 (ctest's skip) with the reason on stderr
# when the package cannot be downloaded; 1 when what was unpacked does not run.
#
# Cache: $IKEGATE_CACHE/libreswan (default /var/cache/ikegate/libreswan). Read-only once built.
set -euo pipefail

CACHE=${IKEGATE_CACHE:-/var/cache/ikegate}/libreswan
ROOT=$CACHE/root
[[ -e $ROOT/.complete ]] && { echo "$ROOT"; exit 0; }

skip() { echo "fetch-libreswan: $*" >&2; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to write $CACHE"
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  skip "not a Debian system (no apt-get/dpkg-deb)"
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
[[ -e $ROOT/.complete ]] && { echo "$ROOT"; exit 0; }

work=$(mktemp -d "$CACHE/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
LOG=$CACHE/fetch.log
: >"$LOG"

# apt-get download drops privileges to _apt unless told otherwise; _apt cannot write here.
download() {
  (cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$@") >>"$LOG" 2>&1
}
updated=0
fetch() {
  download "$@" && return 0
  # A stale package list names a version the mirror no longer has: refresh once and retry.
  if [[ $updated -eq 0 ]]; then
    updated=1
    apt-get update -q >>"$LOG" 2>&1 || true
    download "$@" && return 0
  fi
  return 1
}

fetch libreswan || skip "apt-get download libreswan failed (offline? see $LOG)"

# Whatever libreswan depends on that is a library (or certutil's package) and is not
# installed here gets unpacked next to it. Dependencies that are programs (iptables, host)
# are not needed by pluto for what the lab does.
extra=()
while read -r dep; do
  [[ $dep == lib* ]] || continue
  st=$(dpkg-query -W -f='${Status}' "$dep" 2>/dev/null || true)
  [[ $st == "install ok installed" ]] || extra+=("$dep")
done < <(apt-cache depends --important libreswan 2>/dev/null | awk '$1 ~ /Depends:$/ && $2 !~ /^</ {print $2}')
if [[ ${#extra[@]} -gt 0 ]]; then
  fetch "${extra[@]}" || skip "apt-get download ${extra[*]} failed (see $LOG)"
fi

rm -rf "$ROOT.new"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$ROOT.new"
done

libs=$ROOT.new/usr/lib/x86_64-linux-gnu:$ROOT.new/lib/x86_64-linux-gnu
for bin in pluto whack addconn; do
  missing=$(LD_LIBRARY_PATH=$libs ldd "$ROOT.new/usr/libexec/ipsec/$bin" 2>&1 | grep 'not found' || true)
  if [[ -n $missing ]]; then
    echo "fetch-libreswan: $bin still misses libraries:" >&2
    echo "$missing" >&2
    exit 1
  fi
done
version=$(LD_LIBRARY_PATH=$libs "$ROOT.new/usr/libexec/ipsec/pluto" --version 2>&1 | head -n1)
[[ $version == Libreswan* ]] || { echo "fetch-libreswan: pluto does not run: $version" >&2; exit 1; }
echo "$version" >"$ROOT.new/.complete"
rm -rf "$ROOT"
mv "$ROOT.new" "$ROOT"
echo "$ROOT"
