#!/usr/bin/env bash
# Debian's SeaBIOS POSTs on the hvmkit PC platform: bios.bin (128 KiB) and
# bios-256k.bin, with 1 and 2 vCPUs, reach "No bootable device", and their
# debug-port log shows the PCI functions, the e820 map and the CPU count
# the configuration asked for.  Runs on the local /dev/kvm and, unchanged,
# inside the nested rig.
#
# Environment: BUILD, PREFIX, GUEST_TIMEOUT (seconds per boot, default 240:
# a hang guard, not a performance bound; POST takes seconds).
set -u
. "$(dirname "$0")/lib.sh"

HV=$BUILD/hvmkit-hypervisor
GUEST_TIMEOUT=${GUEST_TIMEOUT:-240}
SEABIOS_DIR=${SEABIOS_DIR:-/usr/share/seabios}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-firmware.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# post NAME IMAGE VCPUS MEMORY: boots IMAGE until SeaBIOS gives up on
# booting (its log then says "No bootable device"), then stops the
# hypervisor.  The debug-port log is $WORK/NAME.log.
post() {
	local name=$1 image=$2 vcpus=$3 mem=$4 pid i
	"$HV" -f "$image" -c "$vcpus" -m "$mem" -d "$WORK/$name.log" \
		>"$WORK/$name.out" 2>&1 &
	pid=$!
	for ((i = 0; i < GUEST_TIMEOUT * 10; i++)); do
		grep -q 'No bootable device' "$WORK/$name.log" 2>/dev/null &&
			break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM $pid 2>/dev/null
	GUEST_TIMEOUT=10 wait_exit $pid >/dev/null
}

# check NAME WHAT REGEX: the log of boot NAME matches REGEX.
check() {
	if grep -Eq -e "$3" "$WORK/$1.log" 2>/dev/null; then
		pass "$1/$2"
	else
		fail "$1/$2" "SeaBIOS log lacks /$3/: $(tail3 "$WORK/$1.log") $(tail3 "$WORK/$1.out")"
	fi
}

boot_case() {
	local name=$1 image=$2 vcpus=$3 mem=$4 top
	if [ ! -r "$image" ]; then
		skip "$name" "$image is missing (apt-get install seabios)"
		return
	fi
	post "$name" "$image" "$vcpus" "$mem"
	if ! grep -q 'No bootable device' "$WORK/$name.log" 2>/dev/null; then
		fail "$name/post" "no \"No bootable device\" within ${GUEST_TIMEOUT}s: $(tail3 "$WORK/$name.log") $(tail3 "$WORK/$name.out")"
		return
	fi
	pass "$name/post"
	check "$name" cpus "Found $vcpus cpu\\(s\\) max supported $vcpus cpu\\(s\\)"
	check "$name" host-bridge 'bdf=00:00\.0 id=8086:1237'
	check "$name" isa-bridge 'bdf=00:01\.0 id=8086:7000'
	check "$name" pm 'bdf=00:01\.3 id=8086:7113'
	# RAM ends at MEMORY: one e820 entry (RAM, or SeaBIOS's own
	# reservation at the top of RAM) ends there.
	top=$(printf '%016x' $(( ${mem%M} << 20 )))
	check "$name" e820-top "- $top = "
	check "$name" e820-kvm-reserved "00000000feffc000 - 00000000ff000000 = 2"
	# SeaBIOS ran etc/table-loader and found the FADT through the XSDT,
	# and the DSDT through the FADT.  bios.bin is built without these
	# messages.
	case $image in
	*256k*)
		check "$name" acpi-fadt 'table\(50434146\)=0x[0-9a-f]+ \(via xsdt\)'
		check "$name" acpi-dsdt 'ACPI: parse DSDT at'
		;;
	esac
}

boot_case seabios-128k-1cpu "$SEABIOS_DIR/bios.bin" 1 128M
boot_case seabios-128k-2cpu "$SEABIOS_DIR/bios.bin" 2 256M
boot_case seabios-256k-1cpu "$SEABIOS_DIR/bios-256k.bin" 1 256M
boot_case seabios-256k-2cpu "$SEABIOS_DIR/bios-256k.bin" 2 128M
# 4 GiB: 3 GiB below the PCI hole, 1 GiB above 4 GiB (the host needs the
# RAM: the nested rig's L1 has 3 GiB).
if [ "$(awk '/^MemTotal:/ { print int($2 / 1048576) }' /proc/meminfo)" -lt 5 ]; then
	skip seabios-256k-4g "this host has less than 5 GiB of RAM for a 4 GiB guest"
else
	boot_case seabios-256k-4g "$SEABIOS_DIR/bios-256k.bin" 1 4096M
fi
if grep -q 'No bootable device' "$WORK/seabios-256k-4g.log" 2>/dev/null; then
	check seabios-256k-4g e820-high-ram \
		'0000000100000000 - 0000000140000000 = 1 RAM'
	check seabios-256k-4g e820-low-ram-ends-at-hole \
		'0000000100000 - 00000000bffff000 = 1 RAM'
fi
