#!/usr/bin/env bash
# Runs the tiny test guests on /dev/kvm through hvmkit-hypervisor and
# reports one PASS/FAIL/SKIP line per case.  Used on the local /dev/kvm
# and, unchanged, inside the nested rig (tests/rig/rig-run).
#
# Environment: BUILD (build tree, default build), PREFIX (test-name
# prefix such as "rig/"), GUEST_TIMEOUT (seconds per guest, default 120:
# a hang guard, not a performance bound).
set -u
. "$(dirname "$0")/lib.sh"

HV=$BUILD/hvmkit-hypervisor
GUESTS=$BUILD/tests/guests
GUEST_TIMEOUT=${GUEST_TIMEOUT:-120}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-guests.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

run_guest realmode-debugcon 0 '^hello from real mode$' realmode-hello
run_guest exit-status-passthrough 42 '^exiting with 42$' exit-status
run_guest longmode 0 'long mode: EFER.LMA set, 64-bit ok' longmode
run_guest pit-through-pic 0 'got 20 PIT interrupts through the PIC' pit-pic
run_guest pit-through-ioapic 0 'got 20 PIT interrupts through the IOAPIC' \
	pit-ioapic
run_guest smp-2-vcpus-init-sipi 0 'all APs started' smp -c 2
run_guest smp-4-vcpus-init-sipi 0 'all APs started' smp -c 4
# With one vCPU the guest must see one CPU in CPUID (its status 0x51).
run_guest smp-1-vcpu-topology 81 'fewer than 2 CPUs' smp -c 1
run_guest msr-cpuid-policy 0 'MSR and CPUID policy as expected' msr-cpuid
run_guest unclaimed-io-and-rom 0 'ROM is read-only; shadow and RAM ok' io-unclaimed \
	--stats
if grep -q '^stats: pio accesses [0-9]* unclaimed-reads 19 unclaimed-writes 17$' \
	"$WORK/unclaimed-io-and-rom.out" &&
   grep -q '^stats: mmio accesses [0-9]* unclaimed-reads 5 unclaimed-writes 2$' \
	"$WORK/unclaimed-io-and-rom.out"; then
	pass unclaimed-access-counters
else
	fail unclaimed-access-counters "counters differ from 19/17 PIO, 5/2 MMIO: $(grep '^stats:' "$WORK/unclaimed-io-and-rom.out" | tr '\n' '|')"
fi

# on_crash=preserve: the crashed guest is kept (state "crashed" on the
# control socket) until a hard reset, after which the triple-fault guest's
# second boot ends the run with status 0.
preserve_test() {
	local out=$WORK/preserve.out sock=$WORK/preserve.sock pid i rc state=
	"$HV" -f "$GUESTS/triple-fault.bin" --on-crash=preserve \
		--control-socket "$sock" >"$out" 2>&1 &
	pid=$!
	for ((i = 0; i < GUEST_TIMEOUT * 10; i++)); do
		state=$("$TOP"/tests/domctl.py "$sock" info 2>/dev/null |
			sed -n 's/^state=//p')
		[ "$state" = crashed ] && break
		sleep 0.1
	done
	if [ "$state" != crashed ]; then
		fail triple-fault-preserved "state '$state', expected crashed: $(tail3 "$out")"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	pass triple-fault-preserved
	if ! "$TOP"/tests/domctl.py "$sock" unpause >/dev/null; then
		pass triple-fault-preserved-refuses-unpause
	else
		fail triple-fault-preserved-refuses-unpause "unpause of a crashed guest answered ok"
	fi
	"$TOP"/tests/domctl.py "$sock" reset >/dev/null
	wait_exit "$pid"
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'second boot after reset' "$out"; then
		pass triple-fault-preserved-then-reset
	else
		fail triple-fault-preserved-then-reset "status $rc: $(tail3 "$out")"
	fi
}

if kvm_is_software; then
	why="this host's software KVM (kvm_pvm) cannot emulate protected-mode exception delivery; covered in the rig"
	skip triple-fault-stop "$why"
	skip triple-fault-reset "$why"
	skip triple-fault-preserved "$why"
else
	run_guest triple-fault-stop 3 'first boot: triple-faulting' \
		triple-fault
	run_guest triple-fault-reset 0 'second boot after reset' \
		triple-fault --on-triple-fault=reset --stats
	if grep -q '^stats: resets 1$' "$WORK/triple-fault-reset.out"; then
		pass triple-fault-reset-counted
	else
		fail triple-fault-reset-counted "--stats does not report exactly 1 reset"
	fi
	preserve_test
fi

# cpu_ticks PID COMM: user+system clock ticks of the thread named COMM.
cpu_ticks() {
	local t
	for t in /proc/"$1"/task/*; do
		if [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ]; then
			# Fields 14 and 15 of stat, after the ")" that ends comm.
			sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }'
			return 0
		fi
	done
	return 1
}

# wait_for FILE REGEX: wait (hang guard only) until REGEX shows up in FILE.
wait_for() {
	local i
	for ((i = 0; i < GUEST_TIMEOUT * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# start_halted TEST OUT [HV ARGS...]: starts the hlt-idle guest in the
# background, waits until it halts and sets HALTED_PID; on failure reports
# TEST as failed and returns 1.
start_halted() {
	local test=$1 out=$2
	shift 2
	"$HV" -f "$GUESTS/hlt-idle.bin" "$@" >"$out" 2>&1 &
	HALTED_PID=$!
	if ! wait_for "$out" '^halting$'; then
		kill -9 "$HALTED_PID" 2>/dev/null
		fail "$test" "guest never reached HLT"
		return 1
	fi
}

# expect_signal_stop TEST PID SIGNAL STATUS: the signal must end the
# process in order, with STATUS.
expect_signal_stop() {
	local rc
	kill -"$3" "$2"
	wait "$2"
	rc=$?
	if [ $rc -eq "$4" ] && ! kill -0 "$2" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "status $rc, expected $4"
	fi
}

# HLT must put the vCPU thread to sleep: over one second of a halted
# guest the thread may use at most half a second of CPU (a spinning vCPU
# uses all of it).  Then SIGTERM must stop it in order (status 128+15).
hlt_test() {
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	start_halted hlt-idles "$WORK/hlt.out" || return
	sleep 0.2
	t0=$(cpu_ticks "$HALTED_PID" vcpu0)
	sleep 1
	t1=$(cpu_ticks "$HALTED_PID" vcpu0)
	if [ -z "$t0" ] || [ -z "$t1" ]; then
		fail hlt-idles "no vcpu0 thread found"
	elif [ $((t1 - t0)) -gt $((hz / 2)) ]; then
		fail hlt-idles "halted vCPU used $((t1 - t0)) of $hz ticks in 1 s"
	else
		pass hlt-idles
	fi
	expect_signal_stop sigterm-orderly-stop "$HALTED_PID" TERM 143
}
hlt_test

# SIGINT stops a 2-vCPU guest in order too (status 128+2).
if start_halted sigint-orderly-stop "$WORK/sigint.out" -c 2; then
	expect_signal_stop sigint-orderly-stop "$HALTED_PID" INT 130
fi
