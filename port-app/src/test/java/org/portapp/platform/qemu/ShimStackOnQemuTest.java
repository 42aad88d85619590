package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.portapp.image.RewriteCache;
import org.portapp.platform.linuxu.LinuxuPlatform;
import org.portapp.platform.qemu.ThreadsSignalsOnQemuTest.Run;

/**
 * The shim's private stack (docs/threads-signals.md, "The shim stack"): test-apps/shimstack.c
 * makes syscalls from a pthread on a 16 KiB stack, a clone() thread on a 4 KiB stack and a
 * SIGALRM handler on a MINSIGSTKSZ sigaltstack, and counts the words below its red zone that
 * changed across syscalls, preemption and signals. On the unikernel (pc and microvm) the
 * output must be exactly the native one: 0 words changed. On linuxu the shim still runs on
 * the app's stack below the red zone, so there only the syscall lines are compared and the
 * changed words must stay within the documented bound.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Tag("qemu")
class ShimStackOnQemuTest {
    @TempDir
    static Path dir;

    private static final Pattern CHANGED = Pattern.compile("words changed below (?:its|the) red zone: (\\d+)");

    @BeforeAll
    static void build() throws Exception {
        Path src = ThreadsSignalsOnQemuTest.root().resolve("test-apps/shimstack.c");
        for (String libc : List.of("glibc", "musl")) {
            ThreadsSignalsOnQemuTest.compile(libc.equals("glibc") ? "gcc" : "musl-gcc", src,
                    dir.resolve("shimstack-" + libc));
        }
    }

    private static Run nativeRun(String bin) throws Exception {
        Run nat = ThreadsSignalsOnQemuTest.native_(bin);
        assertEquals(0, nat.code(), () -> "natively: " + nat.describe());
        assertEquals(4, count(nat.out(), "words changed below") + count(nat.out(), "on that stack yes"),
                () -> "natively: " + nat.describe());
        Matcher m = CHANGED.matcher(nat.out());
        while (m.find()) {
            assertEquals("0", m.group(1), () -> "natively: " + nat.describe());
        }
        return nat;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"glibc, qemu-pc", "musl, qemu-pc", "glibc, qemu-microvm", "musl, qemu-microvm"})
    void nothingBelowTheRedZoneChangesOnTheUnikernel(String libc, String platform) throws Exception {
        String bin = dir.resolve("shimstack-" + libc).toString();
        Run nat = nativeRun(bin);
        Run uk = ThreadsSignalsOnQemuTest.qemu(platform, bin);
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(0, uk.code(), uk::describe);
    }

    /** Unrewritten: every syscall through the LSTAR entry, which never wrote on the app's stack. */
    @Test
    void sameThroughTheLstarEntry() throws Exception {
        String bin = dir.resolve("shimstack-musl").toString();
        Run nat = nativeRun(bin);
        Run uk = ThreadsSignalsOnQemuTest.qemu("qemu-pc", bin, "--no-rewrite");
        assertEquals(nat.out(), uk.out(), uk::describe);
    }

    @Test
    void linuxuWorksOnSmallStacksWithinTheDocumentedBound() throws Exception {
        String bin = dir.resolve("shimstack-glibc").toString();
        Run nat = nativeRun(bin);
        // linuxu runs as a child process (its output is not System.out): the loader's command.
        LinuxuPlatform linuxu = LinuxuPlatform.at(ThreadsSignalsOnQemuTest.root());
        linuxu.ensureBuilt(dir.resolve("platforms"));
        Path binary = Path.of(bin);
        Path image = new RewriteCache(dir.resolve("cache")).rewritten(binary);
        Process p = new ProcessBuilder(linuxu.command(image, binary, List.of(), false, Map.of(binary, image)))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        Run lx = new Run(p.exitValue(), out, "");
        assertEquals(0, lx.code(), lx::describe);
        assertEquals(CHANGED.matcher(nat.out()).replaceAll("N"), CHANGED.matcher(lx.out()).replaceAll("N"),
                lx::describe);
        Matcher m = CHANGED.matcher(lx.out());
        while (m.find()) {
            int words = Integer.parseInt(m.group(1));
            assertTrue(words <= 1024 / 8, () -> "more than 1 KiB of the app's stack used on linuxu\n" + lx.describe());
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }
}
