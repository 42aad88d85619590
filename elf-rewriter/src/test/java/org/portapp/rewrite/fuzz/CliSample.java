package org.portapp.rewrite.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.portapp.elf.ElfFile;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Mutants through the real command line, {@code port-app rewrite IN -o OUT}, in this JVM
 * (the CLI's {@code Main.execute}, found by reflection: elf-rewriter cannot depend on the
 * port-app module, but its jar is on the class path when bench/fuzz-elf.sh runs the fuzzer).
 * The CLI must exit 0 with an output identical to the library's (which passed
 * {@link ElfFuzzer#checkOutput}), or 1 with one line {@code port-app: error: ...} on stderr
 * and no output file; never 70 (internal error); the input file must keep its hash.
 */
final class CliSample {
    record Result(int cases, int written, int rejected, List<String> failures) {
        String summary() {
            StringBuilder sb = new StringBuilder(String.format(
                    "cli sample (port-app rewrite): %d cases, %d written, %d rejected, %d failed%n",
                    cases, written, rejected, failures.size()));
            failures.forEach(f -> sb.append("FAIL cli ").append(f).append('\n'));
            return sb.toString();
        }
    }

    private CliSample() {
    }

    static boolean available() {
        return main() != null;
    }

    private static Method main() {
        try {
            return Class.forName("org.portapp.cli.Main").getMethod("execute", String[].class);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    static Result run(List<ElfMutator> mutators, List<ElfFuzzer.Seed> seeds, int cases, long rngSeed, Path work)
            throws Exception {
        Random rnd = new Random(rngSeed ^ 0xc11L);
        Method execute = main();
        Decoder decoder = Decoder.load();
        int written = 0;
        int rejected = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases; i++) {
            int si = i % seeds.size();
            ElfMutator.Mutant m = mutators.get(si).mutate(rnd);
            Path in = work.resolve("cli-in-" + i);
            Path out = work.resolve("cli-out-" + i);
            Files.write(in, m.bytes());
            byte[] before = ElfFuzzer.sha256(Files.readAllBytes(in));
            String what = i + " (" + seeds.get(si).name() + ": " + m.description() + ")";
            PrintStream oldOut = System.out;
            PrintStream oldErr = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            try {
                System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                code = (int) execute.invoke(null, (Object) new String[] {"rewrite", in.toString(), "-o", out.toString()});
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
            }
            String stderr = err.toString(StandardCharsets.UTF_8);
            if (!Arrays.equals(before, ElfFuzzer.sha256(Files.readAllBytes(in)))) {
                failures.add(what + ": the input file changed");
            } else if (code == 0) {
                RewriteResult lib = Analysis.of(ElfFile.parse("lib", m.bytes()), decoder).rewrite();
                String bad = ElfFuzzer.checkOutput(m.bytes(), lib);
                if (bad != null) {
                    failures.add(what + ": " + bad);
                } else if (!Arrays.equals(lib.output(), Files.readAllBytes(out))) {
                    failures.add(what + ": the CLI wrote something else than the library returns");
                } else {
                    written++;
                }
            } else if (code == 1 && stderr.startsWith("port-app: error: ") && stderr.indexOf('\n') == stderr.length() - 1
                    && !Files.exists(out)) {
                rejected++;
            } else {
                failures.add(what + ": exit " + code + ", stderr: " + stderr.strip());
            }
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
        return new Result(cases, written, rejected, failures);
    }
}
