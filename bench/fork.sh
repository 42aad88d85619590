#!/usr/bin/env bash
# Benchmark (not a test): the cost of processes on the unikernel next to a Linux guest
# under the same QEMU (pc, TCG, -cpu max, -m 128), side by side in one run:
#   - fork+exit+wait, vfork+exit+wait, fork+exec+wait and vfork+exec+wait latency
#     (test-apps/fork_bench, musl static, the mean of N rounds);
#   - the memory one extra idle process costs (free memory from sysinfo, 16 children);
# and, for an app that never forks (a static glibc hello), the kernel's size and the
# boot-to-exit time of its run.sh (median of 5 boots) next to the same built from the
# commit before processes existed (BASE, default 8deeeff, in a git worktree under /tmp).
# The Linux guest: the host's /boot/vmlinuz-$(uname -r) when readable, else Debian's
# linux-image-cloud-amd64 kernel fetched with apt-get download into the cache; its
# initramfs holds fork_bench alone, run as init.
# Usage: bench/fork.sh [N]   (rounds per latency, default 100)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-100}"
BASE="${BASE:-8deeeff}"
CACHE="${PORT_APP_CACHE:-$HOME/.cache/port-app}"
BENCH="$CACHE/bench-fork"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$BENCH"

make -s -C "$ROOT/test-apps" OUT="$OUT/apps" >/dev/null
BIN="$OUT/apps/musl/fork_bench"
PA="$ROOT/bin/port-app"
"$PA" --version >/dev/null   # builds the toolchain if needed, before anything is timed

value() { awk -v k="$1" '$1 == k { print $2 }'; }

# --- the Linux guest's kernel ----------------------------------------------------------
kernel=/boot/vmlinuz-$(uname -r)
if [[ ! -r "$kernel" ]]; then
    kernel=$(ls "$BENCH"/linux/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
    if [[ -z "$kernel" ]]; then
        pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
        if [[ -z "$pkg" ]]; then
            echo "bench/fork.sh: no readable /boot/vmlinuz and apt knows no linux-image-cloud-amd64 (apt-get update?)" >&2
            exit 1
        fi
        mkdir -p "$BENCH/linux"
        (cd "$BENCH/linux" && apt-get download "$pkg" >/dev/null 2>&1 && dpkg-deb -x ./*.deb . && rm -f ./*.deb)
        kernel=$(ls "$BENCH"/linux/boot/vmlinuz-* | head -n 1)
    fi
fi
mkdir -p "$OUT/initramfs"
cp "$BIN" "$OUT/initramfs/fork_bench"
(cd "$OUT/initramfs" && echo fork_bench | cpio -o -H newc --quiet >"$OUT/initramfs.cpio")

echo "processes: port-app unikernel vs Linux guest, same QEMU (pc, TCG, -cpu max, -m 128), N=$N, $(date -u +%F)"
echo "Linux guest kernel: $(basename "$kernel")"
# a failed run leaves its rows "failed" (its FAIL line goes to stderr), the rest still runs
ours="$("$PA" run -q --platform qemu-pc -m 128 "$BIN" -- "$N" || true)"
linux="$(timeout 600 qemu-system-x86_64 -M pc -cpu max -m 128 -nodefaults -no-user-config -display none \
    -serial stdio -no-reboot -kernel "$kernel" -initrd "$OUT/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1 rdinit=/fork_bench -- $N poweroff" 2>/dev/null | tr -d '\r' || true)"

row() {
    local name=$1 key=$2 unit=$3
    awk -v n="$name" -v a="$(value "$key" <<<"$ours")" -v b="$(value "$key" <<<"$linux")" -v u="$unit" 'BEGIN {
        if (a == "" || b == "") { printf "%-34s %14s %14s\n", n, (a == "" ? "failed" : a " " u), (b == "" ? "failed" : b " " u); exit }
        printf "%-34s %11.1f %-3s %11.1f %-3s %8.2fx\n", n, a, u, b, u, (b > 0 ? a / b : 0) }'
}
printf "%-34s %15s %15s %9s\n" "" "unikernel" "Linux guest" "ratio"
row "fork + _exit + waitpid" fork_exit_wait_us us
row "vfork + _exit + waitpid" vfork_exit_wait_us us
row "fork + exec + waitpid" fork_exec_wait_us us
row "vfork + exec + waitpid" vfork_exec_wait_us us
row "memory per extra idle process" process_kib KiB
row "free memory at the start" free_kib KiB

# --- an app that never forks: kernel size and boot time, now and at BASE ----------------
cat >"$OUT/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
EOF
gcc -static -O2 -o "$OUT/hello" "$OUT/hello.c"
old="/tmp/port-app-bench-$BASE"
if [[ ! -d "$old" ]]; then
    git -C "$ROOT" worktree add --detach "$old" "$BASE" >/dev/null 2>&1
fi
median_boot_ms() {   # run.sh of a build dir, 5 boots, median wall time in ms
    local dir=$1 t=()
    for _ in 1 2 3 4 5; do
        local s e
        s=$(date +%s%N)
        "$dir/run.sh" >/dev/null 2>&1 </dev/null || true
        e=$(date +%s%N)
        t+=($(((e - s) / 1000000)))
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}
PORT_APP_CACHE="$BENCH/cache-$BASE" "$old/bin/port-app" build -q -o "$OUT/hello-base" "$OUT/hello" >"$OUT/hello-base.txt"
"$PA" build -q -o "$OUT/hello-now" "$OUT/hello" >"$OUT/hello-now.txt"
# build's "kernel: PATH, N bytes (S KiB stripped, L KiB loaded in memory)"
kib() { sed -n "s/^kernel: .*(\([0-9]*\) KiB stripped, \([0-9]*\) KiB loaded.*/\\$1/p" "$2"; }
echo
echo "a static glibc hello that never forks (modules now: $(sed -n 's/^modules: //p' "$OUT/hello-now.txt")):"
printf "%-34s %15s %15s\n" "" "now ($(git -C "$ROOT" rev-parse --short HEAD))" "before ($BASE)"
printf "%-34s %11d B   %11d B\n" "kernel.elf size" "$(stat -c %s "$OUT/hello-now/kernel.elf")" \
    "$(stat -c %s "$OUT/hello-base/kernel.elf")"
printf "%-34s %11s KiB %11s KiB\n" "kernel stripped" "$(kib 1 "$OUT/hello-now.txt")" "$(kib 1 "$OUT/hello-base.txt")"
printf "%-34s %11s KiB %11s KiB\n" "kernel loaded in memory" "$(kib 2 "$OUT/hello-now.txt")" \
    "$(kib 2 "$OUT/hello-base.txt")"
printf "%-34s %11d ms  %11d ms\n" "boot to exit (run.sh, median of 5)" "$(median_boot_ms "$OUT/hello-now")" \
    "$(median_boot_ms "$OUT/hello-base")"
