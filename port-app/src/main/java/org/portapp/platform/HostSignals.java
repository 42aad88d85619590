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
 * INT, TERM and HUP is to exit) and from port-app's launcher ({@link LauncherSignals}) and
 * handed to an action: forwarded to the app's process on linuxu, to the unikernel as a
 * console control code. Closing restores the previous handlers.
 *
 * <p>SIGQUIT comes only through the launcher: the JVM keeps it for its thread dumps and
 * refuses a handler ({@code -Xrs} would free it but also takes INT, TERM and HUP away). A
 * JVM started without the launcher (java -jar) does not pass SIGQUIT on.
 */
public final class HostSignals implements AutoCloseable {
    /** The signals an app run takes over, by name without "SIG". */
    public static final List<String> FORWARDED = List.of("INT", "TERM", "QUIT", "HUP", "USR1", "USR2");

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private final Map<Integer, IntConsumer> previousFromLauncher = new LinkedHashMap<>();
    private volatile int received;

    private HostSignals() {
    }

    /**
     * Calls {@code action} with the signal's number for each of {@code names} port-app
     * receives (on the JVM's signal thread or the launcher's reader), until closed.
     */
    public static HostSignals handle(List<String> names, IntConsumer action) {
        HostSignals hs = new HostSignals();
        hs.install(names, action, names, action);
        return hs;
    }

    /**
     * Signals sent to the JVM itself ({@code direct}) and those the launcher caught
     * ({@code fromLauncher}: sent to port-app by a process, never by the terminal) handled
     * apart: a caller can tell a signal the app got as well from one meant for it alone.
     */
    private void install(List<String> direct, IntConsumer directAction,
                         List<String> fromLauncher, IntConsumer launcherAction) {
        for (String n : direct) {
            Signal s = new Signal(n);
            try {
                previous.put(s, Signal.handle(s, sig -> {
                    received = sig.getNumber();
                    directAction.accept(sig.getNumber());
                }));
            } catch (IllegalArgumentException jvmOwn) {
                // SIGQUIT: the JVM's; it comes through the launcher only
            }
        }
        for (String n : fromLauncher) {
            int num = new Signal(n).getNumber();
            previousFromLauncher.put(num, LauncherSignals.handle(num, sig -> {
                received = sig;
                launcherAction.accept(sig);
            }));
        }
    }

    /**
     * Forwards {@link #FORWARDED} and SIGWINCH to the process given to {@link #attach} (with
     * kill(1): Java itself sends only TERM and KILL); signals that come before it are forwarded
     * when it is attached. Installed before the process starts, so none is lost in between.
     * Of the signals sent to the JVM itself, SIGINT is not forwarded while port-app is in the
     * foreground of a terminal, and SIGWINCH never: the terminal sent them to the whole process
     * group, the app included, and a second one would be one too many (an interactive app
     * would see two Ctrl-C). The launcher's are all forwarded: it leaves out the terminal's.
     */
    public static HostSignals forwarding() {
        boolean foreground = inTerminalForeground();
        HostSignals hs = new HostSignals();
        List<String> fromLauncher = new ArrayList<>(FORWARDED);
        fromLauncher.add("WINCH");
        hs.install(FORWARDED, sig -> {
            if (sig != 2 || !foreground) {
                hs.forward(sig);
            }
        }, fromLauncher, hs::forward);
        return hs;
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
        previousFromLauncher.forEach(LauncherSignals::restore);
    }
}
