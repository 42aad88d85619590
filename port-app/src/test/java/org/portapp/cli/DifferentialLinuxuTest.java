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
    static RewriteCache cache;

    record Outcome(int exit, String stdout, String stderr) {
    }

    @BeforeAll
    static void build() throws Exception {
        linuxu = LinuxuPlatform.at(Main.root());
        linuxu.ensureBuilt(work.resolve("platforms"));
        cache = new RewriteCache(work.resolve("cache"));
        Path data = Files.createDirectories(work.resolve("data/sub"));
        Files.writeString(work.resolve("data/fruits.txt"), "pear\napple\nfig\napple\nbanana\n");
        Files.writeString(data.resolve("nums.txt"), "3 1 2\n10 20 30\n");
    }

    static Outcome run(List<String> cmd, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.resolve("data").toFile());
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

    /** Busybox applet invocations: {args..., optional "<<<stdin"}. */
    static final String[][] BUSYBOX = {
        {"sh", "-c", "echo hello; ls /; exit 7"},
        {"echo", "hello", "world"},
        {"printf", "%s=%d\\n", "answer", "42"},
        {"seq", "1", "10"},
        {"seq", "-s", ",", "5", "-1", "-5"},
        {"expr", "6", "*", "7"},
        {"basename", "/usr/lib/libc.so.6", ".6"},
        {"dirname", "/usr/lib/libc.so.6"},
        {"true"},
        {"false"},
        {"sh", "-c", "exit 123"},
        {"wc", "-l", "fruits.txt"},
        {"sort", "fruits.txt"},
        {"sort", "-u", "-r", "fruits.txt"},
        {"uniq", "-c", "<<<a\na\nb\nc\nc\nc\n"},
        {"head", "-n", "2", "fruits.txt"},
        {"tail", "-n", "2", "fruits.txt"},
        {"cut", "-d", " ", "-f", "2", "sub/nums.txt"},
        {"tr", "a-z", "A-Z", "<<<shout please\n"},
        {"sed", "s/apple/APPLE/g", "fruits.txt"},
        {"awk", "{ s += $1 } END { print s, NR }", "sub/nums.txt"},
        {"grep", "-n", "an", "fruits.txt"},
        {"grep", "-c", "nomatch", "fruits.txt"},
        {"md5sum", "fruits.txt"},
        {"sha256sum", "fruits.txt"},
        {"cat", "fruits.txt", "sub/nums.txt"},
        {"cat", "<<<from stdin\n"},
        {"ls", "-1", "."},
        {"ls", "-la", "/nonexistent-dir"},
        {"stat", "-c", "%s %F", "fruits.txt"},
        {"test", "-f", "fruits.txt"},
        {"sh", "-c", "[ -d sub ] && echo dir || echo nodir"},
        {"date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M:%S"},
        {"od", "-An", "-tx1", "fruits.txt"},
        {"hexdump", "-C", "sub/nums.txt"},
        {"base64", "fruits.txt"},
        {"factor", "360", "9973"},
        {"fold", "-w", "3", "<<<abcdefghij\n"},
        {"rev", "<<<stressed\n"},
        {"nl", "fruits.txt"},
        {"sh", "-c", "yes abc | head -n 3"},
        {"sh", "-c", "i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo -n $i; done; echo"},
        {"sh", "-c", "seq 1 1000 | sort -rn | head -n 3"},
        {"sh", "-c", "echo one > t1 && echo two >> t1 && cat t1 && rm t1"},
        {"sh", "-c", "mkdir -p d1/d2 && touch d1/d2/f && find d1 | sort && rm -r d1"},
        {"sh", "-c", "gzip -c fruits.txt | gunzip -c"},
        {"sh", "-c", "cat fruits.txt | bzip2 -c | bunzip2 -c | wc -c"},
        {"cksum", "fruits.txt"},
        {"sh", "-c", "cd sub && pwd | sed 's|.*/||'"},
        {"env", "-i", "A=1", "B=2", "env"},
        {"sh", "-c", "echo $0 $1 $2", "zero", "one", "two"},
        {"sh", "-c", "echo to-stderr >&2; exit 2"},
        {"sh", "-c", "sleep 0.1; echo slept"},
        {"tac", "fruits.txt"},
        {"comm", "-12", "fruits.txt", "fruits.txt"},
        {"cmp", "fruits.txt", "sub/nums.txt"},
        {"diff", "fruits.txt", "sub/nums.txt"},
        {"uname", "-s"},
        {"id", "-u"},
        {"sh", "-c", "trap 'echo trapped' USR1; kill -USR1 $$; echo after"},
        {"sh", "-c", "(echo sub; exit 3); echo status $?"},
        {"nonexistent-applet"},
    };

    @TestFactory
    Stream<DynamicTest> busyboxApplets() {
        Path busybox = Path.of("/bin/busybox");
        return Stream.of(BUSYBOX).map(c -> DynamicTest.dynamicTest(String.join(" ", c), () -> {
            List<String> args = new ArrayList<>(List.of(c));
            String stdin = null;
            if (!args.isEmpty() && args.get(args.size() - 1).startsWith("<<<")) {
                stdin = args.remove(args.size() - 1).substring(3);
            }
            differential(busybox, args, stdin == null ? "" : stdin);
        }));
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
