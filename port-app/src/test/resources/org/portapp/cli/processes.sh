# A shell script that needs processes: subshells, command substitution, trap,
# background jobs and wait, pipelines, exec. ProcessesOnQemuTest runs it with
# busybox's sh natively and in the guest (given with --file); stdout, stderr
# and the exit status must be identical. Jobs write to files instead of the
# terminal so that the order of the output never depends on timing.
set -u
trap 'echo "EXIT trap, status $?"' EXIT
trap 'echo "caught USR1"' USR1
dir=$(mktemp -d /tmp/processes.XXXXXX)

greet() { echo "hello from $1"; }
greet "a function"

# command substitution, nested, over pipelines
n=$(echo "$(seq 1 5 | wc -l)" | tr -d ' ')
echo "count: $n"
words=$(printf '%s\n' pear apple fig | sort | head -n 2 | tr '\n' ' ')
echo "sorted: $words"

# a subshell keeps its changes to itself
x=outer
( x=inner; cd /tmp; echo "in the subshell: x=$x, in $(pwd)" )
echo "after it: x=$x"
( exit 5 ); echo "subshell status: $?"

# background jobs and wait
( sleep 0.2; echo slow >"$dir/slow" ) &
slow=$!
( echo fast >"$dir/fast"; exit 4 ) &
fast=$!
wait $fast; echo "fast job status: $?, wrote $(cat "$dir/fast")"
wait $slow; echo "slow job status: $?, wrote $(cat "$dir/slow")"
for i in 1 2 3; do ( echo "job $i" >"$dir/job$i" ) & done
wait
cat "$dir"/job*

# signals: one to the shell itself from a child, one that kills a job
sh -c "kill -USR1 $$"
sleep 10 &
victim=$!
kill -TERM $victim
wait $victim; echo "killed job status: $?"

# pipelines: the last command's status, negation
printf 'b\na\nc\n' | sort | tail -n 1
false | true; echo "pipeline status: $?"
! false; echo "negated: $?"

# a here-document through a loop in a pipeline (the loop runs in a subshell)
count=0
printf 'first\nsecond\n' | while read -r line; do count=$((count+1)); echo "$count: $line"; done
echo "count outside the pipeline: $count"

# redirections around a group run by a child
{ echo one; echo two >&2; } >"$dir/both" 2>&1
wc -l <"$dir/both"

# exec in a subshell replaces only the subshell
( exec echo "exec'd echo" ); echo "still here"
rm -r "$dir"
exit 3
