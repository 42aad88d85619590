#!/usr/bin/env python3
"""Time from QEMU process start to the self-test kernel's hello line, and to
QEMU's exit, on -M pc and -M microvm (TCG), side by side with the floor
kernel (floor.S: first output byte, then exit).  A measurement, not a test.

    make -C platforms/x86_64 OUT=/tmp/k all floor
    python3 platforms/x86_64/measure-boot.py /tmp/k/kernel.elf --floor /tmp/k/floor.elf --runs 10
"""
import argparse
import os
import subprocess
import sys
import time


def qemu_cmd(machine, kernel):
    return ["qemu-system-x86_64", "-M", machine, "-cpu", "max", "-m", "64",
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", kernel]


def one_boot(machine, kernel, marker):
    t0 = time.monotonic()
    p = subprocess.Popen(qemu_cmd(machine, kernel), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf, t_mark = b"", None
    while True:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if t_mark is None and marker in buf:
            t_mark = time.monotonic() - t0
    status = p.wait(timeout=30)
    return t_mark, time.monotonic() - t0, status


def series(machine, kernel, marker, runs):
    marks, totals = [], []
    for _ in range(runs):
        m, t, status = one_boot(machine, kernel, marker)
        if m is None or status != 1:
            sys.exit(f"{machine} {kernel}: marker {marker!r} not seen or status {status}")
        marks.append(m * 1000)
        totals.append(t * 1000)
    marks.sort()
    totals.sort()
    return marks[0], marks[len(marks) // 2], totals[len(totals) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kernel")
    ap.add_argument("--floor")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    print(f"kernel {a.kernel}: {os.path.getsize(a.kernel)} bytes on disk; {a.runs} runs each")
    for machine in ("pc", "microvm"):
        rows = [("port-app kernel, to hello", a.kernel, b"hello from port-app kernel")]
        if a.floor:
            rows.append(("floor kernel, to 1st byte", a.floor, b"h"))
        for label, kernel, marker in rows:
            lo, med, total = series(machine, kernel, marker, a.runs)
            print(f"{machine:8s} {label:27s} min {lo:5.0f} ms  median {med:5.0f} ms"
                  f"  (QEMU exit: median {total:5.0f} ms)")


if __name__ == "__main__":
    main()
