#!/usr/bin/env bash
# Bad host input to hvmkit-hypervisor: each case must end with a non-zero
# status below 128 (no crash, no core dump), exactly one line on stderr
# naming the problem, nothing on stdout, and no process left behind.
set -u
. "$(dirname "$0")/lib.sh"

HV=$BUILD/hvmkit-hypervisor
GUEST=$BUILD/tests/guests/realmode-hello.bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-badinput.XXXXXX")
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT

# expect_error NAME STATUS REGEX CMD...
expect_error() {
	local name=$1 want=$2 regex=$3 rc lines
	shift 3
	timeout -k 5 60 "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	lines=$(wc -l <"$WORK/err")
	if [ $rc -ne "$want" ]; then
		fail "$name" "status $rc, expected $want: $(head -c 300 "$WORK/err")"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stderr, expected 1: $(tr '\n' '|' <"$WORK/err")"
	elif [ -s "$WORK/out" ]; then
		fail "$name" "unexpected standard output: $(head -c 200 "$WORK/out")"
	elif ! grep -Eq -e "$regex" "$WORK/err"; then
		fail "$name" "message does not match /$regex/: $(cat "$WORK/err")"
	elif pgrep -f "$WORK" >/dev/null; then
		fail "$name" "a process is still running"
	else
		pass "$name"
	fi
}

expect_error unknown-option 2 "unknown or ambiguous option '--bogus' \(see --help\)" \
	"$HV" --bogus -f "$GUEST"
expect_error missing-argument 2 "option '-m' needs an argument" \
	"$HV" -f "$GUEST" -m
expect_error stray-argument 2 "unexpected argument 'extra'" \
	"$HV" -f "$GUEST" extra
expect_error no-firmware-option 2 'no firmware image given' "$HV"
expect_error firmware-missing 1 "firmware $WORK/nope.bin: No such file" \
	"$HV" -f "$WORK/nope.bin"
: >"$WORK/empty.bin"
expect_error firmware-empty 1 'size 0 bytes is not a PC firmware size' \
	"$HV" -f "$WORK/empty.bin"
head -c 1000 /dev/zero >"$WORK/odd.bin"
expect_error firmware-odd-size 1 'size 1000 bytes is not a PC firmware size' \
	"$HV" -f "$WORK/odd.bin"
truncate -s 17M "$WORK/huge.bin"
expect_error firmware-too-large 1 'size 17825792 bytes is not a PC firmware' \
	"$HV" -f "$WORK/huge.bin"
expect_error firmware-directory 1 'not a regular file' "$HV" -f "$WORK"
expect_error memory-syntax 2 "--memory 'lots': not a size" \
	"$HV" -f "$GUEST" -m lots
expect_error memory-too-small 2 'must be a multiple of 4 KiB from 2 MiB' \
	"$HV" -f "$GUEST" -m 1M
host_gib=$(awk '/^MemTotal:/ { print int($2 / 1048576) + 1 }' /proc/meminfo)
expect_error memory-above-host 2 "more than this host's RAM" \
	"$HV" -f "$GUEST" -m "${host_gib}G"
expect_error vcpus-too-many 2 "--vcpus '256': must be a number from 1 to 255" \
	"$HV" -f "$GUEST" -c 256
expect_error vcpus-zero 2 "--vcpus '0'" "$HV" -f "$GUEST" -c 0
expect_error triple-fault-policy 2 "--on-triple-fault 'maybe'" \
	"$HV" -f "$GUEST" --on-triple-fault=maybe
expect_error debugcon-unwritable 1 "--debugcon $WORK/no/such/dir" \
	"$HV" -f "$GUEST" --debugcon "$WORK/no/such/dir"

# /dev/kvm absent or unusable: in a private mount namespace (root only).
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	why="needs root and unshare(1) for a private mount namespace"
	skip kvm-missing "$why"
	skip kvm-not-a-kvm-device "$why"
	skip kvm-permission-denied "$why"
else
	expect_error kvm-missing 1 '/dev/kvm does not exist' \
		unshare -m sh -c 'mount -t tmpfs none /dev && exec "$@"' sh \
		"$HV" -f "$GUEST"
	expect_error kvm-not-a-kvm-device 1 'unsupported KVM API version' \
		unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' \
		sh "$HV" -f "$GUEST"
	cp "$GUEST" "$WORK/guest.bin" && chmod 644 "$WORK/guest.bin"
	expect_error kvm-permission-denied 1 '/dev/kvm: permission denied' \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HV" -f "$WORK/guest.bin"
fi
expect_error flag-with-value 2 "option '--stats' takes no argument" \
	"$HV" -f "$GUEST" --stats=1
expect_error unknown-short-option-in-group 2 "unknown option '-x'" \
	"$HV" -f "$GUEST" --stats -xv
expect_error long-option-missing-argument 2 "option '--memory' needs an argument" \
	"$HV" -f "$GUEST" --memory

# Device model and management options.
expect_error serial-spec 2 "--serial 'tcp:1': must be none, stdio, pty" \
	"$HV" -f "$GUEST" --serial tcp:1
expect_error dm-timeout 2 "--dm-timeout '0'" \
	"$HV" -f "$GUEST" --dm-timeout 0
expect_error domain-name 2 "--name 'a/b'" "$HV" -f "$GUEST" --name a/b
expect_error ready-fd-closed 2 '--ready-fd 77: not an open descriptor' \
	"$HV" -f "$GUEST" --ready-fd 77
expect_error device-model-missing 1 "--device-model $WORK/nodm: No such file" \
	"$HV" -f "$GUEST" --device-model "$WORK/nodm"
