#!/usr/bin/env bash
# Benchmark (not a test): Debian's nginx-light and redis-server, the same host binaries,
# on the port-app unikernel and in a Linux guest, side by side in one run under the same
# QEMU binary and flags (pc, TCG, -cpu max, the same -m, the default single vCPU, QEMU's
# user-mode network with a hostfwd), with ratios (unikernel / Linux):
#   - nginx requests/s with wrk, a small page (-c32) and a 1 MiB file (-c4);
#   - redis-server SET and GET ops/s with redis-benchmark (same -n, -P, -c on both; -c 4
#     by default: QEMU's hostfwd socket listens with a backlog of 1, and a burst of 50
#     connects leaves some hanging on the host, on either guest: docs/networking.md);
#   - the smallest -m at which each boots and serves (nginx returns the page, redis
#     answers PING), by bisection over a list of sizes.
# The unikernel: `port-app build` of each app (its run.sh's QEMU line is the template of
# both command lines). The Linux guest: Debian's linux-image-amd64 kernel, fetched with a
# private apt configuration under port-app's cache (the system's apt state is never
# touched) and unpacked with dpkg-deb, booted with an initramfs built here from the host's
# files: busybox-static as /init (bench/net-guest-init.sh), the virtio-net/virtio-pci
# modules with their dependencies, the app with its ldd closure, its configuration and
# site; cached by content under the cache.
# Usage: bench/net.sh
#   DURATION=10 (wrk seconds per row)  ROUNDS=2 (alternating rounds per row)
#   WRK_C=32 (connections, small page)  WRK_C_BIG=4 (1 MiB file)  WRK_TIMEOUT=30 (s)
#   REDIS_N=20000 REDIS_P=16 REDIS_C=4 REDIS_TIMEOUT=180 (seconds, then the row fails)
#   MEM=128 (MiB, the throughput runs)  MEMS="16 24 32 40 48 56 64 80 96 112 128" (bisected)
#   PROBE_TIMEOUT=90 (seconds for a boot in the -m search)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${PORT_APP_CACHE:-$HOME/.cache/port-app}"
BENCH="$CACHE/bench-net"
DURATION="${DURATION:-10}"
REDIS_N="${REDIS_N:-20000}"
REDIS_P="${REDIS_P:-16}"
REDIS_C="${REDIS_C:-4}"
REDIS_TIMEOUT="${REDIS_TIMEOUT:-180}"
ROUNDS="${ROUNDS:-2}"
MEM="${MEM:-128}"
MEMS="${MEMS:-16 24 32 40 48 56 64 80 96 112 128}"
WRK_C="${WRK_C:-32}"
WRK_C_BIG="${WRK_C_BIG:-4}"
WRK_TIMEOUT="${WRK_TIMEOUT:-30}"
PROBE_TIMEOUT="${PROBE_TIMEOUT:-90}"
PA="$ROOT/bin/port-app"

die() { echo "bench/net.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found ($2)"; }
need qemu-system-x86_64 "apt-get install qemu-system-x86"
need wrk "apt-get install wrk"
need redis-benchmark "apt-get install redis-tools"
need redis-cli "apt-get install redis-tools"
need curl "apt-get install curl"
need cpio "apt-get install cpio"
need dpkg-deb "apt-get install dpkg"
need apt-get "the Linux guest's kernel comes from Debian's linux-image-amd64"
need objcopy "apt-get install binutils"
need python3 "apt-get install python3"
need setsid "apt-get install util-linux"
[[ -x /usr/sbin/nginx ]] || die "/usr/sbin/nginx not found (apt-get install nginx-light)"
[[ -x /usr/bin/redis-server ]] || die "/usr/bin/redis-server not found (apt-get install redis-server)"
BUSYBOX=/bin/busybox
[[ -x $BUSYBOX ]] && ! ldd "$BUSYBOX" >/dev/null 2>&1 ||
    die "$BUSYBOX is missing or not static (apt-get install busybox-static)"
[[ $MEM =~ ^[0-9]+$ && $DURATION =~ ^[0-9]+$ && $REDIS_N =~ ^[0-9]+$ && $REDIS_P =~ ^[0-9]+$ &&
   $REDIS_C =~ ^[0-9]+$ && $PROBE_TIMEOUT =~ ^[0-9]+$ && $MEMS =~ ^[0-9\ ]+$ &&
   $REDIS_TIMEOUT =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ && $WRK_C =~ ^[1-9][0-9]*$ &&
   $WRK_C_BIG =~ ^[1-9][0-9]*$ && $WRK_TIMEOUT =~ ^[1-9][0-9]*$ ]] ||
    die "MEM, MEMS, DURATION, ROUNDS, WRK_*, REDIS_* and PROBE_TIMEOUT take numbers"

