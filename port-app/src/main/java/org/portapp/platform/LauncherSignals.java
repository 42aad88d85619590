package org.portapp.platform;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;

/**
 * The signals port-app's launcher (port-app/src/main/native/launch.c, the process bin/port-app
 * runs in front of the JVM) caught for this JVM: one byte per signal, the signal's number, on
 * the pipe it passes as {@code -Dportapp.signal-fd=N}. Through it port-app gets every signal a
 * user sends it, SIGQUIT included, which the JVM keeps for itself otherwise.
 *
 * <p>A signal with a handler ({@link #handle}) goes to it; one without acts as its default
 * would on an app: SIGWINCH is ignored, any other ends port-app with 128+N (shutdown hooks run,
 * so a QEMU being started dies too).
 *
 * <p>The handlers are this class's static state because they mirror the process's own signal
 * table: one per process, whatever part of port-app installed them (see {@link HostSignals}).
 */
public final class LauncherSignals {
    /** The system property that names the pipe's read end. */
    public static final String FD_PROPERTY = "portapp.signal-fd";
    private static final int SIGWINCH = 28;
    private static final Map<Integer, IntConsumer> HANDLERS = new ConcurrentHashMap<>();
    private static final Object STARTED = new Object();
    private static Thread reader;

    private LauncherSignals() {
    }

    /**
     * Starts taking the launcher's signals when this JVM was started by it; returns whether
     * it was. A JVM started otherwise (java -jar, tests) has no pipe and only its own signals.
     */
    public static boolean listen() {
        String fd = System.getProperty(FD_PROPERTY);
        if (fd == null || !fd.matches("\\d{1,9}")) {
            return false;
        }
        Path proc = Path.of("/proc/self/fd", fd);
        InputStream in;
        try {
            // Only a pipe: a stray property must not make port-app read some other file.
            if (!Files.readSymbolicLink(proc).toString().startsWith("pipe:")) {
                return false;
            }
            in = new FileInputStream(proc.toFile());
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
        synchronized (STARTED) {
            if (reader != null) {
                closeQuietly(in);
                return true;
            }
            reader = new Thread(() -> read(in), "launcher-signals");
            reader.setDaemon(true);
            reader.start();
        }
        return true;
    }

    private static void read(InputStream in) {
        try (in) {
            int sig;
            while ((sig = in.read()) >= 0) {
                deliver(sig);
            }
        } catch (IOException e) {
            // the launcher is gone: the JVM dies with it (PR_SET_PDEATHSIG)
        }
    }

    /** Hands {@code sig} to its handler, or acts as its default. */
    static void deliver(int sig) {
        IntConsumer h = HANDLERS.get(sig);
        if (h != null) {
            h.accept(sig);
        } else if (sig != SIGWINCH && sig > 0) {
            System.exit(128 + sig);
        }
    }

    /** Makes {@code action} the handler of signal {@code sig}; returns the one it replaces, or null. */
    static IntConsumer handle(int sig, IntConsumer action) {
        return HANDLERS.put(sig, action);
    }

    /** Puts back the handler {@link #handle} returned (null: none, the default). */
    static void restore(int sig, IntConsumer previous) {
        if (previous == null) {
            HANDLERS.remove(sig);
        } else {
            HANDLERS.put(sig, previous);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // a second reader of the same pipe, never used
        }
    }
}
