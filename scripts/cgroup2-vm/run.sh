#!/usr/bin/env bash
# Runs one command on a cgroup-v2-only Linux: Debian's own kernel booted in qemu (software
# emulation), the host's / shared read-only under a tmpfs overlay, only cgroup2 mounted, `lo` up,
# the command run with the host's bash in this checkout with CI=true. Exits with the command's
# exit code; exits 125 with a "cgroup2-vm: FAILED:" message when the VM cannot be prepared,
# cannot boot, panics or runs past its timeout. It never skips. docs/cgroup2-vm.md explains it.
#
#   scripts/cgroup2-vm/run.sh COMMAND [ARG...]
#
# Environment (all optional):
#   CGROUP2_VM_KERNEL          kernel image (default: the newest /boot/vmlinuz-*)
#   CGROUP2_VM_TIMEOUT_S       whole-VM timeout, boot included (default 2400 = 40 min)
#   CGROUP2_VM_BOOT_TIMEOUT_S  time allowed from qemu's start to the job's start (default 180)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
cache_root=/var/cache/socket-workbook-vm
timeout_s=${CGROUP2_VM_TIMEOUT_S:-2400}
boot_timeout_s=${CGROUP2_VM_BOOT_TIMEOUT_S:-180}
qboot=/usr/share/qemu/qboot.rom

say() { echo "cgroup2-vm: $*" >&2; }
# A harness failure, never a skip: 125 so it reads apart from the usual test-runner codes.
die() { echo "cgroup2-vm: FAILED: $*" >&2; exit 125; }

