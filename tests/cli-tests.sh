#!/usr/bin/env bash
# The hvmkit command-line tool against real domains: create, list, pause,
# unpause, reboot -F, console, destroy, cd-insert and cd-eject (a live
# domain's IDE CD drive), and bad input (bad configuration,
# missing firmware, a hypervisor that refuses to start, duplicate names,
# stale control sockets).  Every case that starts a domain also checks
# that nothing of it is left behind: no hypervisor or device-model
# process (by pid and by pgrep on the test's unique runtime directory)
# and no control socket.  One PASS/FAIL/SKIP line per case.
#
# Environment: BUILD (build tree, default build), PREFIX (test-name
# prefix), CLI_TIMEOUT (seconds per hvmkit command, default 60: a hang
# guard, not a performance bound).
set -u
. "$(dirname "$0")/lib.sh"

HVMKIT=$BUILD/hvmkit
HV=$BUILD/hvmkit-hypervisor
GUESTS=$BUILD/tests/guests
CLI_TIMEOUT=${CLI_TIMEOUT:-60}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvmkit-cli.XXXXXX")
RUN=$WORK/run
export HVMKIT_RUNDIR=$RUN
export HVMKIT_HYPERVISOR=$HV
# Unique per run: pgrep -f on $RUN finds every process of these tests.
DOM=clitest$$

