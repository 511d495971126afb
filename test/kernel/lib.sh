# Shared by the kernel tier's scripts (sourced, not run): where the cache lives and
# which Debian kernel it holds. Everything is keyed by the kernel package version,
# so a Debian point release that moves the ABI builds a fresh cache beside the old.
# shellcheck shell=bash

KERNEL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$KERNEL_DIR/../.." && pwd)
VM_CACHE=${BENCHLOOP_VM_CACHE:-$REPO_ROOT/.vm}
# depmod and friends live in sbin, which a non-login shell may lack.
PATH=$PATH:/usr/sbin:/sbin

log() { printf 'kernel-tier: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The kernel ABI (6.1.0-56-amd64) that Debian's linux-image-amd64 points at now,
# unless BENCHLOOP_KERNEL_ABI pins one. Image, headers and source must be the same
# version: a module built against other headers is refused by the running kernel.
resolve_kernel() {
  local image
  if [ -n "${BENCHLOOP_KERNEL_ABI:-}" ]; then
    KERNEL_ABI=$BENCHLOOP_KERNEL_ABI
  else
    image=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
    if [ -z "$image" ]; then
      # A fresh machine has no package lists yet.
      log "no package lists for linux-image-amd64: apt-get update"
      apt-get update -qq >&2 || die "apt-get update failed"
      image=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
    fi
    [ -n "$image" ] || die "apt-cache finds no linux-image-amd64 (is this Debian with its package lists?)"
    KERNEL_ABI=$image
  fi
  KERNEL_VERSION=$(apt-cache show "linux-image-$KERNEL_ABI" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
  [ -n "$KERNEL_VERSION" ] || die "apt-cache knows no linux-image-$KERNEL_ABI"
  # linux-source-6.1 → "6.1"
  KERNEL_SERIES=$(printf '%s' "$KERNEL_ABI" | cut -d. -f1-2)
  KERNEL_CACHE=$VM_CACHE/kernel-${KERNEL_ABI}_$KERNEL_VERSION
  export KERNEL_ABI KERNEL_VERSION KERNEL_SERIES KERNEL_CACHE
}

# A short hash of files, so a cached build is redone when what made it changes.
files_hash() {
  cat "$@" | sha256sum | cut -c1-16
}
