package org.portapp.rewrite.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.portapp.PortAppError;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.PortAppNote;
import org.portapp.rewrite.RewriteResult;
import org.portapp.rewrite.SiteOutcome;
import org.portapp.x86.Decoder;

/**
 * Puts mutated real ELF files through the rewriter's library entry ({@code Analysis.of} then
 * {@code rewrite}) and sorts every case into an {@link Outcome}. A case passes when the rewriter
 * either gives an output that parses again, carries a PortApp note agreeing with the result and
 * keeps every input byte outside the ELF header and the patched windows, or refuses the file
 * with a {@link PortAppError} whose message is one line for the user. It fails on any other
 * throwable, a case that runs past its time limit, an output that breaks those rules, or an
 * input array that changed.
 *
 * <p>Run by hand through {@code bench/fuzz-elf.sh N}; {@code ElfFuzzTest} runs a short fixed
 * campaign in the test suite.
 */
public final class ElfFuzzer {
    public enum Outcome {
        REWRITTEN, REJECTED, CRASH, HANG, CORRUPT, INPUT_MODIFIED;

        boolean failure() {
            return this != REWRITTEN && this != REJECTED;
        }
    }

    /** A real ELF file to mutate; {@code weight} is its share of the cases. */
    public record Seed(String name, byte[] bytes, int weight) {
    }

    /** One failing case: enough to reproduce it (seed file, RNG seed, case number). */
    public record Failure(int caseNo, String seed, Outcome outcome, String mutation, String detail, Path kept) {
        @Override
        public String toString() {
            return "case " + caseNo + " (" + seed + ": " + mutation + "): " + outcome + ": " + detail
                    + (kept != null ? " [input kept in " + kept + "]" : "");
        }
    }

    /** Counts by outcome, overall and per seed, and the failures. */
    public record Report(Map<Outcome, Integer> counts, Map<String, Map<Outcome, Integer>> bySeed,
                         Map<String, Double> secondsBySeed, List<Failure> failures, double seconds) {
        public int count(Outcome o) {
            return counts.getOrDefault(o, 0);
        }

        public String summary() {
            StringBuilder sb = new StringBuilder();
            int total = counts.values().stream().mapToInt(Integer::intValue).sum();
            sb.append(String.format("%d cases in %.1f s (%.0f per second)%n", total, seconds, total / seconds));
            for (Outcome o : Outcome.values()) {
                sb.append(String.format("  %-15s %7d%n", o.name().toLowerCase(), count(o)));
            }
            sb.append("by seed:\n");
            bySeed.forEach((seed, c) -> {
                sb.append(String.format("  %-28s %7.1f s", seed, secondsBySeed.get(seed)));
                for (Outcome o : Outcome.values()) {
                    if (c.getOrDefault(o, 0) > 0) {
                        sb.append(' ').append(o.name().toLowerCase()).append(' ').append(c.get(o));
                    }
                }
                sb.append('\n');
            });
            return sb.toString();
        }
    }

    private final List<Seed> seeds;
    private final List<ElfMutator> mutators;
    private final long[] limitMillis;
    private final long[] baseMillis;
    private final Decoder decoder;
    private final Path keepDir;
    private volatile Thread workerThread;

