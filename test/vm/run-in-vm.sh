#!/usr/bin/env bash
# run-in-vm.sh - run a command as root inside a throw-away virtual machine, for the tests that
# need a kernel data plane this host lacks (its kernel has XFRM but no ESP).
#
# The guest boots Debian's own kernel (the package linux-image-amd64 points at, downloaded into
# a cache, never installed) under QEMU with software emulation. Its root file system is the
# host's, shared read-only over virtio-9p under a tmpfs overlay: the guest runs the host's
# binaries and sees its files, may write anywhere, and nothing it writes reaches the host except
# the directories given with -w. The guest has no network device; there is no systemd, so the
# command starts whatever daemons it needs itself.
#
# usage: run-in-vm.sh [-t SECS] [-m MB] [-c CPUS] [-e VAR=VALUE]... [-w DIR]... [-k] [-v]
#                     [--] COMMAND [ARGS...]
#        run-in-vm.sh --setup          (only fill the cache: kernel, modules, initramfs)
#   -t  give up after SECS seconds (default 300)     -m  guest memory (default 1024 MB)
#   -c  guest CPUs (default 1)                       -e  set VAR in the command's environment
#   -w  share host DIR read-write at the same path    -k  keep the run directory (console log)
#   -v  print the guest's console afterwards
# COMMAND runs in the caller's working directory with stdin from /dev/null; its output is
# streamed to our stdout. A COMMAND that is a file without the execute bit runs with bash.
# VMTEST=1 is set for it, and SRCDIR, BUILDDIR, IKEGATED, IKESH, IKEGATE_CACHE and IKGT_KEEP
# are passed on when set.
#
# Exit status: COMMAND's; 124 when the time ran out; 125 when the guest died without
# reporting one (the end of its console is printed); 77 (ctest's skip, with the reason) when
# QEMU, busybox or the kernel package is not available here.
#
# Cache: $IKEGATE_CACHE/vm (default /var/cache/ikegate/vm): about 470 MB once, read-only after.
set -euo pipefail

TIMEOUT=300 MEM=1024 CPUS=1 KEEP=0 VERBOSE=0 SETUP_ONLY=0
ENVS=() RW=()
CACHE=${IKEGATE_CACHE:-/var/cache/ikegate}/vm

skip() { echo "SKIP: run-in-vm: $*"; exit 77; }
die() { echo "run-in-vm: $*" >&2; exit 125; }

while [[ $# -gt 0 ]]; do
  case $1 in
    -t) TIMEOUT=$2; shift 2 ;;
    -m) MEM=$2; shift 2 ;;
    -c) CPUS=$2; shift 2 ;;
    -e) [[ $2 == *=* ]] || die "-e wants VAR=VALUE"; ENVS+=("$2"); shift 2 ;;
    -w) [[ -d $2 ]] || die "-w $2: not a directory"; RW+=("$(readlink -f "$2")"); shift 2 ;;
    -k) KEEP=1; shift ;;
    -v) VERBOSE=1; shift ;;
    --setup) SETUP_ONLY=1; shift ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $SETUP_ONLY -eq 1 || $# -ge 1 ]] || die "usage: run-in-vm.sh [options] [--] COMMAND [ARGS...]"

