# shellcheck shell=dash disable=SC2154 # busybox sh; /init sets action, cmdline
# Sourced by the test guest's /init (busybox sh) when the initramfs carries
# kernel modules (tests/linux/mkinitramfs.sh --modules): loads them, waits
# for the disks and prints "CHECK disk ..." lines.  With hvmkit.action=
#   ide       checks hda (the boot disk), writes /pattern.bin to hdb at
#             1 MiB with O_DIRECT, fsync (FLUSH CACHE), prints
#             "CHECK flushed", reads it back (O_DIRECT) and compares,
#             then powers off (tests/ide-tests.sh checks hdb's image)
#   idekill   the same up to "CHECK flushed", then waits to be killed
#   cdrom     checks sr0: the ISO 9660 descriptor, and the MD5 of the
#             kernel file on the CD against hvmkit.md5=... (the host's)
#   idebench  times sequential O_DIRECT writes and reads on hdb
#             (hvmkit.mib=N MiB, 1 MiB blocks, hvmkit.passes=N times
#             each; bench/ide.py) and prints a "BENCH write" and a
#             "BENCH read" line per pass
# it powers off when done; with other actions it returns to /init.
# hda and hdb are the primary channel's master and slave, found by their
# ATA position: the kernel probes them in parallel, so which one becomes
# sda is not fixed.
# Uses $action, $cmdline and say() from /init.

while read -r m; do
	insmod "/lib/modules/$m.ko" 2>/dev/null ||
		say "CHECK insmod-failed $m"
done </lib/modules/order
say "CHECK modules-loaded"

# wait_for NAME...: up to 30 s until /sys/block/NAME exists for each.
wait_for() {
	local n
	for n in "$@"; do
		i=0
		while [ ! -e "/sys/block/$n" ] && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
}

