#!/bin/busybox sh
# PID 1 of the test VM (busybox sh). Mounts the host's root read-only over
# virtio-9p, gives it /dev, /proc, /sys, debugfs, tracefs and a tmpfs scratch at /dev/shm, brings
# up the network card with QEMU's user-network address, then chroots into the
# host's root and runs the guest checks with the host's own node. Every line for
# the host starts with "@@ "; the host reads them from the serial console.
#
# Kernel command line (unknown key=value pairs arrive here as variables):
#   bl_repo    the repository on the host (= in the guest)
#   bl_node    the host's node binary
#   bl_port    the host Mosquitto's port, reached at 10.0.2.2
#   bl_filter  optional: run only the checks whose name starts with this (and what they need)
# shellcheck shell=sh

/bin/busybox --install -s /bin
export PATH=/bin
# Set by the kernel from the command line.
bl_repo=${bl_repo:-} bl_node=${bl_node:-} bl_port=${bl_port:-} bl_filter=${bl_filter:-}

say() { echo "@@ $*"; }
fatal() {
  say "SETUP-FAILED $*"
  poweroff -f
  sleep 5
}

if [ -z "$bl_repo" ] || [ -z "$bl_node" ] || [ -z "$bl_port" ]; then
  fatal "the kernel command line lacks bl_repo, bl_node or bl_port"
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r module; do
  insmod "/lib/modules/$module" || fatal "insmod $module"
done </lib/modules/load-order

# cache=loose: the share is read-only and nothing on the host changes it during the run,
# so the guest may keep what it read; with a large msize, node's module loading is
# not one 9p round trip per 8 KiB.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose host /mnt ||
  fatal "mount of the host's root over 9p"

ip link set lo up
ip link set eth0 up || fatal "no eth0 (virtio_net)"
# QEMU's user network: the guest is 10.0.2.15 and the host's loopback answers at 10.0.2.2.
# No default route: the guest reaches nothing but the host.
ip addr add 10.0.2.15/24 dev eth0

mount -o bind /dev /mnt/dev || fatal "bind /dev"
mount -t proc proc /mnt/proc || fatal "mount proc"
mount -t sysfs sysfs /mnt/sys || fatal "mount sysfs"
mount -t debugfs debugfs /mnt/sys/kernel/debug || fatal "mount debugfs"
mount -t tracefs tracefs /mnt/sys/kernel/tracing || fatal "mount tracefs"
# Scratch space at /dev/shm, inside the guest's own /dev: a tmpfs over /tmp would hide
# a checkout that lives under the host's /tmp (CI clones wherever it likes).
mkdir -p /mnt/dev/shm || fatal "mkdir /dev/shm"
mount -t tmpfs -o size=256m tmpfs /mnt/dev/shm || fatal "mount tmpfs on /dev/shm"
# What the checks run from inside the chroot: busybox for insmod/rmmod, and the test modules.
mkdir -p /mnt/dev/shm/kernel-tier/modules
cp /bin/busybox /mnt/dev/shm/kernel-tier/busybox
cp /test-modules/*.ko /mnt/dev/shm/kernel-tier/modules/

[ -x "/mnt$bl_node" ] || fatal "no node at $bl_node in the host's root"
[ -f "/mnt$bl_repo/dist/test/kernel/guest/main.js" ] || fatal "no $bl_repo/dist/test/kernel/guest/main.js (npm run build)"

say "SETUP-OK kernel $(uname -r)"
chroot /mnt /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/dev/shm TMPDIR=/dev/shm \
  BL_TOOLS=/dev/shm/kernel-tier BL_PORT="$bl_port" BL_FILTER="$bl_filter" \
  "$bl_node" "$bl_repo/dist/test/kernel/guest/main.js" </dev/null 2>&1
say "EXIT $?"
poweroff -f
