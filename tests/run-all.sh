#!/usr/bin/env bash
# Runs every hvmkit test suite and ends with one summary line:
#   N passed, N failed, N skipped
# Suites: cmocka unit tests, the fuzz targets for a bounded time, bad-input
# tests, the tiny guests, the device model and SeaBIOS on the local
# /dev/kvm, and the same inside the nested rig plus a Linux guest booted
# by direct kernel boot and from IDE disk and CD images.
#
# Environment: BUILD (build tree), HVMKIT_SKIP_RIG=1 to leave the rig out
# (it is then counted as skipped, with the reason).
set -u
. "$(dirname "$0")/lib.sh"

LOG=$BUILD/test-results.log
mkdir -p "$BUILD"
: >"$LOG"

# Each suite's output goes to the terminal and the log; counting happens
# over the log at the end.
run_suite() {
	echo "== $1"
	shift
	"$@" 2>&1 | tee -a "$LOG"
}

unit_tests_prefixed() { UNIT_PREFIX=$PREFIX unit_tests; }

unit_tests() {
	local t found=0
	for t in "$BUILD"/tests/unit/test-*; do
		[ -x "$t" ] || continue
		found=1
		# cmocka's TAP output: "ok N - name" / "not ok N - name".
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1 |
		awk -v s="${UNIT_PREFIX:-}$(basename "$t")" '
			/^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "PASS: unit/" s "/" $0; next }
			/^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); print "FAIL: unit/" s "/" $0; next }
			/^#/ { print }'
		if [ "${PIPESTATUS[0]}" -ge 128 ]; then
			echo "FAIL: unit/$(basename "$t"): crashed or aborted"
		fi
	done
	[ $found = 1 ] ||
		echo "SKIP: ${UNIT_PREFIX:-}unit: no unit-test binaries in $BUILD/tests/unit (cmocka missing? install libcmocka-dev and rerun ./configure)"
}

# on_local_kvm NAME SCRIPT: runs tests/SCRIPT if the local /dev/kvm can run
# guests, else one SKIP line for NAME with the reason.
on_local_kvm() {
	local why
	why=$(kvm_unusable_reason)
	if [ -n "$why" ]; then
		echo "SKIP: $1: $why"
		return
	fi
	"$TOP/tests/$2"
}

# rig_suites NAME TIMEOUT SCRIPT...: one boot of the rig runs the given
# tests/ scripts.  The emulated L1 machine (QEMU TCG running kvm_amd) has
# been seen to freeze in a kernel soft lockup before the tests end;
# rig-run then kills it after TIMEOUT seconds and exits 125 (the rig
# failed, not a test).  That attempt's results are dropped and the rig is
# run again, saying so, up to four boots; a fourth rig failure is a FAIL.
# (The freeze is the rig's: trees from before the suites' latest changes
# freeze as well, and an L1 freeze stops everything in L1, per-test
# timeouts included, so it is not a test's hang.)  TIMEOUT is a hang guard a few
# times the suites' normal time, so that a frozen L1 costs little.
rig_suites() {
	local name=$1 timeout=$2 rc why cmd='' s out attempt
	shift 2
	why=$(rig_unavailable_reason)
	if [ -n "$why" ]; then
		echo "SKIP: rig/$name: $why"
		return
	fi
	for s in "$@"; do
		cmd="$cmd\"\$1\"/tests/$s; "
	done
	out=$BUILD/rig-$name.out
	for attempt in 1 2 3 4; do
		RIG_PASS_ENV="BUILD PREFIX LINUX_KERNEL LINUX_INITRD" \
		PREFIX=rig/ \
			"$TOP"/tests/rig/rig-run --timeout "$timeout" -- \
			/bin/sh -c "$cmd" sh "$TOP" >"$out" 2>&1
		rc=$?
		[ $rc -eq 125 ] && [ $attempt -lt 4 ] || break
		echo "note: the nested rig itself failed ($(grep '^rig-run:' "$out" | tail -n 1)); running it again"
	done
	cat "$out"
	if [ $rc -ne 0 ]; then
		echo "FAIL: rig/$name: rig-run exited with status $rc"
	fi
}

