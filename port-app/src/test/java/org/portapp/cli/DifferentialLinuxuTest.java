package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.platform.linuxu.LinuxuPlatform;

/**
 * Differential tests on linuxu: each case runs natively and as the rewritten binary under
 * the shim; stdout, stderr and the exit code must be identical.
 */
class DifferentialLinuxuTest {
    @TempDir
    static Path work;
    static LinuxuPlatform linuxu;
    static org.portapp.image.RewriteCache cache;

    record Outcome(int exit, String stdout, String stderr) {
    }

    @BeforeAll
    static void build() throws Exception {
        linuxu = LinuxuPlatform.at(Main.root());
        linuxu.ensureBuilt(work.resolve("platforms"));
        cache = new org.portapp.image.RewriteCache(work.resolve("cache"));
        Path data = Files.createDirectories(work.resolve("data/sub"));
        Files.writeString(work.resolve("data/fruits.txt"), "pear\napple\nfig\napple\nbanana\n");
        Files.writeString(data.resolve("nums.txt"), "3 1 2\n10 20 30\n");
    }

    static Outcome run(List<String> cmd, String stdin) throws Exception {
        return run(cmd, stdin, work.resolve("data"));
    }

    /** Runs {@code cmd} in {@code dir} with LC_ALL=C, feeding {@code stdin}, with a time limit. */
    static Outcome run(List<String> cmd, String stdin, Path dir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("LC_ALL", "C");
        Process p = pb.start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException closedEarly) {
            // the program exited without reading all its input: fine
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Outcome(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toByteArray();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Runs {@code binary args} natively and on linuxu (rewritten) and compares. */
    static void differential(Path binary, List<String> args, String stdin) throws Exception {
        List<String> nativeCmd = new ArrayList<>();
        nativeCmd.add(binary.toString());
        nativeCmd.addAll(args);
        Outcome expected = run(nativeCmd, stdin);
        Path image = cache.rewritten(binary);
        List<String> argv = new ArrayList<>(nativeCmd);
        Outcome actual = run(linuxu.command(image, binary, argv, false, Map.of(binary, image)), stdin);
        assertEquals(expected.stdout(), actual.stdout(), "stdout of " + nativeCmd);
        assertEquals(expected.stderr(), actual.stderr(), "stderr of " + nativeCmd);
        assertEquals(expected.exit(), actual.exit(), "exit code of " + nativeCmd);
    }


    @TestFactory
    Stream<DynamicTest> busyboxApplets() {
        Path busybox = Path.of("/bin/busybox");
        return BusyboxCases.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(),
                () -> differential(busybox, c.args(), c.stdin())));
    }

    @TestFactory
    Stream<DynamicTest> testApps() throws Exception {
        Path root = Main.root();
        Path out = work.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-C", root.resolve("test-apps").toString(), "OUT=" + out)
                .redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), "make test-apps:\n" + log);
        List<String> cases = Files.readAllLines(root.resolve("test-apps/cases.txt")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(cases.size() >= 8, "test-apps/cases.txt lists the conformance cases");
        List<DynamicTest> tests = new ArrayList<>();
        for (String libc : List.of("musl", "glibc")) {
            for (String c : cases) {
                List<String> words = List.of(c.split("\\s+"));
                Path bin = out.resolve(libc).resolve(words.get(0));
                tests.add(DynamicTest.dynamicTest(libc + ": " + c,
                        () -> differential(bin, words.subList(1, words.size()), "")));
            }
        }
        return tests.stream();
    }
}
