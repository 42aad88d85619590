#!/usr/bin/env python3
"""Time from QEMU process start to the self-test kernel's hello line, and to
QEMU's exit, on -M pc and -M microvm (TCG).  A measurement, not a test.

    python3 platforms/x86_64/measure-boot.py KERNEL.ELF [RUNS]
"""
import os
import subprocess
import sys
import time

HELLO = b"hello from port-app kernel"


def qemu_cmd(machine, kernel):
    return ["qemu-system-x86_64", "-M", machine, "-cpu", "max", "-m", "64",
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
            "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", kernel]


def one_boot(machine, kernel):
    t0 = time.monotonic()
    p = subprocess.Popen(qemu_cmd(machine, kernel), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf, t_hello = b"", None
    while True:
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        if t_hello is None and HELLO in buf:
            t_hello = time.monotonic() - t0
    status = p.wait(timeout=30)
    return t_hello, time.monotonic() - t0, status


def main():
    kernel = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"kernel {kernel}: {os.path.getsize(kernel)} bytes on disk")
    for machine in ("pc", "microvm"):
        hellos, totals = [], []
        for _ in range(runs):
            h, t, status = one_boot(machine, kernel)
            if h is None or status != 1:
                sys.exit(f"{machine}: no hello line or status {status}")
            hellos.append(h * 1000)
            totals.append(t * 1000)
        hellos.sort()
        totals.sort()
        print(f"{machine:8s} to hello: min {hellos[0]:.0f} ms, median {hellos[len(hellos) // 2]:.0f} ms;"
              f" to QEMU exit: median {totals[len(totals) // 2]:.0f} ms ({runs} runs)")


if __name__ == "__main__":
    main()
