#!/usr/bin/env bash
# The README's demo command: installs missing Debian packages, configures,
# builds, and boots the demo guests on /dev/kvm.
#
# Today's demo guests are the project's tiny guests: one that walks from
# real mode to 64-bit long mode, one that starts its application processors
# with INIT-SIPI on 2 vCPUs, and a domain created with the hvmkit command
# whose guest echoes (upper-cased) what it reads on its emulated 16550A
# serial port, which lives in the separate device-model process.
# Operating-system guests follow with the PC platform (issue 4).
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
trap 'build/hvmkit destroy uart-echo >/dev/null 2>&1; rm -rf "$work"' EXIT
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
echo "== all demo guests reported success"
