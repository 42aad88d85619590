package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.elf.ElfFile;
import org.portapp.elf.Symbol;
import org.portapp.x86.Decoder;

/** The finder's rules for padding, calls that never return and byte moves (footprint-sites.S). */
class FootprintSitesTest {
    @TempDir
    static Path tmp;
    static ElfFile elf;
    static Analysis analysis;

    @BeforeAll
    static void build() throws Exception {
        Path src = tmp.resolve("footprint-sites.S");
        try (InputStream in = FootprintSitesTest.class.getResourceAsStream("/footprint-sites.S")) {
            Files.copy(in, src);
        }
        Path exe = tmp.resolve("footprint-sites");
        TinySites.Run cc = TinySites.run(List.of("gcc", "-nostdlib", "-static", "-no-pie", "-o", exe.toString(),
                src.toString()));
        assertEquals(0, cc.exit(), cc.output());
        elf = ElfFile.read(exe);
        analysis = Analysis.of(elf, Decoder.load());
    }

    static SyscallSite siteIn(String fn) {
        Symbol s = elf.symbols().stream().filter(x -> x.name().equals(fn)).findFirst().orElseThrow();
        List<SyscallSite> l = analysis.sites().stream()
                .filter(x -> x.address() >= s.st_value() && x.address() < s.st_value() + s.st_size()).toList();
        assertEquals(1, l.size(), fn);
        assertEquals(fn, l.get(0).function().replaceAll("\\+0x[0-9a-f]+$", ""));
        return l.get(0);
    }

    @Test
    void alignmentPaddingBringsNoUnknownState() {
        assertEquals(Set.of(202), siteIn("f_padding").numbers());
        SyscallSite s = siteIn("f_unreached");
        assertFalse(s.bounded());
        assertTrue(s.reason().startsWith("rax is computed or loaded from memory in f_unreached"), s.reason());
    }

    @Test
    void nothingFallsThroughACallThatNeverReturns() {
        assertEquals(Set.of(202), siteIn("f_noreturn").numbers());
        assertFalse(siteIn("f_returns").bounded());
    }

    @Test
    void aByteMoveChangesOnlyTheLowByte() {
        assertEquals(39, siteIn("f_movb").nr());
        assertFalse(siteIn("f_movb_high").bounded());
    }
}
