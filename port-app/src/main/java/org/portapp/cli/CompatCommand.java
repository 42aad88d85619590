package org.portapp.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;
import org.portapp.cache.CacheDir;
import org.portapp.compat.CompatException;
import org.portapp.compat.CompatRun;
import org.portapp.compat.LinuxuTarget;
import org.portapp.compat.LtpTree;
import org.portapp.compat.NativeTarget;
import org.portapp.compat.QemuTarget;
import org.portapp.compat.Report;
import org.portapp.compat.Runtest;
import org.portapp.compat.Target;
import org.portapp.image.Progress;
import org.portapp.platform.CachedBuild;
import org.portapp.platform.qemu.Machine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code port-app compat}: the Linux Test Project's tests natively and through port-app, side by side. */
@Command(name = "compat", mixinStandardHelpOptions = true,
        header = "Run LTP's tests natively and through port-app, and tabulate where they differ.",
        description = {"Reads an LTP runtest file (default: runtest/syscalls) from the LTP tree",
            "DIR and runs each test natively and through port-app on each platform,",
            "up to --jobs tests at once, each killed at --timeout. Every unikernel",
            "run boots the same kernel, built once with every module. Prints one",
            "progress line per test, then the table; writes results.md, results.json",
            "and junit.xml to --out. Exits 0, or 3 when a test that passed in the",
            "baseline does not pass now (listed on stderr). docs/compat.md says how",
            "to build LTP."})
final class CompatCommand implements Callable<Integer> {
    /** Exit code when a test that passed in the baseline does not pass now. */
    static final int REGRESSION_EXIT = 3;

    @Option(names = "--ltp", required = true, paramLabel = "DIR",
            description = "An LTP installation (runtest/ and testcases/bin/) or a built LTP source tree.")
    Path ltp;

    @Option(names = "--platform", paramLabel = "PLATFORM",
            description = "Where to run besides natively (repeatable): linuxu, qemu-pc, qemu-microvm. "
                    + "Default: linuxu and qemu-pc.")
    List<String> platforms = new ArrayList<>();

    @Option(names = "--filter", paramLabel = "REGEX",
            description = "Run only the tests whose tag the regular expression finds a match in.")
    String filter;

    @Option(names = "--runtest", defaultValue = "syscalls", paramLabel = "FILE",
            description = "The runtest file: a name under DIR/runtest, or a path. Default: ${DEFAULT-VALUE}.")
    String runtest;

    @Option(names = "--jobs", paramLabel = "N",
            description = "Tests run at once (each runs natively, then on each platform in turn; tests that "
                    + "set the clock run alone). Default: the number of CPUs.")
    Integer jobs;

    @Option(names = "--timeout", defaultValue = "60", paramLabel = "SECONDS",
            description = "Each test's time limit; a test still running then is killed (with its children, "
                    + "or its VM) and reported TIMEOUT. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--out", defaultValue = "compat-results", paramLabel = "DIR",
            description = "Where results.md, results.json and junit.xml go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--baseline", paramLabel = "FILE",
            description = "A results.json to compare with: a test that passed there on a platform and does not "
                    + "pass now fails the run. Default: docs/compat-baseline.json of the installation, if any.")
    Path baseline;

    @Option(names = "--no-baseline", description = "Compare with no baseline.")
    boolean noBaseline;

