package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ProgramHeader;
import org.portapp.x86.Decoder;

/** Rewrites real Debian binaries and checks the output with binutils. */
class RewriteRealBinariesTest {
    @TempDir
    Path tmp;

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
        return new String(out, StandardCharsets.UTF_8);
    }

    static String stderrOf(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        byte[] err = p.getErrorStream().readAllBytes();
        assertEquals(0, p.waitFor(), String.join(" ", cmd));
        return new String(err, StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/busybox", "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"})
    void rewritesAndBinutilsReadTheOutputWithoutWarnings(String path) throws Exception {
        Path in = Path.of(path);
        byte[] before = Files.readAllBytes(in);
        long t0 = System.nanoTime();
        Analysis a = Analysis.of(in, Decoder.load());
        RewriteResult r = a.rewrite();
        long t1 = System.nanoTime();
        Path out = tmp.resolve(in.getFileName() + ".rw");
        OutputFile.write(out, r.output(), true);
        System.out.printf("%s: %d sites, %d rewritten, %d left, %d slots, %.0f ms%n", path, r.outcomes().size(),
                r.rewritten(), r.leftAsSyscall(), r.slots(), (t1 - t0) / 1e6);
        r.outcomes().stream().filter(o -> !o.rewritten()).forEach(o ->
                System.out.printf("  left 0x%x: %s%n", o.site().address(), o.reason()));
        assertTrue(r.rewritten() >= 0.9 * r.outcomes().size(), "most sites rewritten");
        assertEquals(new String(before, StandardCharsets.ISO_8859_1),
                new String(Files.readAllBytes(in), StandardCharsets.ISO_8859_1), "input untouched");

        assertEquals("", stderrOf("readelf", "-a", "-W", out.toString()), "readelf -a warnings");
        assertEquals("", stderrOf("objdump", "-d", out.toString()), "objdump -d warnings");
        String objdump = run("objdump", "-d", "--no-show-raw-insn", out.toString());
        long syscalls = objdump.lines().filter(l -> l.matches("^\\s*[0-9a-f]+:\\s+syscall\\s*$")).count();
        assertEquals(r.leftAsSyscall(), syscalls, "syscall instructions left in the output");

        ElfFile parsed = ElfFile.read(out);
        assertTrue(parsed.programHeaders().stream().anyMatch(p -> p.p_type() == ProgramHeader.PT_NOTE
                && new String(parsed.bytesAt(p.p_offset() + 12, 7), StandardCharsets.ISO_8859_1).equals("PortApp")));
    }

    /**
     * ld.so finds its own program headers as {@code &__ehdr_start + e_phoff}, not through
     * PT_PHDR: the relocated table must lie at the same distance from the loaded ELF header as
     * in the file (the first PT_LOAD's vaddr - offset), whatever the .bss of the last segment.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/bin/busybox", "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/bin/ls"})
    void programHeadersLieAtEPhoffFromTheLoadedHeader(String path) throws Exception {
        ElfFile in = ElfFile.read(Path.of(path));
        ElfFile out = ElfFile.parse(path + ".rw", Analysis.of(in, Decoder.load()).rewrite().output());
        ProgramHeader first = out.loadSegments().get(0);
        long base = first.p_vaddr() - first.p_offset();
        long phoff = out.header().e_phoff();
        out.programHeaders().stream().filter(p -> p.p_type() == ProgramHeader.PT_PHDR).forEach(phdr -> {
            assertEquals(phoff, phdr.p_offset(), "PT_PHDR offset");
            assertEquals(base + phoff, phdr.p_vaddr(), "PT_PHDR vaddr = base + e_phoff");
        });
        ProgramHeader holder = out.loadSegments().stream()
                .filter(p -> p.p_offset() <= phoff && phoff < p.p_offset() + p.p_filesz()).findFirst().orElseThrow();
        assertEquals(holder.p_vaddr() - holder.p_offset(), base, "the segment holding the table keeps the base");
    }
}