cleanup() {
	local pid
	for pid in $(live_pids); do
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# True if pid is a process that has not exited (zombies have).
alive() {
	local state
	state=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$state" ] && [ "$state" != Z ]
}

# Live processes whose command line mentions the test's runtime directory.
live_pids() {
	local pid
	for pid in $(pgrep -f -- "$RUN" 2>/dev/null); do
		[ "$pid" != $$ ] && alive "$pid" && echo "$pid"
	done
}

# hvmkit ARGS...: runs with a hang guard; output in $WORK/out, $WORK/err,
# status in $rc.
hvmkit() {
	timeout -k 5 "$CLI_TIMEOUT" "$HVMKIT" "$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
}

err_lines() { wc -l <"$WORK/err"; }
oneline() { tr '\n' '|' <"$1" | head -c 400; }

# Checks one failed command: status, exactly one stderr line matching
# regex (grep -E), nothing on stdout.  Prints why not, or nothing.
check_error() {
	local want=$1 regex=$2
	if [ "$rc" -ne "$want" ]; then
		echo "status $rc, expected $want: $(oneline "$WORK/err")"
	elif [ "$(err_lines)" -ne 1 ]; then
		echo "$(err_lines) lines on stderr, expected 1: $(oneline "$WORK/err")"
	elif ! grep -Eq -e "$regex" "$WORK/err"; then
		echo "message does not match /$regex/: $(oneline "$WORK/err")"
	elif [ -s "$WORK/out" ]; then
		echo "unexpected standard output: $(oneline "$WORK/out")"
	fi
}

# Prints what of the test's domains is left, or nothing.
leftovers() {
	local pids socks
	pids=$(live_pids | tr '\n' ' ')
	socks=$(find "$RUN" -name '*.sock' 2>/dev/null | tr '\n' ' ')
	[ -n "$pids" ] && echo "processes left: $pids"
	[ -n "$socks" ] && echo "sockets left: $socks"
}

# expect_error NAME STATUS REGEX ARGS...: a failing hvmkit command that
# must leave nothing running.
expect_error() {
	local name=$1 want=$2 regex=$3 why
	shift 3
	hvmkit "$@"
	why=$(check_error "$want" "$regex")
	[ -z "$why" ] && why=$(leftovers)
	if [ -n "$why" ]; then
		fail "$name" "$why"
	else
		pass "$name"
	fi
}

# expect_error_keep NAME STATUS REGEX ARGS...: a failing hvmkit command
# that must leave the running domain $DOM (hypervisor $pid) alone.
expect_error_keep() {
	local name=$1 want=$2 regex=$3 why
	shift 3
	hvmkit "$@"
	why=$(check_error "$want" "$regex")
	if [ -n "$why" ]; then
		fail "$name" "$why"
	elif [ "$(list_state "$DOM")" != running ] || ! alive "$pid"; then
		fail "$name" "the domain $DOM is no longer running"
	else
		pass "$name"
	fi
}

# write_cfg FILE NAME GUEST [EXTRA LINES...]
write_cfg() {
	local file=$1 name=$2 guest=$3
	shift 3
	{
		echo "# written by tests/cli-tests.sh"
		echo "name = \"$name\""
		echo "firmware = \"$GUESTS/$guest.bin\""
		echo "memory = 16"
		for line in "$@"; do
			echo "$line"
		done
	} >"$file"
}

# The fields of NAME's line in "hvmkit list": name pid mem vcpus state time.
list_line() {
	"$HVMKIT" list 2>/dev/null | awk -v n="$1" '$1 == n'
}

list_state() { list_line "$1" | awk '{ print $5 }'; }

# The pid in create's "Domain NAME created (pid N)." line, or nothing.
created_pid() {
	sed -n "s/^Domain $DOM created (pid \([0-9]*\))\.\$/\1/p" "$WORK/out"
}

# destroy_quietly NAME: for cleanup between cases.
destroy_quietly() {
	timeout -k 5 "$CLI_TIMEOUT" "$HVMKIT" destroy "$1" >/dev/null 2>&1
}

# ------------------------------------------------------------ no KVM

mkdir -p "$RUN"
chmod 700 "$RUN"

hvmkit help
if [ "$rc" -eq 0 ] && grep -q '^Usage: hvmkit COMMAND' "$WORK/out" &&
   grep -q 'destroy' "$WORK/out"; then
	pass help
else
	fail help "status $rc: $(oneline "$WORK/out")"
fi

hvmkit create --help
if [ "$rc" -eq 0 ] && grep -q '^Usage: hvmkit create \[-c\] \[-p\] \[-n\] FILE' "$WORK/out"; then
	pass command-help
else
	fail command-help "status $rc: $(oneline "$WORK/out")"
fi

hvmkit --version
if [ "$rc" -eq 0 ] && grep -q '^hvmkit ' "$WORK/out"; then
	pass version
else
	fail version "status $rc: $(oneline "$WORK/out")"
fi

expect_error usage-unknown-command 2 "^hvmkit: error: unknown command 'frobnicate'" \
	frobnicate
expect_error usage-no-domain 2 "^hvmkit: error: pause: no domain given" pause
expect_error usage-no-file 2 "^hvmkit: error: create: no configuration file given" \
	create
expect_error usage-unknown-option 2 "^hvmkit: error: list: unknown option '-x'" \
	list -x

hvmkit list
if [ "$rc" -ne 0 ]; then
	fail list-empty "status $rc: $(oneline "$WORK/err")"
elif [ "$(wc -l <"$WORK/out")" -ne 1 ] ||
     ! grep -Eq '^Name +PID +Mem\(MiB\) +VCPUs +State +Time\(s\)$' "$WORK/out"; then
	fail list-empty "expected only the header: $(oneline "$WORK/out")"
elif [ -s "$WORK/err" ]; then
	fail list-empty "stderr: $(oneline "$WORK/err")"
else
	pass list-empty
fi

HVMKIT_RUNDIR=$WORK/no-such-dir hvmkit list
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$WORK/out")" -eq 1 ] && [ ! -e "$WORK/no-such-dir" ]; then
	pass list-missing-rundir
else
	fail list-missing-rundir "status $rc: $(oneline "$WORK/err")"
fi

# A bad value on line 3 of the file: one line naming file:line:key.
cat >"$WORK/bad.cfg" <<EOF
name = "$DOM"
firmware = "$GUESTS/hlt-idle.bin"
memory = "lots"
EOF
expect_error bad-config-value 1 \
	"^hvmkit: error: $WORK/bad.cfg:3: memory: expected a number, got \"lots\"\$" \
	create "$WORK/bad.cfg"

printf 'name = "%s"\nfirmware = "%s"\nserial = [ "pty",\n' "$DOM" \
	"$GUESTS/hlt-idle.bin" >"$WORK/unterminated.cfg"
expect_error bad-config-syntax 1 \
	"^hvmkit: error: $WORK/unterminated.cfg:3: serial: unterminated list" \
	create "$WORK/unterminated.cfg"

