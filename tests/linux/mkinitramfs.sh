#!/bin/sh
# mkinitramfs.sh OUT: builds the Linux test guest's initramfs (busybox-static
# with its applets, tests/linux/init and the CMOS helpers) as a gzipped cpio
# at OUT, without root.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkinitramfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp "$bb" "$tmp/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -s busybox "$tmp/bin/$a"
done
cp "$here/init" "$tmp/init"
cp "$here/cmos.sh" "$tmp/bin/cmos_get"
ln -s cmos_get "$tmp/bin/cmos_set"
chmod 755 "$tmp/init" "$tmp/bin/cmos_get"
(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
