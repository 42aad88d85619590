package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.Image;
import org.portapp.image.ProcessFootprint;
import org.portapp.image.RuntimeFiles;
import org.portapp.syscalls.SyscallTable;

/**
 * The footprint is sound: every syscall a real program makes when run natively under strace
 * (-f: every thread) is in the footprint computed for it, for the differential suite's
 * cases (test-apps built with musl and glibc, static and dynamic, and busybox's applets).
 * A miss here means a module missing at run time in a specialized build.
 */
@Tag("slow")
class FootprintSoundnessTest {
    @TempDir
    static Path work;
    static Path apps;
    static final SyscallTable TABLE = SyscallTable.load();
    private static final Pattern CALL = Pattern.compile("^\\d+\\s+([a-z_0-9]+)\\(");

    @BeforeAll
    static void build() throws Exception {
        apps = work.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-C", Main.root().resolve("test-apps").toString(), "OUT=" + apps,
                "all", "dyn").redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(make.waitFor(300, TimeUnit.SECONDS) && make.exitValue() == 0, "make test-apps:\n" + log);
    }

    /** Numbers of every syscall {@code cmd} makes natively, from strace -f (the exec strace does not count). */
    static Set<Integer> traced(List<String> cmd, String stdin) throws Exception {
        Path log = Files.createTempFile(work, "strace", ".txt");
        List<String> full = new ArrayList<>(List.of("strace", "-f", "-qq", "-o", log.toString()));
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).directory(work.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "strace " + cmd + " finished");
        Set<Integer> out = new TreeSet<>();
        boolean first = true;
        for (String line : Files.readAllLines(log)) {
            Matcher m = CALL.matcher(line);
            if (!m.find()) {
                continue;
            }
            if (first && m.group(1).equals("execve")) {
                first = false; // strace's own exec of the program
                continue;
            }
            first = false;
            if (m.group(1).equals("restart_syscall")) {
                continue; // Linux's own restart of a call a stop/continue interrupted: no site makes it
            }
            out.add(TABLE.byName(m.group(1)).orElseThrow(() -> new AssertionError("strace name " + line)).nr());
        }
        assertTrue(out.size() > 3, "strace saw the program run: " + out);
        return out;
    }

    static void assertCovered(String what, Set<Integer> traced, ProcessFootprint fp) {
        Set<Integer> missing = new TreeSet<>(traced);
        missing.removeAll(fp.numbers());
        // A program that feeds libc's syscall() numbers it computes (test-apps/badptr walks a
        // table of them) is rightly unbounded there: its kernel keeps every module, which is
        // what keeps it sound, so it is not checked number by number.
        if (!fp.complete() && fp.unbounded().stream().anyMatch(u -> u.toString().contains(" in syscall+"))) {
            return;
        }
        List<String> names = missing.stream().map(n -> n + " " + TABLE.byNumber(n).map(s -> s.name()).orElse("?"))
                .toList();
        assertEquals(List.of(), names, what + ": syscalls made at run time but missing from the footprint "
                + (fp.complete() ? "(complete)" : "(incomplete: " + fp.unbounded() + ")"));
    }

    static List<List<String>> cases() throws Exception {
        return Files.readAllLines(Main.root().resolve("test-apps/cases.txt")).stream().map(String::strip)
                .filter(l -> !l.isEmpty()).map(l -> List.of(l.split("\\s+"))).toList();
    }

    @TestFactory
    Stream<DynamicTest> staticTestApps() throws Exception {
        return Stream.of("musl", "glibc").flatMap(libc -> {
            try {
                return cases().stream().map(c -> DynamicTest.dynamicTest(libc + ": " + String.join(" ", c), () -> {
                    Path bin = apps.resolve(libc).resolve(c.get(0));
                    ProcessFootprint fp = ProcessFootprint.of(work.resolve("cache"), List.of(bin));
                    List<String> cmd = new ArrayList<>(c);
                    cmd.set(0, bin.toString());
                    assertCovered(libc + " " + c, traced(cmd, ""), fp);
                }));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> dynamicTestApps() throws Exception {
        try (Stream<Path> s = Files.list(apps.resolve("dyn"))) {
            List<Path> bins = s.sorted().toList();
            assertTrue(!bins.isEmpty(), "dynamic test-apps built");
            return bins.stream().map(bin -> DynamicTest.dynamicTest("dyn: " + bin.getFileName(), () -> {
                ProcessFootprint fp = ProcessFootprint.of(work.resolve("cache"), objectsOf(bin));
                assertCovered("dyn " + bin.getFileName(), traced(List.of(bin.toString()), ""), fp);
            }));
        }
    }

    @TestFactory
    Stream<DynamicTest> busyboxApplets() {
        Path busybox = Path.of("/bin/busybox");
        ProcessFootprint fp = ProcessFootprint.of(work.resolve("cache"), List.of(busybox));
        return BusyboxCases.cases().stream().filter(c -> !c.needsFork()).map(c -> DynamicTest.dynamicTest(
                String.join(" ", c.args()), () -> {
                    List<String> cmd = new ArrayList<>(List.of(busybox.toString()));
                    cmd.addAll(c.args());
                    assertCovered("busybox " + c.args(), traced(cmd, c.stdin()), fp);
                }));
    }

    @Test
    void sqlite3AndPython() throws Exception {
        Path sqlite = Path.of("/usr/bin/sqlite3");
        assertCovered("sqlite3", traced(List.of(sqlite.toString(), ":memory:",
                "create table t(x); insert into t values (1),(2); select sum(x) from t;"), ""),
                ProcessFootprint.of(work.resolve("cache"), objectsOf(sqlite)));
        Path python = Path.of("/usr/bin/python3.11");
        assertCovered("python3.11", traced(List.of(python.toString(), "-c",
                "import json, hashlib, threading; print(json.dumps(hashlib.sha256(b'x').hexdigest()))"), ""),
                ProcessFootprint.of(work.resolve("cache"), objectsOf(python)));
    }

    /** What the unikernel puts in a dynamic app's image: its closure and what it may dlopen. */
    static List<Path> objectsOf(Path exe) {
        Closure closure = Closure.of(exe);
        List<FileMapping> extra = new ArrayList<>(RuntimeFiles.of(exe));
        extra.addAll(RuntimeFiles.dlopened(closure));
        return Image.elfObjects(closure, extra);
    }
}
