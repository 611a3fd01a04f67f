#!/bin/sh
# mkinitramfs.sh [--kernel-tree DIR --modules "NAME..."] [--file SRC=DEST]...
#                OUT
# Builds the Linux test guest's initramfs (busybox-static with its applets,
# tests/linux/init, the CMOS helpers and disk-checks.sh) as a gzipped cpio
# at OUT, without root.
#
# --modules adds kernel modules from the unpacked kernel package DIR
# (tests/rig/rig-run --print-kernel-tree) with their dependencies (modinfo
# -F depends), in load order, as /lib/modules/NAME.ko listed one a line in
# /lib/modules/order; modules built into the kernel (modules.builtin) are
# left out.  /init loads them.  --file copies SRC into the image as DEST
# (e.g. a test pattern).  Without options the image is the one
# tests/linux-tests.sh boots.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ktree='' modules='' files=''
while [ $# -gt 1 ]; do
	case $1 in
	--kernel-tree) ktree=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--file) files="$files $2"; shift 2 ;;
	*) echo "mkinitramfs: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: mkinitramfs.sh [--kernel-tree DIR --modules \"NAME...\"] [--file SRC=DEST]... OUT" >&2; exit 2; }
out=$1
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkinitramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/mnt"
cp "$bb" "$tmp/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$tmp/bin/$a"
done
cp "$here/init" "$tmp/init"
cp "$here/cmos.sh" "$tmp/bin/cmos_get"
cp "$here/disk-checks.sh" "$tmp/bin/disk-checks.sh"
ln -s cmos_get "$tmp/bin/cmos_set"
chmod 755 "$tmp/init" "$tmp/bin/cmos_get"

# add_module NAME: NAME after its dependencies, once.
# shellcheck disable=SC3043 # dash and busybox sh have local
add_module() {
	local _key _f _d
	_key=$(echo "$1" | tr - _)
	grep -qx "$_key" "$tmp/lib/modules/order" && return 0
	_f=$(cd "$mdir" && find kernel \( -name "$1.ko*" -o \
		-name "$_key.ko*" -o -name "$(echo "$1" | tr _ -).ko*" \) \
		-print | head -n 1)
	if [ -z "$_f" ]; then
		grep -Eq "/$(echo "$_key" | sed 's/_/[-_]/g')\.ko\$" \
			"$mdir/modules.builtin" && return 0
		echo "mkinitramfs: module $1 is not in $mdir" >&2
		exit 1
	fi
	for _d in $($modinfo -F depends "$mdir/$_f" | tr , ' '); do
		add_module "$_d"
	done
	case $_f in
	*.ko) cp "$mdir/$_f" "$tmp/lib/modules/$_key.ko" ;;
	*.ko.xz) xz -dc <"$mdir/$_f" >"$tmp/lib/modules/$_key.ko" ;;
	*.ko.zst) zstd -qdc <"$mdir/$_f" >"$tmp/lib/modules/$_key.ko" ;;
	*.ko.gz) gzip -dc <"$mdir/$_f" >"$tmp/lib/modules/$_key.ko" ;;
	*) echo "mkinitramfs: cannot unpack $_f" >&2; exit 1 ;;
	esac
	echo "$_key" >>"$tmp/lib/modules/order"
}

if [ -n "$modules" ]; then
	mdir=$(find "$ktree/lib/modules" -mindepth 1 -maxdepth 1 -type d \
		2>/dev/null | head -n 1)
	[ -n "$mdir" ] || { echo "mkinitramfs: no lib/modules/* in '$ktree' (--kernel-tree)" >&2; exit 1; }
	modinfo=$(command -v modinfo || echo /sbin/modinfo)
	[ -x "$modinfo" ] || { echo "mkinitramfs: modinfo missing (apt-get install kmod)" >&2; exit 1; }
	mkdir -p "$tmp/lib/modules"
	: >"$tmp/lib/modules/order"
	for m in $modules; do
		add_module "$m"
	done
fi
for f in $files; do
	mkdir -p "$tmp/$(dirname "${f#*=}")"
	cp "${f%%=*}" "$tmp/${f#*=}"
done
(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