# ------------------------------------------------------------------------ what the host needs
[[ $(id -u) -eq 0 ]] || skip "needs root (QEMU shares the host's root file system)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (scripts/deps.sh installs qemu-system-x86)"
qemu-system-x86_64 -version >/dev/null 2>&1 || skip "qemu-system-x86_64 does not run here"
# The initramfs needs a busybox that runs without the host's libraries.
BUSYBOX=/bin/busybox
if [[ ! -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  skip "no static busybox (package busybox-static)"
fi
if ! command -v depmod >/dev/null || ! command -v modprobe >/dev/null; then
  skip "kmod (depmod, modprobe) is not installed"
fi

# ----------------------------------------------------------------------------- kernel, cached
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8   # one runner fills the cache; the others wait, then read it

kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}'
}
# The kernel package that linux-image-amd64 means changes only when apt's package lists do:
# ask apt only when they are newer than our answer (a new kernel is fetched next to the old).
KPKG=$(cat "$CACHE/kernel" 2>/dev/null || true)
if [[ -z $KPKG || ! -e $CACHE/$KPKG/.complete || /var/lib/apt/lists -nt $CACHE/kernel ]]; then
  KPKG=$(kernel_package || true)
  if [[ -z $KPKG ]] && [[ ! -s $CACHE/kernel ]]; then
    apt-get update -q >/dev/null 2>&1 || true
    KPKG=$(kernel_package || true)
  fi
  # offline with a cache: use what we have
  [[ -n $KPKG ]] || KPKG=$(cat "$CACHE/kernel" 2>/dev/null || true)
