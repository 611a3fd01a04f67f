#!/usr/bin/env bash
# Linux boots from hvmkit's PIIX3 IDE: SeaBIOS (bios-256k.bin) loads
# syslinux from an MBR disk image and isolinux from an El Torito CD, both
# built without root by tests/disk/mkguest.sh, and the guest's /init
# (tests/linux/init, disk-checks.sh) checks the disks from inside with the
# Debian kernel's ata_piix:
#
#   ide-disk   hda = the MBR disk, hdb = an empty data disk, --boot c: the
#              disks appear, driven by ata_piix with DMA; the guest writes
#              a pattern to hdb with O_DIRECT and fsync (FLUSH CACHE), reads
#              it back, powers off with status 0; the host finds the
#              pattern in hdb's image at 1 MiB and nothing before it.
#   ide-kill   the same through "hvmkit create" with disk = [...] and
#              boot = "c"; once the guest says the pattern is flushed, the
#              host SIGKILLs the hypervisor and the device model and finds
#              the pattern in the image.
#   ide-cdrom  hdc = the ISO (devtype=cdrom), --boot d: isolinux boots, sr0
#              appears, its ISO 9660 descriptor reads, the kernel file on it
#              has the MD5 the host computed.
#
# Needs a hardware-speed /dev/kvm: run inside the nested rig
# (tests/run-all.sh does; the images are built on the host first, as the
# repository is read-only in the rig).
#
# Environment: BUILD, PREFIX, IDE_GUEST (the images, default
# $BUILD/ide-guest), GUEST_TIMEOUT (seconds per boot, default 180: a hang
# guard only; a boot takes 20-40 s in the rig).
set -u
. "$(dirname "$0")/lib.sh"

HV=$BUILD/hvmkit-hypervisor
HVMKIT=$BUILD/hvmkit
IDE_GUEST=${IDE_GUEST:-$BUILD/ide-guest}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-180}
BIOS=${SEABIOS_DIR:-/usr/share/seabios}/bios-256k.bin
PATTERN=$IDE_GUEST/pattern.bin

why=$(kvm_unusable_reason)
if [ -z "$why" ] && kvm_is_software; then
	why="the local /dev/kvm is the software kvm_pvm, too slow for a kernel (tests/run-all.sh runs this suite in the nested rig)"
fi
if [ -z "$why" ] && [ ! -r "$IDE_GUEST/cd.iso" ]; then
	why="no guest images in $IDE_GUEST (tests/disk/mkguest.sh builds them; tests/run-all.sh does)"
fi
if [ -n "$why" ]; then
	skip ide "$why"
	exit 0
fi

