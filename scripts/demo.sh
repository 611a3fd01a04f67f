#!/usr/bin/env bash
# The README's demo command: installs missing Debian packages, configures,
# builds, and boots the demo guests on /dev/kvm.
#
# The main demo boots Debian's Linux kernel with a busybox initramfs by
# direct kernel boot: Debian's SeaBIOS POSTs on hvmkit's PC platform and
# runs hvmkit's option ROM, which starts the kernel; the guest's /init
# reports what it found (ACPI tables, PCI devices, interrupts, the RTC's
# date) on COM1 and powers off.  An OS kernel needs hardware-speed KVM:
# when the local /dev/kvm is the software kvm_pvm of the development
# machines, the demo runs it inside the nested rig (tests/rig/) and says
# so.  Before that, three tiny guests: real mode to long mode, INIT-SIPI on
# 2 vCPUs, and a domain created with the hvmkit command whose guest echoes
# what it reads on its emulated 16550A.
set -eu
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
./configure >/dev/null
make -j"$(nproc)" all >/dev/null
HV=build/hvmkit-hypervisor
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

# Linux by direct kernel boot.
kernel=$(tests/rig/rig-run --print-kernel)
initrd=build/linux-guest/initrd.gz
mkdir -p build/linux-guest
tests/linux/mkinitramfs.sh "$initrd"
linux=("$PWD/$HV" -f /usr/share/seabios/bios-256k.bin -m 256M -c 2
       --kernel "$kernel" --initrd "$PWD/$initrd"
       --append "console=ttyS0 quiet hvmkit.action=poweroff"
       --serial stdio)
echo "== hvmkit-hypervisor ${linux[*]:1}"
if [ -d /sys/module/kvm_pvm ]; then
	echo "(this host's /dev/kvm is the software kvm_pvm, too slow for a"
	echo " kernel: running it inside the nested rig, tests/rig/rig-run)"
	tests/rig/rig-run --timeout 600 -- "${linux[@]}"
else
	"${linux[@]}"
fi
echo "== the Linux guest powered off (status 0); all demo guests reported success"
