package org.portapp.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Signals port-app receives while an app runs, taken from the JVM (whose default for
 * INT, TERM and HUP is to exit) and handed to an action: forwarded to the app's process
 * on linuxu, ending QEMU on the unikernel. Closing restores the previous handlers.
 *
 * <p>SIGQUIT is not among them: the JVM keeps it for its thread dumps and refuses a
 * handler ({@code -Xrs} would free it but also takes INT, TERM and HUP away).
 */
public final class HostSignals implements AutoCloseable {
    /** The signals an app run takes over, by name without "SIG". */
    public static final List<String> FORWARDED = List.of("INT", "TERM", "HUP", "USR1", "USR2");

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private volatile int received;

    private HostSignals() {
    }

    /**
     * Calls {@code action} with the signal's number for each of {@code names} port-app
     * receives (on the JVM's signal thread), until closed.
     */
    public static HostSignals handle(List<String> names, IntConsumer action) {
        HostSignals hs = new HostSignals();
        for (String n : names) {
            Signal s = new Signal(n);
            hs.previous.put(s, Signal.handle(s, sig -> {
                hs.received = sig.getNumber();
                action.accept(sig.getNumber());
            }));
        }
        return hs;
    }

    /**
     * Forwards {@link #FORWARDED} to the process given to {@link #attach} (with kill(1):
     * Java itself sends only TERM and KILL); signals that come before it are forwarded when
     * it is attached. Installed before the process starts, so none is lost in between.
     * SIGINT is not forwarded while port-app is in the foreground of a terminal: the
     * terminal sent it to the whole process group, the app included, and a second one
     * would be one too many (an interactive app would see two Ctrl-C).
     */
    public static HostSignals forwarding() {
        boolean foreground = inTerminalForeground();
        HostSignals[] self = new HostSignals[1];
        self[0] = handle(FORWARDED, sig -> {
            if (sig != 2 || !foreground) {
                self[0].forward(sig);
            }
        });
        return self[0];
    }

    private Process target;
    private final List<Integer> pending = new ArrayList<>();

    /** The process {@link #forwarding()} forwards to; forwards what came before. */
    public synchronized void attach(Process child) {
        target = child;
        pending.forEach(sig -> send(child, sig));
        pending.clear();
    }

    private synchronized void forward(int sig) {
        if (target == null) {
            pending.add(sig);
        } else {
            send(target, sig);
        }
    }

    private static void send(Process child, int sig) {
        if (!child.isAlive()) {
            return;
        }
        try {
            new ProcessBuilder("kill", "-" + sig, String.valueOf(child.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor();
        } catch (IOException e) {
            // no kill(1): the app keeps running, as it would have without forwarding
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last signal received, or 0. */
    public int received() {
        return received;
    }

    /** Whether this process's group is its terminal's foreground group (/proc/self/stat). */
    static boolean inTerminalForeground() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // pid (comm) state ppid pgrp session tty_nr tpgid ...; comm may hold spaces.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[5]) > 0 && f[2].equals(f[5]);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        previous.forEach(Signal::handle);
    }
}
