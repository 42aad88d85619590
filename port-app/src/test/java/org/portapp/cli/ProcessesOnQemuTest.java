package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Processes on the unikernel (issue 9), booted for real under QEMU TCG and compared with the
 * same program run natively: test-apps/forkexec (fork/vfork/exec/wait edge cases) with
 * glibc and musl on pc and microvm, a shell script of subshells, jobs and traps given with
 * {@code --file}, python3's subprocess, os.fork and multiprocessing, and a fork bomb in a
 * small guest. Each boot groups many cases (TCG is slow).
 */
@Tag("qemu")
class ProcessesOnQemuTest {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    static Path work;
    static Path apps;

    @BeforeAll
    static void buildTestApps() throws Exception {
        apps = TestApps.build(work.resolve("test-apps"), "all", "dyn");
    }

    /** Runs {@code cmd} natively in {@code work} with LC_ALL=C. */
    static DifferentialLinuxuTest.Outcome nativeRun(List<String> cmd, String stdin) throws Exception {
        return DifferentialLinuxuTest.run(cmd, stdin, work);
    }

    /** {@code port-app run --platform P OPTIONS... BIN -- ARGS...} in-process. */
    static CliRunner.Result guest(String platform, List<String> options, Path binary, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("run", "--platform", platform, "-e", "LC_ALL=C"));
        cmd.addAll(options);
        cmd.add(binary.toString());
        cmd.add("--");
        cmd.addAll(args);
        return CliRunner.runWithInput("", cmd.toArray(String[]::new));
    }

    static void assertSame(DifferentialLinuxuTest.Outcome expected, CliRunner.Result actual, String what) {
        String describe = what + "\n--- guest stdout ---\n" + actual.stdout() + "--- guest stderr ---\n"
                + actual.stderr();
        assertEquals(expected.stdout(), actual.stdout(), "stdout of " + describe);
        assertEquals(expected.stderr(), DifferentialQemuTest.appStderr(actual.stderr()), "stderr of " + describe);
        assertEquals(expected.exit(), actual.exitCode(), "exit code of " + describe);
    }

    /** forkexec's #! case runs /bin/sh: busybox there in the guest (natively the host's). */
    private static final List<String> SH = List.of("--file", BUSYBOX + ":/bin/sh");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"qemu-pc, glibc", "qemu-pc, musl", "qemu-microvm, glibc", "qemu-microvm, musl", "qemu-pc, dyn"})
    @Timeout(600)
    void forkexecAsNatively(String platform, String libc) throws Exception {
        Path bin = apps.resolve(libc).resolve("forkexec");
        DifferentialLinuxuTest.Outcome expected = nativeRun(List.of(bin.toString()), "");
        assertEquals(0, expected.exit(), "natively:\n" + expected.stdout() + expected.stderr());
        assertTrue(expected.stdout().endsWith("done\n"), expected.stdout());
        assertSame(expected, guest(platform, SH, bin, List.of()), libc + " forkexec on " + platform);
    }

    /** The shell script, run by busybox's sh: natively, and given to the guest with --file. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    @Timeout(600)
    void shellScriptOfSubshellsJobsAndTrapsAsNatively(String platform) throws Exception {
        Path script = work.resolve("processes.sh");
        try (InputStream in = ProcessesOnQemuTest.class.getResourceAsStream("processes.sh")) {
            Files.write(script, in.readAllBytes());
        }
        DifferentialLinuxuTest.Outcome expected = nativeRun(List.of(BUSYBOX.toString(), "sh", script.toString()),
                "");
        assertEquals(3, expected.exit(), "natively:\n" + expected.stdout() + expected.stderr());
        assertTrue(expected.stdout().contains("killed job status: 143\n"), expected.stdout());
        assertSame(expected, guest(platform, List.of("--file", script + ":" + script), BUSYBOX,
                List.of("sh", script.toString())), "processes.sh on " + platform);
    }

    private static final String PYTHON = """
            import multiprocessing, os, subprocess, sys
            r = subprocess.run([sys.executable, "-c", "import sys; print('child says hi'); sys.exit(3)"],
                               capture_output=True)
            print("subprocess python:", r.returncode, r.stdout, r.stderr)
            r = subprocess.run(["sort"], input=b"pear\\napple\\nfig\\n", capture_output=True)
            print("subprocess sort:", r.returncode, r.stdout)
            try:
                subprocess.run(["/nonexistent/program"])
            except FileNotFoundError as e:
                print("missing program:", type(e).__name__, e.errno)
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            p, st = os.waitpid(pid, 0)
            print("os.fork:", p == pid, os.WIFEXITED(st), os.WEXITSTATUS(st))
            def square(x):
                return x * x
            with multiprocessing.Pool(2) as pool:
                print("Pool(2).map:", pool.map(square, range(10)))
            """;

    /**
     * python3: subprocess (of itself, and of sort, which --exec-closure puts into the image
     * with its libraries), os.fork + os.waitpid and multiprocessing.Pool(2).map, in one boot.
     */
    @Test
    @Timeout(600)
    void python3SubprocessForkAndPoolAsNatively() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assertTrue(Files.isExecutable(python), "python3 is not installed: run bin/setup");
        DifferentialLinuxuTest.Outcome expected = nativeRun(List.of(python.toString(), "-c", PYTHON), "");
        assertEquals(0, expected.exit(), "natively:\n" + expected.stdout() + expected.stderr());
        assertTrue(expected.stdout().contains("Pool(2).map: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n"),
                expected.stdout());
        assertSame(expected, guest("qemu-pc", List.of("--exec-closure", "/usr/bin/sort"), python,
                List.of("-c", PYTHON)), "python3 on qemu-pc");
    }

    /**
     * A fork bomb in 64 MiB: fork fails with EAGAIN or ENOMEM in the app (never a panic or
     * the out-of-memory report), and the guest still answers: every child reaped, one more
     * fork, "alive", exit 0. Not run natively (root has no process limit on the host).
     */
    @Test
    @Timeout(600)
    void forkBombIn64MiBEndsWithAnErrorAndTheGuestAlive() {
        CliRunner.Result r = guest("qemu-pc", List.of("-m", "64M"), apps.resolve("glibc/forkbomb"), List.of());
        String describe = "exit " + r.exitCode() + "\n--- stdout ---\n" + r.stdout() + "--- stderr ---\n"
                + r.stderr();
        assertTrue(r.stdout().matches("fork failed: (EAGAIN|ENOMEM)\\n"
                + "children before the failure: at least 8\\n"
                + "reaped all: yes\\n"
                + "alive\\n"), describe);
        assertEquals(0, r.exitCode(), describe);
        assertTrue(!r.stderr().contains("PANIC") && !r.stderr().contains("out of memory"), describe);
    }
}