OUT="$(mktemp -d)"
VMS=()   # process groups of the QEMUs started (each its own session)
cleanup() {
    local p
    for p in "${VMS[@]}"; do kill -- -"$p" 2>/dev/null || true; done
    rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$BENCH"

# --- the Linux guest's kernel: linux-image-amd64 through a private apt ---------------------
apt_opts() {
    local d=$BENCH/apt
    printf '%s\n' -o "Dir::Etc::SourceList=$d/etc/sources.list" -o "Dir::Etc::SourceParts=$d/etc/sources.list.d" \
        -o "Dir::Etc::Preferences=$d/etc/preferences" -o "Dir::Etc::PreferencesParts=$d/etc/preferences.d" \
        -o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status" -o "Dir::Cache=$d/cache" \
        -o "Debug::NoLocking=1" -o "APT::Architecture=amd64" -o "APT::Sandbox::User=$(id -un)"
}
linux_kernel() {   # prints the unpacked package's directory
    local d=$BENCH/apt opts pkg log=$BENCH/apt/log
    mapfile -t opts < <(apt_opts)
    mkdir -p "$d/etc/sources.list.d" "$d/etc/preferences.d" "$d/state/lists/partial" "$d/cache/archives/partial"
    touch "$d/state/status"
    # the host's sources (read, never edited), as port-app pkg does
    if [[ -f /etc/apt/sources.list ]]; then cp /etc/apt/sources.list "$d/etc/sources.list"; else : >"$d/etc/sources.list"; fi
    rm -f "$d/etc/sources.list.d"/*
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && cp "$f" "$d/etc/sources.list.d/"
    done
    if [[ -z "$(find "$d/state/updated" -mmin -1440 2>/dev/null)" ]] || ! ls "$d/state/lists/"*_Packages* >/dev/null 2>&1; then
        # apt-get update exits 0 when it cannot reach a source: look at what it said
        if ! apt-get "${opts[@]}" -q update >"$log" 2>&1 || grep -qE '^(E:|W: Failed to fetch)' "$log"; then
            ls "$d/state/lists/"*_Packages* >/dev/null 2>&1 ||
                die "apt could not fetch the package lists (offline? see $log): $(grep -m1 -E '^(E|W):' "$log" || tail -n1 "$log")"
        else
            touch "$d/state/updated"
        fi
    fi
    pkg=$(apt-cache "${opts[@]}" depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [[ -n $pkg ]] || die "apt knows no linux-image-amd64 in the host's sources ($d)"
    if [[ ! -d "$BENCH/linux/$pkg/boot" ]]; then
        rm -rf "$BENCH/linux/$pkg.tmp" && mkdir -p "$BENCH/linux/$pkg.tmp"
        # apt-get download checks the .deb against the signed index
        (cd "$BENCH/linux/$pkg.tmp" && apt-get "${opts[@]}" -q download "$pkg" >>"$log" 2>&1) ||
            die "apt-get download $pkg failed (see $log)"
        dpkg-deb -x "$BENCH/linux/$pkg.tmp"/*.deb "$BENCH/linux/$pkg.tmp/root"
        mv "$BENCH/linux/$pkg.tmp/root" "$BENCH/linux/$pkg"
        rm -rf "$BENCH/linux/$pkg.tmp"
    fi
    echo "$BENCH/linux/$pkg"
}

# --- the apps' files, the same for both ------------------------------------------------------
SITE="$OUT/files"
mkdir -p "$SITE/srv/www" "$SITE/var/lib/nginx" "$SITE/var/log/nginx" "$SITE/run" "$SITE/etc/nginx"
cat >"$SITE/etc/nginx/nginx.conf" <<'EOF'
daemon off;
master_process off;
worker_processes 1;
error_log stderr;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    keepalive_timeout 65;
    server {
        listen 8080;
        root /srv/www;
    }
}
EOF
python3 -c 'import sys; sys.stdout.write("<!DOCTYPE html>\n<html><head><title>port-app bench</title></head><body>\n" + "<p>A small page served by nginx for bench/net.sh.</p>\n" * 9 + "</body></html>\n")' \
    >"$SITE/srv/www/index.html"
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(8).randbytes(1 << 20))' >"$SITE/srv/www/big.bin"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the unikernel images ----------------------------------------------------------------
"$PA" --version >/dev/null   # builds the toolchain if needed
echo "building the unikernel images (port-app build) ..." >&2
"$PA" build -q -m "$MEM" -o "$OUT/nginx-img" -p "127.0.0.1:$(free_port):8080" \
    --file "$SITE/etc/nginx/nginx.conf:/etc/nginx/nginx.conf" --dir "$SITE/srv/www:/srv/www" \
    --dir "$SITE/var/lib/nginx:/var/lib/nginx" --dir "$SITE/var/log/nginx:/var/log/nginx" --dir "$SITE/run:/run" \
    /usr/sbin/nginx -- -c /etc/nginx/nginx.conf -g 'pid /run/nginx.pid;' >"$OUT/nginx-build.txt" ||
    die "port-app build of nginx failed"
"$PA" build -q -m "$MEM" -o "$OUT/redis-img" -p "127.0.0.1:$(free_port):6379" \
    /usr/bin/redis-server -- --port 6379 --bind 0.0.0.0 --protected-mode no --save '' --appendonly no \
    --daemonize no >"$OUT/redis-build.txt" || die "port-app build of redis failed"

# --- the Linux guest's initramfs, per app, cached by content -----------------------------------
echo "preparing the Linux guest (linux-image-amd64, initramfs) ..." >&2
KPKG="$(linux_kernel)"
KVER="$(basename "$(ls -d "$KPKG"/lib/modules/*/ | head -n1)")"
VMLINUZ="$KPKG/boot/vmlinuz-$KVER"
[[ -r $VMLINUZ ]] || die "no $VMLINUZ in the unpacked linux-image package"

# copies module NAME (and first what it depends on) into DIR, appending to DIR/order;
# built-in modules are skipped, .ko.xz/.ko.zst decompressed
add_module() {
    local name=$1 dir=$2 mods=$KPKG/lib/modules/$KVER f dep
    grep -qE "/${name//_/[_-]}\.ko$" "$mods/modules.builtin" 2>/dev/null && return 0
    grep -qx "$name.ko" "$dir/order" 2>/dev/null && return 0
    f=$(find "$mods/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$name.ko.zst" -o -name "${name//_/-}.ko*" \) | head -n1)
    [[ -n $f ]] || die "module $name is neither built into $KVER nor in its package"
    case $f in
    *.xz) need xz "apt-get install xz-utils: $KVER's modules are .ko.xz"; xz -dc "$f" >"$dir/$name.ko" ;;
    *.zst) need zstd "apt-get install zstd: $KVER's modules are .ko.zst"; zstd -qdc "$f" >"$dir/$name.ko" ;;
    *) cp "$f" "$dir/$name.ko" ;;
    esac
    for dep in $(objcopy -O binary --only-section=.modinfo "$dir/$name.ko" /dev/stdout | tr '\0' '\n' |
                 sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep" "$dir"
    done
    echo "$name.ko" >>"$dir/order"
}
copy_closure() {   # BIN ROOT: the binary and every library ldd names, at their paths
    local bin=$1 root=$2 lib
    mkdir -p "$root$(dirname "$bin")" && cp -L "$bin" "$root$bin"
    for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
        mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"
    done
}
linux_initramfs() {   # APP: prints the path of its cached initramfs
    local app=$1 root=$OUT/linux-$1 key out
    rm -rf "$root" && mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,modules,data}
    cp "$BUSYBOX" "$root/bin/busybox"
    cp "$ROOT/bench/net-guest-init.sh" "$root/init" && chmod 755 "$root/init"
    : >"$root/modules/order"
    add_module virtio_pci "$root/modules"
    add_module virtio_net "$root/modules"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
    case $app in
    nginx)
        copy_closure /usr/sbin/nginx "$root"
        cp -a "$SITE/etc/nginx" "$root/etc/" && cp -a "$SITE/srv" "$SITE/var" "$root/"
        ;;
    redis) copy_closure /usr/bin/redis-server "$root" ;;
    esac
    # the key: every path, mode and content (file hashes, link targets), sorted
    key=$(cd "$root" && find . -printf '%p %m %y %l\n' | LC_ALL=C sort |
          while read -r p m y l; do
              if [[ $y == f ]]; then echo "$p $m $(sha256sum <"$p" | cut -c1-64)"; else echo "$p $m $y $l"; fi
          done | sha256sum | cut -c1-16)
    out="$BENCH/initramfs-$app-$KVER-$key.cpio.gz"
    if [[ ! -f $out ]]; then
        (cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0 | gzip -n -6) >"$out.tmp.$$"
        mv "$out.tmp.$$" "$out"
    fi
    echo "$out"
}
NGINX_INITRD="$(linux_initramfs nginx)"
REDIS_INITRD="$(linux_initramfs redis)"

