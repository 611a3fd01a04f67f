#!/usr/bin/env bash
# The README's demo command: installs missing Debian packages, configures,
# builds, and boots the demo guests on /dev/kvm with hvmkit-hypervisor.
#
# Today's demo guests are the project's tiny guests: one that walks from
# real mode to 64-bit long mode, and one that starts its application
# processors with INIT-SIPI on 2 vCPUs.  Operating-system guests follow
# with the device model and platform (see docs/architecture.md).
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
echo "== both guests reported success"
