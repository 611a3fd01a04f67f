#!/usr/bin/env bash
# The README's demo command: installs missing Debian packages, configures,
# builds, and boots the demo guests on /dev/kvm.
#
# The main demo boots Debian's Linux kernel with a busybox initramfs twice:
# by direct kernel boot (Debian's SeaBIOS POSTs on hvmkit's PC platform and
# runs hvmkit's option ROM, which starts the kernel), then from an IDE disk
# image (SeaBIOS boots syslinux from the MBR disk tests/disk/mkguest.sh
# builds without root, which loads the same kernel; its initramfs carries
# ata_piix).  The guest's /init reports what it found (ACPI tables, PCI
# devices, interrupts, the RTC's date, the disk and its DMA mode) on COM1
# and powers off.  An OS kernel needs hardware-speed KVM: when the local
# /dev/kvm is the software kvm_pvm of the development machines, the demo
# runs both inside the nested rig (tests/rig/) and says so.  Before that,
# three tiny guests: real mode to long mode, INIT-SIPI on 2 vCPUs, and a
# domain created with the hvmkit command whose guest echoes what it reads
# on its emulated 16550A.
#
# scripts/demo.sh --linux-only KERNEL: only the two Linux boots, with what
# the build left (the rig runs this part).
set -eu
cd "$(dirname "$0")/.."
HV=build/hvmkit-hypervisor
BIOS=/usr/share/seabios/bios-256k.bin

# The two Linux boots.  The IDE disk is a writable copy (in the rig only
# /tmp is writable).  In the rig the hypervisor (and the device model it
# starts) keep to one L1 CPU: an L2 vCPU thread that moves between the
# emulated L1 CPUs makes SeaBIOS + syslinux boots reset or hang at random.
linux_boots() {
	local pin=() disk
	[ "${RIG_INSIDE:-0}" = 1 ] && pin=(taskset -c 1)
	echo "== hvmkit-hypervisor ${linux[*]:1}"
	"${pin[@]}" "${linux[@]}"
	echo "== the Linux guest powered off (status 0)"
	disk=$(mktemp "${TMPDIR:-/tmp}/hvmkit-demo-disk.XXXXXX")
	cp --sparse=always build/ide-guest/disk-demo.img "$disk"
	echo "== hvmkit-hypervisor ${ide[*]:1} --disk format=raw,vdev=hda,access=rw,target=$disk"
	"${pin[@]}" "${ide[@]}" \
		--disk "format=raw,vdev=hda,access=rw,target=$disk" ||
		{ rm -f "$disk"; return 1; }
	rm -f "$disk"
}
if [ "${1:-}" = --linux-only ]; then
	kernel=$2
else
	kernel=$(tests/rig/rig-run --print-kernel)
fi
initrd=build/linux-guest/initrd.gz
linux=("$PWD/$HV" -f "$BIOS" -m 256M -c 2
       --kernel "$kernel" --initrd "$PWD/$initrd"
       --append "console=ttyS0 quiet hvmkit.action=poweroff"
       --serial stdio)
ide=("$PWD/$HV" -f "$BIOS" -m 256M -c 2 --boot c --serial stdio)
if [ "${1:-}" = --linux-only ]; then
	linux_boots
	exit
fi
scripts/setup-deps.sh
./configure >/dev/null
make -j"$(nproc)" all >/dev/null
echo "== hvmkit-hypervisor -f build/tests/guests/longmode.bin"
"$HV" -f build/tests/guests/longmode.bin
echo "== hvmkit-hypervisor --vcpus 2 -f build/tests/guests/smp.bin"
"$HV" --vcpus 2 -f build/tests/guests/smp.bin

# A domain managed by the hvmkit command, its console on a Unix socket.
export HVMKIT_RUNDIR
work=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-demo.XXXXXX")
HVMKIT_RUNDIR=$work/run
trap 'build/hvmkit destroy uart-echo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
sock=$work/com1.sock
echo "== hvmkit create examples/uart-echo.cfg serial='unix:$sock'"
build/hvmkit create examples/uart-echo.cfg "serial=\"unix:$sock\""
build/hvmkit list
echo "== typing 'hello from the host.' on its serial port"
python3 - "$sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(30)
buf = b""
while b"echo ready" not in buf:
    buf += s.recv(256)
s.sendall(b"hello from the host.")
echo = b""
while not echo.endswith(b"."):
    chunk = s.recv(256)
    if not chunk:
        break
    echo += chunk
print("guest echoed: " + echo.decode(errors="replace").strip())
PY
# The guest ends itself after the '.'; the domain then disappears.
for _ in $(seq 50); do
	build/hvmkit list | grep -q uart-echo || break
	sleep 0.1
done
build/hvmkit list

# Linux by direct kernel boot, then from the IDE disk image.
mkdir -p build/linux-guest
tests/linux/mkinitramfs.sh "$initrd"
tests/disk/mkguest.sh
if [ -d /sys/module/kvm_pvm ]; then
	echo "(this host's /dev/kvm is the software kvm_pvm, too slow for a"
	echo " kernel: running the Linux guests inside the nested rig,"
	echo " tests/rig/rig-run)"
	tests/rig/rig-run --timeout 900 -- scripts/demo.sh --linux-only "$kernel"
else
	linux_boots
fi
echo "== the Linux guest powered off (status 0); all demo guests reported success"
