#!/usr/bin/env bash
# Builds the two kernel modules Debian does not ship, out of tree, against the
# cached headers of the exact kernel the VM boots:
#
#  - gpio-mockup.ko: drivers/gpio/gpio-mockup.c linked with a copy of
#    kernel/irq/irq_sim.c (Debian's kernel has neither CONFIG_GPIO_MOCKUP nor
#    CONFIG_IRQ_SIM). irq_to_desc() is not exported to modules, so the copy calls
#    generic_handle_irq_safe(), which does the same from the interrupt number.
#  - i2c-stub-readdress.ko: i2c-stub.c with its chip_addr parameter writable at run
#    time, so a test can move a chip to another address mid-run and back: the only
#    way to take a chip off a bus that a process holds open (i2c-dev pins the
#    adapter's module, so the stub cannot be unloaded under the daemon). Its adapter
#    is named apart from Debian's unmodified i2c-stub, which the readings use.
set -euo pipefail
# shellcheck source=lib.sh disable=SC1091 # sourced from this folder; checked on its own
. "$(dirname "$0")/lib.sh"

resolve_kernel
[ -f "$KERNEL_CACHE/.fetched" ] || die "no kernel in $KERNEL_CACHE: run fetch-kernel.sh first"
out=$KERNEL_CACHE/modules
stamp=$out/.built-$(files_hash "$0")
if [ -f "$stamp" ]; then
  log "modules: cached"
  exit 0
fi

src=$KERNEL_CACHE/src
headers=$KERNEL_CACHE/root/usr/src/linux-headers-$KERNEL_ABI
# The headers' Makefile includes the -common tree by its installed, absolute path
# (/usr/src/…); point it into the cache, wherever the checkout now is.
sed -i -E "s|^include (.*)/usr/src/(linux-headers-[^/]+-common)/Makefile\$|include $KERNEL_CACHE/root/usr/src/\2/Makefile|" "$headers/Makefile"
grep -q "^include $KERNEL_CACHE/root/usr/src/" "$headers/Makefile" ||
  die "unexpected $headers/Makefile: $(head -n 1 "$headers/Makefile")"
rm -rf "$out"
mkdir -p "$out/mockup" "$out/stub"

cp "$src/drivers/gpio/gpio-mockup.c" "$out/mockup/mockup-main.c"
cp "$src/drivers/gpio/gpiolib.h" "$out/mockup/gpiolib.h"
sed 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq_safe(irqnum)/' \
  "$src/kernel/irq/irq_sim.c" >"$out/mockup/irq-sim.c"
grep -q 'generic_handle_irq_safe(irqnum)' "$out/mockup/irq-sim.c" ||
  die "irq_sim.c of $KERNEL_VERSION no longer has the line this build patches"
# One module from two files: the object named after the module cannot also be a source.
printf 'obj-m := gpio-mockup.o\ngpio-mockup-y := mockup-main.o irq-sim.o\n' >"$out/mockup/Kbuild"

sed -e 's/module_param_array(chip_addr, ushort, NULL, S_IRUGO);/module_param_array(chip_addr, ushort, NULL, S_IRUGO | S_IWUSR);/' \
  -e 's/"SMBus stub driver"/"SMBus stub driver (readdressable)"/' \
  "$src/drivers/i2c/i2c-stub.c" >"$out/stub/i2c-stub-readdress.c"
if ! grep -q 'S_IRUGO | S_IWUSR);' "$out/stub/i2c-stub-readdress.c" ||
  ! grep -q '(readdressable)' "$out/stub/i2c-stub-readdress.c"; then
  die "i2c-stub.c of $KERNEL_VERSION no longer has the lines this build patches"
fi
printf 'obj-m := i2c-stub-readdress.o\n' >"$out/stub/Kbuild"

for dir in mockup stub; do
  log "building $dir against linux-headers-$KERNEL_ABI"
  make -s -C "$headers" M="$out/$dir" modules >"$out/$dir/build.log" 2>&1 || {
    cat "$out/$dir/build.log" >&2
    die "module build failed in $out/$dir"
  }
done
cp "$out/mockup/gpio-mockup.ko" "$out/stub/i2c-stub-readdress.ko" "$out/"
touch "$stamp"
log "modules: gpio-mockup.ko, i2c-stub-readdress.ko"
