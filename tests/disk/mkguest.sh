#!/bin/sh
# mkguest.sh [OUTDIR]: builds the IDE test guests into OUTDIR (default
# $BUILD/ide-guest, BUILD defaulting to build), without root, for
# tests/ide-tests.sh, bench/ide.py and scripts/demo.sh:
#
#   initrd.gz        the test guest's initramfs (tests/linux/) with
#                    ata_piix, sd_mod, sr_mod, isofs and their dependencies
#                    from the rig's kernel package, and pattern.bin
#   pattern.bin      2 MiB, every 11-byte token different, that the guest
#                    writes to its second disk at 1 MiB
#   disk-ide.img     MBR + syslinux disk, hvmkit.action=ide
#   disk-idekill.img the same, hvmkit.action=idekill
#   disk-bench.img   the same, hvmkit.action=idebench
#   disk-demo.img    the same, hvmkit.action=poweroff (platform report)
#   cd.iso           El Torito + isolinux, hvmkit.action=cdrom and the
#                    kernel's MD5 (hvmkit.md5=) for the guest to compare
#   kernel.md5       that MD5
#
# The kernel is the rig's (LINUX_KERNEL, else tests/rig/rig-run
# --print-kernel), the modules come from its package (KERNEL_TREE, else
# --print-kernel-tree).  Nothing is rebuilt when the inputs are unchanged.
# Extra kernel parameters for every image: GUEST_APPEND (default "quiet").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
out=${1:-$build/ide-guest}
kernel=${LINUX_KERNEL:-$("$top"/tests/rig/rig-run --print-kernel)}
ktree=${KERNEL_TREE:-$("$top"/tests/rig/rig-run --print-kernel-tree)}
append="panic=-1 ${GUEST_APPEND-quiet}"
modules="ata_piix sd_mod sr_mod isofs"
mkdir -p "$out"

stamp=$( {
	echo "$kernel $append $modules"
	cat "$kernel" "$top"/tests/linux/init "$top"/tests/linux/disk-checks.sh \
	    "$top"/tests/linux/cmos.sh "$top"/tests/linux/mkinitramfs.sh \
	    "$here"/mkdisk.sh "$here"/mkiso.sh "$here"/mkguest.sh /bin/busybox
} | md5sum | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ] &&
   [ -f "$out/cd.iso" ]; then
	exit 0
fi
rm -f "$out/.stamp"

awk 'BEGIN {
	for (i = 0; i < 4096; i++) {
		s = ""
		for (j = 0; j < 46; j++)
			s = s sprintf("%06d.%03d ", i, j)
		printf "%-511s\n", s
	}
}' >"$out/pattern.bin"
"$top"/tests/linux/mkinitramfs.sh --kernel-tree "$ktree" \
	--modules "$modules" --file "$out/pattern.bin=pattern.bin" \
	"$out/initrd.gz"
"$here"/mkdisk.sh --kernel "$kernel" --initrd "$out/initrd.gz" \
	--append "$append hvmkit.action=ide" "$out/disk-ide.img"
for v in idekill:idekill bench:idebench demo:poweroff; do
	cp --sparse=always "$out/disk-ide.img" "$out/disk-${v%%:*}.img"
	"$here"/mkdisk.sh --set-append "$append hvmkit.action=${v#*:}" \
		"$out/disk-${v%%:*}.img"
done
md5sum <"$kernel" | cut -d' ' -f1 >"$out/kernel.md5"
"$here"/mkiso.sh --kernel "$kernel" --initrd "$out/initrd.gz" \
	--append "$append hvmkit.action=cdrom hvmkit.md5=$(cat "$out/kernel.md5")" \
	"$out/cd.iso"
echo "$stamp" >"$out/.stamp"