write_cfg "$WORK/ok.cfg" "$DOM" hlt-idle
expect_error bad-override 1 \
	"^hvmkit: error: <command line>:2: vnc: not supported yet\$" \
	create "$WORK/ok.cfg" vcpus=1 vnc=1

write_cfg "$WORK/nofw.cfg" "$DOM" no-such-guest
expect_error missing-firmware 1 \
	"^hvmkit: error: $WORK/nofw.cfg:3: firmware: $GUESTS/no-such-guest.bin: No such file or directory\$" \
	create "$WORK/nofw.cfg"

expect_error missing-config-file 1 \
	"^hvmkit: error: $WORK/nope.cfg: No such file or directory\$" \
	create "$WORK/nope.cfg"

hvmkit create -n "$WORK/ok.cfg" memory=32
if [ "$rc" -eq 0 ] && grep -q -e "--name $DOM --control-socket $RUN/$DOM.sock" "$WORK/out" &&
   grep -q -e '--memory 32M' "$WORK/out" && [ -z "$(leftovers)" ]; then
	pass dry-run
else
	fail dry-run "status $rc: $(oneline "$WORK/out") $(oneline "$WORK/err") $(leftovers)"
fi

expect_error destroy-missing 1 "^hvmkit: error: domain '$DOM' does not exist\$" \
	destroy "$DOM"
expect_error console-missing 1 "^hvmkit: error: domain '$DOM' does not exist\$" \
	console "$DOM"
expect_error pause-bad-name 1 '^hvmkit: error: "../x" is not a valid domain name' \
	pause ../x

# cd-insert / cd-eject: argument errors (usage, status 2) and a domain
# that does not exist.
expect_error cd-insert-no-domain 2 "^hvmkit: error: cd-insert: no domain given" \
	cd-insert
expect_error cd-insert-no-file 2 "^hvmkit: error: cd-insert: no image file given" \
	cd-insert "$DOM"
expect_error cd-insert-extra 2 "^hvmkit: error: cd-insert: unexpected argument 'more'" \
	cd-insert "$DOM" hdc x.iso more
expect_error cd-insert-bad-vdev 2 "^hvmkit: error: cd-insert: 'h c' is not a virtual device name" \
	cd-insert "$DOM" 'h c' x.iso
expect_error cd-eject-extra 2 "^hvmkit: error: cd-eject: unexpected argument 'x.iso'" \
	cd-eject "$DOM" hdc x.iso
expect_error cd-eject-option 2 "^hvmkit: error: cd-eject: unknown option '-f'" \
	cd-eject -f "$DOM" hdc
expect_error cd-insert-missing-domain 1 "^hvmkit: error: domain '$DOM' does not exist\$" \
	cd-insert "$DOM" hdc x.iso

# A bad disk spec in a configuration: one line naming file:line.
write_cfg "$WORK/baddisk.cfg" "$DOM" hlt-idle \
	"disk = [ 'vdev=hdc,devtype=cdrom,target=',"  "  'vdev=xvda,target=/x.img' ]"
expect_error bad-config-disk 1 \
	"^hvmkit: error: $WORK/baddisk.cfg:6: disk: \"vdev=xvda,target=/x.img\": vdev xvda: only IDE disks hda-hdd are supported yet\$" \
	create "$WORK/baddisk.cfg"
write_cfg "$WORK/nodisk.cfg" "$DOM" hlt-idle "disk = [ '$WORK/none.img,raw,hda,w' ]"
expect_error config-disk-missing 1 \
	"^hvmkit: error: $WORK/nodisk.cfg:5: disk: $WORK/none.img: No such file or directory\$" \
	create "$WORK/nodisk.cfg"

# ------------------------------------------------------------- on KVM

kvm_cases="create-list pause-unpause create-paused duplicate-name reset
	destroy destroy-again hypervisor-refuses stale-socket no-console console
	cd-insert cd-insert-relative cd-insert-missing-file cd-insert-no-drive cd-insert-only-drive
	cd-eject cd-eject-not-a-cd cd-insert-directory cd-insert-control-char
	domctl-media-usage cd-insert-timeout"
