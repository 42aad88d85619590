#!/usr/bin/env bash
# Fetches lwIP's source from Debian's `lwip` source package into DIR (port-app's
# cache) and prints the path of its src/ directory. lwIP is never copied into the
# repository: the net module's build (platforms/qemu/Makefile through
# posix-shim/net/module.mk) compiles it from here.
#
#   fetch-lwip.sh DIR
#
# apt gets a private configuration under DIR/apt (its own sources list with a
# deb-src line for the host's Debian release, lists, cache): the system's apt
# sources are never edited and no root is needed. apt-get source downloads the
# .dsc, checks the tarballs against it and unpacks them with dpkg-source.
# Safe to run concurrently (flock) and again (an unpacked tree is reused).
set -euo pipefail
DIR="${1:?usage: fetch-lwip.sh DIR}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
exec 9>"$DIR/.lock"
flock 9

found="$(ls -d "$DIR"/lwip-*/src/core 2>/dev/null | head -n1 || true)"
if [[ -n "$found" ]]; then
    dirname "$(dirname "$found")"
    exit 0
fi

fail() { echo "lwIP: $*" >&2; exit 1; }
command -v apt-get >/dev/null || fail "apt-get not found: lwIP comes from Debian's lwip source package"
command -v dpkg-source >/dev/null || fail "dpkg-source not found (apt-get install dpkg-dev)"

codename="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
[[ -n "$codename" ]] || fail "cannot tell the host's Debian release from /etc/os-release"
mirror="${PORT_APP_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

apt="$DIR/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
echo "deb-src $mirror $codename main" >"$apt/etc/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt/etc/sources.list" -o "Dir::Etc::SourceParts=-"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
      -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)")
log="$apt/log"
# apt-get update exits 0 when it cannot reach the mirror: look at what it said.
if ! apt-get "${opts[@]}" update >"$log" 2>&1 || grep -qE '^(Err|E):' "$log"; then
    fail "cannot reach $mirror ($codename) to fetch Debian's lwip source (offline? see $log): $(grep -m1 -E '^(E|Err|W):' "$log" || tail -n1 "$log")"
fi
work="$DIR/tmp.$$"
rm -rf "$work" && mkdir -p "$work"
(cd "$work" && apt-get "${opts[@]}" source lwip) >>"$log" 2>&1 ||
    { rm -rf "$work"; fail "apt-get source lwip failed (see $log): $(grep -m1 -E '^(E|Err|W|dpkg-source: error):' "$log" || tail -n1 "$log")"; }
src="$(ls -d "$work"/lwip-*/ | head -n1)"
[[ -d "$src/src/core" ]] || { rm -rf "$work"; fail "the lwip source package has no src/core"; }
name="$(basename "$src")"
mv "$src" "$DIR/$name"
mv "$work"/*.dsc "$DIR/" 2>/dev/null || true
rm -rf "$work"
echo "$DIR/$name"