    /**
     * @param keepDir where failing inputs are written (null: nowhere)
     * @param minLimitMillis the smallest per-case limit of CPU time; each seed's is the larger of
     *        this and 20 times its unmutated rewrite's
     */
    public ElfFuzzer(List<Seed> seeds, Decoder decoder, Path keepDir, long minLimitMillis) {
        this.seeds = List.copyOf(seeds);
        this.decoder = decoder;
        this.keepDir = keepDir;
        this.mutators = new ArrayList<>();
        this.limitMillis = new long[seeds.size()];
        this.baseMillis = new long[seeds.size()];
        for (int i = 0; i < seeds.size(); i++) {
            Seed s = seeds.get(i);
            mutators.add(new ElfMutator(s.bytes()));
            long t0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            RewriteResult r = Analysis.of(ElfFile.parse(s.name(), s.bytes()), decoder).rewrite();
            long ms = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - t0) / 1_000_000;
            String bad = checkOutput(s.bytes(), r);
            if (bad != null) {
                throw new IllegalStateException("seed " + s.name() + " itself fails: " + bad);
            }
            limitMillis[i] = Math.max(minLimitMillis, 20 * ms);
            baseMillis[i] = ms;
        }
    }

    /** Runs {@code cases} mutants drawn with {@code new Random(rngSeed)}. */
    public Report run(int cases, long rngSeed) {
        return run(cases, rngSeed, 0);
    }

    /** The same, printing the running counts every {@code progressEvery} cases (0: never). */
    public Report run(int cases, long rngSeed, int progressEvery) {
        Random rnd = new Random(rngSeed);
        int totalWeight = seeds.stream().mapToInt(Seed::weight).sum();
        Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
        Map<String, Map<Outcome, Integer>> bySeed = new LinkedHashMap<>();
        Map<String, Double> secondsBySeed = new LinkedHashMap<>();
        List<Failure> failures = new ArrayList<>();
        ExecutorService ex = worker();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < cases; i++) {
                int w = rnd.nextInt(totalWeight);
                int si = 0;
                while (w >= seeds.get(si).weight()) {
                    w -= seeds.get(si).weight();
                    si++;
                }
                Seed seed = seeds.get(si);
                ElfMutator.Mutant mutant = mutators.get(si).mutate(rnd);
                byte[] input = mutant.bytes();
                byte[] digest = sha256(input);
                final int caseNo = i;
                Future<String[]> f = ex.submit(() -> runOne(caseNo, input));
                String[] res;
                long c0 = System.nanoTime();
                try {
                    res = await(f, limitMillis[si]);
                    if (res == null) {
                        f.cancel(true);
                        // the stuck thread cannot be stopped; leave it (a daemon) and go on with a new one
                        ex.shutdownNow();
                        ex = worker();
                        res = new String[] {Outcome.HANG.name(), "used " + limitMillis[si] + " ms of CPU time"};
                    }
                } catch (ExecutionException e) {
                    res = new String[] {Outcome.CRASH.name(), describe(e.getCause())};
                }
                secondsBySeed.merge(seed.name(), (System.nanoTime() - c0) / 1e9, Double::sum);
                Outcome o = Outcome.valueOf(res[0]);
                if (o != Outcome.HANG && !Arrays.equals(digest, sha256(input))) {
                    o = Outcome.INPUT_MODIFIED;
                    res = new String[] {o.name(), "the rewriter changed its input array"};
                }
                counts.merge(o, 1, Integer::sum);
                bySeed.computeIfAbsent(seed.name(), k -> new EnumMap<>(Outcome.class)).merge(o, 1, Integer::sum);
                if (progressEvery > 0 && (i + 1) % progressEvery == 0) {
                    System.out.printf("progress: %d cases, %.0f s, %s%n", i + 1, (System.nanoTime() - t0) / 1e9, counts);
                }
                if (o.failure()) {
                    Failure fail = new Failure(i, seed.name(), o, mutant.description(), res[1],
                            keep(rngSeed, i, seed.name(), input));
                    failures.add(fail);
                    if (progressEvery > 0) {
                        System.out.println("FAIL " + fail);
                    }
                }
            }
        } finally {
            ex.shutdownNow();
        }
        return new Report(counts, bySeed, secondsBySeed, failures, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The case's result, or null when its thread used more than {@code limitMillis} of CPU time
     * (CPU, not wall time: on a loaded machine a case may wait for a core much longer than it
     * runs) or ran 20 times as long on the wall clock.
     */
    private String[] await(Future<String[]> f, long limitMillis) throws ExecutionException {
        long wallEnd = System.nanoTime() + 20 * limitMillis * 1_000_000L;
        long cpu0 = -1;
        while (true) {
            try {
                return f.get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                long cpu = workerCpuNanos();
                if (cpu0 < 0) {
                    cpu0 = cpu; // the case started within the last 100 ms
                }
                if (cpu - cpu0 > limitMillis * 1_000_000L || System.nanoTime() > wallEnd) {
                    return null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private long workerCpuNanos() {
        Thread t = workerThread;
        long v = t == null ? -1 : ManagementFactory.getThreadMXBean().getThreadCpuTime(t.getId());
        return v < 0 ? 0 : v;
    }

    /** {outcome, detail} for one input. */
    private String[] runOne(int caseNo, byte[] input) {
        RewriteResult r;
        try {
            r = Analysis.of(ElfFile.parse("case" + caseNo, input), decoder).rewrite();
        } catch (PortAppError e) {
            String bad = userFacing(e.getMessage());
            return bad == null ? new String[] {Outcome.REJECTED.name(), e.getMessage()}
                    : new String[] {Outcome.CRASH.name(), bad + ": " + describe(e)};
        } catch (Throwable t) {
            return new String[] {Outcome.CRASH.name(), describe(t)};
        }
        String bad = checkOutput(input, r);
        return bad == null ? new String[] {Outcome.REWRITTEN.name(), ""} : new String[] {Outcome.CORRUPT.name(), bad};
    }

    /** Why a rejection's message is not fit for a user (null when it is). */
    public static String userFacing(String message) {
        if (message == null || message.isBlank()) {
            return "rejected without a message";
        }
        if (message.contains("\n") || message.contains("Exception") || message.contains("java.")) {
            return "not a one-line message for a user";
        }
        return null;
    }

    /**
     * What is wrong with an output (null: nothing): it must parse again, carry the PortApp note
     * the result describes, and keep every byte of the input outside the ELF header and the
     * patched windows (the rewriter appends; it never moves what was there).
     */
    public static String checkOutput(byte[] input, RewriteResult r) {
        byte[] out = r.output();
        ElfFile again;
        try {
            again = ElfFile.parse("output", out);
        } catch (ElfException e) {
            return "output does not parse: " + e.getMessage();
        }
        PortAppNote note;
        try {
            note = PortAppNote.of(again).orElse(null);
        } catch (ElfException e) {
            return "output's note does not decode: " + e.getMessage();
        }
        if (note == null) {
            return "output has no PortApp note";
        }
        if (note.nslots() != r.slots() || note.sitesRewritten() != r.rewritten()
                || note.sitesLeft() != r.leftAsSyscall()) {
            return "output's note (" + note.nslots() + " slots, " + note.sitesRewritten() + " rewritten, "
                    + note.sitesLeft() + " left) disagrees with the result (" + r.slots() + ", " + r.rewritten()
                    + ", " + r.leftAsSyscall() + ")";
        }
        if (out.length < input.length) {
            return "output (" + out.length + " bytes) is shorter than the input (" + input.length + ")";
        }
        boolean[] patched = new boolean[input.length];
        ElfFile in = ElfFile.parse("input", input);
        for (SiteOutcome o : r.outcomes()) {
            if (o.rewritten()) {
                long off = in.vaddrToOffset(o.windowStart()).orElse(-1L);
                if (off < 0 || off + o.windowLength() > input.length) {
                    return "patched window at 0x" + Long.toHexString(o.windowStart()) + " is not in the input's file";
                }
                Arrays.fill(patched, (int) off, (int) off + o.windowLength(), true);
            }
        }
        for (int k = ElfHeader.SIZE; k < input.length; k++) {
            if (!patched[k] && input[k] != out[k]) {
                return "input byte at 0x" + Integer.toHexString(k) + " changed outside any patch";
            }
        }
        return null;
    }

    private Path keep(long rngSeed, int caseNo, String seed, byte[] input) {
        if (keepDir == null) {
            return null;
        }
        try {
            Files.createDirectories(keepDir);
            Path p = keepDir.resolve(String.format("%x-%d-%s.elf", rngSeed, caseNo, seed.replaceAll("[^A-Za-z0-9.]", "_")));
            Files.write(p, input);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return t + (st.length > 0 ? " at " + st[0] : "");
    }

    private ExecutorService worker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "elf-fuzz");
            t.setDaemon(true);
            workerThread = t;
            return t;
        });
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code ElfFuzzer N [RNGSEED] [KEEPDIR] [CLIEVERY]}: runs N cases over {@link Seeds#standard},
     * prints the counts by outcome and every failure; exits 1 when any case failed. With the
     * port-app jar on the class path, every CLIEVERY-th case (default 1000) also goes through
     * {@code port-app rewrite} ({@link CliSample}).
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ElfFuzzer N [RNGSEED] [KEEPDIR] [CLIEVERY]");
            System.exit(2);
        }
        int n = Integer.parseInt(args[0]);
        long rngSeed = args.length > 1 ? Long.decode(args[1]) : 0x5eedL;
        Path keep = args.length > 2 ? Path.of(args[2]) : Path.of("fuzz-elf-failures");
        int cliEvery = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        Path work = Files.createTempDirectory("fuzz-elf");
        List<Seed> seeds = Seeds.standard(work);
        ElfFuzzer fuzzer = new ElfFuzzer(seeds, Decoder.load(), keep, 10_000);
        System.out.printf("elf fuzz: %d cases, RNG seed 0x%x, seeds:", n, rngSeed);
        System.out.println();
        for (int i = 0; i < seeds.size(); i++) {
            Seed s = seeds.get(i);
            System.out.printf("  %-28s %8d bytes, weight %2d, unmutated rewrite %5d ms CPU, limit %d ms CPU%n", s.name(),
                    s.bytes().length, s.weight(), fuzzer.baseMillis[i], fuzzer.limitMillis[i]);
        }
        Report r = fuzzer.run(n, rngSeed, 1000);
        System.out.print(r.summary());
        if (!CliSample.available()) {
            System.err.println("ElfFuzzer: the port-app jar is not on the class path (run bench/fuzz-elf.sh)");
            System.exit(2);
        }
        CliSample.Result c = CliSample.run(fuzzer.mutators, seeds, Math.max(1, n / cliEvery), rngSeed, work);
        System.out.print(c.summary());
        int cliFailures = c.failures().size();
        System.exit(r.failures().isEmpty() && cliFailures == 0 ? 0 : 1);
    }

}