skip_kvm_cases() {
	local c
	for c in $kvm_cases; do
		skip "$c" "$1"
	done
	exit 0
}

why=$(kvm_unusable_reason)
[ -n "$why" ] && skip_kvm_cases "$why"
[ -x "$HV" ] || skip_kvm_cases "$HV is not built"
"$HV" --help 2>&1 | grep -q -e '--control-socket' ||
	skip_kvm_cases "$HV has no --control-socket yet"
[ -e "$GUESTS/hlt-idle.bin" ] ||
	skip_kvm_cases "$GUESTS/hlt-idle.bin is not built (make guests)"

# create + list: running, with the pid create printed.
hvmkit create "$WORK/ok.cfg"
pid=$(created_pid)
line=$(list_line "$DOM")
if [ "$rc" -ne 0 ] || [ -z "$pid" ]; then
	fail create-list "create: status $rc: $(oneline "$WORK/out") $(oneline "$WORK/err")"
elif ! alive "$pid"; then
	fail create-list "hypervisor pid $pid is not running"
elif [ "$(echo "$line" | awk '{ print $2, $3, $4, $5 }')" != "$pid 16 1 running" ]; then
	fail create-list "list line: '$line'"
elif [ ! -S "$RUN/$DOM.sock" ] || [ ! -f "$RUN/$DOM.log" ]; then
	fail create-list "no $DOM.sock or $DOM.log in $RUN"
else
	pass create-list
fi
dm_pid=$(pgrep -P "$pid" 2>/dev/null | head -n 1)

hvmkit pause "$DOM"
s1=$(list_state "$DOM")
rc1=$rc
hvmkit unpause "$DOM"
s2=$(list_state "$DOM")
if [ "$rc1" -ne 0 ] || [ "$rc" -ne 0 ]; then
	fail pause-unpause "status $rc1/$rc: $(oneline "$WORK/err")"
elif [ "$s1" != paused ] || [ "$s2" != running ]; then
	fail pause-unpause "states '$s1' then '$s2', expected paused then running"
else
	pass pause-unpause
fi

write_cfg "$WORK/dup.cfg" "$DOM" hlt-idle
expect_error_keep duplicate-name 1 "^hvmkit: error: domain '$DOM' already exists\$" \
	create "$WORK/dup.cfg"

hvmkit reboot -F "$DOM"
if [ "$rc" -ne 0 ]; then
	fail reset "status $rc: $(oneline "$WORK/err")"
elif [ "$(list_state "$DOM")" != running ] || ! alive "$pid"; then
	fail reset "domain not running after reboot -F"
else
	pass reset
fi

hvmkit destroy "$DOM"
if [ "$rc" -ne 0 ]; then
	fail destroy "status $rc: $(oneline "$WORK/err")"
elif alive "$pid"; then
	fail destroy "hypervisor pid $pid still running"
elif [ -z "$dm_pid" ]; then
	fail destroy "no device-model child of $pid was found before destroy"
elif alive "$dm_pid"; then
	fail destroy "device-model pid $dm_pid still running"
elif [ -n "$(leftovers)" ]; then
	fail destroy "$(leftovers)"
elif [ -n "$(list_line "$DOM")" ]; then
	fail destroy "still listed: $(list_line "$DOM")"
else
	pass destroy
fi

expect_error destroy-again 1 "^hvmkit: error: domain '$DOM' does not exist\$" \
	destroy "$DOM"

# A paused start: listed as paused until unpaused.
hvmkit create -p "$WORK/ok.cfg"
state=$(list_state "$DOM")
if [ "$rc" -ne 0 ]; then
	fail create-paused "status $rc: $(oneline "$WORK/err")"
elif [ "$state" != paused ]; then
	fail create-paused "state '$state', expected paused"
else
	pass create-paused
fi
destroy_quietly "$DOM"

# The hypervisor refuses the firmware (not a PC firmware size): its error
# line becomes hvmkit's, and nothing is left.
head -c 1000 /dev/zero >"$WORK/odd.bin"
printf 'name = "%s"\nfirmware = "%s"\nmemory = 16\n' "$DOM" "$WORK/odd.bin" \
	>"$WORK/odd.cfg"
