#!/bin/bash
# benchloop-firstboot.service: on the first boot with a network, installs benchloop from
# the boot partition's benchloop/ folder with the node configuration there, then
# removes the credentials from the boot partition (FAT: readable by anyone holding the
# card) and renames the folder so this never runs again. Everything it prints also goes
# to benchloop-firstboot.log on the boot partition, readable from any PC.
set -euo pipefail
boot=/boot/firmware
[[ -d "$boot/benchloop" ]] || boot=/boot
dir="$boot/benchloop"
exec > >(tee -a "$boot/benchloop-firstboot.log") 2>&1
echo "benchloop first boot: $(date -u +%FT%TZ)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tar -xzf "$dir/benchloop.tar.gz" -C "$work"
source=("$work"/benchloop-*)
args=(--config "$dir/node.yaml" --credentials "$dir")
[[ ! -f "$dir/node.tar.xz" ]] || args+=(--node-tarball "$dir/node.tar.xz")
if "${source[0]}/deploy/install/install.sh" --source "${source[0]}" "${args[@]}"; then
  for name in mqtt-password client.key client.pem ca.pem node.yaml; do
    rm -f "$dir/$name"
  done
  mv "$dir" "$boot/benchloop.done"
  systemctl disable benchloop-firstboot.service
  echo "benchloop installed and started; its checks: sudo -u benchloop benchloop doctor --config /etc/benchloop/node.yaml"
else
  echo "benchloop install FAILED (above); it runs again at the next boot. Fix what it says (network? 64-bit OS?) and reboot"
  exit 1
fi