    @Option(names = "-m", defaultValue = "256", paramLabel = "MEM", converter = MemorySize.class,
            description = "Guest memory for the unikernel: MiB, or with a unit (256M, 1G). Default: ${DEFAULT-VALUE}.")
    int memory;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        Progress progress = main.progress();
        try {
            return run(progress, System.out, System.err);
        } finally {
            progress.clear();
        }
    }

    private int run(Progress progress, PrintStream stdout, PrintStream stderr) throws Exception {
        if (timeoutSeconds <= 0) {
            throw new PortAppException("--timeout " + timeoutSeconds + ": must be positive");
        }
        int n = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
        if (n < 1) {
            throw new PortAppException("--jobs " + n + ": must be at least 1");
        }
        if (memory < 8) {
            throw new PortAppException("-m " + memory + ": at least 8 MiB");
        }
        Pattern pattern = null;
        if (filter != null) {
            try {
                pattern = Pattern.compile(filter);
            } catch (PatternSyntaxException e) {
                throw new PortAppException("--filter " + filter + ": not a regular expression: "
                        + e.getDescription());
            }
        }
        Set<String> wanted = platformNames();
        LtpTree tree = LtpTree.open(ltp);
        Path runtestFile = tree.runtest(runtest);
        List<Runtest.Entry> tests = Runtest.read(runtestFile);
        if (pattern != null) {
            Pattern p = pattern;
            tests = tests.stream().filter(t -> p.matcher(t.tag()).find()).toList();
        }
        if (tests.isEmpty()) {
            throw new CompatException("no test in " + runtestFile + (filter == null ? "" : " matches --filter "
                    + filter));
        }
        Map<?, ?> base = baseline();
        for (Runtest.Entry t : tests) {
            if (tree.program(t.program()).isEmpty()) {
                stderr.println("port-app: compat: " + t.tag() + ": no binary " + t.program() + " in "
                        + tree.lookedIn() + " (reported MISSING)");
            }
        }
        boolean quiet = progress.level() == Progress.Level.QUIET;
        CacheDir cache = CacheDir.at(Main.cacheDir());
        List<Target> targets = new ArrayList<>();
        targets.add(new NativeTarget());
        for (String p : wanted) {
            if (p.equals(LinuxuTarget.NAME)) {
                targets.add(LinuxuTarget.of(Main.root(), Main.cacheDir(), progress));
            } else {
                targets.add(QemuTarget.of(Machine.byCliName(p), Main.root(), Main.cacheDir(), memory, progress));
            }
        }
        progress.clear();
        String ltpVersion = ltpVersion(tree.root());
        String portApp = portAppVersion(); // before the run: the checkout may move on while it runs
        Path scratch = Files.createTempDirectory("port-app-compat");
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        List<CompatRun.Row> rows;
        try (AutoCloseable inUse = cache.inUse()) {
            rows = new CompatRun(tree, targets, n, Duration.ofSeconds(timeoutSeconds), scratch,
                    quiet ? null : stderr).run(tests);
        } finally {
            CachedBuild.deleteTree(scratch);
        }
        long wall = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        Report report = new Report(targets.stream().map(Target::name).toList(), rows, new Report.Meta(
                tree.root().toString(), ltpVersion, runtestFile.toString(), filter == null ? "" : filter,
                portApp, start.truncatedTo(ChronoUnit.SECONDS).toString(), wall, n, timeoutSeconds));
        write(report);
        stdout.print(report.table());
        stdout.println();
        report.summaryLines().forEach(stdout::println);
        stdout.println("results: " + out.resolve("results.md") + ", results.json, junit.xml (wall time "
                + Report.duration(wall) + ")");
        stdout.flush();
        if (base != null) {
            List<Report.Regression> reg = report.regressions(base);
            if (!reg.isEmpty()) {
                stderr.println("port-app: compat: " + reg.size() + " test(s) passed in the baseline and do not now:");
                reg.forEach(r -> stderr.println("  " + r));
                return REGRESSION_EXIT;
            }
            stdout.println("baseline: no test that passed there fails now");
        }
        return 0;
    }

    /** The platforms asked for, checked; native always runs and is not listed. */
    private Set<String> platformNames() {
        Set<String> names = new LinkedHashSet<>();
        List<String> asked = platforms.isEmpty() ? List.of(LinuxuTarget.NAME, Machine.QEMU_PC.cliName()) : platforms;
        for (String p : asked) {
            for (String one : p.split(",")) {
                if (one.equals(NativeTarget.NAME)) {
                    continue;
                }
                boolean qemu = Stream.of(Machine.values()).anyMatch(m -> m.isQemu() && m.cliName().equals(one));
                if (!qemu && !one.equals(LinuxuTarget.NAME)) {
                    throw new PortAppException("unknown platform '" + one + "' (compat takes linuxu, qemu-pc, "
                            + "qemu-microvm; native always runs)");
                }
                names.add(one);
            }
        }
        return names;
    }

    /** The parsed baseline, or null when there is none to compare with. */
    private Map<?, ?> baseline() {
        if (noBaseline) {
            return null;
        }
        Path file = baseline;
        if (file == null) {
            Path def = Main.root().resolve("docs/compat-baseline.json");
            if (!Files.isRegularFile(def)) {
                return null;
            }
            file = def;
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PortAppException("--baseline " + file + ": no such file");
        } catch (IOException e) {
            throw new PortAppException("--baseline " + file + ": cannot read: " + e.getMessage());
        }
        try {
            if (Json.parse(text) instanceof Map<?, ?> m && m.get("tests") instanceof Map<?, ?>) {
                return m;
            }
        } catch (IllegalArgumentException e) {
            throw new PortAppException("--baseline " + file + ": not JSON (" + e.getMessage() + ")");
        }
        throw new PortAppException("--baseline " + file + ": not a compat results.json (no \"tests\" object)");
    }

    private void write(Report report) {
        try {
            Files.createDirectories(out);
            Files.writeString(out.resolve("results.md"), report.markdown());
            Files.writeString(out.resolve("results.json"), Json.render(report.json()));
            Files.writeString(out.resolve("junit.xml"), report.junit());
        } catch (IOException e) {
            throw new PortAppException("--out " + out + ": cannot write the results: " + e.getMessage());
        }
    }

    /** LTP's version: git describe of a source checkout, else the Version file an installation has. */
    private static String ltpVersion(Path root) {
        if (Files.exists(root.resolve(".git"))) {
            String v = git(root, "describe", "--always", "--tags");
            if (!v.isEmpty()) {
                return v;
            }
        }
        for (String f : List.of("Version", "VERSION")) {
            try {
                return Files.readString(root.resolve(f)).strip();
            } catch (IOException ignored) {
                // try the next
            }
        }
        return "unknown version";
    }

    /** port-app's commit, when it runs from a checkout. */
    private static String portAppVersion() {
        Path root = Main.root();
        return Files.exists(root.resolve(".git")) ? git(root, "describe", "--always", "--dirty") : "";
    }

    private static String git(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", dir.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? s : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
