package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential suite on the unikernel, booted for real under QEMU (qemu-pc and
 * qemu-microvm): busybox applets and every test-app, natively and as
 * {@code port-app run --platform P}, with identical stdout, stderr and exit code, the
 * invocations whose shell forks and execs (pipelines, subshells, background jobs) included:
 * each process has its own address space in the guest (issue 9, docs/processes.md).
 */
@Tag("qemu")
class DifferentialQemuTest {
    static final List<String> PLATFORMS = List.of("qemu-pc", "qemu-microvm");

    /**
     * test-apps the unikernel does not pass yet, each with the reason; listed so the gap is
     * visible in the test output and the issue notes instead of failing every run. Remove
     * an entry as soon as the feature lands.
     */
    static final java.util.Map<String, String> KNOWN_GAPS = java.util.Map.of();

    @TempDir
    static Path work;
    static Path data;

    @BeforeAll
    static void data() throws Exception {
        data = Files.createDirectories(work.resolve("data"));
        Files.createDirectories(data.resolve("sub"));
        Files.writeString(data.resolve("fruits.txt"), "pear\napple\nfig\napple\nbanana\n");
        Files.writeString(data.resolve("sub/nums.txt"), "3 1 2\n10 20 30\n");
    }

    record Outcome(int exit, String stdout, String stderr) {
    }

    static Outcome nativeRun(List<String> cmd, String stdin) throws Exception {
        DifferentialLinuxuTest.Outcome o = DifferentialLinuxuTest.run(cmd, stdin, data);
        return new Outcome(o.exit(), o.stdout(), o.stderr());
    }

    /** The app's own stderr: port-app's progress lines (rewriting, building) removed. */
    static String appStderr(String err) {
        return err.lines().filter(l -> !l.startsWith("port-app: "))
                .map(l -> l + "\n").collect(Collectors.joining());
    }

    static CliRunner.Result unikernel(String platform, Path binary, List<String> args, String stdin) {
        List<String> cmd = new ArrayList<>(List.of("run", "--platform", platform,
                "--file", data.resolve("fruits.txt") + ":/fruits.txt", "--file", data.resolve("sub") + ":/sub",
                binary.toString(), "--"));
        cmd.addAll(args);
        return CliRunner.runWithInput(stdin, cmd.toArray(String[]::new));
    }

    /**
     * A tree with the guest's top-level names for {@code binary} and the suite's files: the
     * binary at its path, fruits.txt, sub/, and the kernel's own directories (dev, proc, sys,
     * tmp), so that a native run chrooted into it lists the same root as the guest.
     */
    static Path imageRoot(Path binary) throws Exception {
        Path root = work.resolve("image-root");
        if (!Files.isDirectory(root)) {
            Path bin = root.resolve(binary.toString().substring(1));
            Files.createDirectories(bin.getParent());
            Files.copy(binary, bin, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            Files.copy(data.resolve("fruits.txt"), root.resolve("fruits.txt"));
            Files.createDirectories(root.resolve("sub"));
            Files.copy(data.resolve("sub/nums.txt"), root.resolve("sub/nums.txt"));
            for (String d : List.of("dev", "proc", "sys", "tmp")) {
                Files.createDirectories(root.resolve(d));
            }
        }
        return root;
    }

    /**
     * {@code cmd} run natively chrooted into {@link #imageRoot}, in a mount namespace of its
     * own with the host's /proc bound at its /proc: busybox's shell runs its applets through
     * /proc/self/exe (unshare -r as well when not root).
     */
    static Outcome nativeInImageRoot(List<String> cmd, String stdin) throws Exception {
        Path root = imageRoot(Path.of(cmd.get(0)));
        List<String> full = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private"));
        if (!"root".equals(System.getProperty("user.name"))) {
            full.add("-r");
        }
        full.addAll(List.of("sh", "-c", "root=$1; shift; mount --bind /proc \"$root/proc\" && exec chroot \"$root\" \"$@\"",
                "sh", root.toString()));
        full.addAll(cmd);
        return nativeRun(full, stdin);
    }

    static void differential(String platform, Path binary, List<String> args, String stdin) throws Exception {
        differential(platform, binary, args, stdin, false);
    }

    static void differential(String platform, Path binary, List<String> args, String stdin, boolean listsRoot)
            throws Exception {
        List<String> nativeCmd = new ArrayList<>();
        nativeCmd.add(binary.toString());
        nativeCmd.addAll(args);
        Outcome expected = listsRoot ? nativeInImageRoot(nativeCmd, stdin) : nativeRun(nativeCmd, stdin);
        CliRunner.Result actual = unikernel(platform, binary, args, stdin);
        String what = platform + ": " + nativeCmd + "\n--- stderr ---\n" + actual.stderr();
        assertEquals(expected.stdout(), actual.stdout(), "stdout of " + what);
        assertEquals(expected.stderr(), appStderr(actual.stderr()), "stderr of " + what);
        assertEquals(expected.exit(), actual.exitCode(), "exit code of " + what);
    }

    @TestFactory
    Stream<DynamicNode> busyboxApplets() {
        Path busybox = Path.of("/bin/busybox");
        return PLATFORMS.stream().map(platform -> DynamicContainer.dynamicContainer(platform,
                BusyboxCases.cases().stream().map(c -> DynamicTest.dynamicTest(c.name(),
                        () -> differential(platform, busybox, c.args(), c.stdin(), c.listsRoot())))));
    }

    @TestFactory
    Stream<DynamicNode> testApps() throws Exception {
        Path root = Main.root();
        Path out = work.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-C", root.resolve("test-apps").toString(), "OUT=" + out)
                .redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(make.waitFor(300, TimeUnit.SECONDS) && make.exitValue() == 0, "make test-apps:\n" + log);
        List<String> cases = Files.readAllLines(root.resolve("test-apps/cases.txt")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        return PLATFORMS.stream().map(platform -> DynamicContainer.dynamicContainer(platform,
                Stream.of("musl", "glibc").flatMap(libc -> cases.stream().map(c -> {
                    List<String> words = List.of(c.split("\\s+"));
                    Path bin = out.resolve(libc).resolve(words.get(0));
                    String gap = KNOWN_GAPS.get(words.get(0));
                    return DynamicTest.dynamicTest(libc + ": " + c, () -> {
                        org.junit.jupiter.api.Assumptions.assumeTrue(gap == null, "known gap: " + gap);
                        differential(platform, bin, words.subList(1, words.size()), "");
                    });
                }))));
    }
}
