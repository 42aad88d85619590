package org.portapp.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Decodes real .text sections and checks instruction boundaries and syscall sites against GNU
 * objdump. Inputs come from Debian packages (busybox-static, libc6, binutils).
 */
class RealBinaryDecodeTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final Path LIBC = Path.of("/lib/x86_64-linux-gnu/libc.so.6");

    private final Decoder decoder = Decoder.load();

    @Test
    void busyboxMatchesObjdump() throws Exception {
        crossCheck(BUSYBOX);
    }

    @Test
    void libcMatchesObjdump() throws Exception {
        crossCheck(LIBC);
    }

    /** Not an assertion: decoding throughput, best of a few runs after warm-up. */
    @Test
    void busyboxThroughput() throws Exception {
        ElfText text = ElfText.read(require(BUSYBOX), ".text");
        long best = Long.MAX_VALUE;
        int count = 0;
        for (int run = 0; run < 6; run++) {
            long t0 = System.nanoTime();
            count = decoder.decode(text.bytes(), 0, text.bytes().length, text.address()).count();
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("x86 decode throughput (busybox .text, %d bytes): %d insns in %.1f ms"
                + " = %.1f M insns/s, %.1f MB/s%n", text.bytes().length, count, best / 1e6,
                count / (best / 1e9) / 1e6, text.bytes().length / (best / 1e9) / 1e6);
        assertTrue(count > 0);
    }

    private static Path require(Path p) {
        if (!Files.isReadable(p)) {
            fail(p + " is missing: install the Debian package that provides it");
        }
        return p;
    }

    private void crossCheck(Path file) throws Exception {
        ElfText text = ElfText.read(require(file), ".text");
        byte[] code = text.bytes();
        long t0 = System.nanoTime();
        DecodedCode d = decoder.decode(code, 0, code.length, text.address());
        long nanos = System.nanoTime() - t0;

        TreeSet<Long> ours = new TreeSet<>();
        TreeSet<Long> oursSyscalls = new TreeSet<>();
        int invalid = 0;
        long covered = 0;
        for (int i = 0; i < d.count(); i++) {
            covered += d.length(i);
            if (i > 0) {
                assertEquals(d.address(i - 1) + d.length(i - 1), d.address(i), "sweep has a gap");
            }
            switch (d.kind(i)) {
                case INVALID -> invalid++;
                case SYSCALL -> oursSyscalls.add(d.address(i));
                default -> { }
            }
            if (d.kind(i) != InsnKind.INVALID) {
                ours.add(d.address(i));
            }
        }
        assertEquals(code.length, covered, "instructions must cover the whole range");

        Objdump od = Objdump.disassemble(file, ".text");
        List<String> onlyObjdump = new ArrayList<>();
        for (long a : od.starts()) {
            if (!od.bad().contains(a) && !ours.contains(a)) {
                onlyObjdump.add(describe(d, code, text.address(), a));
            }
        }
        List<String> onlyOurs = new ArrayList<>();
        for (long a : ours) {
            if (!od.starts().contains(a)) {
                onlyOurs.add(describe(d, code, text.address(), a));
            }
        }
        System.out.printf("%s .text: %d bytes, %d instructions (%d invalid bytes) decoded in %.1f ms;"
                + " objdump: %d instructions, %d (bad); syscall sites: %d (objdump %d)%n",
                file, code.length, d.count(), invalid, nanos / 1e6, od.starts().size(), od.bad().size(),
                oursSyscalls.size(), od.syscalls().size());
        assertTrue(onlyObjdump.isEmpty(), onlyObjdump.size() + " objdump instruction starts we miss, e.g. "
                + onlyObjdump.subList(0, Math.min(10, onlyObjdump.size())));
        assertTrue(onlyOurs.isEmpty(), onlyOurs.size() + " of our instruction starts objdump lacks, e.g. "
                + onlyOurs.subList(0, Math.min(10, onlyOurs.size())));
        assertEquals(od.syscalls(), oursSyscalls, "syscall sites");
        assertTrue(oursSyscalls.size() > 100, "a libc-sized .text has many syscall sites");
    }

    private String describe(DecodedCode d, byte[] code, long base, long a) {
        int off = (int) (a - base);
        int i = d.indexAt(a);
        return String.format("%x: %s%s", a, decoder.format(code, off, Math.min(15, code.length - off), a),
                i < 0 ? " (inside one of ours)" : "");
    }
}