# ata_disk ID: the name of the disk at position ID (0 master, 1 slave) of
# the first ATA channel (.../ata1/host*/target*/H:C:ID:0/block/NAME).
ata_disk() {
	local d
	for d in /sys/block/sd*; do
		case $(readlink -f "$d") in
		*/ata1/*:*:"$1":0/block/*) basename "$d"; return ;;
		esac
	done
}

# disk_report LABEL NAME: its size, the PCI driver behind it, the ATA
# transfer mode libata chose and whether that is DMA; lines say LABEL.
disk_report() {
	local l=$1 n=$2 path pci ata id mode
	if [ -z "$n" ] || [ ! -e "/sys/block/$n" ]; then
		say "CHECK disk $l missing"
		return 1
	fi
	say "CHECK disk $l is $n"
	say "CHECK disk $l present sectors $(cat "/sys/block/$n/size")"
	# /sys/devices/pci0000:00/0000:00:01.1/ata1/host0/target0:0:0/0:0:0:0/block/sda
	path=$(readlink -f "/sys/block/$n")
	pci=${path%%/ata[0-9]*}
	say "CHECK disk $l driver $(basename "$(readlink "$pci/driver")") pci ${pci##*/}"
	ata=$(echo "$path" | sed -n 's,.*/ata\([0-9]*\)/.*,\1,p')
	id=$(basename "$(readlink -f "/sys/block/$n/device")" | cut -d: -f3)
	mode=$(cat "/sys/class/ata_device/dev$ata.$id/xfer_mode" 2>/dev/null)
	say "CHECK disk $l xfer_mode ${mode:-unknown}"
	case $mode in
	XFER_UDMA_*|XFER_MW_DMA_*) say "CHECK disk $l dma yes" ;;
	*) say "CHECK disk $l dma no" ;;
	esac
	for c in /sys/block/"$n"/device/scsi_disk/*/cache_type; do
		[ -r "$c" ] && say "CHECK disk $l cache $(cat "$c")"
	done
}

# now_ns: monotonic nanoseconds (/proc/timer_list), else /proc/uptime.
now_ns() {
	local t
	t=$(awk '/^now at [0-9]+ nsecs/ { print $3; exit }' /proc/timer_list 2>/dev/null)
	if [ -z "$t" ]; then
		read -r t _ </proc/uptime
		t=$(echo "$t" | awk '{ printf "%.0f", $1 * 1e9 }')
	fi
	echo "$t"
}

# mbps BYTES NS
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / 1048576 / (t / 1e9) }'; }

dmesg_checks() {
	dmesg | grep -E 'ata[0-9.]+: (configured for|ATA-|ATAPI:)' |
	while read -r line; do say "CHECK dmesg ${line#\[*\] }"; done
	dmesg | grep -E '\[sd[a-z]\] Write cache' |
	while read -r line; do say "CHECK dmesg ${line#\[*\] }"; done
}

case $action in
ide|idekill|idebench) wait_for sda sdb ;;
cdrom) wait_for sr0 ;;
*) wait_for sda ;;
esac
hda=$(ata_disk 0)
hdb=$(ata_disk 1)
[ -n "$hda" ] && disk_report hda "$hda"
[ -n "$hdb" ] && disk_report hdb "$hdb"
[ -e /sys/block/sr0 ] && disk_report sr0 sr0
dmesg_checks

case $action in
ide|idekill)
	# The boot disk: the MBR's signature, partition 1.
	sig=$(dd if="/dev/$hda" bs=512 count=1 2>/dev/null | od -An -tx1 -j510 | tr -d ' ')
	say "CHECK hda mbr-signature $sig"
	[ -e "/sys/block/$hda/${hda}1" ] && say "CHECK hda partition 1"
	# Write the pattern at 1 MiB on hdb, flush, read back.
	size=$(wc -c </pattern.bin)
	if [ -n "$hdb" ] &&
	   dd if=/pattern.bin of="/dev/$hdb" bs=64k seek=16 oflag=direct \
	      conv=notrunc,fsync 2>/dev/null && sync; then
		say "CHECK flushed $size"
	else
		say "CHECK write-failed"
	fi
	if [ "$action" = idekill ]; then
		say "CHECK waiting-to-be-killed"
		while :; do sleep 60; done
	fi
	echo 3 >/proc/sys/vm/drop_caches
	want=$(md5sum </pattern.bin)
	got=$(dd if="/dev/$hdb" bs=64k skip=16 count=$((size / 65536)) \
		iflag=direct 2>/dev/null | md5sum)
	if [ "$want" = "$got" ]; then
		say "CHECK readback ok"
	else
		say "CHECK readback bad ($got, want $want)"
	fi
	say "CHECK done"
	poweroff -f
	;;
cdrom)
	cd001=$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=1 count=5 2>/dev/null)
	say "CHECK sr0 descriptor $cd001"
	want=$(echo "$cmdline" | sed -n 's/.*hvmkit\.md5=\([0-9a-f]*\).*/\1/p')
	mkdir -p /mnt
	if mount -t iso9660 -o ro /dev/sr0 /mnt; then
		got=$(md5sum </mnt/isolinux/vmlinuz | cut -d' ' -f1)
		if [ -n "$want" ] && [ "$got" = "$want" ]; then
			say "CHECK sr0 kernel-md5 ok"
		else
			say "CHECK sr0 kernel-md5 bad ($got, want $want)"
		fi
		umount /mnt
	else
		say "CHECK sr0 mount-failed"
	fi
	say "CHECK done"
	poweroff -f
	;;
idebench)
	mib=$(echo "$cmdline" | sed -n 's/.*hvmkit\.mib=\([0-9]*\).*/\1/p')
	mib=${mib:-32}
	passes=$(echo "$cmdline" |
		sed -n 's/.*hvmkit\.passes=\([0-9]*\).*/\1/p')
	passes=${passes:-1}
	bytes=$((mib * 1048576))
	pass=0
	while [ "$pass" -lt "$passes" ]; do
		t0=$(now_ns)
		dd if=/dev/zero of="/dev/$hdb" bs=1M count="$mib" \
			oflag=direct conv=notrunc,fsync 2>/dev/null ||
			say "BENCH write-failed"
		t1=$(now_ns)
		dd if="/dev/$hdb" of=/dev/null bs=1M count="$mib" \
			iflag=direct 2>/dev/null || say "BENCH read-failed"
		t2=$(now_ns)
		say "BENCH write $bytes bytes $((t1 - t0)) ns $(mbps $bytes $((t1 - t0))) MiB/s"
		say "BENCH read $bytes bytes $((t2 - t1)) ns $(mbps $bytes $((t2 - t1))) MiB/s"
		pass=$((pass + 1))
	done
	say "BENCH done"
	poweroff -f
	;;
esac
