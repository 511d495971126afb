#!/bin/bash
# Runs once, early in the first boot, from the kernel command line (systemd.run), before
# the network is up: it only enables benchloop-firstboot.service, which installs
# benchloop once the network is online. Then it hands over to Raspberry Pi Imager's own
# first-run script if the card had one, or removes itself from cmdline.txt.
set -eu
boot=/boot/firmware
[ -d "$boot/benchloop" ] || boot=/boot
dir="$boot/benchloop"
install -m 0644 "$dir/benchloop-firstboot.service" /etc/systemd/system/benchloop-firstboot.service
ln -sf /etc/systemd/system/benchloop-firstboot.service /etc/systemd/system/multi-user.target.wants/benchloop-firstboot.service
previous="$(cat "$dir/chain" 2>/dev/null || true)"
if [ -n "$previous" ] && [ -f "$previous" ]; then
  # Imager's script ends by removing every systemd.run argument from cmdline.txt, ours included.
  exec /bin/bash "$previous"
fi
sed -i -E 's/ ?systemd\.run(_success_action)?=[^ ]*//g; s/ ?systemd\.unit=kernel-command-line\.target//g' "$boot/cmdline.txt"
exit 0
