#!/usr/bin/env bash
# Benchmark (not a test): console throughput of the unikernel, both ways, on qemu-pc and
# qemu-microvm, next to native `cat`, measured side by side in one run.
#   in:  head -c N /dev/zero | port-app run busybox -- dd of=/dev/null bs=64k
#   out: port-app run busybox -- dd if=/dev/zero bs=64k count=N/64k | cat > /dev/null
# The transfer alone is timed, inside the guest (busybox `time` around dd: the boot is not
# counted; the whole runs' times, boot and cache lookups included, vary by seconds on a
# loaded machine, so they are shown only for a run that moves no data). `wc -c` in the guest
# is shown too: under TCG its
# per-byte loop, not the console, is what limits it. The serial line (PORT_APP_CONSOLE=serial,
# the 16550 the console used before, still Firecracker's) is measured on a smaller amount,
# as it is about a thousand times slower. Last, issue 10's check: a 50 MB random file's
# sha256 through the console equals the host's.
# Usage: bench/console.sh [MiB]   (default 64; SERIAL_KIB=16 for the serial line, 0 skips it;
#                                  SHA_MB=50, 0 skips the hash check; RUNS=3, the median is shown)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIB="${1:-64}"
SERIAL_KIB="${SERIAL_KIB:-16}"
SHA_MB="${SHA_MB:-50}"
RUNS="${RUNS:-3}"
PA="$ROOT/bin/port-app"
BB=/bin/busybox
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
BYTES=$((MIB << 20))

"$PA" run "$BB" -- true   # builds the toolchain, rewrites busybox and builds its kernel before anything is timed

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mbs() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) print "-"; else if (b / s < 1e6) printf "%.4f", b / s / 1e6; else printf "%.1f", b / s / 1e6 }'; }
# The last "N.NN" line busybox time printed on stderr (dd's record counts come before it).
guest_secs() { grep -E '^[0-9]+\.[0-9]+$' "$1" | tail -1; }
check() { [[ "$1" == "$2" ]] || { echo "bench/console.sh: $3: got '$1', expected '$2'" >&2; exit 1; }; }

# One transfer: "in" or "out" of n bytes on platform, with the console env; prints
# "guest_seconds wall_seconds".
transfer() {
    local dir=$1 n=$2 platform=$3 env=$4 t0 t1 got bs
    bs=$((n % 65536 == 0 ? 65536 : 1024))
    t0=$(now)
    if [[ $dir == in ]]; then
        got=$(head -c "$n" /dev/zero | env $env "$PA" run --platform "$platform" "$BB" -- \
            time -f %e dd of=/dev/null bs=64k 2>"$OUT/err" | wc -c)
        check "$got" 0 "stdout of the in-transfer"
    else
        got=$(env $env "$PA" run --platform "$platform" "$BB" -- \
            time -f %e dd if=/dev/zero bs=$bs count=$((n / bs)) 2>"$OUT/err" | cat | wc -c)
        check "$got" "$n" "bytes out of the guest ($platform, $env)"
    fi
    t1=$(now)
    echo "$(guest_secs "$OUT/err") $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}

boot_secs() {
    local t0 t1
    t0=$(now)
    env $2 "$PA" run --platform "$1" "$BB" -- true
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

# Median over RUNS of guest seconds and of wall seconds minus the median boot.
measure() {
    local dir=$1 n=$2 platform=$3 env=$4 boot=$5 g=() w=()
    for ((i = 0; i < RUNS; i++)); do
        read -r gs ws < <(transfer "$dir" "$n" "$platform" "$env")
        g+=("$gs")
        w+=("$(awk -v a="$ws" -v b="$boot" 'BEGIN { print a - b }')")
    done
    echo "$(printf '%s\n' "${g[@]}" | median) $(printf '%s\n' "${w[@]}" | median)"
}

native_cat() {
    local t0 t1
    t0=$(now)
    head -c "$1" /dev/zero | cat | cat > /dev/null
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

echo "port-app console throughput, $MIB MiB each way, median of $RUNS, $(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
nat=$(for ((i = 0; i < RUNS; i++)); do native_cat "$BYTES"; done | median)
printf "%-34s %12s %12s\n" "console" "in MB/s" "out MB/s"
boots=""
printf "%-34s %12s %12s\n" "native cat (pipe to pipe)" "$(mbs "$BYTES" "$nat")" "$(mbs "$BYTES" "$nat")"
for platform in qemu-pc qemu-microvm; do
    boot=$(for ((i = 0; i < RUNS; i++)); do boot_secs "$platform" ""; done | median)
    read -r gin _ < <(measure in "$BYTES" "$platform" "" "$boot")
    read -r gout _ < <(measure out "$BYTES" "$platform" "" "$boot")
    printf "%-34s %12s %12s\n" "$platform virtio-console" "$(mbs "$BYTES" "$gin")" "$(mbs "$BYTES" "$gout")"
    if ((SERIAL_KIB > 0)); then
        sb=$((SERIAL_KIB << 10))
        sboot=$(boot_secs "$platform" PORT_APP_CONSOLE=serial)
        read -r sin _ < <(RUNS=1 measure in "$sb" "$platform" PORT_APP_CONSOLE=serial "$sboot")
        read -r sout _ < <(RUNS=1 measure out "$sb" "$platform" PORT_APP_CONSOLE=serial "$sboot")
        printf "%-34s %12s %12s\n" "$platform serial ($SERIAL_KIB KiB, 1 run)" "$(mbs "$sb" "$sin")" "$(mbs "$sb" "$sout")"
        boots="$boots $platform: run of true ${boot}s with the virtio console, ${sboot}s serial only;"
    fi
done
if [[ -n $boots ]]; then echo "(whole runs:$boots)"; fi
head -c "$BYTES" /dev/zero | "$PA" run "$BB" -- time -f %e wc -c >"$OUT/wc" 2>"$OUT/err"
check "$(cat "$OUT/wc")" "$BYTES" "wc -c in the guest"
echo "(busybox wc -c in the guest on qemu-pc: $(mbs "$BYTES" "$(guest_secs "$OUT/err")") MB/s: its per-byte loop under TCG)"

if ((SHA_MB > 0)); then
    head -c "${SHA_MB}M" /dev/urandom > "$OUT/f"
    host=$(sha256sum < "$OUT/f")
    for platform in qemu-pc qemu-microvm; do
        guest=$("$PA" run --platform "$platform" "$BB" -- sha256sum < "$OUT/f")
        echo "sha256 of $SHA_MB MB from /dev/urandom: host $host, $platform $guest"
        check "$guest" "$host" "sha256sum through the console on $platform"
    done
fi
