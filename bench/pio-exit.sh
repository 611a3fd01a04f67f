#!/usr/bin/env bash
# Exit round trips, hvmkit against Debian's qemu-system-x86_64 on the same
# /dev/kvm in the same run, in microseconds per exit:
#
#   (a) OUT to port 0x80, handled inside hvmkit-hypervisor    (bench-pio)
#   (b) OUT to port 0xe0, handled by hvmkit-devmodel's testdev over the
#       ioreq transport                                       (bench-dm-pio)
#   (c) OUT to port 0x80, handled by QEMU in user space       (bench-pio)
#   (d) OUT to port 0xe0, QEMU's pc-testdev                   (bench-dm-pio)
#   (e) 32-bit MMIO write to 0xff000000, hvmkit-devmodel's testdev
#                                                             (bench-mmio)
#   (f) the same MMIO write, QEMU's pc-testdev iomem          (bench-mmio)
#
# Each configuration runs its guest image and bench-null (test exit only)
# with the same command line; the per-exit cost is (t_guest - t_null) / N,
# so process start-up and VM creation cancel out.  Each measurement is the
# best of REPEAT runs.  (d) and (f) are left out if this QEMU has no
# pc-testdev.
#
# Usage: bench/pio-exit.sh [--rig]     (--rig: run inside tests/rig/rig-run)
# Environment: BUILD (build tree, default build), REPEAT (default 5).
# N is fixed at build time (make BENCH_PIO_EXITS=..., default 100000).
# The runner functions are called through best_ns:
# shellcheck disable=SC2317
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
REPEAT=${REPEAT:-5}

if [ "${1:-}" = --rig ]; then
	exec env RIG_PASS_ENV="BUILD REPEAT" BUILD="$BUILD" REPEAT="$REPEAT" \
		"$TOP"/tests/rig/rig-run --timeout 1800 -- "$TOP/bench/pio-exit.sh"
fi

HV=$BUILD/hvmkit-hypervisor
DM=$BUILD/hvmkit-devmodel
GUESTS=$BUILD/tests/guests
PIO=$GUESTS/bench-pio.bin
DM_PIO=$GUESTS/bench-dm-pio.bin
MMIO=$GUESTS/bench-mmio.bin
NULL=$GUESTS/bench-null.bin
QEMU=$(command -v qemu-system-x86_64) || {
	echo "pio-exit: qemu-system-x86_64 not found (scripts/setup-deps.sh installs it)" >&2
	exit 1
}
for f in "$HV" "$DM" "$PIO" "$DM_PIO" "$MMIO" "$NULL"; do
	[ -e "$f" ] || { echo "pio-exit: $f missing: run make first" >&2; exit 1; }
done
# The exit count the guests were built with.
N=$(sed -n 's/^BENCH_PIO_EXITS ?= //p' "$TOP/Makefile")
N=${BENCH_PIO_EXITS:-$N}

# Results, set by best_ns and per_exit_us.
hv_null='' td_null='' q_null='' qt_null='' a='' b='' c='' d='' e='' f=''

hvmkit_run() { "$HV" -q -f "$1" >/dev/null; }
hvmkit_testdev_run() {
	"$HV" -q -f "$1" --dm-arg=--device=testdev >/dev/null
}
# QEMU's isa-debug-exit turns the guest's 0 into status 1.
qemu_run() {
	"$QEMU" -accel kvm -machine pc -m 128 -display none -nodefaults \
		-no-user-config -bios "$1" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 "${@:2}" \
		>/dev/null 2>&1
	[ $? -eq 1 ]
}
qemu_testdev_run() { qemu_run "$1" -device pc-testdev; }

# best_ns VAR CMD IMAGE: VAR = fastest of REPEAT runs, in nanoseconds
# (in this shell, so that a failed run ends the script).
best_ns() {
	local best='' i t0 t1
	for ((i = 0; i < REPEAT; i++)); do
		t0=$(date +%s%N)
		"$2" "$3" || { echo "pio-exit: $2 $3 failed" >&2; exit 1; }
		t1=$(date +%s%N)
		if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then
			best=$((t1 - t0))
		fi
	done
	printf -v "$1" %s "$best"
}

# per_exit_us VAR CMD IMAGE NULL_NS: VAR = microseconds per exit of IMAGE
# (3 decimals) over the NULL_NS baseline of the same command.
per_exit_us() {
	local t
	best_ns t "$2" "$3"
	printf -v "$1" %s "$(awk -v p="$t" -v z="$4" -v n="$N" \
		'BEGIN { printf "%.3f", (p - z) / n / 1000 }')"
}

ratio() { # LABEL A B
	awk -v l="$1" -v a="$2" -v b="$3" \
		'BEGIN { if (b > 0) printf "  ratio %-44s %6.2f\n", l ":", a / b }'
}

qemu_has_testdev=0
"$QEMU" -device help 2>/dev/null | grep -q '"pc-testdev"' && qemu_has_testdev=1

best_ns hv_null hvmkit_run "$NULL"
per_exit_us a hvmkit_run "$PIO" "$hv_null"
best_ns td_null hvmkit_testdev_run "$NULL"
per_exit_us b hvmkit_testdev_run "$DM_PIO" "$td_null"
per_exit_us e hvmkit_testdev_run "$MMIO" "$td_null"
best_ns q_null qemu_run "$NULL"
per_exit_us c qemu_run "$PIO" "$q_null"
if [ $qemu_has_testdev = 1 ]; then
	best_ns qt_null qemu_testdev_run "$NULL"
	per_exit_us d qemu_testdev_run "$DM_PIO" "$qt_null"
	per_exit_us f qemu_testdev_run "$MMIO" "$qt_null"
fi

where="local /dev/kvm"
[ "${RIG_INSIDE:-0}" = 1 ] && where="nested rig (L2 under kvm_amd in TCG)"
[ -d /sys/module/kvm_pvm ] && where="$where, software KVM (kvm_pvm)"
qv=$("$QEMU" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
row() { printf "  %-48s %10s us/exit\n" "$1" "$2"; }
echo "Exit round trips, $N exits each, best of $REPEAT, $where"
row "(a) PIO 0x80, hvmkit-hypervisor (in-process)" "$a"
row "(b) PIO 0xe0, hvmkit-devmodel testdev (ioreq)" "$b"
row "(c) PIO 0x80, qemu-system-x86_64 $qv" "$c"
[ $qemu_has_testdev = 1 ] && row "(d) PIO 0xe0, qemu pc-testdev" "$d"
row "(e) MMIO 0xff000000, hvmkit-devmodel testdev" "$e"
[ $qemu_has_testdev = 1 ] && row "(f) MMIO 0xff000000, qemu pc-testdev" "$f"
printf "  start-up: hvmkit %s ms, hvmkit+testdev %s ms, qemu %s ms\n" \
	"$((hv_null / 1000000))" "$((td_null / 1000000))" \
	"$((q_null / 1000000))"
ratio "hvmkit/qemu, port 0x80 (a/c)" "$a" "$c"
ratio "device model/qemu (b/c)" "$b" "$c"
ratio "device model/in-hypervisor (b/a)" "$b" "$a"
[ $qemu_has_testdev = 1 ] &&
	ratio "device model/qemu pc-testdev, PIO (b/d)" "$b" "$d"
[ $qemu_has_testdev = 1 ] &&
	ratio "MMIO hvmkit/qemu pc-testdev (e/f)" "$e" "$f"
exit 0
