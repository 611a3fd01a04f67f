#!/usr/bin/env bash
# PIO exit round trip: microseconds per OUT to port 0x80 (a port both
# hvmkit-hypervisor and QEMU handle in user space), for hvmkit and for
# Debian's qemu-system-x86_64 on the same /dev/kvm in the same run.
#
# Each VMM runs the same guest image twice: bench-pio (N exits then the
# test-exit port) and bench-null (test exit only).  The per-exit cost is
# (t_pio - t_null) / N, so process start-up and VM creation cancel out.
# Each measurement is the best of REPEAT runs.
#
# Usage: bench/pio-exit.sh [--rig]     (--rig: run inside tests/rig/rig-run)
# Environment: BUILD (build tree, default build), REPEAT (default 5).
# N is fixed at build time (make BENCH_PIO_EXITS=..., default 100000).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
REPEAT=${REPEAT:-5}

if [ "${1:-}" = --rig ]; then
	exec env RIG_PASS_ENV="BUILD REPEAT" BUILD="$BUILD" REPEAT="$REPEAT" \
		"$TOP"/tests/rig/rig-run --timeout 1200 -- "$TOP/bench/pio-exit.sh"
fi

HV=$BUILD/hvmkit-hypervisor
PIO=$BUILD/tests/guests/bench-pio.bin
NULL=$BUILD/tests/guests/bench-null.bin
QEMU=$(command -v qemu-system-x86_64) || {
	echo "pio-exit: qemu-system-x86_64 not found (scripts/setup-deps.sh installs it)" >&2
	exit 1
}
for f in "$HV" "$PIO" "$NULL"; do
	[ -e "$f" ] || { echo "pio-exit: $f missing: run make first" >&2; exit 1; }
done
# The exit count the guest was built with.
N=$(sed -n 's/^BENCH_PIO_EXITS ?= //p' "$TOP/Makefile")
N=${BENCH_PIO_EXITS:-$N}

hvmkit_run() { "$HV" -q -f "$1" >/dev/null; }
# QEMU's isa-debug-exit turns the guest's 0 into status 1.
qemu_run() {
	"$QEMU" -accel kvm -machine pc -m 128 -display none -nodefaults \
		-no-user-config -bios "$1" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 >/dev/null 2>&1
	[ $? -eq 1 ]
}

# best_ns CMD IMAGE: fastest of REPEAT runs, in nanoseconds.
best_ns() {
	local best= i t0 t1
	for ((i = 0; i < REPEAT; i++)); do
		t0=$(date +%s%N)
		"$1" "$2" || { echo "pio-exit: $1 $2 failed" >&2; exit 1; }
		t1=$(date +%s%N)
		if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then
			best=$((t1 - t0))
		fi
	done
	echo "$best"
}

per_exit_us() { # PIO_NS NULL_NS -> microseconds per exit, 3 decimals
	awk -v p="$1" -v z="$2" -v n="$N" 'BEGIN { printf "%.3f", (p - z) / n / 1000 }'
}

hv_pio=$(best_ns hvmkit_run "$PIO")
hv_null=$(best_ns hvmkit_run "$NULL")
q_pio=$(best_ns qemu_run "$PIO")
q_null=$(best_ns qemu_run "$NULL")
hv=$(per_exit_us "$hv_pio" "$hv_null")
q=$(per_exit_us "$q_pio" "$q_null")

where="local /dev/kvm"
[ "${RIG_INSIDE:-0}" = 1 ] && where="nested rig (L2 under kvm_amd in TCG)"
[ -d /sys/module/kvm_pvm ] && where="$where, software KVM (kvm_pvm)"
echo "PIO exit round trip, port 0x80, $N exits, best of $REPEAT, $where"
printf "  %-34s %10s us/exit   (start-up %s ms)\n" \
	"hvmkit-hypervisor (in-process)" "$hv" "$((hv_null / 1000000))"
printf "  %-34s %10s us/exit   (start-up %s ms)\n" \
	"qemu-system-x86_64 $("$QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')" \
	"$q" "$((q_null / 1000000))"
awk -v a="$hv" -v b="$q" 'BEGIN { if (b > 0) printf "  ratio hvmkit/qemu: %.2f\n", a / b }'
