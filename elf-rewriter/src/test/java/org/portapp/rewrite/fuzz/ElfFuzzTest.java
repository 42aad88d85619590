package org.portapp.rewrite.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.x86.Decoder;

/**
 * The short fuzz campaign of the test suite: 1,000 structural mutants (RNG seed 0x5eed) of a
 * musl static test-app, a glibc dynamic executable and ld.so through the rewriter. Every one
 * must be rewritten into a sound output or rejected with a one-line error, each within its
 * time limit and without touching its input. bench/fuzz-elf.sh runs the long campaign.
 */
class ElfFuzzTest {
    static final int CASES = 1_000;

    @TempDir
    Path tmp;

    @Test
    void mutatedRealElfsAreRewrittenSoundlyOrRejectedCleanly() {
        ElfFuzzer fuzzer = new ElfFuzzer(Seeds.quick(tmp), Decoder.load(), Path.of("target", "fuzz-elf-failures"),
                10_000);
        ElfFuzzer.Report r = fuzzer.run(CASES, 0x5eed);
        System.out.print(r.summary());
        assertEquals("", r.failures().stream().map(Object::toString).collect(Collectors.joining("\n")),
                "failing cases");
        // Both outcomes must be common, or the mutations stopped reaching the rewriter (too
        // many rejected) or stopped hitting the structures (too few).
        assertTrue(r.count(ElfFuzzer.Outcome.REWRITTEN) >= CASES / 5, r.summary());
        assertTrue(r.count(ElfFuzzer.Outcome.REJECTED) >= CASES / 5, r.summary());
    }
}
