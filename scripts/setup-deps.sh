#!/bin/bash
# setup-deps.sh: install the Debian 12 (bookworm) packages hvmkit needs to
# build and test.  Does nothing (and never touches apt) when every package is
# already installed.  Run as root when something is missing.
#
#   scripts/setup-deps.sh           install whatever is missing
#   scripts/setup-deps.sh --print   print the package list and exit
#   scripts/setup-deps.sh --help
set -euo pipefail

# The one list of packages.  Keep configure's "install the Debian package ..."
# hints in sync with the library and test groups.
PACKAGES=(
	# build: compiler, make, libc/kernel headers (linux/kvm.h), GNU as/ld
	build-essential pkg-config binutils
	# libraries: display, block I/O, VNC, user-mode networking, sandboxing
	libsdl2-dev libpixman-1-dev libaio-dev libvncserver-dev libslirp-dev
	libseccomp-dev
	# tests: unit tests, libFuzzer and sanitizers (clang 14 on Debian 12;
	# libclang_rt.fuzzer-x86_64.a and the sanitizer runtimes live in
	# libclang-rt-14-dev), test scripts
	libcmocka-dev clang libclang-rt-14-dev python3
	# rig and benchmark: reference VMM, initramfs userland and tools
	qemu-system-x86 busybox-static cpio kmod
	# firmware: SeaBIOS and OVMF images the guests boot, iasl for the DSDT
	seabios ovmf acpica-tools
	# disk images: the IDE tests' bootable MBR disk (syslinux, FAT, sfdisk)
	# and El Torito CD (isolinux, xorriso), made without root
	syslinux isolinux syslinux-common mtools dosfstools xorriso fdisk
)

prog=${0##*/}

usage() {
	cat <<USAGE
Usage: $prog [--print | --help]

Installs the Debian 12 packages needed to build and test hvmkit, using
apt-get non-interactively, but only if some of them are missing.

  --print   print the package names (one line, space-separated) and exit
  --help    show this help and exit

Packages: ${PACKAGES[*]}
USAGE
}

case $# in
0) ;;
1)
	case $1 in
	--print) echo "${PACKAGES[*]}"; exit 0 ;;
	--help|-h) usage; exit 0 ;;
	*) echo "$prog: error: unknown option '$1' (see --help)" >&2; exit 1 ;;
	esac
	;;
*) echo "$prog: error: too many arguments (see --help)" >&2; exit 1 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [ "$status" != "install ok installed" ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-deps: all packages present"
	exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-deps: error: must be root to install the missing packages ${missing[*]} (run 'sudo $0', or as root: $install_cmd)" >&2
	exit 1
fi

echo "setup-deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update; then
	echo "setup-deps: error: 'apt-get update' failed (see the output above)" >&2
	exit 1
fi
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	echo "setup-deps: error: 'apt-get install -y --no-install-recommends ${missing[*]}' failed (see the output above)" >&2
	exit 1
fi
echo "setup-deps: done"