expect_error hypervisor-refuses 1 \
	"^hvmkit: error: domain '$DOM' did not start: firmware $WORK/odd.bin: size 1000 bytes is not a PC firmware size" \
	create "$WORK/odd.cfg"

# A domain whose processes were killed leaves a stale socket: list skips
# and removes it, and the name can be used again.
stale_socket_case() {
	local pid
	hvmkit create "$WORK/ok.cfg"
	pid=$(created_pid)
	if [ -z "$pid" ]; then
		fail stale-socket "create: status $rc: $(oneline "$WORK/err")"
		return
	fi
	kill -9 "$pid"
	# The device model follows (PR_SET_PDEATHSIG).  Both are gone, all
	# threads included, once nobody holds the lock on the domain's log.
	for _ in $(seq 600); do
		flock -n -s "$RUN/$DOM.log" true && break
		sleep 0.1
	done
	hvmkit list
	if [ "$rc" -ne 0 ] || grep -q "^$DOM " "$WORK/out"; then
		fail stale-socket "list: status $rc: $(oneline "$WORK/out")"
	elif [ -e "$RUN/$DOM.sock" ]; then
		fail stale-socket "list did not remove $RUN/$DOM.sock"
	else
		hvmkit create "$WORK/ok.cfg"
		if [ "$rc" -ne 0 ]; then
			fail stale-socket "create after: $(oneline "$WORK/err")"
		else
			pass stale-socket
		fi
	fi
	destroy_quietly "$DOM"
}
if command -v flock >/dev/null; then
	stale_socket_case
else
	skip stale-socket "flock(1) (util-linux) is not installed"
fi

write_cfg "$WORK/noserial.cfg" "$DOM" hlt-idle 'serial = "none"'
hvmkit create "$WORK/noserial.cfg"
pid=$(created_pid)
if [ "$rc" -ne 0 ] || [ -z "$pid" ]; then
	fail no-console "create: status $rc: $(oneline "$WORK/err")"
else
	expect_error_keep no-console 1 "^hvmkit: error: domain '$DOM' has no console" \
		console "$DOM"
fi
destroy_quietly "$DOM"

# The console: dm-uart-echo echoes COM1 input upper-cased and exits after
# a '.', which ends the domain and so the console.
if [ ! -e "$GUESTS/dm-uart-echo.bin" ]; then
	skip console "$GUESTS/dm-uart-echo.bin is not built"
else
	write_cfg "$WORK/echo.cfg" "$DOM" dm-uart-echo
	hvmkit create "$WORK/echo.cfg"
	pid=$(created_pid)
	if [ "$rc" -ne 0 ] || [ -z "$pid" ]; then
		fail console "create: status $rc: $(oneline "$WORK/err")"
	else
		printf 'hello.' | timeout -k 5 "$CLI_TIMEOUT" "$HVMKIT" \
			console "$DOM" >"$WORK/out" 2>"$WORK/err"
		rc=$?
		# The guest exits after the '.': its hypervisor must end.
		for _ in $(seq 600); do
			alive "$pid" || break
			sleep 0.1
		done
		if [ "$rc" -ne 0 ]; then
			fail console "status $rc: $(oneline "$WORK/err")"
		elif ! grep -q 'HELLO\.' "$WORK/out"; then
			fail console "output '$(oneline "$WORK/out")', expected HELLO. (log: $(tail -n 2 "$RUN/$DOM.log" | tr '\n' '|'))"
		elif alive "$pid"; then
			fail console "hypervisor $pid still running after the guest exited"
		else
			pass console
		fi
	fi
	destroy_quietly "$DOM"
fi

# CD changes at run time: a domain with an empty CD drive (hdc) and a
# disk (hda); the guest (hlt-idle) never looks at them, the device model's
# IDE controller takes the media.
cd_cases="cd-insert cd-insert-relative cd-insert-missing-file
	cd-insert-no-drive cd-eject cd-insert-only-drive cd-eject-not-a-cd cd-insert-directory
	cd-insert-control-char domctl-media-usage cd-insert-timeout"

