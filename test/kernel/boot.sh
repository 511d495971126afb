#!/usr/bin/env bash
# Boots the cached Debian kernel with the tier's initramfs under QEMU's software
# emulation, the serial console on stdout. QEMU exits when the guest powers off.
#
#   boot.sh INITRD [key=value ...]      the pairs go on the kernel command line (see init.sh)
#
# KVM is not used: on these machines a KVM guest hangs at boot, and TCG boots in
# seconds. The host's root is shared read-only; the network is QEMU's user network,
# in which the guest reaches only the host's loopback, at 10.0.2.2.
set -euo pipefail
# shellcheck source=lib.sh disable=SC1091 # sourced from this folder; checked on its own
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: boot.sh INITRD [key=value ...]"
initrd=$1
shift
resolve_kernel
kernel=$KERNEL_CACHE/root/boot/vmlinuz-$KERNEL_ABI
[ -f "$kernel" ] || die "no kernel at $kernel: run fetch-kernel.sh first"

exec qemu-system-x86_64 \
  -accel tcg -cpu max -smp 2 -m 2048 \
  -nodefaults -no-user-config -display none -serial stdio -no-reboot \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 $*" \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0