[ $# -gt 0 ] || die "no command given. Usage: scripts/cgroup2-vm/run.sh COMMAND [ARG...]"
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "CGROUP2_VM_TIMEOUT_S must be a whole number of seconds, not '$timeout_s'"
[[ $boot_timeout_s =~ ^[1-9][0-9]*$ ]] || die "CGROUP2_VM_BOOT_TIMEOUT_S must be a whole number of seconds, not '$boot_timeout_s'"

# --- What the VM needs from the host, installed when missing (as scripts/setup.sh does) ---
need_packages=()
{ [ -x /usr/bin/qemu-system-x86_64 ] && [ -f "$qboot" ]; } || need_packages+=(qemu-system-x86)
[ -n "${CGROUP2_VM_KERNEL:-}" ] || compgen -G '/boot/vmlinuz-*' >/dev/null || need_packages+=(linux-image-amd64)
[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ] || need_packages+=(busybox-static)
if [ ${#need_packages[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing system packages: ${need_packages[*]}; run as root or install them with apt-get."
  say "installing ${need_packages[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # INITRD=No: Debian's own initrd is not used here and building it takes about a minute.
  INITRD=No apt-get install -y -qq --no-install-recommends "${need_packages[@]}" >/dev/null ||
    die "apt-get could not install ${need_packages[*]}"
fi
# The 9p share of / must read every file (the runner's checkout, /root): qemu runs as root.
[ "$(id -u)" = 0 ] || die "must run as root (qemu shares the host's / with the VM)"

# --- The kernel, uncompressed once per kernel version (qemu boots a vmlinux ~4 s faster) ---
kernel=${CGROUP2_VM_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -f "$kernel" ] || die "kernel image '$kernel' not found; install linux-image-amd64 or set CGROUP2_VM_KERNEL to a /boot/vmlinuz-* file"
version=$(basename "$kernel")
version=${version#vmlinuz-}
modules_dir=/lib/modules/$version
[ -f "$modules_dir/modules.dep" ] || die "no modules for kernel $version in $modules_dir (the kernel image must come from an installed Debian linux-image package)"
modprobe=$(command -v modprobe || echo /sbin/modprobe)
[ -x "$modprobe" ] || die "modprobe not found (Debian package kmod)"

cache=$cache_root/$version
vmlinux=$cache/vmlinux
# The cache is keyed by the kernel version and remembers which file (path, size, mtime) it came from.
source_stamp=$(stat -L -c '%n %s %Y' "$kernel")
if [ ! -s "$vmlinux" ] || [ "$(cat "$cache/source" 2>/dev/null)" != "$source_stamp" ]; then
  mkdir -p "$cache"
  # Debian compresses the kernel with xz; the stream that decompresses to an ELF file is it.
  if /usr/bin/python3 - "$kernel" "$vmlinux.$$" <<'PYTHON'; then
import lzma, sys
image = open(sys.argv[1], 'rb').read()
start = image.find(b'\xfd7zXZ\x00')
while start != -1:
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(image[start:])
        if elf.startswith(b'\x7fELF'):
            open(sys.argv[2], 'wb').write(elf)
            sys.exit(0)
    except lzma.LZMAError:
        pass
    start = image.find(b'\xfd7zXZ\x00', start + 1)
sys.exit(1)
PYTHON
    mv "$vmlinux.$$" "$vmlinux"
    printf '%s\n' "$source_stamp" >"$cache/source"
    say "uncompressed $kernel into $vmlinux"
  else
    rm -f "$vmlinux.$$"
    say "note: no xz-compressed ELF kernel inside $kernel; booting it compressed (about 4 s slower)"
    vmlinux=$kernel
  fi
fi

# --- A small initramfs: static busybox, the init script, virtio + 9p + overlay modules ---
work=$(mktemp -d /tmp/cgroup2-vm.XXXXXX)
vm_pid=
tail_pid=
cleanup() {
  [ -z "$vm_pid" ] || kill "$vm_pid" 2>/dev/null || true
  [ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'say "interrupted: stopping the VM"; exit 130' INT
trap 'say "terminated: stopping the VM"; exit 143' TERM

initramfs=$work/initramfs
mkdir -p "$initramfs/bin"
cp /bin/busybox "$initramfs/bin/busybox"
cp "$here/init" "$initramfs/init"
chmod 0755 "$initramfs/init"
: >"$initramfs/modules.order"
# --show-depends lists each module after what it needs; a module needed twice is loaded once.
for module in $("$modprobe" -S "$version" -a --show-depends virtio_pci 9pnet_virtio 9p overlay | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++'); do
  name=$(basename "$module")
  case $name in
    *.ko) cp "$module" "$initramfs/$name" ;;
    *.ko.xz) /bin/busybox xz -dc "$module" >"$initramfs/${name%.xz}"; name=${name%.xz} ;;
    *.ko.gz) /bin/busybox zcat "$module" >"$initramfs/${name%.gz}"; name=${name%.gz} ;;
    *.ko.zst) command -v zstd >/dev/null || die "module $module is zstd-compressed; install zstd"
              zstd -qdc "$module" >"$initramfs/${name%.zst}"; name=${name%.zst} ;;
    *) die "unexpected module file $module" ;;
  esac
  echo "/$name" >>"$initramfs/modules.order"
done
[ -s "$initramfs/modules.order" ] || die "modprobe found no virtio/9p modules for kernel $version"
(cd "$initramfs" && find . | /bin/busybox cpio -o -H newc 2>/dev/null) >"$work/initramfs.cpio"

# --- The job share: what to run, and where the output and exit code come back ---
job=$work/job
mkdir "$job"
cp "$here/guest.sh" "$job/guest.sh"
printf '%s\n' "$checkout" >"$job/checkout"
{ printf 'exec'; printf ' %q' "$@"; printf '\n'; } >"$job/command.sh"

# --- Boot ---
say "booting kernel $version (software emulation; whole-VM timeout ${timeout_s} s) to run: $*"
started=$(date +%s.%N)
# cgroup_no_v1=all: v1 hierarchies cannot be mounted at all, as on a v2-only host.
# panic=-1 with -no-reboot: a panic ends qemu at once instead of hanging until the timeout.
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
  -nodefaults -no-user-config -display none -no-reboot \
  -accel tcg,thread=multi -cpu max -m 4G -smp 2 -M pc -bios "$qboot" -nic none \
  -kernel "$vmlinux" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 panic=-1 loglevel=3 cgroup_no_v1=all" \
  -serial "file:$work/console.log" \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$job,mount_tag=job,security_model=none" \
  </dev/null >"$work/qemu.log" 2>&1 &
vm_pid=$!
# The job's output, live, as it reaches the share.
tail -n +1 -F --pid="$vm_pid" "$job/output" 2>/dev/null &
tail_pid=$!

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
boot_timed_out=
while kill -0 "$vm_pid" 2>/dev/null && [ ! -e "$job/booted" ]; do
  if awk -v s="$(elapsed "$started")" -v t="$boot_timeout_s" 'BEGIN { exit !(s > t) }'; then
    boot_timed_out=1
    kill "$vm_pid" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
# Measured on the host's clock: the guest's starts from the RTC, to the second.
[ ! -e "$job/booted" ] || say "booted in $(elapsed "$started") s (qemu start to job start)"

vm_status=0
wait "$vm_pid" || vm_status=$?
vm_pid=
wait "$tail_pid" 2>/dev/null || true
tail_pid=

# --- The verdict: the job's own code, or a loud reason why there is none ---
evidence() {
  local file
  for file in qemu.log console.log job/guest.log; do
    if [ -s "$work/$file" ]; then
      echo "----- last lines of $file -----" >&2
      tail -n 30 "$work/$file" | tr -d '\r' >&2
    fi
  done
}
if [ -f "$job/exit-code" ]; then
  code=$(cat "$job/exit-code")
  say "job exited with code $code after $(elapsed "$started") s in the VM"
  exit "$code"
fi
evidence
[ -z "$boot_timed_out" ] || die "the VM did not start the job within ${boot_timeout_s} s (CGROUP2_VM_BOOT_TIMEOUT_S): kernel $kernel did not boot"
[ "$vm_status" != 124 ] || die "the VM ran past its whole-VM timeout of ${timeout_s} s (CGROUP2_VM_TIMEOUT_S) and was killed; the job did not finish"
panic=$(grep -m 1 -a 'Kernel panic' "$work/console.log" 2>/dev/null | tr -d '\r' || true)
[ -z "$panic" ] || die "the guest kernel panicked: ${panic#*] } (console above)"
[ -e "$job/booted" ] || die "the VM ended (qemu status $vm_status) before its job started: kernel $kernel could not boot or its init failed (see above)"
die "the VM ended (qemu status $vm_status) without the job's exit code (see above)"
