#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Firmware boot time, hvmkit against Debian's QEMU on the same /dev/kvm in
the same run.

Both VMMs boot the same SeaBIOS image (bios-256k.bin) with the same RAM and
vCPUs and a Linux kernel given for direct kernel boot, so SeaBIOS POSTs and
then hands over to the boot loader: the option ROM that loads the kernel
(hvmkit's linuxboot.bin, QEMU's linuxboot_dma.bin).  For each run:

  start -> first instruction   from just before the VMM process is started
                               to the first KVM_RUN entry of any of its vCPUs
                               (the first kvm:kvm_entry, or kvm:kvm_fpu "load"
                               which KVM_RUN emits right before entering the
                               guest; software KVMs such as kvm_pvm have no
                               kvm_entry), CLOCK_MONOTONIC
  first instruction -> hand-over
                               to the moment SeaBIOS's "Booting from ROM"
                               line arrives on the debug port (0x402)
  exits                        KVM exits of the VMM's threads until that line:
                               kvm:kvm_exit events, or where KVM has none
                               (kvm_pvm) kvm:kvm_userspace_exit, the exits
                               that return to the VMM; the output says which

Each figure is the median of REPEAT runs.  Needs root (tracefs).  Run it alone: the trace holds every KVM user's
events.
Usage: bench/boot-time.py [--repeat N] [--vcpus N] [--kernel FILE]
"""
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRACING = "/sys/kernel/tracing"
BIOS = "/usr/share/seabios/bios-256k.bin"
MARK = b"Booting from ROM"
ENTRY_EVENTS = ("kvm_entry", "kvm_fpu", "kvm_exit", "kvm_userspace_exit")
BUFFER_KB = "65536"


def die(msg):
    print("boot-time: " + msg, file=sys.stderr)
    sys.exit(1)


def ensure_mounts():
    if not os.path.exists(TRACING + "/events/kvm/kvm_entry/enable"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACING],
                       stderr=subprocess.DEVNULL)
    if not os.path.exists(TRACING + "/events/kvm/kvm_fpu/enable"):
        die("no kvm:kvm_fpu tracepoint in %s (root and tracefs needed)"
            % TRACING)


def tr(name, value):
    with open(os.path.join(TRACING, name), "w") as f:
        f.write(value)


def trace_start():
    tr("tracing_on", "0")
    tr("trace", "")
    tr("trace_clock", "mono")
    # Keep the oldest events when the buffer fills: the first one counts.
    tr("options/overwrite", "0")
    tr("set_event_pid", "")
    tr("buffer_size_kb", BUFFER_KB)
    for ev in ENTRY_EVENTS:
        tr("events/kvm/%s/enable" % ev, "1")
    tr("tracing_on", "1")


def trace_scan(tids, t_end):
    """(monotonic seconds of the first guest entry of one of the threads
    tids, {event: count} of exits before t_end), from the trace."""
    tr("tracing_on", "0")
    for ev in ENTRY_EVENTS:
        tr("events/kvm/%s/enable" % ev, "0")
    first = None
    exits = {"kvm_exit": 0, "kvm_userspace_exit": 0}
    with open(os.path.join(TRACING, "trace")) as f:
        for line in f:
            if line.startswith("#"):
                continue
            # "  comm-pid  [cpu] flags  123.456789: kvm_entry: ..."
            head, sep, rest = line.partition(": kvm_")
            if not sep:
                continue
            task = head.split("[")[0].strip()
            if task.rpartition("-")[2] not in tids:
                continue
            stamp = float(head.split()[-1])
            if first is None and (rest.startswith("entry:") or
                                  (rest.startswith("fpu:") and
                                   "load" in rest)):
                first = stamp
            ev = "kvm_" + rest.split(":")[0]
            if ev in exits and stamp <= t_end:
                exits[ev] += 1
    with open(os.path.join(TRACING, "per_cpu/cpu0/stats")) as f:
        lost = [l for l in f if l.startswith(("overrun", "dropped"))
                and l.split(":")[1].strip() not in ("0", "")]
    if lost:
        die("the trace buffer lost events (%s); raise BUFFER_KB"
            % "".join(lost).strip())
    tr("options/overwrite", "1")
    tr("buffer_size_kb", "1408")
    return first, exits


def one_run(argv, timeout):
    """(start->first entry, first entry->hand-over, exits), seconds."""
    t0 = time.monotonic()
    trace_start()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    tids = set()
    buf = b""
    t_mark = exits = None
    deadline = t0 + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if not r:
                if p.poll() is not None:
                    break
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            if MARK in buf:
                t_mark = time.monotonic()
                tids = set(os.listdir("/proc/%d/task" % p.pid))
                break
    finally:
        p.kill()
        p.wait()
    t_first, exits = trace_scan(tids, t_mark or 0)
    if t_mark is None or t_first is None:
        tail = buf[-300:].decode(errors="replace").replace("\n", "|")
        die("%s: %s (debug output: ...%s)"
            % (argv[0], "no first-entry event in the trace" if t_mark else
               "no hand-over within %ds" % timeout, tail))
    kind = "kvm_exit" if exits["kvm_exit"] else "kvm_userspace_exit"
    return t_first - t0, t_mark - t_first, exits[kind], kind


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int,
                    default=int(os.environ.get("REPEAT", "3")))
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--kernel", default=os.environ.get("LINUX_KERNEL"))
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(TOP, build)
    hv = os.path.join(build, "hvmkit-hypervisor")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        die("qemu-system-x86_64 not found (scripts/setup-deps.sh)")
    if not os.path.exists(hv):
        die(hv + " missing: run make first")
    if not a.kernel or not os.path.exists(a.kernel):
        die("no kernel: give --kernel FILE or LINUX_KERNEL (any bzImage; "
            "tests/rig/rig-run --print-kernel names a cached one)")
    if not os.path.exists(BIOS):
        die(BIOS + " missing (apt-get install seabios)")
    ensure_mounts()
    mem = "256"
    vmms = {
        "hvmkit": [hv, "-f", BIOS, "-m", mem + "M", "-c", str(a.vcpus),
                   "--kernel", a.kernel, "--append", "console=ttyS0",
                   "-d", "-"],
        "qemu": [qemu, "-accel", "kvm", "-machine", "pc", "-nodefaults",
                 "-display", "none", "-serial", "none", "-monitor", "none",
                 "-bios", BIOS, "-m", mem, "-smp", str(a.vcpus),
                 "-kernel", a.kernel, "-append", "console=ttyS0",
                 "-chardev", "stdio,id=dbg",
                 "-device", "isa-debugcon,iobase=0x402,chardev=dbg"],
    }
    res = {k: [] for k in vmms}
    for _ in range(a.repeat):
        for name, argv in vmms.items():
            res[name].append(one_run(argv, a.timeout))
    med = {k: [statistics.median(r[i] for r in v) for i in range(3)]
           for k, v in res.items()}
    print("Firmware boot, SeaBIOS bios-256k.bin, %d vCPU(s), %s MiB, "
          "median of %d" % (a.vcpus, mem, a.repeat))
    kind = res["hvmkit"][0][3]
    print("%-8s %22s %28s %10s" % ("", "start->first insn (ms)",
                                    "first insn->hand-over (ms)", "exits"))
    for k in ("hvmkit", "qemu"):
        m = med[k]
        print("%-8s %22.1f %28.1f %10d" % (k, m[0] * 1e3, m[1] * 1e3, m[2]))
    print("(exits counted: %s events%s)" % (kind, "; this KVM has no "
          "kvm_exit tracepoint, so exits KVM handles in the kernel are not "
          "counted" if kind != "kvm_exit" else ""))
    h, q = med["hvmkit"], med["qemu"]
    print("ratio hvmkit/qemu: start->first insn %.2f, first insn->hand-over "
          "%.2f, exits %.2f" % (h[0] / q[0], h[1] / q[1], h[2] / q[2]))


if __name__ == "__main__":
    main()
