#!/bin/sh
# mkiso.sh --kernel FILE --initrd FILE --append TEXT OUT
#
# Builds, without root, an El Torito CD image OUT (ISO 9660 with Rock
# Ridge) that boots with isolinux (no emulation, 4 sectors loaded, boot
# info table): /isolinux/vmlinuz with /isolinux/initrd.gz and the kernel
# command line "console=ttyS0 TEXT", isolinux talking on COM1 (SERIAL 0
# 115200).
#
# Debian packages: isolinux syslinux-common xorriso.
set -eu
prog=mkiso.sh
die() { echo "$prog: $*" >&2; exit 1; }
kernel='' initrd='' append=''
while [ $# -gt 1 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $prog --kernel FILE --initrd FILE --append TEXT OUT" >&2; exit 2; }
out=$1
isolinux=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
command -v xorriso >/dev/null || die "xorriso missing (apt-get install xorriso)"
[ -r "$isolinux" ] || die "$isolinux missing (apt-get install isolinux)"
[ -r "$ldlinux" ] || die "$ldlinux missing (apt-get install syslinux-common)"
[ -r "$kernel" ] || die "--kernel '$kernel': not readable"
[ -r "$initrd" ] || die "--initrd '$initrd': not readable"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-mkiso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/iso" "$tmp/iso/isolinux"
cp "$isolinux" "$ldlinux" "$tmp/iso/isolinux/"
cp "$kernel" "$tmp/iso/isolinux/vmlinuz"
cp "$initrd" "$tmp/iso/isolinux/initrd.gz"
cat >"$tmp/iso/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /isolinux/vmlinuz
  INITRD /isolinux/initrd.gz
  APPEND console=ttyS0 $append
EOF
xorriso -as mkisofs -quiet -R -V HVMKIT -o "$out.tmp" \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$tmp/iso" \
	2>"$tmp/log" || die "xorriso failed: $(tail -n 3 "$tmp/log")"
mv "$out.tmp" "$out"
