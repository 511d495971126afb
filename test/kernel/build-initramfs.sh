#!/usr/bin/env bash
# Builds the guest's initramfs: a static busybox, test/kernel/init.sh as /init, the
# kernel modules that mount the host's root over virtio-9p and bring up the
# network, each after its dependencies (from the depmod'ed modules.dep), and the
# modules the guest tests load themselves: Debian's i2c-stub and the two built by
# build-modules.sh. Prints the image's path on stdout.
set -euo pipefail
# shellcheck source=lib.sh disable=SC1091 # sourced from this folder; checked on its own
. "$(dirname "$0")/lib.sh"

resolve_kernel
modules_built=$(find "$KERNEL_CACHE/modules" -maxdepth 1 -name '.built-*' -print -quit 2>/dev/null || true)
[ -n "$modules_built" ] || die "no modules in $KERNEL_CACHE: run build-modules.sh first"

# The modules /init loads, in this order once dependencies are added: virtio transport,
# the 9p filesystem over it, the network card, and /dev/i2c-N for i2c-bus.
BOOT_MODULES=(virtio_pci 9pnet_virtio 9p virtio_net i2c-dev)
TEST_MODULES=(i2c-stub)

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (apt-get install busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked: the initramfs needs busybox-static"

image=$KERNEL_CACHE/initrd-$(files_hash "$0" "$KERNEL_DIR/init.sh" "$modules_built").gz
if [ -f "$image" ]; then
  printf '%s\n' "$image"
  exit 0
fi

moddir=$KERNEL_CACHE/root/lib/modules/$KERNEL_ABI
# Module names use _ where file names may use - (i2c-dev.ko is i2c_dev).
module_path() {
  local path
  path=$(awk -F: -v want="${1//-/_}" \
    '{ name = $1; sub(/.*\//, "", name); sub(/\.ko$/, "", name); gsub(/-/, "_", name)
       if (name == want) { print $1; exit } }' "$moddir/modules.dep")
  [ -n "$path" ] || die "no module $1 in $moddir/modules.dep"
  printf '%s\n' "$path"
}
# modules.dep lists every dependency, direct or not, and modprobe loads them from the last.
dependencies() {
  local path=$1 line
  line=$(grep "^$path:" "$moddir/modules.dep" | cut -d: -f2)
  # shellcheck disable=SC2086 # split the dependency list on spaces
  printf '%s\n' $line | tac
}

staging=$(mktemp -d "$KERNEL_CACHE/.initramfs.XXXXXX")
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging"/{bin,dev,proc,sys,mnt,lib/modules,test-modules}
cp "$busybox" "$staging/bin/busybox"
install -m 0755 "$KERNEL_DIR/init.sh" "$staging/init"

declare -A seen=()
: >"$staging/lib/modules/load-order"
for name in "${BOOT_MODULES[@]}"; do
  path=$(module_path "$name")
  for each in $(dependencies "$path") "$path"; do
    [ -n "${seen[$each]:-}" ] && continue
    seen[$each]=1
    cp "$moddir/$each" "$staging/lib/modules/"
    basename "$each" >>"$staging/lib/modules/load-order"
  done
done
for name in "${TEST_MODULES[@]}"; do
  path=$(module_path "$name")
  [ -z "$(dependencies "$path")" ] || die "$name has dependencies; the tests load it alone"
  cp "$moddir/$path" "$staging/test-modules/"
done
cp "$KERNEL_CACHE/modules/gpio-mockup.ko" "$KERNEL_CACHE/modules/i2c-stub-readdress.ko" "$staging/test-modules/"

rm -f "$KERNEL_CACHE"/initrd-*.gz
(cd "$staging" && find . -print0 | cpio --null --create --format=newc --quiet) | gzip -1 >"$image.tmp"
mv "$image.tmp" "$image"
log "initramfs: ${image#"$REPO_ROOT"/} ($(du -h "$image" | cut -f1))"
printf '%s\n' "$image"
