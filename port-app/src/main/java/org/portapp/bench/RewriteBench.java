package org.portapp.bench;

import java.nio.file.Path;
import java.util.Arrays;
import org.portapp.elf.ElfFile;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Benchmark (not a test): time to analyze and to rewrite whole ELF files, after JIT
 * warm-up, as the median of several runs. Usage: RewriteBench [--runs N] FILE...
 */
public final class RewriteBench {
    private RewriteBench() {
    }

    public static void main(String[] args) {
        int runs = 7;
        int i = 0;
        if (args.length > 1 && args[0].equals("--runs")) {
            runs = Integer.parseInt(args[1]);
            i = 2;
        }
        Decoder decoder = Decoder.load();
        if (i < args.length && args[i].equals("--closure")) {
            closure(Path.of(args[i + 1]), runs, decoder);
            i += 2;
        }
        System.out.printf("%-48s %7s %9s %12s %12s %12s%n", "file", "sites", "rewritten", "parse+decode", "analyze",
                "rewrite");
        for (; i < args.length; i++) {
            Path file = Path.of(args[i]);
            for (int w = 0; w < 3; w++) { // warm-up
                Analysis.of(file, decoder).rewrite();
            }
            double[] analyze = new double[runs];
            double[] rewrite = new double[runs];
            double[] decode = new double[runs];
            RewriteResult last = null;
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                ElfFile elf = ElfFile.read(file);
                org.portapp.rewrite.Disassembly.of(elf, decoder);
                long t1 = System.nanoTime();
                Analysis a = Analysis.of(elf, decoder);
                long t2 = System.nanoTime();
                last = a.rewrite();
                long t3 = System.nanoTime();
                decode[r] = (t1 - t0) / 1e6;
                analyze[r] = (t2 - t1) / 1e6;
                rewrite[r] = (t3 - t2) / 1e6;
            }
            System.out.printf("%-48s %7d %9d %9.1f ms %9.1f ms %9.1f ms%n", file, last.outcomes().size(),
                    last.rewritten(), median(decode), median(analyze), median(rewrite));
        }
    }

    /** Resolves the closure of a dynamically linked executable and analyzes + rewrites every object. */
    private static void closure(Path exe, int runs, Decoder decoder) {
        double[] total = new double[runs];
        int objects = 0;
        long sites = 0;
        for (int r = -3; r < runs; r++) { // three warm-up rounds
            long t0 = System.nanoTime();
            org.portapp.image.Closure c = org.portapp.image.Closure.of(exe);
            sites = 0;
            for (org.portapp.image.Closure.LoadedObject o : c.objects()) {
                RewriteResult res = Analysis.of(o.hostFile(), decoder).rewrite();
                sites += res.outcomes().size();
            }
            objects = c.objects().size();
            if (r >= 0) {
                total[r] = (System.nanoTime() - t0) / 1e6;
            }
        }
        System.out.printf("closure of %s: %d objects, %d syscall sites; resolve + analyze + rewrite (+verify) "
                + "all: %.0f ms (median of %d)%n", exe, objects, sites, median(total), runs);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
