#!/usr/bin/env bash
# Runs every case of cases.txt natively with both builds (OUT/musl, OUT/glibc),
# twice each, and checks that
#   - the exit code is the expected one: for exit_* programs the first
#     argument & 255 (0 when absent), for sigdeath its second (128 + the
#     signal), for every other program 0;
#   - stdout and the exit code are byte-identical between the two runs.
# Differences between the musl and glibc output of a case are reported but do
# not fail (the differential harness compares one build against itself under
# port-app, never musl against glibc).
# Usage: run-native.sh OUT_DIR [CASES_FILE]
set -u
out=${1:?usage: run-native.sh OUT_DIR [CASES_FILE]}
here=$(cd "$(dirname "$0")" && pwd)
cases=${2:-$here/cases.txt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0 fail=0
while read -r -a words; do
    [ ${#words[@]} -eq 0 ] && continue
    name=${words[0]}
    args=("${words[@]:1}")
    expect=0
    case $name in
        exit_*) expect=$(( ${args[0]:-0} & 255 )) ;;
        sigdeath) expect=${args[1]} ;;
    esac
    label="${words[*]}"
    for flavor in musl glibc; do
        bin=$out/$flavor/$name
        for run in 1 2; do
            timeout 60 "$bin" "${args[@]}" >"$work/$flavor.$run" 2>"$work/$flavor.$run.err" </dev/null
            echo $? >"$work/$flavor.$run.rc"
        done
        rc=$(cat "$work/$flavor.1.rc")
        if [ "$rc" != "$expect" ]; then
            echo "FAIL [$flavor] $label: exit $rc, expected $expect"
            sed 's/^/    /' "$work/$flavor.1" "$work/$flavor.1.err" | tail -5
            fail=$((fail + 1))
        elif ! cmp -s "$work/$flavor.1" "$work/$flavor.2" || ! cmp -s "$work/$flavor.1.rc" "$work/$flavor.2.rc"; then
            echo "FAIL [$flavor] $label: two runs differ"
            diff "$work/$flavor.1" "$work/$flavor.2" | head -10 | sed 's/^/    /'
            fail=$((fail + 1))
        else
            echo "ok   [$flavor] $label"
            pass=$((pass + 1))
        fi
    done
    if ! cmp -s "$work/musl.1" "$work/glibc.1"; then
        echo "note: musl and glibc output differ for: $label"
        diff "$work/musl.1" "$work/glibc.1" | head -10 | sed 's/^/    /'
    fi
done <"$cases"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
