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

# The last 3 lines of a file on one line, for failure messages.
tail3() { tail -n 3 "$1" | tr '\n' '|'; }

# run_guest NAME EXPECTED_STATUS EXPECTED_OUTPUT_REGEX GUEST [HV ARGS...]
# Runs $GUESTS/GUEST.bin under $HV (output in $WORK/NAME.out) and checks
# the exit status, the output, and that a guest expected to succeed did not
# print a FAIL line.  Needs HV, GUESTS, WORK and GUEST_TIMEOUT.
run_guest() {
	local name=$1 want=$2 regex=$3 guest=$4
	shift 4
	local out=$WORK/$name.out rc
	timeout -k 5 "$GUEST_TIMEOUT" "$HV" -f "$GUESTS/$guest.bin" "$@" \
		>"$out" 2>&1
	rc=$?
	if [ $rc -eq 124 ]; then
		fail "$name" "guest did not finish within ${GUEST_TIMEOUT}s"
	elif [ $rc -ne "$want" ]; then
		fail "$name" "exit status $rc, expected $want: $(tail3 "$out")"
	elif ! grep -Eq -e "$regex" "$out"; then
		fail "$name" "output lacks /$regex/: $(tail3 "$out")"
	elif [ "$want" -eq 0 ] && grep -q '^FAIL' "$out"; then
		fail "$name" "the guest reported: $(grep '^FAIL' "$out" | head -n 1)"
	else
		pass "$name"
	fi
}

# wait_exit PID: waits for background job PID to end (SIGKILL after
# GUEST_TIMEOUT seconds, a hang guard only) and returns its exit status.
wait_exit() {
	local i
	for ((i = 0; i < GUEST_TIMEOUT * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1"
}
