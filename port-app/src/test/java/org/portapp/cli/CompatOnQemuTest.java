package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code port-app compat --platform qemu-pc} on the fake LTP tree: every test boots the
 * all-modules kernel; a hung guest is killed at the limit, a fault is a crash, and a test
 * that forks passes (each test runs under busybox's shell, as under LTP's runners).
 */
@Tag("qemu")
class CompatOnQemuTest {
    @TempDir
    Path tmp;

    @Test
    void verdictsOnTheUnikernel() throws Exception {
        Path ltp = FakeLtp.make(tmp);
        long t0 = System.nanoTime();
        CliRunner.Result r = CliRunner.run("compat", "--ltp", ltp.toString(), "--platform", "qemu-pc",
                "--filter", "^(pass|fail|hang|crash|fork|tmpdir)01$", "--timeout", "5", "--jobs", "2",
                "--out", tmp.resolve("out").toString(), "--no-baseline");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(0, r.exitCode(), r.stderr());
        String out = r.stdout();
        assertTrue(out.contains("| pass01 | PASS | PASS |"), out);
        assertTrue(out.contains("| fail01 | FAIL | FAIL |"), out);
        assertTrue(out.contains("| hang01 | TIMEOUT | TIMEOUT |"), out);
        assertTrue(out.contains("| crash01 | CRASH | CRASH |"), out);
        assertTrue(out.contains("| tmpdir01 | PASS | PASS |"), out);
        assertTrue(out.contains("| fork01 | PASS | PASS |"), out);
        assertTrue(out.contains("qemu-pc: 3 of the 3 tests passing natively also pass on qemu-pc (3 pass in all)"),
                out);
        assertTrue(r.stderr().contains("[6/6] fork01"), r.stderr());
        assertTrue(ms < 90_000, "took " + ms + " ms");
        Thread.sleep(200);
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.info().commandLine().orElse("").contains(
                "qemu-system") && p.info().commandLine().orElse("").contains(ltp.toString())),
                "the hung guest's QEMU is still running");
    }
}
