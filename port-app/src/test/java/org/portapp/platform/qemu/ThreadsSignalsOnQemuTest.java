package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.portapp.cli.Main;

/**
 * Threads and signals on the unikernel, booted for real under QEMU TCG: the scheduler
 * (platforms/x86_64/sched.c) and the thread, futex and signal modules. test-apps/threads.c and
 * test-apps/signals.c (static glibc and musl) must print exactly what they print natively and
 * exit the same, on qemu-pc and qemu-microvm; threadstress.c (next to this test's resources)
 * adds a futex stress (16 threads under one mutex), raw futex calls, and signals sent from one
 * thread interrupting another's blocking call (EINTR); sigfaults.c synchronous faults to
 * handlers (SIGILL, SIGTRAP, SIGSEGV on an alternate stack), SIGPIPE and abort(). The same programs also run unrewritten,
 * every syscall through the LSTAR entry.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Tag("qemu")
class ThreadsSignalsOnQemuTest {
    @TempDir
    static Path dir;

    record Run(int code, String out, String err) {
        String describe() {
            return "exit " + code + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    static Path root() {
        return Path.of(System.getProperty("portapp.root", "..")).toAbsolutePath().normalize();
    }

    static void compile(String cc, Path src, Path bin) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(cc, "-static", "-O2", "-std=gnu11",
                "-I" + root().resolve("test-apps"), "-o", bin.toString(), src.toString()));
        if (cc.equals("gcc")) {
            cmd.add("-pthread");
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> cc + " failed:\n" + out);
    }

    @BeforeAll
    static void build() throws Exception {
        Path stress = dir.resolve("threadstress.c");
        try (InputStream in = ThreadsSignalsOnQemuTest.class.getResourceAsStream("threadstress.c")) {
            Files.write(stress, in.readAllBytes());
        }
        Path faults = dir.resolve("sigfaults.c");
        try (InputStream in = ThreadsSignalsOnQemuTest.class.getResourceAsStream("sigfaults.c")) {
            Files.write(faults, in.readAllBytes());
        }
        for (String libc : List.of("glibc", "musl")) {
            String cc = libc.equals("glibc") ? "gcc" : "musl-gcc";
            compile(cc, root().resolve("test-apps/threads.c"), dir.resolve("threads-" + libc));
            compile(cc, root().resolve("test-apps/signals.c"), dir.resolve("signals-" + libc));
            compile(cc, stress, dir.resolve("threadstress-" + libc));
            compile(cc, faults, dir.resolve("sigfaults-" + libc));
        }
    }

    static Run native_(String bin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(bin).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** port-app run in-process on the given platform, stdout and stderr captured. */
    static synchronized Run qemu(String platform, String bin, String... options) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(new byte[0]));
            List<String> args = new ArrayList<>(List.of("run", "--platform", platform));
            args.addAll(List.of(options));
            args.addAll(List.of(bin, "--"));
            int code = Main.execute(args.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
        "threads-glibc, qemu-pc", "threads-musl, qemu-pc", "signals-glibc, qemu-pc", "signals-musl, qemu-pc",
        "threads-glibc, qemu-microvm", "threads-musl, qemu-microvm", "signals-glibc, qemu-microvm",
        "signals-musl, qemu-microvm", "threadstress-glibc, qemu-pc", "threadstress-musl, qemu-microvm",
    })
    void sameOutputAsNative(String name, String platform) throws Exception {
        String bin = dir.resolve(name).toString();
        Run nat = native_(bin);
        assertEquals(0, nat.code(), () -> "natively: " + nat.describe());
        Run uk = qemu(platform, bin);
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(nat.code(), uk.code(), uk::describe);
    }

    /** SIGILL, SIGTRAP, a handler editing uc_mcontext, SIGSEGV on an altstack, SIGPIPE, abort(): 134. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"sigfaults-glibc, qemu-pc", "sigfaults-musl, qemu-microvm"})
    void faultsAndDefaultActions(String name, String platform) throws Exception {
        String bin = dir.resolve(name).toString();
        Run nat = native_(bin);
        assertEquals(134, nat.code(), () -> "natively: " + nat.describe());
        Run uk = qemu(platform, bin);
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(134, uk.code(), uk::describe);
    }

    /** Unrewritten (every syscall through the LSTAR entry): clone, clone3 and rt_sigreturn too. */
    @ParameterizedTest
    @CsvSource({"threads-glibc", "signals-glibc", "threadstress-musl"})
    void sameOutputThroughTheLstarEntry(String name) throws Exception {
        String bin = dir.resolve(name).toString();
        Run nat = native_(bin);
        Run uk = qemu("qemu-pc", bin, "--no-rewrite");
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(nat.code(), uk.code(), uk::describe);
    }

    /** The stress output itself, so a native run that changed meaning cannot pass unnoticed. */
    @Test
    void stressCountsAndInterruptions() throws Exception {
        Run uk = qemu("qemu-pc", dir.resolve("threadstress-musl").toString());
        assertEquals(0, uk.code(), uk::describe);
        assertTrue(uk.out().contains("16 threads x 3000 increments under one mutex: 48000\n"), uk::describe);
        assertTrue(uk.out().contains("spin-wait on a flag set by another thread: ok\n"), uk::describe);
        assertTrue(uk.out().contains("CMP_REQUEUE woke+moved: 3\n"), uk::describe);
        assertTrue(uk.out().contains("nanosleep(5s) with SIGUSR1 from a thread: EINTR, remaining > 4s yes, "
                + "handler in main yes\n"), uk::describe);
        assertTrue(uk.out().contains("futex wait in a thread hit by SIGUSR2: EINTR, handler ran in that thread yes\n"),
                uk::describe);
        assertTrue(uk.out().contains("pause() ended by alarm: EINTR, handler ran 1\n"), uk::describe);
    }
}
