package org.portapp.platform.qemu;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The kernel command line ({@code -append}) that tells the unikernel which app to run
 * and how (platforms/qemu/loader.c): space-separated words
 * {@code portapp.exe=PATH portapp.arg=ARGV0 portapp.arg=... portapp.env=K=V ...
 * [portapp.cwd=DIR] [portapp.trace=1] [portapp.time=NS] [portapp.tty=FDS[:ROWSxCOLS]] [portapp.aslr=0]},
 * each value
 * percent-encoded: every byte outside
 * {@code [A-Za-z0-9._/,:@+=-]} becomes {@code %XX}, so a value holds anything.
 *
 * @param exe      the app's path in the initrd
 * @param argv     argv, argv[0] first
 * @param env      environment entries {@code K=V}
 * @param workdir  the app's working directory (absolute; "/" is the kernel's default and not written)
 * @param trace    one strace-like line per syscall on the app's stderr
 * @param epochNs  host time at launch, ns since the epoch (0: none; CLOCK_REALTIME then starts at 1970)
 * @param tty      which of the host's fds 0-2 are terminals, and their size ({@link HostTerminal})
 * @param aslr     random load bases for a position-independent app and its ld.so (the default)
 */
public record KernelCommandLine(String exe, List<String> argv, List<String> env, String workdir, boolean trace,
                                long epochNs, HostTerminal tty, boolean aslr) {
    public KernelCommandLine {
        Objects.requireNonNull(tty);
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        if (argv.size() > 256 || env.size() > 256) {
            throw new QemuException("at most 256 arguments and 256 environment entries reach the unikernel");
        }
    }

    /** A command line for an app whose fds 0-2 are no terminals. */
    public KernelCommandLine(String exe, List<String> argv, List<String> env, String workdir, boolean trace,
                             long epochNs) {
        this(exe, argv, env, workdir, trace, epochNs, HostTerminal.NONE, true);
    }

    /** This command line, for a host whose terminals are {@code tty}. */
    public KernelCommandLine withTerminal(HostTerminal tty) {
        return new KernelCommandLine(exe, argv, env, workdir, trace, epochNs, tty, aslr);
    }

    /** This command line, with load-base randomization on or off ({@code --no-aslr}). */
    public KernelCommandLine withAslr(boolean on) {
        return new KernelCommandLine(exe, argv, env, workdir, trace, epochNs, tty, on);
    }

    /** The encoded command line. */
    public String encode() {
        List<String> words = new ArrayList<>();
        words.add("portapp.exe=" + encodeValue(exe));
        argv.forEach(a -> words.add("portapp.arg=" + encodeValue(a)));
        env.forEach(e -> words.add("portapp.env=" + encodeValue(e)));
        if (!workdir.equals("/")) {
            words.add("portapp.cwd=" + encodeValue(workdir));
        }
        if (trace) {
            words.add("portapp.trace=1");
        }
        if (epochNs > 0) {
            words.add("portapp.time=" + epochNs);
        }
        if (!tty.word().isEmpty()) {
            words.add(tty.word());
        }
        if (!aslr) {
            words.add("portapp.aslr=0");
        }
        String line = String.join(" ", words);
        if (line.length() >= 16384) {
            throw new QemuException("arguments and environment too long for the kernel command line ("
                    + line.length() + " bytes encoded, at most 16383)");
        }
        return line;
    }

    /** Percent-encodes one value (UTF-8 bytes). */
    static String encodeValue(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || "._/,:@+=-".indexOf(c) >= 0) {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c));
            }
        }
        return b.toString();
    }
}
