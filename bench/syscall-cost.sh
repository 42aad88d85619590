#!/usr/bin/env bash
# Benchmark (not a test): the cost of one syscall through each path port-app offers on
# linuxu, measured side by side in one run, with ratios:
#   - a plain (non-inlined) C function call                      (the floor)
#   - the no-op syscall 500 through a rewritten site             (direct call to its handler)
#   - the same through libc's syscall(), whose number is only known at run time (dispatcher)
#   - the no-op syscall 500 through the Syscall User Dispatch fallback (unrewritten site)
#   - native Linux getpid, and native syscall 500 (ENOSYS round trip)
#   - getpid through a rewritten site (shim + host passthrough)
# then the time to analyze and rewrite Debian's libc.so.6 (and busybox).
# Usage: bench/syscall-cost.sh [N]   (N calls per measurement, default 2000000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-2000000}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

make -s -C "$ROOT/test-apps" OUT="$OUT/apps" >/dev/null
BIN="$OUT/apps/musl/noop_bench"
PA="$ROOT/bin/port-app"
"$PA" --version >/dev/null   # builds the toolchain if needed, before anything is timed

value() { awk -v k="$1" '$1 == k { print $2 }'; }

echo "port-app syscall cost, N=$N calls per row, musl static noop_bench, $(date -u +%F)"
native="$("$BIN" "$N")"
rewritten="$("$PA" run --platform linuxu "$BIN" -- "$N" 2>/dev/null)"
sud="$("$PA" run --platform linuxu --no-rewrite "$BIN" -- "$((N / 20))" 2>/dev/null)"

fn=$(value function_call <<<"$native")
nat_getpid=$(value getpid <<<"$native")
nat_500=$(value syscall_500 <<<"$native")
rw_500=$(value syscall_500_direct <<<"$rewritten")
rw_500_generic=$(value syscall_500 <<<"$rewritten")
rw_getpid=$(value getpid <<<"$rewritten")
sud_500=$(value syscall_500_direct <<<"$sud")

row() { awk -v n="$1" -v v="$2" -v f="$fn" -v g="$nat_getpid" \
    'BEGIN { printf "%-58s %10.2f ns %10.1fx %10.3fx\n", n, v, v / f, v / g }'; }
printf "%-58s %13s %11s %11s\n" "path" "per call" "vs call" "vs getpid"
row "plain C function call (native)" "$fn"
row "no-op syscall 500, rewritten site -> handler (linuxu)" "$rw_500"
row "no-op syscall(500) via libc, number known at run time" "$rw_500_generic"
row "no-op syscall 500, SUD fallback -> shim (linuxu)" "$sud_500"
row "native Linux getpid" "$nat_getpid"
row "native syscall 500 (kernel ENOSYS round trip)" "$nat_500"
row "getpid, rewritten site -> shim -> host (linuxu)" "$rw_getpid"

echo
echo "analyze + rewrite time (median of 7 after warm-up; rewrite includes verification):"
closure=()
[[ -x /usr/sbin/nginx ]] && closure=(--closure /usr/sbin/nginx)
java -cp "$ROOT/port-app/target/port-app.jar" org.portapp.bench.RewriteBench "${closure[@]}" \
    /lib/x86_64-linux-gnu/libc.so.6 /bin/busybox
