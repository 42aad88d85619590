package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exit statuses of signal deaths and running out of memory (issue 10, item 5), with the
 * test-apps {@code sigdeath} and {@code enomem}. Not part of the differential suites'
 * cases.txt: a death on the unikernel echoes the kernel's report on stderr, which a
 * native death does not print, so only the exit code and stdout are compared here.
 */
@Tag("qemu")
class ExitStatusesTest {
    /** sigdeath modes with the status a shell sees natively (128 + the signal). */
    static final List<List<String>> DEATHS = List.of(
            List.of("abort", "134"), List.of("bus", "135"), List.of("busmap", "135"),
            List.of("fpe", "136"), List.of("ill", "132"), List.of("trap", "133"),
            List.of("segv", "139"), List.of("altstack", "139"), List.of("badfpstate", "139"),
            List.of("term", "143"),
            List.of("kill", "137"));

    @TempDir
    static Path work;
    static Path apps;

    @BeforeAll
    static void build() throws Exception {
        apps = work.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-C", Main.root().resolve("test-apps").toString(), "OUT=" + apps)
                .redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(make.waitFor(300, TimeUnit.SECONDS) && make.exitValue() == 0, "make test-apps:\n" + log);
    }

    /** Every death natively (which checks the table), on linuxu and on both VMs: same status and stdout. */
    @TestFactory
    Stream<DynamicNode> signalDeaths() {
        return Stream.of("linuxu", "qemu-pc", "qemu-microvm").map(platform -> DynamicContainer.dynamicContainer(
                platform, DEATHS.stream().map(d -> DynamicTest.dynamicTest(d.get(0), () -> {
                    Path bin = apps.resolve("musl/sigdeath");
                    DifferentialLinuxuTest.Outcome expected =
                            DifferentialLinuxuTest.run(List.of(bin.toString(), d.get(0)), "", work);
                    assertEquals(Integer.parseInt(d.get(1)), expected.exit(), "native status of " + d);
                    DifferentialLinuxuTest.Outcome actual = portApp(platform, bin, d.get(0));
                    assertEquals(expected.stdout(), actual.stdout(), "stdout of " + d + " on " + platform);
                    assertEquals(expected.exit(), actual.exit(),
                            "status of " + d + " on " + platform + "\n" + actual.stderr());
                }))));
    }

    /**
     * {@code port-app run} as its own process (the CLI's Main on this JVM's class path): the
     * linuxu app inherits port-app's stdout, which an in-process run cannot capture.
     */
    static DifferentialLinuxuTest.Outcome portApp(String platform, Path bin, String arg) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return DifferentialLinuxuTest.run(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dportapp.root=" + Main.root(), Main.class.getName(), "run", "-q", "--platform", platform,
                bin.toString(), "--", arg), "", work);
    }

    static CliRunner.Result enomem(String mode) {
        return CliRunner.run("run", "--platform", "qemu-pc", "-m", "32",
                apps.resolve("glibc/enomem").toString(), "--", mode);
    }

    /** One request beyond the guest's RAM fails as Linux's default overcommit rule says. */
    @Test
    void mmapAndBrkBeyondMemory() {
        CliRunner.Result mmap = enomem("mmap");
        assertEquals("mmap 1 GiB: ENOMEM\n", mmap.stdout(), mmap.stderr());
        assertEquals(0, mmap.exitCode());
        CliRunner.Result brk = enomem("brk");
        assertEquals("brk +1 GiB: unchanged\n", brk.stdout(), brk.stderr());
    }

    /** Creating threads until it fails ends in an error the app sees, not a kernel panic. */
    @Test
    void threadsUntilFailure() {
        CliRunner.Result r = enomem("threads");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().matches("threads: (EAGAIN|ENOMEM) after many\n"), r.stdout());
    }

    /** Touching more than the guest has: the out-of-memory report naming -m, and a non-zero status. */
    @Test
    void touchingBeyondMemory() {
        CliRunner.Result r = enomem("touch");
        assertTrue(r.exitCode() != 0, r.stdout());
        assertTrue(r.stderr().contains("ran out of memory") && r.stderr().contains("-m 32"), r.stderr());
    }
}
