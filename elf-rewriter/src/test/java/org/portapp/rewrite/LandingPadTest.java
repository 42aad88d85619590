package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.elf.EhFrame;
import org.portapp.elf.ElfFile;
import org.portapp.x86.Decoder;

/** C++ landing pads from the LSDAs land on instruction boundaries and count as entry points. */
class LandingPadTest {
    @ParameterizedTest
    @ValueSource(strings = {"/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libc.so.6"})
    void landingPadsAreInstructionBoundaries(String path) {
        ElfFile elf = ElfFile.read(Path.of(path));
        List<Long> pads = EhFrame.landingPads(elf);
        assertTrue(pads.size() > 50, "pads found: " + pads.size());
        Disassembly d = Disassembly.of(elf, Decoder.load());
        long onBoundary = pads.stream().filter(p -> d.rangeOf(p).map(r -> r.code().indexAt(p) >= 0).orElse(false))
                .count();
        assertEquals(pads.size(), onBoundary, "every landing pad starts an instruction");
        assertTrue(pads.stream().allMatch(d::isEntryPoint));
    }
}