# domctl_raw CMD: sends CMD to $DOM's control socket as it is, with \0
# standing for a NUL byte; the answer in $WORK/out (newlines as '|').
domctl_raw() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(30)
s.connect(sys.argv[1])
s.send(sys.argv[2].encode().replace(b"\\0", b"\0"))
print(s.recv(4096).decode(errors="replace").replace("\n", "|"), end="")
' "$RUN/$DOM.sock" "$1" >"$WORK/out" 2>"$WORK/err"
}

# domain_ok NAME: fails NAME if $DOM (hypervisor $pid) is not running.
domain_ok() {
	if [ "$(list_state "$DOM")" != running ] || ! alive "$pid"; then
		fail "$1" "the domain $DOM is no longer running (log: $(tail -n 2 "$RUN/$DOM.log" | tr '\n' '|'))"
		return 1
	fi
}
cd_media_cases() {
	local c
	truncate -s 1M "$WORK/hd.img"
	truncate -s 4M "$WORK/cd1.iso"
	truncate -s 2M "$WORK/cd2.iso"
	write_cfg "$WORK/cd.cfg" "$DOM" hlt-idle \
		"disk = [ '$WORK/hd.img,raw,hda,rw', ',hdc:cdrom,r' ]"
	hvmkit create "$WORK/cd.cfg"
	pid=$(created_pid)
	if [ "$rc" -ne 0 ] || [ -z "$pid" ]; then
		for c in $cd_cases; do
			fail "$c" "create: status $rc: $(oneline "$WORK/err")"
		done
		return
	fi
	hvmkit cd-insert "$DOM" hdc "$WORK/cd1.iso"
	if [ "$rc" -ne 0 ] || [ -s "$WORK/err" ]; then
		fail cd-insert "status $rc: $(oneline "$WORK/err")"
	elif [ "$(list_state "$DOM")" != running ]; then
		fail cd-insert "the domain is no longer running"
	else
		pass cd-insert
	fi
	# A relative FILE is the caller's: hvmkit makes it absolute (the
	# hypervisor, in "/", would not find cd2.iso).
	(cd "$WORK" && hvmkit cd-insert "$DOM" hdc cd2.iso &&
	 echo "$rc" >"$WORK/rc")
	rc=$(cat "$WORK/rc" 2>/dev/null || echo 99)
	if [ "$rc" -ne 0 ]; then
		fail cd-insert-relative "status $rc: $(oneline "$WORK/err")"
	else
		pass cd-insert-relative
	fi
	expect_error_keep cd-insert-missing-file 1 \
		"^hvmkit: error: domain '$DOM': cd-insert: $WORK/nope.iso: No such file or directory\$" \
		cd-insert "$DOM" hdc "$WORK/nope.iso"
	expect_error_keep cd-insert-directory 1 \
		"^hvmkit: error: domain '$DOM': cd-insert: $WORK: Is a directory\$" \
		cd-insert "$DOM" hdc "$WORK"
	expect_error_keep cd-insert-no-drive 1 \
		"^hvmkit: error: domain '$DOM': cd-insert: no drive hdd\$" \
		cd-insert "$DOM" hdd "$WORK/cd1.iso"
	hvmkit cd-eject "$DOM" hdc
	if [ "$rc" -ne 0 ] || [ -s "$WORK/err" ]; then
		fail cd-eject "status $rc: $(oneline "$WORK/err")"
	else
		hvmkit cd-eject "$DOM" hdc   # an empty drive: nothing to do
		if [ "$rc" -ne 0 ]; then
			fail cd-eject "second eject: status $rc: $(oneline "$WORK/err")"
		else
			pass cd-eject
		fi
	fi
	# Without VDEV: the domain's only CD drive (hdc here).
	hvmkit cd-insert "$DOM" "$WORK/cd1.iso"
	if [ "$rc" -ne 0 ] || [ -s "$WORK/err" ]; then
		fail cd-insert-only-drive "status $rc: $(oneline "$WORK/err")"
	else
		hvmkit cd-eject "$DOM"
		if [ "$rc" -ne 0 ] || [ -s "$WORK/err" ]; then
			fail cd-insert-only-drive "cd-eject DOM: status $rc: $(oneline "$WORK/err")"
		else
			pass cd-insert-only-drive
		fi
	fi
	expect_error_keep cd-eject-not-a-cd 1 \
		"^hvmkit: error: domain '$DOM': cd-eject: hda: not a CD drive\$" \
		cd-eject "$DOM" hda
	# A control character in FILE: the device model takes only
	# printable text, so the hypervisor sends the name with '?' (the
	# file itself goes as a descriptor).
	truncate -s 1M "$WORK/tab	cd.iso"
	hvmkit cd-insert "$DOM" hdc "$WORK/tab	cd.iso"
	if [ "$rc" -ne 0 ] || [ -s "$WORK/err" ]; then
		fail cd-insert-control-char "status $rc: $(oneline "$WORK/err")"
	elif domain_ok cd-insert-control-char; then
		pass cd-insert-control-char
	fi
	cd_domctl_usage
	cd_insert_timeout
	destroy_quietly "$DOM"
}

