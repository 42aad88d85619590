#!/usr/bin/env bash
# Fuzzing (not a test): N structural mutants of real ELF files through the rewriter
# (elf-rewriter/src/test/java/org/portapp/rewrite/fuzz). Seeds: a musl static test-app, a
# glibc static-pie test-app, /usr/bin/true (glibc dynamic PIE), ld.so, busybox (static) and
# libc.so.6. Each case must be rewritten into an output that parses again, carries the
# PortApp note it reports and keeps every input byte outside the ELF header and the patched
# windows, or be rejected with a one-line user-facing error; within its time limit (the
# larger of 10 s and 20 times the unmutated seed's rewrite, in CPU time: the machine may be
# loaded); without changing its input.
# One case in CLIEVERY (default 1000) also goes through `port-app rewrite` (in-process):
# exit 0 with the library's output or exit 1 with one error line, never 70, input unchanged.
# Prints the counts by outcome (overall and per seed), progress every 1,000 cases, and one
# FAIL line per failing case; failing inputs are kept in KEEPDIR. Exit 1 when any failed.
# Usage: bench/fuzz-elf.sh N [RNGSEED [KEEPDIR [CLIEVERY]]]   (RNGSEED default 0x5eed)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:?usage: bench/fuzz-elf.sh N [RNGSEED [KEEPDIR [CLIEVERY]]]}"
SEED="${2:-0x5eed}"
KEEP="${3:-$ROOT/target/fuzz-elf-failures}"
EVERY="${4:-1000}"
"$ROOT/bin/port-app" --version >/dev/null   # builds the toolchain jar if needed
(cd "$ROOT" && mvn -q -B -o test-compile -pl elf-rewriter -am >/dev/null)
exec java -Xmx2g -Dportapp.root="$ROOT" \
    -cp "$ROOT/port-app/target/port-app.jar:$ROOT/elf-rewriter/target/test-classes" \
    org.portapp.rewrite.fuzz.ElfFuzzer "$N" "$SEED" "$KEEP" "$EVERY"
