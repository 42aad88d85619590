package org.portapp.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Busybox applet invocations for the differential suites: {args..., optional "<<<stdin",
 * optional NEEDS_FORK, optional LISTS_ROOT}. They run in a directory holding fruits.txt and
 * sub/nums.txt. NEEDS_FORK marks an invocation whose shell forks (pipelines, subshells,
 * external commands, exec): on the unikernel it runs in processes of its own (issue 9) and
 * must match native like the rest. LISTS_ROOT marks one whose output shows the root
 * directory: on the unikernel the native run it is compared with is chrooted into a tree
 * with the guest's top-level names ({@link DifferentialQemuTest#imageRoot}).
 */
final class BusyboxCases {
    static final String NEEDS_FORK = "\u0000needs-fork";
    static final String LISTS_ROOT = "\u0000lists-root";

    record Case(List<String> args, String stdin, boolean needsFork, boolean listsRoot) {
        String name() {
            return String.join(" ", args);
        }
    }

    private BusyboxCases() {
    }

    static final String[][] ALL = {
        {"sh", "-c", "echo hello; ls /; exit 7", NEEDS_FORK, LISTS_ROOT},
        {"sh", "-c", "ls / | wc -l; echo $?", NEEDS_FORK, LISTS_ROOT},
        {"sh", "-c", "sleep 1 & wait; echo done", NEEDS_FORK},
        {"sh", "-c", "cat fruits.txt | sort | uniq -c", NEEDS_FORK},
        {"sh", "-c", "false || echo ok; (exit 3); echo $?", NEEDS_FORK},
        {"echo", "hello", "world"},
        {"printf", "%s=%d\\n", "answer", "42"},
        {"seq", "1", "10"},
        {"seq", "-s", ",", "5", "-1", "-5"},
        {"expr", "6", "*", "7"},
        {"basename", "/usr/lib/libc.so.6", ".6"},
        {"dirname", "/usr/lib/libc.so.6"},
        {"true"},
        {"false"},
        {"sh", "-c", "exit 123"},
        {"wc", "-l", "fruits.txt"},
        {"sort", "fruits.txt"},
        {"sort", "-u", "-r", "fruits.txt"},
        {"uniq", "-c", "<<<a\na\nb\nc\nc\nc\n"},
        {"head", "-n", "2", "fruits.txt"},
        {"tail", "-n", "2", "fruits.txt"},
        {"cut", "-d", " ", "-f", "2", "sub/nums.txt"},
        {"tr", "a-z", "A-Z", "<<<shout please\n"},
        {"sed", "s/apple/APPLE/g", "fruits.txt"},
        {"awk", "{ s += $1 } END { print s, NR }", "sub/nums.txt"},
        {"grep", "-n", "an", "fruits.txt"},
        {"grep", "-c", "nomatch", "fruits.txt"},
        {"md5sum", "fruits.txt"},
        {"sha256sum", "fruits.txt"},
        {"cat", "fruits.txt", "sub/nums.txt"},
        {"cat", "<<<from stdin\n"},
        {"ls", "-1", "sub"},
        {"ls", "-la", "/nonexistent-dir"},
        {"stat", "-c", "%s %F", "fruits.txt"},
        {"test", "-f", "fruits.txt"},
        {"sh", "-c", "[ -d sub ] && echo dir || echo nodir"},
        {"date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M:%S"},
        {"od", "-An", "-tx1", "fruits.txt"},
        {"hexdump", "-C", "sub/nums.txt"},
        {"base64", "fruits.txt"},
        {"factor", "360", "9973"},
        {"fold", "-w", "3", "<<<abcdefghij\n"},
        {"rev", "<<<stressed\n"},
        {"nl", "fruits.txt"},
        {"sh", "-c", "yes abc | head -n 3", NEEDS_FORK},
        {"sh", "-c", "i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo -n $i; done; echo"},
        {"sh", "-c", "seq 1 1000 | sort -rn | head -n 3", NEEDS_FORK},
        {"sh", "-c", "echo one > t1 && echo two >> t1 && cat t1 && rm t1", NEEDS_FORK},
        {"sh", "-c", "mkdir -p d1/d2 && touch d1/d2/f && find d1 | sort && rm -r d1", NEEDS_FORK},
        {"sh", "-c", "gzip -c fruits.txt | gunzip -c", NEEDS_FORK},
        {"sh", "-c", "cat fruits.txt | bzip2 -c | bunzip2 -c | wc -c", NEEDS_FORK},
        {"cksum", "fruits.txt"},
        {"sh", "-c", "cd sub && pwd | sed 's|.*/||'", NEEDS_FORK},
        {"env", "-i", "A=1", "B=2", "env", NEEDS_FORK},
        {"sh", "-c", "echo $0 $1 $2", "zero", "one", "two"},
        {"sh", "-c", "echo to-stderr >&2; exit 2"},
        {"sh", "-c", "sleep 0.1; echo slept", NEEDS_FORK},
        {"tac", "fruits.txt"},
        {"comm", "-12", "fruits.txt", "fruits.txt"},
        {"cmp", "fruits.txt", "sub/nums.txt"},
        {"diff", "fruits.txt", "sub/nums.txt"},
        {"uname", "-s"},
        {"id", "-u"},
        {"sh", "-c", "trap 'echo trapped' USR1; kill -USR1 $$; echo after"},
        {"sh", "-c", "(echo sub; exit 3); echo status $?", NEEDS_FORK},
        {"nonexistent-applet"},
    };

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (String[] c : ALL) {
            List<String> args = new ArrayList<>(List.of(c));
            boolean fork = args.remove(NEEDS_FORK);
            boolean root = args.remove(LISTS_ROOT);
            String stdin = "";
            if (!args.isEmpty() && args.get(args.size() - 1).startsWith("<<<")) {
                stdin = args.remove(args.size() - 1).substring(3);
            }
            out.add(new Case(List.copyOf(args), stdin, fork, root));
        }
        return out;
    }
}
