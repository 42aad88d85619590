package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The host terminal behind port-app's stdin, in raw mode while the unikernel runs: every key
 * then reaches the guest unchanged, and the guest's line discipline (platforms/qemu/tty.c)
 * echoes, edits lines and turns ^C into SIGINT as the app's termios asks, as a Linux tty
 * would. Closing puts the terminal back as it was (a shutdown hook does too, should port-app
 * be ended by a signal; only SIGKILL leaves it raw: {@code stty sane} repairs it).
 */
final class TerminalMode implements AutoCloseable {
    private static final TerminalMode UNCHANGED = new TerminalMode(null);

    private final String saved;           // stty -g before, null when nothing was changed
    private final Thread restoreOnExit;

    private TerminalMode(String saved) {
        this.saved = saved;
        this.restoreOnExit = saved == null ? null : new Thread(this::restore, "port-app-tty");
        if (restoreOnExit != null) {
            Runtime.getRuntime().addShutdownHook(restoreOnExit);
        }
    }

    /** Raw mode when stdin is a terminal ({@code tty}); otherwise nothing changes. */
    static TerminalMode raw(HostTerminal tty) {
        if (!tty.isTerminal(0)) {
            return UNCHANGED;
        }
        String saved = stty("-g");
        if (saved == null || saved.isBlank() || stty("raw", "-echo") == null) {
            return UNCHANGED;        // no stty: the host terminal edits lines itself, as before
        }
        return new TerminalMode(saved.strip());
    }

    private void restore() {
        stty(saved);
    }

    /** Puts the terminal back (once; nothing when nothing was changed). */
    @Override
    public synchronized void close() {
        if (restoreOnExit == null || restored) {
            return;
        }
        restored = true;
        restore();
        try {
            Runtime.getRuntime().removeShutdownHook(restoreOnExit);
        } catch (IllegalStateException ignored) {
            // shutting down: the hook restores
        }
    }

    private boolean restored;

    /** Runs stty on port-app's stdin; its output, or null when it failed. */
    private static String stty(String... args) {
        List<String> cmd = new ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return out;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
