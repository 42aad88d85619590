package org.portapp.compat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host process to its end or its time limit, output captured (what native and linuxu share). */
final class HostProcess {
    /** Output kept per test: LTP's tests say little, a runaway one must not fill the heap. */
    static final int MAX_OUTPUT = 256 * 1024;

    /** After the test ended, how long its output may still come (an orphaned child may hold the pipe). */
    private static final long DRAIN_MILLIS = 2000;

    /** How long a test stopped at its limit has to clean up before it is killed. */
    static final long GRACE_MILLIS = 5000;

    private HostProcess() {
    }

    /**
     * Starts {@code pb} (stderr merged into stdout, stdin empty) and waits at most {@code timeout};
     * then kills it and every process it started, children first (LTP tests fork).
     */
    static Execution run(ProcessBuilder pb, Duration timeout) {
        long t0 = System.nanoTime();
        pb.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return Execution.failed("cannot start " + pb.command().get(0) + ": " + e.getMessage(), 0);
        }
        // port-app ending (a signal, ^C) takes the test and its children with it.
        Thread killer = new Thread(() -> kill(p));
        Runtime.getRuntime().addShutdownHook(killer);
        try {
            return await(p, timeout, t0);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
    }

    private static Execution await(Process p, Duration timeout, long t0) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread pump = new Thread(() -> drain(p.getInputStream(), out), "compat-output");
        pump.setDaemon(true);
        pump.start();
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                stop(p);
            }
            pump.join(DRAIN_MILLIS);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            return Execution.failed("interrupted", millisSince(t0));
        }
        String text;
        synchronized (out) {
            text = out.toString(StandardCharsets.UTF_8);
        }
        return new Execution(timedOut ? -1 : p.exitValue(), text, "", timedOut, false, null, millisSince(t0));
    }

    /**
     * Stops a test at its time limit as LTP's runners do: SIGTERM to the test, whose library
     * then kills its child and cleans up (loop devices, mounts, its TMPDIR), and after
     * {@link #GRACE_MILLIS} SIGKILL to it and to every process it had started.
     */
    static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> started = p.descendants().toList();
        p.destroy();
        if (!p.waitFor(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
            kill(p);
        }
        started.forEach(ProcessHandle::destroyForcibly);
    }

    /** Kills {@code p} and its descendants (children first, so none is reparented and missed). */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void drain(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    if (out.size() < MAX_OUTPUT) {
                        out.write(buf, 0, Math.min(n, MAX_OUTPUT - out.size()));
                    }
                }
            }
        } catch (IOException ignored) {
            // the process went away
        }
    }
}
