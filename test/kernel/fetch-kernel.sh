#!/usr/bin/env bash
# Fetches Debian's kernel image, its headers and kbuild tools, and the three source
# files the tier builds (gpio-mockup, irq_sim, i2c-stub), with `apt-get download`
# and `dpkg -x`: nothing is installed on the host. The result lands in
# $KERNEL_CACHE (see lib.sh) and is reused until the kernel version changes.
set -euo pipefail
# shellcheck source=lib.sh disable=SC1091 # sourced from this folder; checked on its own
. "$(dirname "$0")/lib.sh"

cached() {
  [ -f "$KERNEL_CACHE/.fetched" ] || return 1
  log "kernel $KERNEL_ABI ($KERNEL_VERSION): cached in ${KERNEL_CACHE#"$REPO_ROOT"/}"
}
# Image, headers (and the -common headers they need), kbuild tools and source, all one version.
download() {
  local common
  common=$(apt-cache depends "linux-headers-$KERNEL_ABI" | sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
  [ -n "$common" ] || { log "cannot tell which -common headers linux-headers-$KERNEL_ABI needs"; return 1; }
  local packages=(
    "linux-image-$KERNEL_ABI=$KERNEL_VERSION"
    "linux-headers-$KERNEL_ABI=$KERNEL_VERSION"
    "$common=$KERNEL_VERSION"
    "linux-kbuild-$KERNEL_SERIES=$KERNEL_VERSION"
    "linux-source-$KERNEL_SERIES=$KERNEL_VERSION"
  )
  log "downloading ${packages[*]}"
  rm -rf "$work/debs"
  mkdir -p "$work/debs"
  # apt's download sandbox user (_apt) cannot write into a root-owned work tree.
  (cd "$work/debs" && apt-get -q -o APT::Sandbox::User=root download "${packages[@]}" >&2)
}

resolve_kernel
cached && exit 0
mkdir -p "$VM_CACHE"
work=$(mktemp -d "$VM_CACHE/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! download; then
  # Old package lists name versions the archive no longer serves after a point release.
  log "download failed; refreshing the package lists once"
  apt-get update -qq >&2 || die "apt-get update failed"
  resolve_kernel
  cached && exit 0
  download || die "apt-get download failed (a pinned BENCHLOOP_KERNEL_ABI that Debian no longer serves?)"
fi

log "unpacking"
root=$work/root
for deb in "$work"/debs/linux-image-*.deb "$work"/debs/linux-headers-*.deb "$work"/debs/linux-kbuild-*.deb; do
  dpkg -x "$deb" "$root"
done
# The package leaves modules.dep to depmod at install time; the initramfs needs it for load order.
depmod -b "$root" "$KERNEL_ABI"

# Only three files of the 140 MB source tarball are needed.
dpkg -x "$work"/debs/linux-source-*.deb "$work/source-deb"
tarball=$work/source-deb/usr/src/linux-source-$KERNEL_SERIES.tar.xz
top=linux-source-$KERNEL_SERIES
mkdir -p "$work/src"
tar -xJf "$tarball" -C "$work/src" --strip-components=1 \
  "$top/drivers/gpio/gpio-mockup.c" "$top/drivers/gpio/gpiolib.h" \
  "$top/kernel/irq/irq_sim.c" "$top/drivers/i2c/i2c-stub.c"

rm -rf "$work/debs" "$work/source-deb" "$KERNEL_CACHE"
mkdir -p "$KERNEL_CACHE"
mv "$root" "$KERNEL_CACHE/root"
mv "$work/src" "$KERNEL_CACHE/src"
touch "$KERNEL_CACHE/.fetched"

# Older kernels' caches are dead weight once Debian has moved on.
for old in "$VM_CACHE"/kernel-*; do
  [ "$old" = "$KERNEL_CACHE" ] || { log "removing ${old#"$REPO_ROOT"/}"; rm -rf "$old"; }
done
log "kernel $KERNEL_ABI ($KERNEL_VERSION) ready in ${KERNEL_CACHE#"$REPO_ROOT"/}"
