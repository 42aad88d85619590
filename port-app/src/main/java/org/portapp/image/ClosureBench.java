package org.portapp.image;

import java.nio.file.Path;
import org.portapp.elf.ElfFile;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Benchmark (not a test): the time to resolve an executable's closure and to analyze and
 * rewrite every object in it (no cache), after one warm-up pass.
 * Usage: {@code java -cp port-app.jar org.portapp.image.ClosureBench [--runs N] EXE...}
 */
public final class ClosureBench {
    private ClosureBench() {
    }

    public static void main(String[] args) {
        int runs = 3;
        int i = 0;
        if (args.length > 1 && args[0].equals("--runs")) {
            runs = Integer.parseInt(args[1]);
            i = 2;
        }
        Decoder decoder = Decoder.load();
        for (; i < args.length; i++) {
            Path exe = Path.of(args[i]);
            once(exe, decoder, false);   // warm-up (JIT, page cache)
            double best = Double.MAX_VALUE;
            for (int r = 0; r < runs; r++) {
                best = Math.min(best, once(exe, decoder, r == runs - 1));
            }
            System.out.printf("%s: whole closure resolved, analyzed and rewritten in %.0f ms (best of %d)%n", exe,
                    best, runs);
        }
    }

    private static double once(Path exe, Decoder decoder, boolean print) {
        long t0 = System.nanoTime();
        Closure c = Closure.of(exe);
        long t1 = System.nanoTime();
        int sites = 0;
        long rewritten = 0;
        for (Closure.LoadedObject o : c.objects()) {
            long s = System.nanoTime();
            RewriteResult r = Analysis.of(ElfFile.read(o.hostFile()), decoder).rewrite();
            sites += r.outcomes().size();
            rewritten += r.rewritten();
            if (print) {
                System.out.printf("  %-52s %6d sites %6d rewritten %5d slots %7.1f ms%n", o.guestPath(),
                        r.outcomes().size(), r.rewritten(), r.slots(), (System.nanoTime() - s) / 1e6);
            }
        }
        long t2 = System.nanoTime();
        if (print) {
            System.out.printf("  %d objects, %d sites, %d rewritten; closure %.1f ms, analyze+rewrite %.0f ms%n",
                    c.objects().size(), sites, rewritten, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        }
        return (t2 - t0) / 1e6;
    }
}