# --- QEMU command lines: run.sh's, with -m and the host port set, and for Linux the kernel,
# initrd and command line swapped; everything else (machine, CPU, devices, network) shared
qemu_line() {   # IMG: the QEMU line of its run.sh, $DIR, $TTY and its cmdline.txt expanded
    local img=$1 line
    line=$(grep -m1 '^qemu-system-x86_64 ' "$img/run.sh") || die "$img/run.sh has no qemu-system-x86_64 line"
    line=$(IMG="$img" python3 -c '
import os, sys
img = os.environ["IMG"]
l = sys.stdin.read().strip()
with open(os.path.join(img, "cmdline.txt")) as f:
    l = l.replace("$(cat \"$DIR/cmdline.txt\")", f.read().strip())
print(l.replace("$DIR", img).replace("$TTY", ""))' <<<"$line")
    [[ $line == *' -kernel "'*'" -initrd "'*'" -append "'*'"'* && $line == *hostfwd=tcp:127.0.0.1:* &&
       $line == *' -m '* && $line != *'$'* ]] ||
        die "run.sh's QEMU line is not what this script knows how to adapt: $line"
    echo "$line"
}
NGINX_QEMU="$(qemu_line "$OUT/nginx-img")"
REDIS_QEMU="$(qemu_line "$OUT/redis-img")"
# KIND (ours|linux) APP MEM PORT: the command line to run
vm_cmd() {
    local kind=$1 app=$2 mem=$3 port=$4 line initrd
    if [[ $app == nginx ]]; then line=$NGINX_QEMU initrd=$NGINX_INITRD; else line=$REDIS_QEMU initrd=$REDIS_INITRD; fi
    line=$(sed -E "s/ -m [0-9]+ / -m $mem /; s/hostfwd=tcp:127\.0\.0\.1:[0-9]+-/hostfwd=tcp:127.0.0.1:$port-/" <<<"$line")
    if [[ $kind == linux ]]; then
        line=$(K="$VMLINUZ" I="$initrd" A="console=ttyS0 quiet panic=-1 bench=$app" python3 -c '
import os, re, sys
l = sys.stdin.read().strip()
l = re.sub(r" -kernel \"[^\"]*\"", lambda m: " -kernel \"%s\"" % os.environ["K"], l)
l = re.sub(r" -initrd \"[^\"]*\"", lambda m: " -initrd \"%s\"" % os.environ["I"], l)
l = re.sub(r" -append \"[^\"]*\"", lambda m: " -append \"%s\"" % os.environ["A"], l)
print(l)' <<<"$line")
    fi
    echo "$line"
}
VM=
start_vm() {   # KIND APP MEM PORT LOG: starts QEMU in its own session, sets VM to its pid
    local cmd
    cmd=$(vm_cmd "$1" "$2" "$3" "$4")
    printf 'exec %s\n' "$cmd" >"$OUT/vm-$1-$2-$3-$4.sh"   # one per VM: two may start at once
    setsid sh "$OUT/vm-$1-$2-$3-$4.sh" </dev/null >"$5" 2>&1 &
    VM=$!
    VMS+=("$VM")
}
stop_vm() {
    kill -- -"$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat") != Z ]]; }