fi
[[ -n $KPKG ]] || skip "cannot tell which kernel package linux-image-amd64 means (apt-get update?)"
KDIR=$CACHE/$KPKG
if [[ ! -e $KDIR/.complete ]]; then
  echo "run-in-vm: fetching $KPKG into $KDIR (once)" >&2
  rm -rf "$KDIR" "$KDIR.new"
  mkdir -p "$KDIR.new/deb"
  get() { (cd "$KDIR.new/deb" && apt-get download -q -o APT::Sandbox::User=root "$KPKG") >"$KDIR.new/fetch.log" 2>&1; }
  if ! get; then
    apt-get update -q >/dev/null 2>&1 || true
    get || { rm -rf "$KDIR.new"; skip "apt-get download $KPKG failed (offline?)"; }
  fi
  dpkg-deb -x "$KDIR.new"/deb/*.deb "$KDIR.new/root"
  rm -rf "$KDIR.new/deb"
  kver=$(ls "$KDIR.new/root/lib/modules")
  # the package's modules.dep is built by its postinst, which we never run
  depmod -b "$KDIR.new/root" "$kver"
  touch "$KDIR.new/.complete"
  mv "$KDIR.new" "$KDIR"
fi
[[ $(cat "$CACHE/kernel" 2>/dev/null) == "$KPKG" && $CACHE/kernel -nt /var/lib/apt/lists ]] ||
  echo "$KPKG" >"$CACHE/kernel"
KVER=$(ls "$KDIR/root/lib/modules")
VMLINUZ=$KDIR/root/boot/vmlinuz-$KVER
[[ -r $VMLINUZ ]] || die "no kernel image in $KDIR"
# Under emulation the firmware, the real-mode set-up and the decompression of the compressed
# kernel cost seconds per boot. Debian's kernel is built with CONFIG_PVH, so QEMU can start the
# uncompressed ELF image directly at its 32-bit PVH entry point: unpack it once.
if [[ ! -e $KDIR/vmlinux.checked ]]; then
  # exit status 1: no xz payload, or no PVH entry point; then we boot the bzImage
  if python3 - "$VMLINUZ" "$KDIR/vmlinux.tmp" <<'PY'; then
import lzma, struct, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")  # the xz stream inside the bzImage
if at < 0:
    sys.exit(1)
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:])
if elf[:5] != b"\x7fELF\x02":  # 64-bit ELF
    sys.exit(1)
# look for the ELF note Xen/XEN_ELFNOTE_PHYS32_ENTRY (type 18): the PVH entry point
phoff, = struct.unpack_from("<Q", elf, 0x20)
phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
pvh = False
for i in range(phnum):
    ptype, _, off, _, _, size = struct.unpack_from("<IIQQQQ", elf, phoff + i * phentsize)
    pos = off
    while ptype == 4 and pos + 12 <= off + size:  # PT_NOTE
        namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
        name = elf[pos + 12:pos + 12 + namesz]
        pvh |= name.rstrip(b"\0") == b"Xen" and ntype == 18
        pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
if not pvh:
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
    mv "$KDIR/vmlinux.tmp" "$KDIR/vmlinux"
  else
    rm -f "$KDIR/vmlinux.tmp"
  fi
  touch "$KDIR/vmlinux.checked"
fi
if [[ -s $KDIR/vmlinux ]]; then BOOT_IMAGE=$KDIR/vmlinux; else BOOT_IMAGE=$VMLINUZ; fi

# -------------------------------------------------------------------------- initramfs, cached
# Stage 1 (/init of the initramfs, run by busybox): load the modules that reach the shares,
# mount the run directory, build the root (host / over 9p read-only, under a tmpfs overlay),
# move the run directory and the -w shares into it and hand over to stage 2 there.
# shellcheck disable=SC2016  # the guest's shell expands these
STAGE1='#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
halt() { echo "run-in-vm stage 1: $*"; echo o >/proc/sysrq-trigger; sleep 60; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/list); do insmod "/modules/$m" || halt "insmod $m"; done
NINEP=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /vmrun /host /rw /newroot
mount -t 9p -o $NINEP,cache=none vmrun /vmrun || halt "cannot mount the run directory"
. /vmrun/config
mount -t 9p -o $NINEP,ro,cache=loose hostroot /host || halt "cannot mount the host root"
mount -t tmpfs -o mode=755,size=$OVERLAY_SIZE tmpfs /rw
mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
  halt "cannot mount the overlay root"
mkdir -p /newroot/vmrun
mount --move /vmrun /newroot/vmrun
i=0
while [ "$i" -lt "$RW_COUNT" ]; do
  eval "dir=\$RW_$i"
  mount -t 9p -o $NINEP,cache=none "rw$i" "/newroot$dir" || halt "cannot mount rw$i on $dir"
  i=$((i + 1))
done
for d in dev proc sys; do mount --move "/$d" "/newroot/$d"; done
exec switch_root /newroot /bin/bash /vmrun/stage2
'
INITRD=$KDIR/initrd-$(printf '%s' "$STAGE1" | sha256sum | cut -c1-12).cpio
if [[ ! -s $INITRD ]]; then
  t=$(mktemp -d)
  mkdir -p "$t"/{bin,modules,proc,sys,dev}
  cp "$BUSYBOX" "$t/bin/busybox"
  printf '%s' "$STAGE1" >"$t/init"
  chmod 755 "$t/init"
  # modprobe resolves each module's dependencies in load order; duplicates are loaded once
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$KDIR/root" -S "$KVER" --show-depends "$m"
  done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
    cp "$ko" "$t/modules/"
    basename "$ko" >>"$t/modules/list"
  done
  (cd "$t" && find . | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) >"$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$t"
fi
flock -u 8
if [[ $SETUP_ONLY -eq 1 ]]; then
  echo "run-in-vm: ready: $BOOT_IMAGE"
  exit 0
fi

# -------------------------------------------------------------------------------- one run
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ikgt-vm-$$-XXXXXX")
QPID='' TPID=''
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [[ -z $QPID ]] || kill "$QPID" 2>/dev/null || true
  [[ -z $TPID ]] || kill "$TPID" 2>/dev/null || true
  if [[ $KEEP -eq 1 ]]; then echo "run-in-vm: kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

{
  printf 'OVERLAY_SIZE=%q\nRW_COUNT=%d\n' "${VM_OVERLAY_SIZE:-60%}" "${#RW[@]}"
  for i in "${!RW[@]}"; do printf 'RW_%d=%q\n' "$i" "${RW[$i]}"; done
} >"$RUN/config"

# The command with its environment and working directory, run by stage 2.
{
  printf 'cd %q 2>/dev/null || cd /\n' "$PWD"
  printf 'export VMTEST=1\n'
  for v in SRCDIR BUILDDIR IKEGATED IKESH IKEGATE_CACHE IKGT_KEEP; do
    [[ -z ${!v:-} ]] || printf 'export %s=%q\n' "$v" "${!v}"
  done
  for e in "${ENVS[@]}"; do printf 'export %q\n' "$e"; done
  if [[ -f $1 && ! -x $1 ]]; then printf 'exec bash'; else printf 'exec'; fi
  for a in "$@"; do printf ' %q' "$a"; done
  echo
} >"$RUN/job"

# Stage 2: PID 1 in the overlay root, the host's bash. Sets up what an init would (/run,
# /dev/pts, the kernel's modules where modprobe looks for them), runs the job, records its
# status in the run directory and powers off at once.
cat >"$RUN/stage2" <<EOF
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LC_ALL=C.UTF-8 TERM=dumb
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/netns /run/lock /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
ln -sfn /proc/self/fd /dev/fd
ln -sfn /proc/self/fd/0 /dev/stdin
ln -sfn /proc/self/fd/1 /dev/stdout
ln -sfn /proc/self/fd/2 /dev/stderr
# the kernel runs /sbin/modprobe to load what a socket or an SA needs (esp4, xfrm_user, ...)
mkdir -p /usr/lib/modules
ln -sfn $(printf '%q' "$KDIR/root/lib/modules/$KVER") /usr/lib/modules/$KVER
hostname vmtest
ip link set lo up
echo "run-in-vm: stage 2 at \$(cut -d' ' -f1 /proc/uptime) s" >/dev/console
bash /vmrun/job >/vmrun/output 2>&1 </dev/null
echo \$? >/vmrun/status.tmp
mv /vmrun/status.tmp /vmrun/status
sync
echo "run-in-vm: done at \$(cut -d' ' -f1 /proc/uptime) s" >/dev/console
echo o >/proc/sysrq-trigger
sleep 60
EOF
: >"$RUN/output"

QEMU=(qemu-system-x86_64
  -accel "${VM_ACCEL:-tcg,tb-size=128}" -cpu max -smp "$CPUS" -m "$MEM"
  -nodefaults -no-user-config -display none -no-reboot
  -kernel "$BOOT_IMAGE" -initrd "$INITRD"
  -append "console=ttyS0 panic=-1 quiet loglevel=3 ${VM_APPEND:-}"
  -serial "file:$RUN/console.log"
  -device virtio-rng-pci
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$RUN,mount_tag=vmrun,security_model=none,multidevs=remap")
for i in "${!RW[@]}"; do
  QEMU+=(-virtfs "local,path=${RW[$i]},mount_tag=rw$i,security_model=none,multidevs=remap")
done

START=$(date +%s.%N)
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$RUN/qemu.log" 2>&1 &
QPID=$!
# The guest writes the command's output through 9p without caching: stream it as it comes.
tail -n +1 -s 0.2 -F --pid="$QPID" "$RUN/output" 2>/dev/null &
TPID=$!
set +e
wait "$QPID"
qrc=$?
set -e
QPID=
wait "$TPID" 2>/dev/null || true
TPID=
secs=$(awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
if [[ -s $RUN/status ]]; then
  rc=$(cat "$RUN/status")
elif [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
  echo "run-in-vm: timed out after $TIMEOUT s" >&2
  rc=124
else
  echo "run-in-vm: the guest ended without a status (qemu exit $qrc)" >&2
  rc=125
fi
echo "run-in-vm: exit $rc after $secs s in the VM ($KPKG, TCG, $CPUS CPU, $MEM MB)" >&2
if [[ $VERBOSE -eq 1 || $rc -ge 124 ]]; then
  echo "---- guest console ----" >&2
  tail -n 50 "$RUN/console.log" >&2 || true
  [[ ! -s $RUN/qemu.log ]] || { echo "---- qemu ----" >&2; tail -n 20 "$RUN/qemu.log" >&2; }
fi
exit "$rc"
