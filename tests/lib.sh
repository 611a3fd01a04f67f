# Shared helpers for hvmkit's shell test suites (sourced, not executed).
#
# Every suite prints one line per test case:
#   PASS: name
#   FAIL: name: why
#   SKIP: name: why
# tests/run-all.sh counts these lines across suites.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PREFIX=${PREFIX:-}

pass() { echo "PASS: $PREFIX$1"; }
fail() { echo "FAIL: $PREFIX$1: $2"; }
skip() { echo "SKIP: $PREFIX$1: $2"; }

# Prints why the local /dev/kvm cannot run the tiny guests, or nothing.
kvm_unusable_reason() {
	if [ ! -e /dev/kvm ]; then
		echo "/dev/kvm does not exist on this host"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm is not accessible to $(id -un)"
	fi
}

# True when /dev/kvm is the instruction-emulating software KVM ("kvm-pvm")
# of the development machines, which cannot emulate protected-mode
# exception delivery or IRET.
kvm_is_software() {
	[ -d /sys/module/kvm_pvm ]
}