rig_guests() {
	rig_suites guests 300 guest-tests.sh dm-tests.sh
}

# SeaBIOS, and the Linux guest: the rig's own distribution kernel with a
# busybox initramfs built here (the repository is read-only in the rig).
rig_platform() {
	LINUX_KERNEL=$("$TOP"/tests/rig/rig-run --print-kernel 2>/dev/null)
	LINUX_INITRD=$BUILD/linux-guest/initrd.gz
	mkdir -p "$BUILD/linux-guest"
	"$TOP"/tests/linux/mkinitramfs.sh "$LINUX_INITRD" ||
		LINUX_INITRD=
	export LINUX_KERNEL LINUX_INITRD
	rig_suites platform 480 firmware-tests.sh linux-tests.sh
}

# Linux booted by SeaBIOS from IDE disk and CD images (tests/disk/),
# built here: the repository is read-only in the rig.
rig_ide() {
	if [ -z "$(rig_unavailable_reason)" ] &&
	   ! "$TOP"/tests/disk/mkguest.sh >"$BUILD/ide-guest.log" 2>&1; then
		echo "FAIL: rig/ide-images: tests/disk/mkguest.sh failed: $(tail3 "$BUILD/ide-guest.log")"
		return
	fi
	rig_suites ide 600 ide-tests.sh
}

# Prints why the nested rig cannot run here, or nothing.
rig_unavailable_reason() {
	if [ "${HVMKIT_SKIP_RIG:-0}" = 1 ]; then
		echo "HVMKIT_SKIP_RIG=1 was set"
	elif ! command -v qemu-system-x86_64 >/dev/null; then
		echo "qemu-system-x86_64 is not installed (scripts/setup-deps.sh installs it)"
	fi
}

rig_selftest() {
	local why
	why=$(rig_unavailable_reason)
	if [ -n "$why" ]; then
		echo "SKIP: rig-selftest: $why"
		return
	fi
	# selftest prints "PASS  name (Ns)" / "FAIL  name ...".
	# Each case is a trivial command that needs seconds: a frozen rig
	# is given up after 120 s rather than rig-run's default 600.
	"$TOP"/tests/rig/selftest --timeout 120 2>&1 |
		sed -E 's/^(PASS|FAIL)  +([^ ]+)(.*)$/\1: rig-selftest\/\2:\3/'
}

install_test() {
	local dest f
	dest=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-install.XXXXXX")
	if ! make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/usr >"$dest.log" 2>&1; then
		echo "FAIL: install/make-install: $(tail -n 3 "$dest.log" | tr '\n' '|')"
	else
		for f in usr/bin/hvmkit-hypervisor usr/bin/hvmkit \
			 usr/libexec/hvmkit/hvmkit-devmodel \
			 usr/share/man/man1/hvmkit-hypervisor.1 \
			 usr/share/man/man1/hvmkit.1 \
			 usr/share/man/man5/hvmkit.cfg.5 \
			 usr/share/doc/hvmkit/README.md \
			 usr/share/doc/hvmkit/architecture.md; do
			if [ -f "$dest/$f" ]; then
				echo "PASS: install/$f"
			else
				echo "FAIL: install/$f: not installed under DESTDIR"
			fi
		done
		if "$dest/usr/bin/hvmkit-hypervisor" --version | grep -q '^hvmkit-hypervisor '; then
			echo "PASS: install/installed-binary-runs"
		else
			echo "FAIL: install/installed-binary-runs: --version failed"
		fi
		# The installed hypervisor runs a guest with the installed
		# device model.
		if "$dest/usr/bin/hvmkit-hypervisor" --help | grep -q -- --dm-arg &&
		   [ -z "$(kvm_unusable_reason)" ] &&
		   "$dest/usr/bin/hvmkit-hypervisor" \
			--device-model "$dest/usr/libexec/hvmkit/hvmkit-devmodel" \
			-f "$BUILD/tests/guests/realmode-hello.bin" >/dev/null 2>&1; then
			echo "PASS: install/installed-device-model-runs"
		else
			echo "FAIL: install/installed-device-model-runs: the installed pair did not run a guest"
		fi
		make -s -C "$TOP" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
		if [ -z "$(find "$dest" -type f)" ]; then
			echo "PASS: install/uninstall-removes-everything"
		else
			echo "FAIL: install/uninstall-removes-everything: $(find "$dest" -type f | tr '\n' ' ')"
		fi
	fi
	rm -rf "$dest" "$dest.log"
}

