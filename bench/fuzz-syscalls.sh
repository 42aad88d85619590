#!/usr/bin/env bash
# Fuzzing (not a test): test-apps/sysfuzz on the unikernel (qemu-pc): N random system calls
# with hostile arguments from SEED, made by forked children that are replaced when they die.
# Prints sysfuzz's summary (calls made, skipped, children, how they ended, calls per second)
# and a verdict: the kernel must not fault (KERNEL FAULT / panic in its log) or hang (a
# limit of 120 s + 50 ms per call, generous because TCG on a loaded host is slow; sysfuzz
# itself reports a child that SIGKILL cannot end), and sysfuzz (pid 1) must exit 0. A
# fault's log is kept in OUT (default target/fuzz-syscalls); rerun with `-t FROM` in SYSFUZZ_FLAGS to trace
# every call from FROM on and find the one that faulted.
# Usage: bench/fuzz-syscalls.sh N SEED   (SYSFUZZ_FLAGS, default "-x net -x stack": see sysfuzz.c)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:?usage: bench/fuzz-syscalls.sh N SEED}"
SEED="${2:?usage: bench/fuzz-syscalls.sh N SEED}"
FLAGS="${SYSFUZZ_FLAGS--x net -x stack}"
OUT="${OUT:-$ROOT/target/fuzz-syscalls}"
mkdir -p "$OUT"
make -s -C "$ROOT/test-apps" OUT="$OUT/apps" "$OUT/apps/musl/sysfuzz"
"$ROOT/bin/port-app" --version >/dev/null   # builds the toolchain if needed
limit=$((120 + N / 20))
set +e
# shellcheck disable=SC2086
timeout -k 10 "$limit" "$ROOT/bin/port-app" run -q --platform qemu-pc "$OUT/apps/musl/sysfuzz" -- $FLAGS "$N" "$SEED" \
    >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
set -e
grep '^sysfuzz: ' "$OUT/stdout" | grep -v 'child died' || true
echo "sysfuzz: $(grep -c 'child died' "$OUT/stdout" || true) deaths listed in $OUT/stdout (the first 10)"
if grep -q 'KERNEL FAULT\|panic' "$OUT/stderr" "$OUT/stdout"; then
    echo "FAIL: kernel fault (log in $OUT/stderr):"
    grep -A3 'KERNEL FAULT' "$OUT/stderr" | head -n 4
    exit 1
elif [[ $rc == 124 ]]; then
    echo "FAIL: hang: no end within ${limit} s (log in $OUT/stderr)"
    exit 1
elif [[ $rc != 0 ]] || ! grep -q '^sysfuzz: done' "$OUT/stdout"; then
    echo "FAIL: exit status $rc (log in $OUT/stderr)"
    exit 1
fi
echo "ok: 0 kernel faults, 0 hangs"