expect_error device-model-exits 1 'device model \(pid [0-9]+\) exited with status 1' \
	"$HV" -f "$GUEST" --device-model /bin/false
expect_error device-model-unknown-device 1 "hvmkit-devmodel: error: --device bogus: no such device" \
	"$HV" -f "$GUEST" --dm-arg=--device=bogus
expect_error serial-file-unwritable 1 "device model: .*$WORK/no/such/dir" \
	"$HV" -f "$GUEST" --serial "file:$WORK/no/such/dir"
expect_error machine-unknown 2 "--machine 'q35': must be pc or none" \
	"$HV" -f "$GUEST" --machine q35
expect_error initrd-without-kernel 2 '--initrd needs --kernel' \
	"$HV" -f "$GUEST" --initrd "$WORK/initrd"
expect_error kernel-without-pc 2 '--kernel needs --machine pc' \
	"$HV" -f "$GUEST" --machine none --kernel "$WORK/odd.bin"
expect_error boot-order-bad 2 "--boot 'cx': up to three of a" \
	"$HV" -f "$GUEST" --boot cx
expect_error kernel-missing 1 "device model: kernel '$WORK/vmlinuz': cannot open: No such file" \
	"$HV" -f "$GUEST" --kernel "$WORK/vmlinuz"
expect_error kernel-not-bzimage 1 "device model: kernel '$WORK/odd.bin': .*not a Linux bzImage" \
	"$HV" -f "$GUEST" --kernel "$WORK/odd.bin"
expect_error control-socket-dir-missing 1 "--control-socket $WORK/no/x.sock: No such file" \
	"$HV" -f "$GUEST" --control-socket "$WORK/no/x.sock"

# Disks (--disk SPEC, xl.cfg disk syntax): the spec is checked by the
# hypervisor (status 2), the images are opened by the device model before
# the guest runs (status 1, "device model: disk VDEV: PATH: why").
truncate -s 1M "$WORK/disk.img"
truncate -s 1M "$WORK/disk2.img"
: >"$WORK/zero.img"
expect_error disk-missing 1 "device model: disk hda: $WORK/nope.img: No such file or directory" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/nope.img"
# A control character of the path reaches the user as '?', not as "device
# model sent an unprintable text".
expect_error disk-missing-tab-in-path 1 "device model: disk hda: $WORK/no[?]pe.img: No such file or directory" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/no	pe.img"
expect_error disk-size-odd 1 "device model: disk hdb: $WORK/odd.bin: size 1000 bytes is not a multiple of 512" \
	"$HV" -f "$GUEST" --disk "$WORK/odd.bin,raw,hdb,rw"
expect_error disk-empty 1 "device model: disk hda: $WORK/zero.img: the image is empty" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/zero.img"
expect_error disk-directory 1 "device model: disk hda: $WORK: Is a directory" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK"
expect_error disk-twice-read-write 1 "device model: disk hdb: $WORK/disk.img: is in use read-write" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/disk.img" \
	--disk "vdev=hdb,target=$WORK/disk.img"
expect_error disk-spec-bad 2 "--disk 'vdev=hda,access=rx,target=$WORK/disk.img': access=rx: not an access mode" \
	"$HV" -f "$GUEST" --disk "vdev=hda,access=rx,target=$WORK/disk.img"
expect_error disk-vdev-unknown 2 "--disk '$WORK/disk.img,,xvda': vdev xvda: only IDE disks hda-hdd are supported yet" \
	"$HV" -f "$GUEST" --disk "$WORK/disk.img,,xvda"
expect_error disk-format-qcow2 2 "format=qcow2: only raw images are supported" \
	"$HV" -f "$GUEST" --disk "format=qcow2,vdev=hda,target=$WORK/disk.img"
expect_error disk-vdev-twice 2 "--disk 'vdev=hda,target=$WORK/disk2.img': hda is attached twice" \
	"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/disk.img" \
	--disk "vdev=hda,target=$WORK/disk2.img"
expect_error disk-cdrom-read-write 2 "access=rw on a cdrom: CD-ROM drives are read-only" \
	"$HV" -f "$GUEST" --disk "vdev=hdc,devtype=cdrom,access=rw,target="
expect_error disk-needs-pc 2 "--disk needs --machine pc" \
	"$HV" -f "$GUEST" --machine none --disk "vdev=hda,target=$WORK/disk.img"
# A drive no device serves (here: no IDE without --machine pc).
expect_error disk-unclaimed 1 "device model: disk hda: no controller for this vdev" \
	"$HV" -f "$GUEST" --machine none \
	--dm-arg=--drive="vdev=hda,target=$WORK/disk.img"
# Unreadable: root reads a mode-000 file anyway, so as root the
# hypervisor (and with it the device model) runs without
# CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
cp "$WORK/disk.img" "$WORK/locked.img" && chmod 000 "$WORK/locked.img"
if [ "$(id -u)" -ne 0 ]; then
	expect_error disk-unreadable 1 "device model: disk hda: $WORK/locked.img: Permission denied" \
		"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/locked.img"
elif command -v setpriv >/dev/null; then
	expect_error disk-unreadable 1 "device model: disk hda: $WORK/locked.img: Permission denied" \
		setpriv --bounding-set=-dac_override,-dac_read_search \
		"$HV" -f "$GUEST" --disk "vdev=hda,target=$WORK/locked.img"
else
	skip disk-unreadable "running as root without setpriv(1) to drop CAP_DAC_OVERRIDE"
fi
