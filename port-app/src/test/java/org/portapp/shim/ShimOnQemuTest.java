package org.portapp.shim;

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
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.cli.Main;

/**
 * The file-system modules on the real unikernel (QEMU TCG, qemu-pc): programs
 * run natively and through {@code port-app run}, and their output and exit
 * codes must match. fsdemo.c (next to this test's resources) covers files,
 * directories, symlinks, pipes, poll/select/epoll, eventfd, devices and
 * procfs; test-apps/files.c is the toolchain's file conformance program.
 * Both are built static with glibc and with musl.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Tag("qemu")
class ShimOnQemuTest {
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
        Process p = new ProcessBuilder(cc, "-static", "-O2", "-std=gnu11", "-I" + root().resolve("test-apps"),
                "-o", bin.toString(), src.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> cc + " failed:\n" + out);
    }

    @BeforeAll
    static void build() throws Exception {
        Path demo = dir.resolve("fsdemo.c");
        try (InputStream in = ShimOnQemuTest.class.getResourceAsStream("fsdemo.c")) {
            Files.write(demo, in.readAllBytes());
        }
        for (String libc : List.of("glibc", "musl")) {
            String cc = libc.equals("glibc") ? "gcc" : "musl-gcc";
            compile(cc, demo, dir.resolve("fsdemo-" + libc));
            compile(cc, root().resolve("test-apps/files.c"), dir.resolve("files-" + libc));
        }
    }

    static Run native_(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** port-app run in-process (default platform qemu-pc), stdout and stderr captured. */
    static Run qemu(String stdin, String... appAndArgs) {
        return qemuWith(List.of(), stdin, appAndArgs);
    }

    static synchronized Run qemuWith(List<String> options, String stdin, String... appAndArgs) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            List<String> args = new ArrayList<>(List.of("run"));
            args.addAll(options);
            args.addAll(List.of(appAndArgs[0], "--"));
            args.addAll(List.of(appAndArgs).subList(1, appAndArgs.length));
            int code = Main.execute(args.toArray(String[]::new));
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fsdemo-glibc", "fsdemo-musl", "files-glibc", "files-musl"})
    void sameOutputAsNative(String name) throws Exception {
        String bin = dir.resolve(name).toString();
        Run nat = native_(bin);
        assertEquals(0, nat.code(), () -> "natively: " + nat.describe());
        Run uk = qemu("", bin);
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(nat.code(), uk.code(), uk::describe);
    }

    @Test
    void busyboxReadsFilesDevicesAndStdin() throws Exception {
        // A 2 MB file from the host, read through the ramfs (borrowed from the initrd). Not an
        // ELF file: those go in rewritten, as a program the app may exec.
        Path big = dir.resolve("big.bin");
        byte[] bytes = new byte[2 << 20];
        new java.util.Random(42).nextBytes(bytes);
        Files.write(big, bytes);
        Run md5 = qemuWith(List.of("--file", big + ":/data/bb"), "", "/bin/busybox", "md5sum", "/data/bb");
        assertEquals(native_("md5sum", big.toString()).out().replace(big.toString(), "/data/bb"), md5.out(),
                md5::describe);
        Run cat = qemu("two\nlines\n", "/bin/busybox", "cat", "-", "/sys/devices/system/cpu/online");
        assertEquals("two\nlines\n0\n", cat.out(), cat::describe);
        Run sh = qemu("", "/bin/busybox", "sh", "-c",
                "echo one > /tmp/a; echo two >> /tmp/a; while read l; do echo \"<$l>\"; done < /tmp/a; "
                        + "cd /proc/self; pwd; test -c /dev/null && echo null-is-a-device; exit 4");
        assertEquals("<one>\n<two>\n/proc/self\nnull-is-a-device\n", sh.out(), sh::describe);
        assertEquals(4, sh.code(), sh::describe);
    }
}
