package org.portapp.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shim's file-system modules (heap, vfs, ramfs, devfs, procfs, pipe,
 * poll, random) on the host: {@code posix-shim/tests} compiles them with the
 * shim's freestanding flags against a fake platform, and its harness drives
 * them through their sys_* entry points (about 600 checks), including an
 * initrd written by the real {@code cpio -o -H newc} (Debian package cpio).
 */
class ShimModulesTest {
    private static final Pattern SUMMARY = Pattern.compile("(?m)^(\\d+) checks, (\\d+) failed$");

    @TempDir
    static Path out;

    record Run(int exit, String output) {
    }

    static Path root() {
        return Path.of(System.getProperty("portapp.root", "..")).toAbsolutePath().normalize();
    }

    static Run run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "timed out: " + cmd);
        return new Run(p.exitValue(), new String(bytes, StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void build() throws Exception {
        Run cpio = run(List.of("sh", "-c", "command -v cpio"));
        assertEquals(0, cpio.exit(), "the cpio tool is missing (Debian package cpio)");
        Run make = run(List.of("make", "-s", "-C", root().resolve("posix-shim/tests").toString(),
                "OUT=" + out, "all", "tree"));
        assertEquals(0, make.exit(), "make -C posix-shim/tests failed:\n" + make.output());
        assertTrue(Files.isExecutable(out.resolve("harness")));
    }

    @Test
    void everyCheckPasses() throws Exception {
        Run r = run(List.of(out.resolve("harness").toString(), out.resolve("tree.cpio").toString(),
                out.resolve("tree/cpiotree").toString()));
        Matcher m = SUMMARY.matcher(r.output());
        assertTrue(m.find(), "no summary line from the harness:\n" + r.output());
        assertEquals("0", m.group(2), "failed checks:\n" + r.output());
        assertTrue(Integer.parseInt(m.group(1)) >= 550, "too few checks ran:\n" + r.output());
        assertTrue(r.output().contains("cpio-tool: 9 entries compared"),
                "the cpio tool's archive was not compared entry by entry:\n" + r.output());
        assertEquals(0, r.exit(), r.output());
    }

    /** The signal module across processes, on a fake scheduler and process module ({@code make sigcheck}). */
    @Test
    void signalModuleAcrossProcesses() throws Exception {
        Run r = run(List.of("make", "-s", "-C", root().resolve("posix-shim/tests").toString(), "OUT=" + out,
                "sigcheck"));
        Matcher m = SUMMARY.matcher(r.output());
        assertTrue(m.find(), "no summary line from sig_harness:\n" + r.output());
        assertEquals("0", m.group(2), "failed checks:\n" + r.output());
        assertTrue(Integer.parseInt(m.group(1)) >= 150, "too few checks ran:\n" + r.output());
        assertEquals(0, r.exit(), r.output());
    }

    @Test
    void aMismatchWithTheHostTreeIsReported() throws Exception {
        // The harness compares the mounted archive with a host tree; give it a
        // tree that differs in one file and the comparison must fail.
        Path tree = out.resolve("tree/cpiotree");
        Path other = out.resolve("other/cpiotree");
        Files.createDirectories(other.getParent());
        assertEquals(0, run(List.of("cp", "-a", tree.toString(), other.getParent().toString())).exit());
        Files.writeString(other.resolve("hello.txt"), "changed on the host\n");
        Run r = run(List.of(out.resolve("harness").toString(), out.resolve("tree.cpio").toString(),
                other.toString()));
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("FAIL [cpio-tool]") && r.output().contains("hello.txt contents"),
                r.output());
    }
}
