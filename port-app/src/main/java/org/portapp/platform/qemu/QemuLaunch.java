package org.portapp.platform.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.portapp.platform.HostSignals;

/**
 * Runs a unikernel under QEMU: the serial line is split into the app's stdout and
 * stderr ({@link ConsoleDemux}), the host's input is passed to the app (ending with
 * the end-of-input mark), and QEMU's exit status becomes the app's exit code.
 */
public final class QemuLaunch {
    /** Exit code of {@code port-app run} when the kernel panicked (no app exit code exists). */
    public static final int KERNEL_PANIC_EXIT = 125;

    /** Exit code of {@code port-app run} when the guest ran out of memory (raise {@code -m}). */
    public static final int OUT_OF_MEMORY_EXIT = 123;

    /**
     * What the smallest {@code -m} adds to the initrd and the kernel's loaded size: the
     * first MiB (BIOS data, never given out) and one MiB for the frame bitmap, page
     * tables, the app's initial stack and the shim's first data structures.
     */
    static final long MEMORY_MARGIN = 2L << 20;

    /** Exit code of a run killed at its time limit (as timeout(1) exits). */
    public static final int TIMEOUT_EXIT = 124;

    /** Signals to port-app that end the VM (USR1 and USR2 are the JVM's defaults: not taken). */
    private static final List<String> ENDING_SIGNALS = List.of("INT", "TERM", "HUP");

    private static final Pattern KILLED = Pattern.compile("(?m)^\\[kernel\\] app killed by signal (\\d+)$");

    private QemuLaunch() {
    }

    /**
     * What a run produced.
     *
     * @param exitCode  the app's exit code (128 + signal after an app fault, {@link #KERNEL_PANIC_EXIT}
     *                  after a kernel panic, {@link #OUT_OF_MEMORY_EXIT} when the guest ran out of memory)
     * @param status    QEMU's exit status, decoded
     * @param kernelLog the kernel's own log
     */
    public record Result(int exitCode, ExitStatus status, String kernelLog, int qemuStatus) {
        /** The signal the app was killed by (its fault), or 0. */
        public int killedBy() {
            Matcher m = KILLED.matcher(kernelLog);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        }
    }

    /**
     * Runs {@code command} (from {@link QemuPlatform#qemuCommand}) to its end.
     *
     * @param in        the app's stdin (null: none, the app sees end of input at once)
     * @param out       the app's stdout
     * @param err       the app's stderr; also where port-app reports a fault or panic
     * @param kernelLog whether the kernel's log is echoed to {@code err} as it comes
     */
    public static Result run(List<String> command, InputStream in, OutputStream out, PrintStream err,
                             boolean kernelLog) {
        return run(command, in, out, err, kernelLog, null);
    }

