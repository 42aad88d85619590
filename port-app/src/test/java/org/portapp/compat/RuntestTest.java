package org.portapp.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LTP's runtest format, and the test directories the summary groups by. */
class RuntestTest {
    @TempDir
    Path tmp;

    @Test
    void readsTagsAndCommands() throws Exception {
        Path f = tmp.resolve("syscalls");
        Files.writeString(f, "#DESCRIPTION:Kernel system calls\n\nabort01 abort01\n  # indented comment\n"
                + "mmap21_01 mmap21 -m 1\npipeio_1 pipeio -T pipeio_1 -c 5\n");
        List<Runtest.Entry> e = Runtest.read(f);
        assertEquals(List.of(new Runtest.Entry("abort01", List.of("abort01")),
                new Runtest.Entry("mmap21_01", List.of("mmap21", "-m", "1")),
                new Runtest.Entry("pipeio_1", List.of("pipeio", "-T", "pipeio_1", "-c", "5"))), e);
    }

    @Test
    void refusesShellSyntaxAndLonelyTags() throws Exception {
        Path f = tmp.resolve("bad");
        Files.writeString(f, "ok01 ok01\nshell01 cd /tmp; ls\n");
        assertEquals(f + ":2: shell syntax is not supported (compat runs the test's binary directly): "
                + "'shell01 cd /tmp; ls'", assertThrows(CompatException.class, () -> Runtest.read(f)).getMessage());
        Files.writeString(f, "lonely01\n");
        assertEquals(f + ":1: a test needs a tag and a command: 'lonely01'",
                assertThrows(CompatException.class, () -> Runtest.read(f)).getMessage());
    }

    @Test
    void directoriesFromTheSourceTreeOrTheTag() throws Exception {
        Path root = tmp.resolve("ltp");
        Files.createDirectories(root.resolve("runtest"));
        Path dir = Files.createDirectories(root.resolve("testcases/kernel/syscalls/fork"));
        Path bin = dir.resolve("fork_procs");
        Files.write(bin, new byte[] {0x7f, 'E', 'L', 'F', 2});
        bin.toFile().setExecutable(true);
        LtpTree tree = LtpTree.open(root);
        assertEquals(bin, tree.program("fork_procs").orElseThrow());
        assertEquals("fork", tree.directoryOf(new Runtest.Entry("fork06", List.of("fork_procs", "-n", "1"))));
        // not built: named after the tag
        assertEquals("mmap", tree.directoryOf(new Runtest.Entry("mmap21_01", List.of("mmap21"))));
        assertEquals("getpid", tree.directoryOf(new Runtest.Entry("getpid01", List.of("getpid01"))));
    }

    @Test
    void testsThatSetTheClockAreKnownByTagOrSource() throws Exception {
        Path root = tmp.resolve("ltp");
        Files.createDirectories(root.resolve("runtest"));
        Path dir = Files.createDirectories(root.resolve("testcases/kernel/syscalls/newclock"));
        for (String name : List.of("newclock01", "newclock02")) {
            Path bin = dir.resolve(name);
            Files.write(bin, new byte[] {0x7f, 'E', 'L', 'F', 2});
            bin.toFile().setExecutable(true);
        }
        Files.writeString(dir.resolve("newclock01.c"), "static struct tst_test test = {\n\t.restore_wallclock = 1,\n};\n");
        Files.writeString(dir.resolve("newclock02.c"), "static struct tst_test test = {\n\t.needs_root = 1,\n};\n");
        CompatRun run = new CompatRun(LtpTree.open(root), List.of(), 1, Duration.ofSeconds(1), tmp, null);
        assertTrue(run.setsTheClock(new Runtest.Entry("newclock01", List.of("newclock01"))));
        assertFalse(run.setsTheClock(new Runtest.Entry("newclock02", List.of("newclock02"))));
        // by tag, also in an installation where no source is left
        assertTrue(run.setsTheClock(new Runtest.Entry("clock_settime03", List.of("clock_settime03"))));
        assertFalse(run.setsTheClock(new Runtest.Entry("clock_gettime01", List.of("clock_gettime01"))));
    }
}