# In the rig, hvmkit (and the device model it starts) keep to one L1 CPU:
# L2 vCPU threads that move between the emulated L1 CPUs have been seen to
# make SeaBIOS + syslinux boots reset or hang at random, under QEMU too.
PIN=()
[ "${RIG_INSIDE:-0}" = 1 ] && PIN=(taskset -c 1)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-ide.XXXXXX")
export HVMKIT_RUNDIR=$WORK/run
cleanup() {
	"$HVMKIT" destroy ide-kill >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

# fresh_disks NAME: a writable copy of the boot disk NAME and an empty
# 64 MiB data disk in $WORK (the build tree is read-only in the rig).
fresh_disks() {
	cp --sparse=always "$IDE_GUEST/disk-$1.img" "$WORK/$1-boot.img"
	rm -f "$WORK/$1-data.img"
	truncate -s 64M "$WORK/$1-data.img"
}

# boot NAME ARGS...: the hypervisor with SeaBIOS and ARGS; serial output
# in $WORK/NAME.serial (CR LF made LF), its own in $WORK/NAME.out.
boot() {
	local name=$1 rc t0
	shift
	t0=$(date +%s)
	timeout -k 5 "$GUEST_TIMEOUT" "${PIN[@]}" "$HV" -f "$BIOS" -m 256M -c 1 "$@" \
		--serial "file:$WORK/$name.serial" -d "$WORK/$name.log" \
		>"$WORK/$name.out" 2>&1
	rc=$?
	echo "# $name: $(($(date +%s) - t0)) s, status $rc"
	[ -f "$WORK/$name.serial" ] && sed -i 's/\r$//' "$WORK/$name.serial"
	return $rc
}

checks() { grep '^CHECK' "$WORK/$1.serial" 2>/dev/null | tr '\n' '|' | tail -c 600; }

# has NAME WHAT REGEX: the serial output of NAME has a line matching REGEX.
has() {
	if grep -Eq -e "$3" "$WORK/$1.serial" 2>/dev/null; then
		pass "$1/$2"
	else
		fail "$1/$2" "serial output lacks /$3/: $(checks "$1")"
	fi
}

# disk_checks NAME: what every disk boot's /init reports.
disk_checks() {
	local n=$1
	has "$n" reached-init '^CHECK userspace$'
	if grep -q '^CHECK insmod-failed' "$WORK/$n.serial"; then
		fail "$n/modules" "$(grep '^CHECK insmod-failed' "$WORK/$n.serial" | tr '\n' '|')"
	else
		pass "$n/modules"
	fi
	has "$n" hda-present '^CHECK disk hda present sectors [1-9]'
	has "$n" hda-ata-piix '^CHECK disk hda driver ata_piix pci 0000:00:01\.1$'
	has "$n" hda-dma '^CHECK disk hda dma yes$'
	has "$n" hdb-present '^CHECK disk hdb present sectors 131072$'
	has "$n" hdb-dma '^CHECK disk hdb dma yes$'
	has "$n" hdb-write-cache '^CHECK disk hdb cache write back$'
	has "$n" hda-mbr '^CHECK hda mbr-signature 55aa$'
	has "$n" hda-partition '^CHECK hda partition 1$'
	has "$n" flushed "^CHECK flushed $(wc -c <"$PATTERN")\$"
}

# image_has_pattern NAME IMAGE: the pattern at 1 MiB, zeros before it.
# (No process substitution: the rig's /dev has no /dev/fd.)
image_has_pattern() {
	local size
	size=$(wc -c <"$PATTERN")
	dd if="$2" of="$WORK/region.bin" bs=1M skip=1 count=$((size >> 20)) \
		2>/dev/null
	if ! cmp -s "$WORK/region.bin" "$PATTERN"; then
		fail "$1/image-has-pattern" "$2 lacks the pattern at 1 MiB: $(cmp "$WORK/region.bin" "$PATTERN" 2>&1 | head -c 200)"
	elif ! cmp -s -n 1048576 "$2" /dev/zero; then
		fail "$1/image-has-pattern" "$2 has data before 1 MiB (the guest wrote only at 1 MiB)"
	else
		pass "$1/image-has-pattern"
	fi
}

# (a) the MBR disk on hda, a data disk on hdb, boot c, direct.
fresh_disks ide
boot ide-disk --boot c \
	--disk "format=raw,vdev=hda,access=rw,target=$WORK/ide-boot.img" \
	--disk "format=raw,vdev=hdb,access=rw,target=$WORK/ide-data.img"
rc=$?
if [ $rc -eq 0 ]; then
	pass ide-disk/poweroff-status-0
else
	fail ide-disk/poweroff-status-0 "exit status $rc: $(tail3 "$WORK/ide-disk.out") serial: $(checks ide-disk) $(tail -n 3 "$WORK/ide-disk.serial" 2>/dev/null | tr '\n' '|')"
fi
disk_checks ide-disk
has ide-disk readback '^CHECK readback ok$'
has ide-disk 'done' '^CHECK done$'
image_has_pattern ide-disk "$WORK/ide-data.img"

# (b) through hvmkit create; SIGKILL once the guest has flushed.
fresh_disks idekill
cat >"$WORK/ide-kill.cfg" <<EOF
name = "ide-kill"
type = "hvm"
bios = "seabios"
memory = 256
vcpus = 1
disk = [ "format=raw,vdev=hda,access=rw,target=$WORK/idekill-boot.img",
         "format=raw,vdev=hdb,access=rw,target=$WORK/idekill-data.img" ]
boot = "c"
serial = "file:$WORK/ide-kill.serial"
EOF
t0=$(date +%s)
"${PIN[@]}" "$HVMKIT" create "$WORK/ide-kill.cfg" >"$WORK/ide-kill.out" 2>&1
rc=$?
pid=$(sed -n 's/^Domain ide-kill created (pid \([0-9]*\))\.$/\1/p' "$WORK/ide-kill.out")
if [ $rc -ne 0 ] || [ -z "$pid" ]; then
	fail ide-kill/create "status $rc: $(tail3 "$WORK/ide-kill.out")"
else
	pass ide-kill/create
	dm_pid=$(pgrep -P "$pid" | head -n 1)
	for ((i = 0; i < GUEST_TIMEOUT * 10; i++)); do
		grep -q '^CHECK waiting-to-be-killed' "$WORK/ide-kill.serial" \
			2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# ide-kill: $(($(date +%s) - t0)) s to the flush"
	if [ -z "$dm_pid" ]; then
		fail ide-kill/sigkill "no device model process under hypervisor pid $pid"
	elif ! kill -0 "$pid" 2>/dev/null || ! kill -0 "$dm_pid" 2>/dev/null; then
		fail ide-kill/sigkill "the hypervisor ($pid) or the device model ($dm_pid) ended before the kill: $(tail3 "$HVMKIT_RUNDIR/ide-kill.log")"
	else
		kill -KILL "$pid" "$dm_pid"
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || kill -0 "$dm_pid" 2>/dev/null || break
			sleep 0.1
		done
		pass ide-kill/sigkill
	fi
	sed -i 's/\r$//' "$WORK/ide-kill.serial" 2>/dev/null
	disk_checks ide-kill
	has ide-kill waiting '^CHECK waiting-to-be-killed$'
	image_has_pattern ide-kill "$WORK/idekill-data.img"
fi

# (c) the ISO as a CD on hdc, boot d.
boot ide-cdrom --boot d \
	--disk "vdev=hdc,devtype=cdrom,target=$IDE_GUEST/cd.iso"
rc=$?
if [ $rc -eq 0 ]; then
	pass ide-cdrom/poweroff-status-0
else
	fail ide-cdrom/poweroff-status-0 "exit status $rc: $(tail3 "$WORK/ide-cdrom.out") serial: $(checks ide-cdrom) $(tail -n 3 "$WORK/ide-cdrom.serial" 2>/dev/null | tr '\n' '|')"
fi
has ide-cdrom reached-init '^CHECK userspace$'
has ide-cdrom sr0-present '^CHECK disk sr0 present'
has ide-cdrom sr0-ata-piix '^CHECK disk sr0 driver ata_piix pci 0000:00:01\.1$'
has ide-cdrom sr0-dma '^CHECK disk sr0 dma yes$'
has ide-cdrom iso9660 '^CHECK sr0 descriptor CD001$'
has ide-cdrom kernel-md5 '^CHECK sr0 kernel-md5 ok$'
has ide-cdrom 'done' '^CHECK done$'
