#!/usr/bin/env bash
# Builds strongSwan 5.9.8 from Debian's source package with the load-tester plugin, for the
# responder benchmark (test/bench/bench_ike_sa.py), and prints the install prefix.
#
# Debian's strongswan binary packages do not ship the load-tester plugin, so we build it:
#   - the source comes from Debian (`apt-get source strongswan`). /etc/apt on a plain Debian 12
#     has no deb-src lines, so apt runs with a private sources list, lists and cache under
#     build/peers/apt/ (never touching the system's apt state);
#   - one build, installed into build/peers/strongswan/ (never over the system's strongSwan),
#     serves both sides of the benchmark: the load-tester initiator (charon + the
#     `load-tester` control program) and the responder (charon with load-tester's fake_kernel,
#     vici and swanctl). The two run with their own strongswan.conf (STRONGSWAN_CONF) and, in
#     their own mount namespaces, their own directory bind-mounted over the compiled-in
#     piddir PREFIX/run, where the pid file, the vici socket and the load-tester control
#     socket live.
#
# Idempotent and safe to run concurrently (flock): once built, it costs one stat. ~1-2 min on
# two cores otherwise. Exit status 0 with the prefix on stdout; 77 (ctest's skip) with the
# reason on stderr when the source cannot be fetched or a build tool is missing; 1 when the
# build fails (log: build/peers/strongswan-build.log).
#
#   scripts/build-strongswan-ldt.sh [--force]      (--force: rebuild from the fetched source)
#   IKEGATE_PEERS=DIR puts apt state, source and prefix under DIR instead of build/peers.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${IKEGATE_PEERS:-$PWD/build/peers}
PREFIX=$PEERS/strongswan
VERSION=5.9.8
[[ ${1:-} == --force ]] && rm -f "$PREFIX/.complete"
[[ -e $PREFIX/.complete ]] && { echo "$PREFIX"; exit 0; }

skip() { echo "build-strongswan-ldt: $*" >&2; exit 77; }
for tool in apt-get dpkg-source gcc make pkg-config bzip2; do
  command -v "$tool" >/dev/null || skip "$tool is missing (scripts/deps.sh installs it)"
done
[[ -e /usr/include/gmp.h || -e /usr/include/x86_64-linux-gnu/gmp.h ]] || skip "libgmp-dev is missing"
pkg-config --exists libcrypto || skip "libssl-dev is missing"

mkdir -p "$PEERS"
exec 9>"$PEERS/.strongswan.lock"
flock 9
[[ -e $PREFIX/.complete ]] && { echo "$PREFIX"; exit 0; }
LOG=$PEERS/strongswan-build.log
: >"$LOG"
echo "build-strongswan-ldt: building strongSwan $VERSION with load-tester into $PREFIX (log: $LOG)" >&2

# --- source: apt-get source through a private apt configuration ------------------------------
APT=$PEERS/apt
SRC=$PEERS/src
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/parts"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
  >"$APT/sources.list"
aptopts=(-q -o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=$APT/parts"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
  -o "APT::Sandbox::User=root")
dir=$(ls -d "$SRC"/strongswan-"$VERSION" 2>/dev/null || true)
if [[ -z $dir ]]; then
  apt-get "${aptopts[@]}" update >>"$LOG" 2>&1 || skip "apt-get update (deb-src) failed (offline? see $LOG)"
  rm -rf "$SRC.new"
  mkdir -p "$SRC.new"
  (cd "$SRC.new" && apt-get "${aptopts[@]}" source "strongswan" >>"$LOG" 2>&1) ||
    skip "apt-get source strongswan failed (see $LOG)"
  [[ -d $SRC.new/strongswan-$VERSION ]] ||
    skip "apt-get source did not give strongswan-$VERSION: $(ls "$SRC.new" | tr '\n' ' ')"
  rm -rf "$SRC"
  mv "$SRC.new" "$SRC"
  dir=$SRC/strongswan-$VERSION
fi

# --- build ------------------------------------------------------------------------------------
# The smallest plugin set for PSK, x25519 and AES-GCM; load-tester before kernel-netlink in the
# load list (done in each strongswan.conf) makes its fake kernel interface win, so neither
# side installs kernel SAs. A separate build directory keeps the source tree clean.
bdir=$PEERS/strongswan-build
rm -rf "$bdir" "$PREFIX"
mkdir -p "$bdir"
(
  cd "$bdir"
  "$dir/configure" --prefix="$PREFIX" --sysconfdir="$PREFIX/etc" --with-piddir="$PREFIX/run" \
    --disable-defaults --enable-charon --enable-ikev2 --enable-vici --enable-swanctl \
    --enable-load-tester --enable-openssl --enable-random --enable-nonce \
    --enable-socket-default --enable-kernel-netlink --enable-curve25519 \
    --enable-sha1 --enable-sha2 --enable-hmac --enable-aes --enable-gcm --enable-gmp \
    --enable-pem --enable-pkcs1 --enable-x509 --enable-pubkey --enable-kdf \
    --disable-static
  make -j"$(nproc)"
  make install
) >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; echo "build-strongswan-ldt: build failed (see $LOG)" >&2; exit 1; }

for bin in libexec/ipsec/charon libexec/ipsec/load-tester sbin/swanctl; do
  [[ -x $PREFIX/$bin ]] || { echo "build-strongswan-ldt: $PREFIX/$bin was not installed" >&2; exit 1; }
done
mkdir -p "$PREFIX/run"
"$PREFIX/libexec/ipsec/charon" --version >"$PREFIX/.complete" 2>&1 ||
  { echo "build-strongswan-ldt: charon does not run" >&2; exit 1; }
rm -rf "$bdir"
echo "$PREFIX"