# A libFuzzer target for a bounded time from its seed corpus; a crash,
# leak, hang or sanitizer report fails.
# fuzz_target NAME CORPUS SECONDS: runs $BUILD/fuzz/fuzz-NAME.
fuzz_target() {
	local name=$1 corpus=$2 seconds=$3 bin=$BUILD/fuzz/fuzz-$1 dir rc
	if [ ! -x "$bin" ]; then
		echo "SKIP: fuzz/$name: $bin not built (clang with libFuzzer not configured: install clang and libclang-rt-14-dev, rerun ./configure)"
		return
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-fuzz.XXXXXX")
	cp "$TOP"/tests/fuzz/"$corpus"/* "$dir"/ 2>/dev/null
	(cd "$dir" && "$bin" -max_total_time="$seconds" \
		-seed=1 -rss_limit_mb=1024 -timeout=10 "$dir" \
		>"$dir.log" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "PASS: fuzz/$name ($(grep -o 'Done [0-9]* runs' "$dir.log" | tail -n 1))"
	else
		echo "FAIL: fuzz/$name: libFuzzer exited $rc: $(grep -E 'ERROR|SUMMARY|==[0-9]+==' "$dir.log" | head -n 3 | tr '\n' '|')"
		cp "$dir.log" "$BUILD/fuzz-$name-failure.log" 2>/dev/null
	fi
	rm -rf "$dir" "$dir.log"
}

# fw_cfg and the platform's ports; the PIIX3 IDE (ATA, ATAPI, DMA).
fuzz_targets() {
	fuzz_target platform corpus "${FUZZ_SECONDS:-60}"
	fuzz_target ide corpus-ide "${FUZZ_IDE_SECONDS:-30}"
}

run_suite "unit tests" unit_tests
run_suite "fuzz targets (bounded)" fuzz_targets
run_suite "make install" install_test
run_suite "bad input" "$TOP"/tests/bad-input-tests.sh
run_suite "tiny guests on the local /dev/kvm" \
	on_local_kvm local-guests guest-tests.sh
run_suite "device model on the local /dev/kvm" \
	on_local_kvm local-dm dm-tests.sh
run_suite "hvmkit command" on_local_kvm local-cli cli-tests.sh
run_suite "SeaBIOS on the local /dev/kvm" \
	on_local_kvm local-firmware firmware-tests.sh
if [ -n "${SAN_BUILD:-}" ]; then
	export SAN_BUILD
	sanitized() { BUILD=$SAN_BUILD PREFIX=asan/ "$@"; }
	run_suite "unit tests (ASan+UBSan)" sanitized unit_tests_prefixed
	run_suite "bad input (ASan+UBSan)" sanitized "$TOP"/tests/bad-input-tests.sh
	run_suite "tiny guests on the local /dev/kvm (ASan+UBSan)" \
		sanitized on_local_kvm local-guests guest-tests.sh
	run_suite "device model on the local /dev/kvm (ASan+UBSan)" \
		sanitized on_local_kvm local-dm dm-tests.sh
fi
run_suite "nested rig self-test" rig_selftest
run_suite "tiny guests in the nested rig" rig_guests
run_suite "SeaBIOS and Linux in the nested rig" rig_platform
run_suite "Linux from IDE disks in the nested rig" rig_ide

passed=$(grep -c '^PASS: ' "$LOG")
failed=$(grep -c '^FAIL: ' "$LOG")
skipped=$(grep -c '^SKIP: ' "$LOG")
if [ "$failed" -gt 0 ]; then
	echo "== failures"
	grep '^FAIL: ' "$LOG"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
