package org.portapp.compat;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.portapp.platform.CachedBuild;

/**
 * Runs a list of LTP tests on every target, up to {@code jobs} tests at once, and says how far it
 * got on {@code progress} (one line per finished test: the verdicts, pass counts so far, ETA).
 *
 * @param tree     the LTP tree
 * @param targets  where to run, native first when asked for
 * @param jobs     tests running at once (each runs on its targets one after the other)
 * @param timeout  each test's time limit
 * @param scratch  a directory for the tests' TMPDIRs
 * @param progress where progress lines go (null: nowhere)
 */
public record CompatRun(LtpTree tree, List<Target> targets, int jobs, Duration timeout, Path scratch,
                        PrintStream progress) {
    public CompatRun {
        targets = List.copyOf(targets);
    }

    /** One test's results, by target name in {@link #targets}' order. */
    public record Row(Runtest.Entry test, String directory, Map<String, TestResult> results) {
    }

    /**
     * Tests that set the machine's clock (LTP restores it after them): they run alone, since
     * every other test, native or not, reads that clock; so does every platform's run of the
     * same test, one after the other. Matched against the tag; in a source tree, a test
     * whose source asks LTP to restore the wall clock is one too.
     */
    static final Pattern CLOCK_SETTERS =
            Pattern.compile("^(clock_settime|clock_adjtime|settimeofday|stime|adjtimex|leapsec)");

    /** Runs {@code tests} and returns their rows in the runtest file's order. */
    public List<Row> run(List<Runtest.Entry> tests) {
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, jobs));
        ReadWriteLock alone = new ReentrantReadWriteLock();
        try {
            List<Future<Map<String, TestResult>>> futures = new ArrayList<>();
            for (Runtest.Entry t : tests) {
                Lock lock = setsTheClock(t) ? alone.writeLock() : alone.readLock();
                futures.add(pool.submit(() -> {
                    lock.lock();
                    try {
                        Map<String, TestResult> results = new LinkedHashMap<>();
                        targets.forEach(target -> results.put(target.name(), runOne(t, target)));
                        return results;
                    } finally {
                        lock.unlock();
                    }
                }));
            }
            List<Row> rows = new ArrayList<>();
            Map<String, Integer> passed = new LinkedHashMap<>();
            targets.forEach(tg -> passed.put(tg.name(), 0));
            for (int i = 0; i < tests.size(); i++) {
                Runtest.Entry t = tests.get(i);
                Map<String, TestResult> results = await(futures.get(i));
                results.forEach((name, r) -> {
                    if (r.outcome() == Outcome.PASS) {
                        passed.merge(name, 1, Integer::sum);
                    }
                });
                rows.add(new Row(t, tree.directoryOf(t), results));
                report(i + 1, tests.size(), t, results, passed, t0);
            }
            return rows;
        } finally {
            pool.shutdownNow();
        }
    }

    boolean setsTheClock(Runtest.Entry t) {
        if (CLOCK_SETTERS.matcher(t.tag()).find()) {
            return true;
        }
        Optional<Path> bin = tree.program(t.program());
        if (bin.isEmpty()) {
            return false;
        }
        Path source = bin.get().resolveSibling(bin.get().getFileName() + ".c");
        try {
            return Files.isRegularFile(source) && Files.readString(source).contains(".restore_wallclock");
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;
        }
    }

    private TestResult runOne(Runtest.Entry t, Target target) {
        Optional<Path> binary = tree.program(t.program());
        if (binary.isEmpty()) {
            return new TestResult(Outcome.MISSING, -1, t.program() + " is not in " + tree.lookedIn(),
                    "binary missing", 0);
        }
        Path tmp = null;
        try {
            Files.createDirectories(scratch);
            tmp = Files.createTempDirectory(scratch, t.tag() + "-" + target.name() + "-");
            Map<String, String> env = environment(binary.get().getParent(), target.tmpdir(tmp));
            return Classifier.classify(target.run(binary.get(), t.argv(), env, tmp, timeout));
        } catch (IOException e) {
            return Classifier.classify(Execution.failed("cannot make a TMPDIR in " + scratch + ": "
                    + e.getMessage(), 0));
        } catch (RuntimeException e) {
            return Classifier.classify(Execution.failed("internal error: " + e, 0));
        } finally {
            if (tmp != null) {
                Leftovers.release(tmp);
                CachedBuild.deleteTree(tmp);
            }
        }
    }

    /**
     * What LTP's runners give a test: LTPROOT, TMPDIR, testcases/bin on PATH (in a source tree,
     * the test's own folder, where its helper programs are), no colours; and
     * the host's own LTP_* settings (LTP_TIMEOUT_MUL, LTP_RUNTIME_MUL, ...), as runltp passes them.
     */
    Map<String, String> environment(Path binDir, String tmpdir) {
        Map<String, String> env = new LinkedHashMap<>();
        new TreeMap<>(System.getenv()).forEach((k, v) -> {
            if (k.startsWith("LTP_")) {
                env.put(k, v);
            }
        });
        env.put("PATH", binDir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("LTPROOT", tree.root().toString());
        env.put("TMPDIR", tmpdir);
        env.put("HOME", "/root");
        env.put("LTP_COLORIZE_OUTPUT", "0");
        return env;
    }

    private void report(int done, int total, Runtest.Entry t, Map<String, TestResult> results,
                        Map<String, Integer> passed, long t0) {
        if (progress == null) {
            return;
        }
        long elapsed = System.nanoTime() - t0;
        long etaSeconds = done == 0 ? 0 : (elapsed / done) * (total - done) / 1_000_000_000L;
        String verdicts = results.entrySet().stream().map(e -> e.getKey() + " " + e.getValue().outcome().label())
                .collect(Collectors.joining("  "));
        String counts = passed.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        int width = Integer.toString(total).length();
        progress.printf("[%" + width + "d/%d] %-20s %s | passed: %s | ETA %s%n", done, total, t.tag(), verdicts,
                counts, Report.duration(etaSeconds));
        progress.flush();
    }

    private Map<String, TestResult> await(Future<Map<String, TestResult>> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Map<String, TestResult> all = new LinkedHashMap<>();
            targets.forEach(tg -> all.put(tg.name(),
                    Classifier.classify(Execution.failed("internal error: " + e.getCause(), 0))));
            return all;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompatException("interrupted");
        }
    }
}
