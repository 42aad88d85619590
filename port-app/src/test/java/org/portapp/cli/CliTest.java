package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user meets it: results, JSON, and one-line errors that leave nothing behind. */
class CliTest {
    @TempDir
    Path tmp;

    private static long objdumpSyscalls(String file) throws Exception {
        Process p = new ProcessBuilder("objdump", "-d", "--no-show-raw-insn", file).start();
        long n = new String(p.getInputStream().readAllBytes()).lines()
                .filter(l -> l.matches("^\\s*[0-9a-f]+:\\s+syscall\\s*$")).count();
        assertEquals(0, p.waitFor());
        return n;
    }

    private static long jsonNumber(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\": (\\d+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Long.parseLong(m.group(1));
    }

    @Test
    void analyzeBusyboxJsonCountsWhatObjdumpFinds() throws Exception {
        CliRunner.Result r = CliRunner.run("analyze", "/bin/busybox", "--json");
        assertEquals(0, r.exitCode(), r.stderr());
        long sites = jsonNumber(r.stdout(), "sites");
        assertEquals(objdumpSyscalls("/bin/busybox"), sites);
        assertTrue(jsonNumber(r.stdout(), "resolvedSites") >= Math.ceil(0.95 * sites));
        assertTrue(r.stdout().contains("\"name\": \"exit_group\""));
        assertTrue(r.stdout().contains("\"status\": "));
    }

    @Test
    void analyzeOfADynamicExecutableCoversItsLibraries() throws Exception {
        CliRunner.Result r = CliRunner.run("analyze", "/usr/sbin/nginx", "--json");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("\"path\": \"/lib/x86_64-linux-gnu/libc.so.6\""), r.stdout());
        assertTrue(r.stdout().contains("\"role\": \"interpreter\""), r.stdout());
        long libcSites = objdumpSyscalls("/lib/x86_64-linux-gnu/libc.so.6");
        assertTrue(jsonNumber(r.stdout(), "sites") > libcSites, "libc's sites and more");
        CliRunner.Result alone = CliRunner.run("analyze", "/usr/sbin/nginx", "--json", "--no-closure");
        assertEquals(objdumpSyscalls("/usr/sbin/nginx"), jsonNumber(alone.stdout(), "sites"));
    }

    @Test
    void analyzeTextListsSyscalls() {
        CliRunner.Result r = CliRunner.run("analyze", "/bin/busybox");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("syscall sites"));
        assertTrue(r.stdout().matches("(?s).*\\b231\\s+exit_group\\s+\\d+\\s+\\w+.*"));
    }

    @Test
    void rewriteWritesAReportAndRefusesToOverwrite() throws Exception {
        Path out = tmp.resolve("busybox.rw");
        CliRunner.Result r = CliRunner.run("rewrite", "/bin/busybox", "-o", out.toString(), "--json");
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(Files.isExecutable(out));
        assertEquals(jsonNumber(r.stdout(), "sites"),
                jsonNumber(r.stdout(), "rewritten") + jsonNumber(r.stdout(), "leftAsSyscall"));
        byte[] first = Files.readAllBytes(out);
        CliRunner.Result again = CliRunner.run("rewrite", "/bin/busybox", "-o", out.toString());
        assertNotEquals(0, again.exitCode());
        assertTrue(again.stderr().contains("already exists"));
        assertTrue(Arrays.equals(first, Files.readAllBytes(out)), "existing output untouched");
    }

    private void assertCleanFailure(CliRunner.Result r, String expected, Path out) {
        assertNotEquals(0, r.exitCode());
        String err = r.stderr().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.contains(expected), "'" + expected + "' in: " + err);
        assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
        assertFalse(Files.exists(out), "no output file");
        assertEquals("", r.stdout());
    }

    @Test
    void badInputsFailWithOneLineAndNoOutput() throws Exception {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        Path text = Files.write(tmp.resolve("script.sh"), "#!/bin/sh\necho hi\n".getBytes());
        Path truncated = Files.write(tmp.resolve("truncated"), Arrays.copyOf(busybox, 3000));
        byte[] c32 = busybox.clone();
        c32[4] = 1;
        Path elf32 = Files.write(tmp.resolve("elf32"), c32);
        byte[] cbe = busybox.clone();
        cbe[5] = 2;
        Path bigEndian = Files.write(tmp.resolve("bigendian"), cbe);
        Path dir = Files.createDirectory(tmp.resolve("adir"));
        Path out = tmp.resolve("out");

        String[][] cases = {
            {empty.toString(), "empty file"},
            {text.toString(), "not an ELF file"},
            {truncated.toString(), "truncated"},
            {elf32.toString(), "32-bit"},
            {bigEndian.toString(), "big-endian"},
            {dir.toString(), "is a directory"},
            {tmp.resolve("missing").toString(), "no such file"},
        };
        for (String[] c : cases) {
            assertCleanFailure(CliRunner.run("rewrite", c[0], "-o", out.toString()), c[1], out);
            assertCleanFailure(CliRunner.run("analyze", c[0]), c[1], out);
        }
        // /sys refuses new files even to root, so this is an unwritable output for any user.
        Path unwritable = Path.of("/sys/port-app-test-output");
        assertCleanFailure(CliRunner.run("rewrite", "/bin/busybox", "-o", unwritable.toString()),
                "permission denied", unwritable);
        assertCleanFailure(CliRunner.run("rewrite", "/bin/busybox", "-o", tmp.resolve("nodir/out").toString()),
                "does not exist", tmp.resolve("nodir/out"));
    }

    @Test
    void usageErrorsExitTwo() {
        CliRunner.Result r = CliRunner.run("rewrite", "/bin/busybox");
        assertEquals(2, r.exitCode());
        assertTrue(r.stderr().contains("--output"));
        assertEquals(2, CliRunner.run("frobnicate").exitCode());
    }
}
