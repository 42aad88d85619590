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
 * Runs a unikernel under QEMU: the app's console is the virtio console ({@link VirtioConsole};
 * the serial line with {@code PORT_APP_CONSOLE=serial}), its output split into the app's
 * stdout and stderr ({@link ConsoleDemux}), the host's input passed to the app (ending with
 * the end-of-input mark); the kernel log comes on the serial line, and QEMU's exit status
 * becomes the app's exit code.
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

    /** SIGINT, SIGTERM, SIGHUP: the third of them ends QEMU, whatever the app does with them. */
    private static final List<Integer> ENDING_SIGNALS = List.of(2, 15, 1);

    private static final Pattern KILLED = Pattern.compile("(?m)^\\[kernel\\] app killed by signal (\\d+)$");

    /** What the kernel logs when execve finds no such file (posix-shim/process/exec.c). */
    private static final Pattern NOT_IN_IMAGE = Pattern.compile("(?m)^\\[kernel\\] execve (.+): not in the image$");

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
        /**
         * The programs the app tried to execve that the guest does not have, each once, in
         * the order the kernel logged them.
         */
        public List<String> missingPrograms() {
            java.util.LinkedHashSet<String> paths = new java.util.LinkedHashSet<>();
            Matcher m = NOT_IN_IMAGE.matcher(kernelLog);
            while (m.find()) {
                paths.add(m.group(1));
            }
            return List.copyOf(paths);
        }

        /**
         * One line per program the app tried to run that is not in the image, for after the
         * run. A missing path whose file name the image has elsewhere is left out: that is a
         * shell or {@code execvp} looking along {@code PATH}, which finds it further on.
         */
        public List<String> missingProgramMessages(java.util.Collection<String> imageFiles) {
            java.util.Set<String> names = new java.util.HashSet<>();
            for (String f : imageFiles) {
                names.add(f.substring(f.lastIndexOf('/') + 1));
            }
            return missingPrograms().stream()
                    .filter(p -> !names.contains(p.substring(p.lastIndexOf('/') + 1)))
                    .map(p -> "port-app: the app tried to run " + p + ", which is not in the image "
                            + "(add it with --file, or --exec-closure)")
                    .toList();
        }

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
        return run(command, in, out, err, kernelLog, HostTerminal.NONE, null);
    }

    /**
     * As {@link #run(List, InputStream, OutputStream, PrintStream, boolean)}, with the host's
     * terminals as {@code tty} says (what the kernel command line told the guest): when stdin
     * is a terminal it is raw while QEMU runs (the guest's line discipline edits lines, echoes
     * and turns ^C into SIGINT), and a change of the terminal's size reaches the app as
     * SIGWINCH. The signals port-app takes ({@link HostSignals#FORWARDED}) go to the app; the
     * third INT, TERM or HUP ends QEMU, for an app that ignores them.
     */
    public static Result run(List<String> command, InputStream in, OutputStream out, PrintStream err,
                             boolean kernelLog, HostTerminal tty) {
        return run(command, in, out, err, kernelLog, tty, null);
    }

    /**
     * As {@link #run(List, InputStream, OutputStream, PrintStream, boolean)}, with QEMU killed
     * once {@code timeout} has passed: the result is then {@link ExitStatus.Kind#TIMED_OUT}
     * with {@link #TIMEOUT_EXIT}, whatever the guest did. With a limit, port-app's signals are
     * left to the JVM: a caller with a limit runs many VMs (compat), and a signal ends it, not
     * one VM (the shutdown hook below then ends QEMU).
     */
    public static Result run(List<String> command, InputStream in, OutputStream out, PrintStream err,
                             boolean kernelLog, Duration timeout) {
        return run(command, in, out, err, kernelLog, HostTerminal.NONE, timeout);
    }

    private static Result run(List<String> command, InputStream in, OutputStream out, PrintStream err,
                              boolean kernelLog, HostTerminal tty, Duration timeout) {
        VirtioConsole vcon = VirtioConsole.wanted(command, System.getenv()) ? VirtioConsole.open() : null;
        List<String> full = command;
        if (vcon != null) {
            full = new java.util.ArrayList<>(command);
            full.addAll(vcon.qemuArgs(VirtioConsole.machine(command)));
        }
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(detached(full)).redirectError(ProcessBuilder.Redirect.PIPE);
            ListenBacklog.apply(full, pb.environment());
            p = pb.start();
        } catch (IOException e) {
            if (vcon != null) {
                vcon.close();
            }
            throw new QemuException("cannot start " + command.get(0) + ": " + e.getMessage()
                    + " (install QEMU: apt-get install qemu-system-x86)");
        }
        Thread killer = new Thread(p::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(killer);
        ConsoleDemux demux = new ConsoleDemux(out, err, kernelLog ? err : null);
        // The virtio console: stdin, stdout and stderr on its io port, control codes on its
        // own port; QEMU's stdio is then the kernel log's serial line alone.
        VirtioConsole.Ports ports;
        try {
            ports = vcon == null ? null : vcon.accept(p);
        } catch (QemuException e) {
            p.destroyForcibly();
            vcon.close();
            throw e;
        }
        GuestInput input = ports == null ? new GuestInput(p.getOutputStream())
                : new GuestInput(VirtioConsole.Ports.output(ports.io()), VirtioConsole.Ports.output(ports.ctl()));
        Thread outPump = ports == null ? null : outputPump(ports.io(), new ConsoleDemux(out, err, null));
        if (ports != null) {
            VirtioConsole.closeQuietly(p.getOutputStream());
        }
        ControlSender control = new ControlSender(input);
        int[] endings = new int[1];
        int[] forcedBy = new int[1];
        HostSignals signals = timeout != null ? null : HostSignals.handle(HostSignals.FORWARDED, sig -> {
            if (ENDING_SIGNALS.contains(sig) && ++endings[0] >= 3) {
                forcedBy[0] = sig;
                p.destroyForcibly();
            } else {
                control.signal(sig);
            }
        });
        HostSignals resize = tty.fds() == 0 ? null : HostSignals.handle(List.of("WINCH"), sig -> control.resized());
        ByteArrayOutputStream qemuErr = new ByteArrayOutputStream();
        Thread errPump = pump(p.getErrorStream(), qemuErr);
        TerminalMode raw = TerminalMode.raw(tty);
        Thread inPump = inputPump(in, input);
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = timeout == null ? null : watchdog(p, timeout, timedOut);
        byte[] buf = new byte[8192];
        try (InputStream serial = p.getInputStream()) {
            int n;
            while ((n = serial.read(buf)) > 0) {
                demux.feed(buf, 0, n);
            }
            int status = p.waitFor();
            if (outPump != null) {
                outPump.join();      // QEMU has closed the port: the app's output is all there
            }
            raw.close();
            errPump.join();
            inPump.interrupt();
            String log = demux.kernelLog();
            if (watchdog != null) {
                watchdog.interrupt();
            }
            if (timedOut.get()) {
                return new Result(TIMEOUT_EXIT, new ExitStatus(ExitStatus.Kind.TIMED_OUT, -1), log, status);
            }
            ExitStatus st = ExitStatus.decode(status, log, qemuErr.toString(StandardCharsets.UTF_8), forcedBy[0]);
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
            // A death by a signal the app did not handle has no fault report to show.
            if (st.kind() == ExitStatus.Kind.APP_EXIT && r.killedBy() != 0 && log.contains("*** APP FAULT")) {
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
            if (ports != null) {
                VirtioConsole.closeQuietly(ports.io());
                VirtioConsole.closeQuietly(ports.ctl());
            }
            if (vcon != null) {
                vcon.close();
            }
            raw.close();
            if (signals != null) {
                signals.close();
            }
            if (resize != null) {
                resize.close();
            }
            control.stop();
            try {
                Runtime.getRuntime().removeShutdownHook(killer);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
    }

    /**
     * QEMU in a session of its own, so that the terminal's signals (^C, ^\, a resize) reach
     * port-app alone, which forwards them; and killed with port-app (PR_SET_PDEATHSIG) should
     * port-app die without a chance to end it (SIGKILL). Both from util-linux; where either is
     * missing QEMU runs as before.
     */
    static List<String> detached(List<String> command) {
        if (!Files.isExecutable(Path.of("/usr/bin/setsid")) || !Files.isExecutable(Path.of("/usr/bin/setpriv"))
                || onPath(command.get(0)) == null) {
            return command;   // a missing QEMU is then reported by ProcessBuilder, naming it
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/setsid", "/usr/bin/setpriv", "--pdeathsig", "KILL"));
        cmd.addAll(command);
        return cmd;
    }

    private static Path onPath(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program)) ? Path.of(program) : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Sends control codes from a thread of its own: the JVM's signal thread must not wait on
     * QEMU's input pipe, which stays full while the app does not read its stdin.
     */
    private static final class ControlSender {
        private static final int RESIZED = -1;
        private final java.util.concurrent.BlockingQueue<Integer> queue = new java.util.concurrent.LinkedBlockingQueue<>();
        private final Thread thread;

        ControlSender(GuestInput input) {
            thread = new Thread(() -> {
                try {
                    for (;;) {
                        int what = queue.take();
                        if (what == RESIZED) {
                            HostTerminal now = HostTerminal.detect();
                            if (now.rows() > 0 && now.cols() > 0) {
                                input.windowSize(now.rows(), now.cols());
                            }
                        } else {
                            input.signal(what);
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    // the run is over, or QEMU went away
                }
            }, "qemu-control");
            thread.setDaemon(true);
            thread.start();
        }

        void signal(int sig) {
            queue.offer(sig);
        }

        void resized() {
            queue.offer(RESIZED);
        }

        void stop() {
            thread.interrupt();
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

    /** The virtio console's output port to the app's stdout and stderr, to its end. */
    private static Thread outputPump(java.nio.channels.SocketChannel io, ConsoleDemux demux) {
        Thread t = new Thread(() -> {
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(65536);
            boolean discard = false;
            try {
                while (io.read(bb) > 0) {
                    if (!discard) {
                        try {
                            demux.feed(bb.array(), 0, bb.position());
                        } catch (java.io.UncheckedIOException e) {
                            // The app's stdout went away (a closed pipe): read on, as a
                            // PrintStream would, so the guest is not held up for ever.
                            discard = true;
                        }
                    }
                    bb.clear();
                }
            } catch (IOException ignored) {
                // QEMU went away
            }
        }, "qemu-console-out");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Host input to the console, 0xff escaped, then the end-of-input mark. */
    private static Thread inputPump(InputStream in, GuestInput toQemu) {
        Thread t = new Thread(() -> {
            // QEMU's stdin stays open: the end of input is the mark, not a closed pipe.
            try {
                if (in != null) {
                    byte[] buf = new byte[65536];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        toQemu.data(buf, 0, n);
                    }
                }
                toQemu.endOfInput();
            } catch (IOException ignored) {
                // QEMU exited before reading everything: the app did not want more
            }
        }, "qemu-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
