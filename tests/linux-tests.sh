#!/usr/bin/env bash
# A distribution Linux kernel with a busybox initramfs (tests/linux/) boots
# on hvmkit by direct kernel boot (SeaBIOS runs hvmkit's option ROM), with
# 1 and 2 vCPUs.  Inside, /init reports what the kernel found on the serial
# console; the test checks ACPI (FADT, MADT, DSDT, no ACPI errors), the PCI
# functions, the CPU count, the timer and serial interrupts, the RTC's date
# against the host's, and that poweroff ends the domain with status 0 and
# reboot boots it again.  Needs a hardware-speed /dev/kvm: run inside the
# nested rig (tests/run-all.sh does).
#
# Environment: BUILD, PREFIX, LINUX_KERNEL (bzImage), LINUX_INITRD (from
# tests/linux/mkinitramfs.sh), GUEST_TIMEOUT (seconds per boot, default
# 300: a hang guard only).
set -u
. "$(dirname "$0")/lib.sh"

HV=$BUILD/hvmkit-hypervisor
GUEST_TIMEOUT=${GUEST_TIMEOUT:-300}
BIOS=${SEABIOS_DIR:-/usr/share/seabios}/bios-256k.bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-linux.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [ -z "${LINUX_KERNEL:-}" ] || [ ! -r "${LINUX_KERNEL:-}" ] ||
   [ -z "${LINUX_INITRD:-}" ] || [ ! -r "${LINUX_INITRD:-}" ]; then
	skip linux "LINUX_KERNEL/LINUX_INITRD not set or not readable (tests/run-all.sh sets them for the rig)"
	exit 0
fi

# boot NAME VCPUS ACTION: one domain; serial output in $WORK/NAME.serial.
boot() {
	local name=$1 vcpus=$2 action=$3
	timeout -k 5 "$GUEST_TIMEOUT" "$HV" -f "$BIOS" -m 256M -c "$vcpus" \
		--kernel "$LINUX_KERNEL" --initrd "$LINUX_INITRD" \
		--append "console=ttyS0 panic=-1 hvmkit.action=$action" \
		--serial "file:$WORK/$name.serial" -d "$WORK/$name.log" \
		>"$WORK/$name.out" 2>&1
	local rc=$?
	# The guest's tty writes CR LF.
	[ -f "$WORK/$name.serial" ] &&
		sed -i 's/\r$//' "$WORK/$name.serial"
	return $rc
}

# has NAME WHAT REGEX: the serial output of NAME has a line matching REGEX.
has() {
	if grep -Eq -e "$3" "$WORK/$1.serial" 2>/dev/null; then
		pass "$1/$2"
	else
		fail "$1/$2" "serial output lacks /$3/: $(grep CHECK "$WORK/$1.serial" 2>/dev/null | tr '\n' '|' | tail -c 400)"
	fi
}

linux_case() {
	local name=$1 vcpus=$2 rc now rtc
	boot "$name" "$vcpus" poweroff
	rc=$?
	now=$(date +%s)
	if [ $rc -ne 0 ]; then
		fail "$name/poweroff-status-0" "exit status $rc: $(tail3 "$WORK/$name.out") serial: $(tail -n 5 "$WORK/$name.serial" 2>/dev/null | tr '\n' '|')"
		return
	fi
	pass "$name/poweroff-status-0"
	has "$name" reached-init '^CHECK done'
	has "$name" acpi-fadt '^CHECK acpi-table FACP'
	has "$name" acpi-madt '^CHECK acpi-table APIC'
	has "$name" acpi-dsdt '^CHECK acpi-table DSDT'
	has "$name" no-acpi-errors '^CHECK acpi-errors 0$'
	has "$name" pci-i440fx '^CHECK pci 0000:00:00\.0 0x8086:0x1237$'
	has "$name" pci-piix3 '^CHECK pci 0000:00:01\.0 0x8086:0x7000$'
	has "$name" pci-piix4-pm '^CHECK pci 0000:00:01\.3 0x8086:0x7113$'
	has "$name" cpus "^CHECK cpus $vcpus\$"
	has "$name" timer-irq '^CHECK irq +(0|LOC):( +[0-9]+)* +[1-9][0-9]* '
	has "$name" serial-irq '^CHECK irq +4:.*ttyS0'
	# The RTC holds the host's date (UTC): the guest read it before the
	# domain ended, so it lies between the run's start and its end.
	rtc=$(sed -n 's/^CHECK rtc \([0-9][0-9]*\).*/\1/p' "$WORK/$name.serial")
	if [ -n "$rtc" ] && [ "$rtc" -le "$now" ] &&
	   [ "$rtc" -ge $((now - GUEST_TIMEOUT - 5)) ]; then
		pass "$name/rtc-host-date"
	else
		fail "$name/rtc-host-date" "guest RTC '$rtc', host $now"
	fi
}

linux_case linux-1cpu 1
linux_case linux-2cpu 2

# reboot in the guest: the domain restarts (on_reboot=restart), the second
# boot sees the CMOS mark of the first and powers off.
boot linux-reboot 1 reboot
rc=$?
boots=$(grep -c '^CHECK boot ' "$WORK/linux-reboot.serial" 2>/dev/null)
if [ $rc -eq 0 ] && grep -q '^CHECK boot first' "$WORK/linux-reboot.serial" &&
   grep -q '^CHECK boot second' "$WORK/linux-reboot.serial"; then
	pass linux-reboot/boots-again
else
	fail linux-reboot/boots-again "status $rc, $boots boot(s): $(grep CHECK "$WORK/linux-reboot.serial" 2>/dev/null | grep boot | tr '\n' '|') $(tail3 "$WORK/linux-reboot.out")"
fi