    /**
     * As {@link #run(List, InputStream, OutputStream, PrintStream, boolean)}, with QEMU killed
     * once {@code timeout} (null: none) has passed: the result is then
     * {@link ExitStatus.Kind#TIMED_OUT} with {@link #TIMEOUT_EXIT}, whatever the guest did.
     * With a limit, INT, TERM and HUP are left to the JVM: they end the caller, and QEMU with it.
     */
    public static Result run(List<String> command, InputStream in, OutputStream out, PrintStream err,
                             boolean kernelLog, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new QemuException("cannot start " + command.get(0) + ": " + e.getMessage()
                    + " (install QEMU: apt-get install qemu-system-x86)");
        }
        Thread killer = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(killer);
        // A signal that would end port-app ends QEMU instead, and the run reports 128+N; a
        // caller with a time limit runs many VMs (compat), and a signal ends it, not one VM
        // (the shutdown hook below then ends QEMU).
        HostSignals signals = timeout == null ? HostSignals.handle(ENDING_SIGNALS, sig -> p.destroyForcibly()) : null;
        ByteArrayOutputStream qemuErr = new ByteArrayOutputStream();
        Thread errPump = pump(p.getErrorStream(), qemuErr);
        Thread inPump = inputPump(in, p.getOutputStream());
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = timeout == null ? null : watchdog(p, timeout, timedOut);
        ConsoleDemux demux = new ConsoleDemux(out, err, kernelLog ? err : null);
        byte[] buf = new byte[8192];
        try (InputStream serial = p.getInputStream()) {
            int n;
            while ((n = serial.read(buf)) > 0) {
                demux.feed(buf, 0, n);
            }
            int status = p.waitFor();
            errPump.join();
            inPump.interrupt();
            String log = demux.kernelLog();
            if (watchdog != null) {
                watchdog.interrupt();
            }
            if (timedOut.get()) {
                return new Result(TIMEOUT_EXIT, new ExitStatus(ExitStatus.Kind.TIMED_OUT, -1), log, status);
            }
            ExitStatus st = ExitStatus.decode(status, log, qemuErr.toString(StandardCharsets.UTF_8),
                    signals == null ? 0 : signals.received());
            int code = switch (st.kind()) {
                case APP_EXIT, SIGNALED -> st.appExitCode();
                case TIMED_OUT -> TIMEOUT_EXIT; // set above, never decoded
                case KERNEL_PANIC -> {
                    report(err, log, "*** KERNEL", kernelLog);
                    err.println("port-app: the unikernel panicked (QEMU exit status 0); the kernel log is above");
                    yield KERNEL_PANIC_EXIT;
                }
                case OUT_OF_MEMORY -> {
                    err.println(outOfMemoryMessage(command, ExitStatus.outOfMemoryCause(log)));
                    yield OUT_OF_MEMORY_EXIT;
                }
                case QEMU_ERROR -> {
                    String said = qemuErr.toString(StandardCharsets.UTF_8).strip();
                    // The initrd does not fit the guest's RAM: QEMU refuses before the kernel runs.
                    if (said.contains("initrd is too large")) {
                        err.println(outOfMemoryMessage(command, "the initrd, as QEMU says: " + said));
                        yield OUT_OF_MEMORY_EXIT;
                    }
                    throw new QemuException("QEMU failed (exit status " + status + "): " + said);
                }
            };
            Result r = new Result(code, st, log, status);
            if (st.kind() == ExitStatus.Kind.APP_EXIT && r.killedBy() != 0) {
                report(err, log, "*** APP FAULT", kernelLog);
            }
            return r;
        } catch (IOException e) {
            throw new QemuException("reading QEMU's output failed: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new QemuException("interrupted while waiting for QEMU");
        } finally {
            if (signals != null) {
                signals.close();
            }
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
    }

    /**
     * The one-line report of a guest that ran out of memory: the cause as the kernel
     * logged it, the {@code -m} in force (from the QEMU command) and a lower bound
     * for the {@code -m} the image needs ({@link #minimumMemoryMiB}).
     */
    static String outOfMemoryMessage(List<String> command, String cause) {
        String mem = argAfter(command, "-m");
        String kernel = argAfter(command, "-kernel");
        String initrd = argAfter(command, "-initrd");
        long kernelBytes = kernel == null ? 0 : loadedSize(Path.of(kernel));
        long initrdBytes = 0;
        try {
            initrdBytes = initrd == null ? 0 : Files.size(Path.of(initrd));
        } catch (IOException e) {
            // deleted already: the bound leaves it out
        }
        long min = minimumMemoryMiB(kernelBytes, initrdBytes);
        return "port-app: the unikernel ran out of memory (" + (cause == null ? "no cause logged" : cause)
                + ") with -m " + mem + "; the image alone needs at least -m " + min
                + " (initrd " + (initrdBytes >> 10) + " KiB + kernel " + (kernelBytes >> 10) + " KiB + "
                + (MEMORY_MARGIN >> 20) + " MiB, rounded up; a lower bound: the app's own memory comes on top)"
                + "; run again with a larger -m";
    }

    /** Lower bound of the guest memory that fits the image: initrd + kernel + {@link #MEMORY_MARGIN}, in MiB. */
    static long minimumMemoryMiB(long kernelLoadedBytes, long initrdBytes) {
        long bytes = kernelLoadedBytes + initrdBytes + MEMORY_MARGIN;
        return (bytes + (1L << 20) - 1) >> 20;
    }

    /**
     * The span the kernel ELF's PT_LOAD segments take in memory (lowest to highest
     * address, bss included), what the frame allocator keeps for the image; the file's
     * size if it is not a 64-bit ELF, 0 if it cannot be read.
     */
    static long loadedSize(Path kernel) {
        try {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(kernel)).order(ByteOrder.LITTLE_ENDIAN);
            if (b.limit() < 64 || b.getInt(0) != 0x464c457f || b.get(4) != 2) {
                return b.limit();
            }
            long phoff = b.getLong(32);
            int phentsize = Short.toUnsignedInt(b.getShort(54));
            int phnum = Short.toUnsignedInt(b.getShort(56));
            long lo = Long.MAX_VALUE;
            long hi = 0;
            for (int i = 0; i < phnum; i++) {
                int at = (int) (phoff + (long) i * phentsize);
                if (b.getInt(at) != 1) { // PT_LOAD
                    continue;
                }
                long paddr = b.getLong(at + 24);
                long memsz = b.getLong(at + 40);
                lo = Math.min(lo, paddr);
                hi = Math.max(hi, paddr + memsz);
            }
            return hi > lo ? hi - lo : b.limit();
        } catch (IOException | IndexOutOfBoundsException e) {
            return 0;
        }
    }

    private static String argAfter(List<String> command, String option) {
        int i = command.indexOf(option);
        return i >= 0 && i + 1 < command.size() ? command.get(i + 1) : null;
    }

    /** Prints the kernel log from the report's first line on, unless it was echoed already. */
    private static void report(PrintStream err, String log, String marker, boolean echoed) {
        if (echoed) {
            return;
        }
        int at = log.indexOf(marker);
        err.print(at >= 0 ? log.substring(at) : log);
        err.flush();
    }

    /** Kills {@code p} when {@code timeout} passes before it ends, saying so in {@code fired}. */
    private static Thread watchdog(Process p, Duration timeout,
                                   AtomicBoolean fired) {
        Thread t = new Thread(() -> {
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    fired.set(true);
                    p.destroyForcibly();
                }
            } catch (InterruptedException ignored) {
                // the run ended first
            }
        }, "qemu-watchdog");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Thread pump(InputStream from, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try (from) {
                from.transferTo(to);
            } catch (IOException ignored) {
                // QEMU went away
            }
        }, "qemu-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Host input to the serial line, 0xff escaped, then the end-of-input mark. */
    private static Thread inputPump(InputStream in, OutputStream toQemu) {
        Thread t = new Thread(() -> {
            // QEMU's stdin stays open: the end of input is the mark, not a closed pipe.
            try {
                if (in != null) {
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        toQemu.write(ConsoleDemux.escapeInput(buf, 0, n));
                        toQemu.flush();
                    }
                }
                toQemu.write(new byte[] {(byte) ConsoleDemux.ESC, ConsoleDemux.EOF_MARK});
                toQemu.flush();
            } catch (IOException ignored) {
                // QEMU exited before reading everything: the app did not want more
            }
        }, "qemu-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
