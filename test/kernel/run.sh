#!/usr/bin/env bash
# `npm run test:kernel` (after `npm run build`): the real hardware backends on a
# real Linux kernel. Fetches and builds what the VM needs (cached in .vm/), then
# boots it and runs the guest checks (host/run-vm.ts). docs/kernel-tests.md says
# what this proves and what it does not.
#
#   test/kernel/run.sh [--filter TEXT]    only the checks whose name starts with TEXT
#
# It skips, with the reason, only where QEMU cannot run this VM at all; under CI
# (CI=true) that is a failure, so the tier cannot silently stop running.
set -euo pipefail
# shellcheck source=lib.sh disable=SC1091 # sourced from this folder; checked on its own
. "$(dirname "$0")/lib.sh"

skip() {
  if [ "${CI:-}" = true ]; then
    log "FAILED: cannot run under CI: $*"
    exit 1
  fi
  log "SKIPPED: $*"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}

# The guest runs the host's own node and node_modules (native addons included) over
# the 9p share, so the VM must be the host's architecture: Debian's amd64 kernel.
[ "$(uname -m)" = x86_64 ] || skip "the host is $(uname -m); the tier boots an x86_64 guest that runs the host's node"
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
  skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  skip "no apt-get/dpkg: the tier takes its kernel from Debian's packages"
fi

missing=()
for tool in busybox cpio make gcc-12 depmod mosquitto mosquitto_sub stdbuf; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) ||
  die "missing ${missing[*]}: apt-get install busybox-static cpio make gcc-12 kmod mosquitto mosquitto-clients (.ci/run does)"
[ -f "$REPO_ROOT/dist/test/kernel/host/run-vm.js" ] || die "no dist/: run npm run build first"

started=$(date +%s)
bash "$KERNEL_DIR/fetch-kernel.sh"
bash "$KERNEL_DIR/build-modules.sh"
initrd=$(bash "$KERNEL_DIR/build-initramfs.sh")
log "prepared in $(($(date +%s) - started)) s; booting"
node "$REPO_ROOT/dist/test/kernel/host/run-vm.js" "$initrd" "$@"
