#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""IDE disk boot and throughput, hvmkit against Debian's QEMU on the same
/dev/kvm in the same run.

Both VMMs boot the same images with the same SeaBIOS (bios-256k.bin), RAM
and vCPUs: hda is the MBR + syslinux disk tests/disk/mkguest.sh builds
(disk-bench.img: Debian's kernel and the busybox initramfs with ata_piix),
hdb an empty raw data disk; PIIX3 IDE in both (QEMU: -machine pc, if=ide).
Figures, each the median of REPEAT runs (write and read: of REPEAT x
PASSES samples, PASSES timed passes in each run's guest), with the lowest
and highest seen:

  boot to userspace  seconds from just before the VMM process starts until
                     the guest's /init prints its first line on COM1
                     ("CHECK userspace"): SeaBIOS POST, syslinux loading
                     the kernel and initramfs through BIOS disk calls (PIO),
                     the kernel's boot.  Lower is better.
  write              MiB/s of a sequential write of MIB MiB to hdb inside
                     the guest: dd if=/dev/zero of=(hdb) bs=1M
                     oflag=direct conv=fsync (O_DIRECT, then FLUSH CACHE),
                     timed by the guest.  Higher is better.
  read               MiB/s of reading the same MiB back: dd iflag=direct
                     bs=1M.  Higher is better.
The runs alternate between the two VMMs, so that a drift of the host (the
nested rig's speed varies by tens of percent over minutes) falls on both.

Host-side caching is made equal: QEMU gets cache=none (O_DIRECT, write
cache emulated, flush = fdatasync), like hvmkit's backend; where the image's
file system has no O_DIRECT (tmpfs, as in the nested rig) hvmkit falls
back to buffered I/O and QEMU gets cache=writeback, the same thing.  The
output says which.

With a software /dev/kvm (kvm_pvm) or --rig, the benchmark runs inside the
nested rig (tests/rig/rig-run); the images are built on the host first.
Usage: bench/ide.py [--rig] [--repeat N] [--passes N] [--mib N] [--vcpus N]
                    [--only hvmkit|qemu]
Environment: BUILD (build tree, default build), REPEAT (default 3).
"""
import argparse
import errno
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIOS = "/usr/share/seabios/bios-256k.bin"
MARK = b"CHECK userspace"
MEM = "256"


def die(msg):
    print("ide: " + msg, file=sys.stderr)
    sys.exit(1)


def build_dir():
    b = os.environ.get("BUILD", "build")
    return b if os.path.isabs(b) else os.path.join(TOP, b)


def in_rig(a):
    """Builds the images here, then runs this script inside the rig."""
    env = dict(os.environ, BUILD=build_dir())
    r = subprocess.run([os.path.join(TOP, "tests/disk/mkguest.sh")], env=env)
    if r.returncode:
        die("tests/disk/mkguest.sh failed")
    env["RIG_PASS_ENV"] = "BUILD REPEAT"
    env["REPEAT"] = str(a.repeat)
    argv = [os.path.join(TOP, "tests/rig/rig-run"), "--timeout", "2400",
            "--", sys.executable, os.path.abspath(__file__),
            "--inside", "--repeat", str(a.repeat), "--mib", str(a.mib),
            "--passes", str(a.passes),
            "--vcpus", str(a.vcpus)] + (["--only", a.only] if a.only else [])
    os.execve(argv[0], argv, env)


def has_odirect(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError as e:
        if e.errno == errno.EINVAL:
            return False
        raise
    os.close(fd)
    return True


def one_run(argv, timeout, passes):
    """(boot-to-userspace seconds, {"write": [MiB/s...], "read": [...]})."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf = b""
    t_user = None
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
            if t_user is None and MARK in buf:
                t_user = time.monotonic() - t0
            if b"BENCH done" in buf:
                break
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = buf.decode(errors="replace").replace("\r", "")
    speeds = {"write": [], "read": []}
    for line in text.splitlines():
        # "BENCH write 33554432 bytes 61435086 ns 520.9 MiB/s", a pair
        # per pass
        f = line.split()
        if len(f) == 8 and f[0] == "BENCH" and f[1] in speeds and \
                f[2].isdigit():
            speeds[f[1]].append(int(f[2]) / 1048576 / (int(f[4]) / 1e9))
    complete = all(len(v) == passes for v in speeds.values())
    if t_user is None or not complete or rc != 0:
        tail = text[-600:].replace("\n", "|")
        die("%s: %s (status %s; output: ...%s)"
            % (os.path.basename(argv[3] if argv[0] == "taskset" else argv[0]),
               "no userspace marker" if t_user is None else
               "not every pass's BENCH figures" if not complete else
               "failed",
               rc, tail))
    return t_user, speeds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int,
                    default=int(os.environ.get("REPEAT", "3")))
    ap.add_argument("--mib", type=int, default=32)
    ap.add_argument("--passes", type=int, default=3,
                    help="timed write+read passes per run (default 3)")
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--rig", action="store_true",
                    help="run inside the nested rig (tests/rig/rig-run)")
    ap.add_argument("--only", choices=("hvmkit", "qemu"),
                    help="run one VMM only (no ratios)")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.repeat < 1 or a.passes < 1 or a.mib < 1:
        die("--repeat, --passes and --mib must be at least 1")
    inside_rig = os.environ.get("RIG_INSIDE") == "1"
    if not inside_rig and not a.inside and (
            a.rig or os.path.isdir("/sys/module/kvm_pvm")):
        if not a.rig:
            print("(this host's /dev/kvm is the software kvm_pvm, too slow "
                  "for a kernel: running inside the nested rig)", flush=True)
        in_rig(a)
    build = build_dir()
    guest = os.path.join(build, "ide-guest")
    if not a.inside:
        r = subprocess.run([os.path.join(TOP, "tests/disk/mkguest.sh")])
        if r.returncode:
            die("tests/disk/mkguest.sh failed")
    hv = os.path.join(build, "hvmkit-hypervisor")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        die("qemu-system-x86_64 not found (scripts/setup-deps.sh)")
    for f in (hv, BIOS, os.path.join(guest, "disk-bench.img")):
        if not os.path.exists(f):
            die(f + " missing (make; apt-get install seabios)")
    qv = subprocess.run([qemu, "--version"], capture_output=True,
                        text=True).stdout.split("\n")[0].split()[3]

    work = tempfile.mkdtemp(prefix="hvmkit-bench-ide.")
    boot = os.path.join(work, "boot.img")
    data = os.path.join(work, "data.img")
    subprocess.run(["cp", "--sparse=always",
                    os.path.join(guest, "disk-bench.img"), boot], check=True)
    open(data, "w").close()
    # The size to write is on the guest's command line (syslinux.cfg).
    subprocess.run([os.path.join(TOP, "tests/disk/mkdisk.sh"),
                    "--set-append", "panic=-1 quiet hvmkit.action=idebench "
                    "hvmkit.mib=%d hvmkit.passes=%d" % (a.mib, a.passes),
                    boot], check=True)
    direct = has_odirect(boot)
    cache = "none" if direct else "writeback"
    vmms = {
        "hvmkit": [hv, "-f", BIOS, "-m", MEM + "M", "-c", str(a.vcpus),
                   "--boot", "c", "-d", "/dev/null", "--serial", "stdio",
                   "--disk", "format=raw,vdev=hda,access=rw,target=" + boot,
                   "--disk", "format=raw,vdev=hdb,access=rw,target=" + data],
        "qemu": [qemu, "-accel", "kvm", "-machine", "pc", "-nodefaults",
                 "-no-user-config", "-display", "none", "-monitor", "none",
                 "-serial", "stdio", "-no-reboot", "-bios", BIOS,
                 "-m", MEM, "-smp", str(a.vcpus), "-boot", "c",
                 "-drive", "file=%s,format=raw,if=ide,index=0,cache=%s"
                 % (boot, cache),
                 "-drive", "file=%s,format=raw,if=ide,index=1,cache=%s"
                 % (data, cache)],
    }
    if a.only:
        vmms = {a.only: vmms[a.only]}
    # In the rig both VMMs keep to one L1 CPU (tests/ide-tests.sh says why).
    pin = ["taskset", "-c", "1"] if inside_rig else []
    vmms = {k: pin + v for k, v in vmms.items()}
    # Per VMM: boot times, write samples, read samples.
    res = {k: ([], [], []) for k in vmms}
    try:
        for i in range(a.repeat):
            for name, argv in vmms.items():
                # A fresh, empty (sparse) data disk for every run.
                os.truncate(data, 0)
                os.truncate(data, (a.mib + 16) << 20)
                t, s = one_run(argv, a.timeout, a.passes)
                res[name][0].append(t)
                res[name][1].extend(s["write"])
                res[name][2].extend(s["read"])
                print("run %d %-7s boot to userspace %6.2f s, write %s "
                      "MiB/s, read %s MiB/s"
                      % (i + 1, name, t,
                         " ".join("%.1f" % x for x in s["write"]),
                         " ".join("%.1f" % x for x in s["read"])),
                      flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: [statistics.median(x) for x in v] for k, v in res.items()}
    where = "local /dev/kvm"
    if inside_rig:
        where = "nested rig (L2 under kvm_amd in TCG)"
    if os.path.isdir("/sys/module/kvm_pvm"):
        where += ", software KVM (kvm_pvm)"
    print()
    print("IDE boot and throughput, hvmkit vs qemu-system-x86_64 %s, %s; "
          "SeaBIOS bios-256k.bin, %s MiB, %d vCPU(s), PIIX3 IDE, raw "
          "images; medians of %d runs (boot) and of %d x %d passes "
          "(write, read)" % (qv, where, MEM, a.vcpus, a.repeat, a.repeat,
                             a.passes))
    print("host I/O: %s" % (
        "O_DIRECT (hvmkit's backend; QEMU cache=none)" if direct else
        "buffered: the images' file system has no O_DIRECT (hvmkit's "
        "backend falls back; QEMU cache=writeback)"))
    print("  boot to userspace: process start -> /init's first line on "
          "COM1 (SeaBIOS, syslinux loading kernel+initramfs by PIO, kernel "
          "boot); seconds, lower is better")
    print("  write / read: guest dd, %d MiB sequential, 1 MiB blocks, "
          "O_DIRECT (write ends with fsync = FLUSH CACHE); MiB/s measured "
          "by the guest, higher is better" % a.mib)
    names = list(med)
    print("%-24s" % "" + "".join("%22s" % k for k in names) +
          ("%13s" % "hvmkit/qemu" if len(names) == 2 else ""))
    for j, label in enumerate(("boot to userspace (s)", "write (MiB/s)",
                               "read (MiB/s)")):
        print("%-24s" % label +
              "".join("%8.2f (%5.1f-%5.1f)" % (med[k][j], min(res[k][j]),
                                                max(res[k][j]))
                      for k in names) +
              ("%13.2f" % (med["hvmkit"][j] / med["qemu"][j])
               if len(names) == 2 else ""))
    print("(median, and in brackets the lowest and highest of the runs or "
          "passes)")


if __name__ == "__main__":
    main()
