#!/bin/sh
# mkdisk.sh --kernel FILE --initrd FILE --append TEXT OUT
# mkdisk.sh --set-append TEXT OUT
#
# Builds, without root, a BIOS-bootable MBR disk image OUT: one FAT
# partition at sector 2048 (made with mkfs.vfat -C as a separate image,
# filled with mtools, made bootable with syslinux --install, then dd'ed
# into place), syslinux's MBR (/usr/lib/syslinux/mbr/mbr.bin), and
# syslinux.cfg booting /vmlinuz with /initrd.gz and the kernel command line
# "console=ttyS0 TEXT", syslinux itself talking on COM1 (SERIAL 0 115200).
# The image is sparse and just large enough (kernel + initrd + 2 MiB).
#
# --set-append rewrites syslinux.cfg of an image made here with another
# command line (the rest of the image is unchanged).
#
# Debian packages: syslinux syslinux-common mtools dosfstools fdisk.
set -eu
prog=mkdisk.sh
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	echo "usage: $prog --kernel FILE --initrd FILE --append TEXT OUT" >&2
	echo "       $prog --set-append TEXT OUT" >&2
	exit 2
}
kernel='' initrd='' append='' set_append=0
while [ $# -gt 1 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--set-append) append=$2; set_append=1; shift 2 ;;
	*) usage ;;
	esac
done
[ $# -eq 1 ] || usage
out=$1
mbr=/usr/lib/syslinux/mbr/mbr.bin
for t in sfdisk:fdisk mkfs.vfat:dosfstools mcopy:mtools syslinux:syslinux; do
	PATH=$PATH:/sbin:/usr/sbin command -v "${t%%:*}" >/dev/null ||
		die "${t%%:*} missing (apt-get install ${t#*:})"
done
[ -r "$mbr" ] || die "$mbr missing (apt-get install syslinux-common)"
export PATH="$PATH:/sbin:/usr/sbin" MTOOLS_SKIP_CHECK=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-mkdisk.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0 $append
EOF

# The partition starts at sector 2048 (1 MiB): mtools addresses it there.
if [ $set_append = 1 ]; then
	[ -w "$out" ] || die "$out: not a writable image"
	mcopy -o -i "$out@@1M" "$tmp/syslinux.cfg" ::syslinux.cfg ||
		die "$out: cannot rewrite syslinux.cfg (not made by $prog?)"
	exit 0
fi
[ -r "$kernel" ] || die "--kernel '$kernel': not readable"
[ -r "$initrd" ] || die "--initrd '$initrd': not readable"

# FAT partition size in MiB: the files plus 2 MiB for syslinux and the FAT.
kib=$(( ($(wc -c <"$kernel") + $(wc -c <"$initrd") + 1023) / 1024 ))
part_mib=$(( (kib + 1023) / 1024 + 2 ))
part=$tmp/part.img
mkfs.vfat -C -n HVMKIT "$part" $((part_mib * 1024)) >/dev/null
mcopy -i "$part" "$kernel" ::vmlinuz
mcopy -i "$part" "$initrd" ::initrd.gz
mcopy -i "$part" "$tmp/syslinux.cfg" ::syslinux.cfg
syslinux --install "$part"

rm -f "$out.tmp"
truncate -s $(( (part_mib + 1) * 1048576 )) "$out.tmp"
echo "start=2048, size=$((part_mib * 2048)), type=e, bootable" |
	sfdisk -q --no-reread --no-tell-kernel --label dos "$out.tmp" \
		>/dev/null
# Boot code only (446 bytes): the partition table sfdisk wrote stays.
dd if="$mbr" of="$out.tmp" bs=440 count=1 conv=notrunc 2>/dev/null
dd if="$part" of="$out.tmp" bs=1M seek=1 conv=notrunc,sparse 2>/dev/null
mv "$out.tmp" "$out"
