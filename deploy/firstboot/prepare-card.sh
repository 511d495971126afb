#!/usr/bin/env bash
# Prepares a freshly flashed Raspberry Pi OS (64-bit) card so that its first boot
# installs benchloop and starts it with a node configuration. Run on any Linux or
# macOS machine with the card's boot partition mounted:
#   prepare-card.sh BOOT_DIR --release benchloop-X.tar.gz --config node.yaml \
#     [--credentials DIR] [--node-tarball node-v20.x-linux-arm64.tar.xz]
# It copies everything into BOOT_DIR/benchloop/ and hooks firstrun.sh into the
# kernel command line (systemd.run, as Raspberry Pi Imager does; an Imager hook that
# is already there runs after ours). firstrun.sh only installs a service; the install
# itself runs on the first boot with a network (firstboot.sh).
set -euo pipefail

die() {
  echo "prepare-card.sh: $*" >&2
  exit 1
}

[[ $# -ge 1 ]] || die "usage: prepare-card.sh BOOT_DIR --release FILE --config FILE [--credentials DIR] [--node-tarball FILE]"
boot="$1"
shift
release=""
config=""
credentials=""
node_tarball=""
while (($# > 0)); do
  case "$1" in
    --release) release="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --credentials) credentials="$2"; shift 2 ;;
    --node-tarball) node_tarball="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ -f "$boot/cmdline.txt" ]] || die "$boot has no cmdline.txt: give the card's boot partition (bootfs)"
[[ -f "$release" ]] || die "--release: a tarball from deploy/install/make-release.sh"
[[ -f "$config" ]] || die "--config: the node configuration (benchloop provision --config-dir DIR writes one)"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$boot/benchloop"
mkdir -p "$dest"
cp "$release" "$dest/benchloop.tar.gz"
cp "$config" "$dest/node.yaml"
[[ -z "$node_tarball" ]] || cp "$node_tarball" "$dest/node.tar.xz"
if [[ -n "$credentials" ]]; then
  for name in mqtt-password ca.pem client.pem client.key; do
    [[ ! -f "$credentials/$name" ]] || cp "$credentials/$name" "$dest/$name"
  done
fi
cp "$here/firstrun.sh" "$here/firstboot.sh" "$here/benchloop-firstboot.service" "$dest/"

# One line, no newline added: the firmware reads only the first line of cmdline.txt.
cmdline="$(head -n1 "$boot/cmdline.txt")"
if [[ "$cmdline" == *"benchloop/firstrun.sh"* ]]; then
  echo "cmdline.txt already runs benchloop/firstrun.sh"
else
  previous="$(grep -o 'systemd.run=[^ ]*' <<<"$cmdline" | head -n1 | cut -d= -f2 || true)"
  # Imager's own first-run script (user, Wi-Fi, SSH) is chained: ours runs it when done.
  printf '%s\n' "$previous" >"$dest/chain"
  cmdline="$(sed -E 's/ ?systemd\.run(_success_action)?=[^ ]*//g; s/ ?systemd\.unit=kernel-command-line\.target//g' <<<"$cmdline")"
  cmdline="$cmdline systemd.run=/boot/firmware/benchloop/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target"
  printf '%s' "$cmdline" >"$boot/cmdline.txt"
fi
echo "card ready: $dest (put it in the Pi; the first boot with a network installs benchloop, log in $boot/benchloop-firstboot.log)"
echo "the credentials on the card are removed from it once installed; keep the card out of other hands until then"
