#!/usr/bin/env python3
"""Benchmark (not a test) of the unikernel, side by side in one run (issue 3):

  1. time from QEMU start to the app's first output line: our image for busybox
     vs a Linux guest (Debian's linux-image kernel, the same static busybox as its
     init, same QEMU and -m) vs the floor QEMU imposes (a kernel that prints one
     byte and exits), on -M pc and -M microvm;
  2. our kernel's size for busybox;
  3. the smallest -m at which `busybox sh -c 'echo ok'` runs, on each;
  4. the cost of a no-op syscall on the unikernel through a rewritten site vs the
     LSTAR fallback vs a plain function call (test-apps/noop_bench, musl).

    python3 platforms/qemu/bench.py [--runs 5] [--linux /boot/vmlinuz-...]

Needs: qemu-system-x86, busybox-static, musl-tools, and for the Linux guest
linux-image-amd64 (apt-get install linux-image-amd64); without it that column
is skipped. All under TCG here: absolute numbers are emulation-bound, the
ratios are the point.
"""
import argparse
import glob
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PORT_APP = os.path.join(ROOT, "bin", "port-app")
BUSYBOX = "/bin/busybox"
MARK = b"port-app-bench-ok"


def qemu(machine, kernel, initrd=None, append=None, mem=128):
    cmd = ["qemu-system-x86_64", "-M", machine, "-cpu", "max", "-m", str(mem),
           "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
           "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-kernel", kernel]
    if initrd:
        cmd += ["-initrd", initrd]
    if append:
        cmd += ["-append", append]
    return cmd


def time_to_marker(cmd, marker, timeout=60):
    """Seconds from QEMU start to marker on the console (None if never), then QEMU is killed."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf, seen = b"", None
    try:
        while time.monotonic() - t0 < timeout:
            ready, _, _ = select.select([p.stdout], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            if marker in buf:
                seen = time.monotonic() - t0
                break
    finally:
        p.kill()
        p.wait()
    return seen


def median_ms(cmd, marker, runs):
    xs = []
    for _ in range(runs):
        t = time_to_marker(cmd, marker)
        if t is None:
            return None
        xs.append(t * 1000)
    xs.sort()
    return xs[len(xs) // 2]


def linux_initrd(tmp):
    """cpio with busybox at /bin/busybox and a /init script that prints the marker."""
    root = os.path.join(tmp, "linux-root")
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write("#!/bin/busybox sh\n/bin/busybox echo %s\n/bin/busybox reboot -f\n" % MARK.decode())
    os.chmod(os.path.join(root, "init"), 0o755)
    out = os.path.join(tmp, "linux-initrd.cpio")
    with open(out, "wb") as f:
        subprocess.run("find . | cpio -o -H newc --quiet", shell=True, cwd=root, stdout=f, check=True)
    return out


def linux_cmd(machine, kernel, initrd, mem):
    return qemu(machine, kernel, initrd, "console=ttyS0 quiet panic=-1", mem)


def smallest_mem(make_cmd, candidates):
    for m in candidates:
        if time_to_marker(make_cmd(m), MARK, timeout=30) is not None:
            return m
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--linux", default=(sorted(glob.glob("/boot/vmlinuz-*")) or [None])[-1])
    ap.add_argument("--calls", type=int, default=1000000)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="port-app-bench")
    try:
        img = os.path.join(tmp, "busybox-image")
        out = subprocess.run([PORT_APP, "build", BUSYBOX, "-o", img, "--", "sh", "-c", "echo " + MARK.decode()],
                             check=True, capture_output=True, text=True).stdout
        size = re.search(r"kernel: .*, (\d+) bytes \((\d+) KiB loaded in memory\)", out)
        modules = re.search(r"modules: (.*)", out).group(1)
        kernel, initrd = os.path.join(img, "kernel.elf"), os.path.join(img, "initrd.cpio")
        append = open(os.path.join(img, "cmdline.txt")).read().strip()
        floor_dir = os.path.join(tmp, "floor")
        subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "platforms/x86_64"), "OUT=" + floor_dir, "floor"],
                       check=True, capture_output=True)
        floor = os.path.join(floor_dir, "floor.elf")
        linux_rd = linux_initrd(tmp) if a.linux else None

        print(f"port-app unikernel benchmark, QEMU TCG, -m 128, {a.runs} runs (median), {time.strftime('%F')}")
        print()
        print("1. QEMU start -> first line of the app's output (ms)")
        print(f"   {'machine':9s} {'port-app':>10s} {'Linux guest':>12s} {'floor':>8s}")
        for machine in ("pc", "microvm"):
            ours = median_ms(qemu(machine, kernel, initrd, append), MARK, a.runs)
            lin = median_ms(linux_cmd(machine, a.linux, linux_rd, 128), MARK, a.runs) if a.linux else None
            fl = median_ms(qemu(machine, floor), b"h", a.runs)
            fmt = lambda v: f"{v:.0f}" if v is not None else "n/a"
            print(f"   {machine:9s} {fmt(ours):>10s} {fmt(lin):>12s} {fmt(fl):>8s}")
        if not a.linux:
            print("   (Linux guest: no /boot/vmlinuz-*; apt-get install linux-image-amd64)")
        print()
        stripped = os.path.join(tmp, "kernel.stripped")
        subprocess.run(["strip", "-o", stripped, kernel], check=True)
        print(f"2. kernel for busybox: {size.group(1)} bytes with debug info, {os.path.getsize(stripped)} stripped, "
              f"{size.group(2)} KiB loaded; modules: {modules}")
        print()
        print("3. smallest -m (MiB) for busybox sh -c 'echo ok' on -M pc")
        ours_m = smallest_mem(lambda m: qemu("pc", kernel, initrd, append, m), [4, 5, 6, 7, 8, 12, 16, 32])
        lin_m = (smallest_mem(lambda m: linux_cmd("pc", a.linux, linux_rd, m), [16, 24, 32, 48, 64, 96, 128])
                 if a.linux else None)
        print(f"   port-app {ours_m}   Linux guest {lin_m if lin_m else 'n/a'}")
        print()
        apps = os.path.join(tmp, "apps")
        subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "test-apps"), "OUT=" + apps], check=True,
                       capture_output=True)
        bench = os.path.join(apps, "musl", "noop_bench")

        def noop(extra):
            r = subprocess.run([PORT_APP, "run", "--kernel-log"] + extra + [bench, "--", str(a.calls)],
                               capture_output=True, text=True, check=True)
            vals = dict(l.split() for l in r.stdout.splitlines() if len(l.split()) == 2)
            hz = int(re.search(r"\[kernel\] tsc (\d+) Hz", r.stderr).group(1))
            return vals, hz

        rew, hz = noop([])
        lstar, _ = noop(["--no-rewrite"])
        cyc = lambda ns: float(ns) * hz / 1e9
        print(f"4. no-op syscall (nr 500) on the unikernel, {a.calls} calls, guest TSC {hz / 1e9:.2f} GHz")
        print(f"   {'path':36s} {'ns':>8s} {'cycles':>8s}")
        for label, ns in (("plain function call", rew["function_call"]),
                          ("rewritten site (direct entry)", rew["syscall_500_direct"]),
                          ("LSTAR fallback (unrewritten)", lstar["syscall_500_direct"]),
                          ("libc syscall() (run-time number)", rew["syscall_500"])):
            print(f"   {label:36s} {float(ns):8.1f} {cyc(ns):8.0f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