# The media commands on the raw control socket: the command word is
# matched exactly, a bare one is a usage error, VDEV is [a-z0-9]{1,15}.
cd_domctl_usage() {
	local why= cmd want
	if ! command -v python3 >/dev/null; then
		skip domctl-media-usage "no python3"
		return
	fi
	while IFS='#' read -r cmd want; do
		domctl_raw "$cmd"
		if [ "$(cat "$WORK/out")" != "$want" ]; then
			why="'$cmd': answer '$(cat "$WORK/out")' $(oneline "$WORK/err"), expected '$want'"
			break
		fi
	done <<-EOF
	cd-eject#error usage: cd-eject VDEV|
	cd-insert#error usage: cd-insert VDEV PATH|
	cd-eject #error usage: cd-eject VDEV|
	cd-eject\0hdc#error usage: cd-eject VDEV|
	cd-insert hdc#error usage: cd-insert VDEV PATH|
	cd-ejecthdc#error unknown command 'cd-ejecthdc'|
	cd-eject HDC#error no drive HDC|
	cd-eject h	c#error no drive h?c|
	cd-insert hdc!/ $WORK/cd1.iso#error no drive hdc!/|
	cd-eject hdc0123456789abcdef#error no drive hdc0123456789abc...|
	EOF
	if [ -n "$why" ]; then
		fail domctl-media-usage "$why"
	elif domain_ok domctl-media-usage; then
		pass domctl-media-usage
	fi
}

# A media change the device model does not answer in time (it is
# stopped): an error for the client, not a device-model failure; the
# late answer is only logged and not taken for the next change's.
cd_insert_timeout() {
	local dm_pid why
	if ! command -v python3 >/dev/null; then
		skip cd-insert-timeout "no python3"
		return
	fi
	domctl_raw info
	dm_pid=$(tr '|' '\n' <"$WORK/out" | sed -n 's/^dm_pid=//p')
	if [ -z "$dm_pid" ] || [ "$dm_pid" = 0 ]; then
		fail cd-insert-timeout "no dm_pid in the info answer: $(cat "$WORK/out")"
		return
	fi
	kill -STOP "$dm_pid"
	hvmkit cd-insert "$DOM" hdc "$WORK/cd2.iso"
	kill -CONT "$dm_pid"
	why=$(check_error 1 "^hvmkit: error: domain '$DOM': cd-insert: hdc: the device model did not answer within 5 s\$")
	if [ -n "$why" ]; then
		fail cd-insert-timeout "$why"
		return
	fi
	domain_ok cd-insert-timeout || return
	for _ in $(seq 100); do
		grep -q 'media change of hdc answered late' "$RUN/$DOM.log" && break
		sleep 0.1
	done
	if ! grep -q 'media change of hdc answered late: done' "$RUN/$DOM.log"; then
		fail cd-insert-timeout "no late answer in the log: $(tail -n 2 "$RUN/$DOM.log" | tr '\n' '|')"
		return
	fi
	# The next change gets its own answer.
	expect_error_keep cd-insert-timeout 1 \
		"^hvmkit: error: domain '$DOM': cd-insert: no drive hdd\$" \
		cd-insert "$DOM" hdd "$WORK/cd1.iso"
}
cd_media_cases

why=$(leftovers)
if [ -n "$why" ]; then
	fail nothing-left "$why"
else
	pass nothing-left
fi