serving() {   # APP PORT: nginx returns the page / redis answers PING
    if [[ $1 == nginx ]]; then
        curl -sf --max-time 5 "http://127.0.0.1:$2/index.html" 2>/dev/null | cmp -s - "$SITE/srv/www/index.html"
    else
        [[ "$(timeout 5 redis-cli -p "$2" PING 2>/dev/null)" == PONG ]]
    fi
}
wait_serving() {   # APP PORT PID SECONDS
    local end=$((SECONDS + $4))
    while ((SECONDS < end)); do
        alive "$3" || return 1
        serving "$1" "$2" && return 0
        sleep 0.5
    done
    return 1
}

# --- throughput ---------------------------------------------------------------------------
# Both guests of an app run at once (the idle one only takes its timer ticks) and every row
# is measured in ROUNDS alternating rounds, unikernel then Linux: the host's load drifts, and
# alternating spreads that drift over both columns. A row's figure is the mean of its rounds.
declare -A R   # R[kind,row] = "value errors", empty if it failed
wrk_run() {   # PORT PATH CONNECTIONS: "req/s errors" (socket errors + non-2xx)
    local out
    out=$(timeout $((DURATION + WRK_TIMEOUT + 30)) wrk -t2 -c"$3" -d"${DURATION}s" --timeout "${WRK_TIMEOUT}s" \
          "http://127.0.0.1:$1$2" 2>&1) || true
    awk '/^Requests\/sec:/ { r = $2 } /Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
         /Non-2xx/ { e += $NF } END { if (r != "") print r, e + 0 }' <<<"$out"
}
redis_run() {   # PORT KIND: "set get" ops/s; nothing (and a message) when it gave no figures
    local out v
    out=$(timeout "$REDIS_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$1" -q --csv -t set,get -n "$REDIS_N" \
          -P "$REDIS_P" -c "$REDIS_C" 2>&1) || true
    v=$(awk -F, '{ gsub("\"", "") } $1 == "SET" { s = $2 } $1 == "GET" { g = $2 }
                 END { if (s != "" && g != "") print s, g }' <<<"$out")
    [[ -n $v ]] || echo "bench/net.sh: redis-benchmark on $2 gave no figures (timeout ${REDIS_TIMEOUT}s or an error):" \
        "$(tail -n 1 <<<"$out" | tr -d '\r' | cut -c1-120)" >&2
    echo "$v"
}
add() {   # KEY "value errors": sums into R[KEY] ("" once any round failed)
    local key=$1 v=$2 old=${R[$1]-none}
    if [[ -z $v || ( $old != none && -z $old ) ]]; then R[$key]=; return; fi
    [[ $old == none ]] && old="0 0"
    R[$key]=$(awk -v a="$old" -v b="$v" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.2f %d\n", x[1] + y[1], x[2] + y[2] }')
}
mean() {   # KEY: R[KEY] divided by ROUNDS
    [[ -n ${R[$1]:-} ]] || return 0
    R[$1]=$(awk -v a="${R[$1]}" -v n="$ROUNDS" 'BEGIN { split(a, x, " "); printf "%.1f %d\n", x[1] / n, x[2] }')
}
throughput() {   # APP
    local app=$1 kind r v
    declare -A port pid up
    for kind in ours linux; do
        port[$kind]=$(free_port)
        start_vm "$kind" "$app" "$MEM" "${port[$kind]}" "$OUT/$kind-$app.log"
        pid[$kind]=$VM
    done
    for kind in ours linux; do
        if wait_serving "$app" "${port[$kind]}" "${pid[$kind]}" 300; then
            up[$kind]=1
            R[$kind,${app}_ok]=1
        else
            echo "bench/net.sh: $app on $kind never served (its console: $(tail -n 3 "$OUT/$kind-$app.log" | tr '\n' ' '))" >&2
        fi
    done
    for ((r = 1; r <= ROUNDS; r++)); do
        for kind in ours linux; do
            [[ -n ${up[$kind]:-} ]] || continue
            if [[ $app == nginx ]]; then
                ((r > 1)) || wrk_run "${port[$kind]}" /index.html "$WRK_C" >/dev/null   # warm-up, not counted
                add "$kind,small" "$(wrk_run "${port[$kind]}" /index.html "$WRK_C")"
                add "$kind,big" "$(wrk_run "${port[$kind]}" /big.bin "$WRK_C_BIG")"
            else
                v=$(redis_run "${port[$kind]}" "$kind")
                add "$kind,set" "${v:+${v% *} 0}"
                add "$kind,get" "${v:+${v#* } 0}"
            fi
        done
    done
    for kind in ours linux; do
        for r in small big set get; do mean "$kind,$r"; done
        stop_vm "${pid[$kind]}"
    done
}

# --- the smallest -m: bisection over MEMS --------------------------------------------------
runs_at() {   # KIND APP MEM
    local port ok=1
    port=$(free_port)
    start_vm "$1" "$2" "$3" "$port" "$OUT/probe.log"
    wait_serving "$2" "$port" "$VM" "$PROBE_TIMEOUT" && ok=0
    stop_vm "$VM"
    return $ok
}
smallest_mem() {   # KIND APP: sets R[KIND,mem_APP] to the smallest size of MEMS it runs at
    # (left empty if none; sizes assumed monotonic). Not in a subshell: its VMs must stay
    # in VMS for the trap.
    local sizes=($MEMS) lo=-1 hi mid
    hi=$((${#sizes[@]} - 1))
    if [[ ${sizes[$hi]} != "$MEM" || -z ${R[$1,${2}_ok]:-} ]]; then   # else the throughput run showed it
        runs_at "$1" "$2" "${sizes[$hi]}" || return 0
    fi
    while ((hi - lo > 1)); do
        mid=$(((lo + hi) / 2))
        if runs_at "$1" "$2" "${sizes[$mid]}"; then hi=$mid; else lo=$mid; fi
    done
    R[$1,mem_$2]=${sizes[$hi]}
}

echo "running (throughput, then the -m search) ..." >&2
throughput nginx
throughput redis
for app in nginx redis; do
    smallest_mem ours "$app"
    smallest_mem linux "$app"
done

# --- the table ----------------------------------------------------------------------------
row() {   # NAME UNIT OURS LINUX [OURS_ERR LINUX_ERR]
    awk -v n="$1" -v u="$2" -v a="$3" -v b="$4" -v ea="${5:-}" -v eb="${6:-}" 'BEGIN {
        sa = (a == "" ? "failed" : sprintf("%.1f %s", a, u)); sb = (b == "" ? "failed" : sprintf("%.1f %s", b, u))
        if (ea != "") sa = sa " (" ea " err)"; if (eb != "") sb = sb " (" eb " err)"
        printf "%-44s %24s %24s", n, sa, sb
        if (a != "" && b != "" && b > 0) printf " %8.2fx", a / b
        printf "\n" }'
}
field() { local v=${R[$1]:-}; [[ -z $v ]] && return 0; cut -d' ' -f"$2" <<<"$v"; }
mem_row() {
    local a=${R[ours,mem_$2]:-} b=${R[linux,mem_$2]:-}
    awk -v n="$1" -v a="$a" -v b="$b" -v top="${MEMS##* }" 'BEGIN {
        sa = (a == "" ? "> " top " MiB" : a " MiB"); sb = (b == "" ? "> " top " MiB" : b " MiB")
        printf "%-44s %24s %24s", n, sa, sb
        if (a != "" && b != "") printf " %8.2fx", a / b
        printf "\n" }'
}
qemu_version=$(qemu-system-x86_64 --version | head -n1 | sed 's/^QEMU emulator version //')
echo
echo "network: port-app unikernel vs Linux guest ($KVER), QEMU $qemu_version, $(date -u +%F)"
echo "same flags on both: pc, TCG, -cpu max, -m $MEM, 1 vCPU, user-mode network + hostfwd, virtio-net-pci"
printf "%-44s %24s %24s %9s\n" "" "unikernel" "Linux guest" "ratio"
row "nginx small page, wrk -t2 -c$WRK_C -d${DURATION}s" "req/s" "$(field ours,small 1)" "$(field linux,small 1)" \
    "$(field ours,small 2)" "$(field linux,small 2)"
row "nginx 1 MiB file, wrk -t2 -c$WRK_C_BIG -d${DURATION}s" "req/s" "$(field ours,big 1)" "$(field linux,big 1)" \
    "$(field ours,big 2)" "$(field linux,big 2)"
row "redis SET, -n $REDIS_N -P $REDIS_P -c $REDIS_C" "ops/s" "$(field ours,set 1)" "$(field linux,set 1)"
row "redis GET, -n $REDIS_N -P $REDIS_P -c $REDIS_C" "ops/s" "$(field ours,get 1)" "$(field linux,get 1)"
mem_row "smallest -m: nginx serves the page" nginx
mem_row "smallest -m: redis answers PING" redis
echo "(throughput: the mean of $ROUNDS alternating rounds; err = wrk's socket errors (timeout ${WRK_TIMEOUT}s) + non-2xx;"
echo " -m searched over: $MEMS MiB; failed = no figure: see the messages above)"
echo
echo "QEMU command lines (port numbers vary per boot):"
echo "  unikernel nginx: $(vm_cmd ours nginx "$MEM" PORT)"
echo "  Linux nginx:     $(vm_cmd linux nginx "$MEM" PORT)"
echo "  unikernel redis: $(vm_cmd ours redis "$MEM" PORT)"
echo "  Linux redis:     $(vm_cmd linux redis "$MEM" PORT)"
