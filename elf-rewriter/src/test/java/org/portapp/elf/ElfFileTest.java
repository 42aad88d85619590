package org.portapp.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ELF model on real Debian binaries, and the messages it gives for bad input. */
class ElfFileTest {
    @TempDir
    Path tmp;

    @Test
    void readsBusybox() {
        ElfFile e = ElfFile.read(Path.of("/bin/busybox"));
        assertEquals(ElfHeader.ET_EXEC, e.header().e_type());
        assertTrue(e.section(".text").isPresent());
        assertTrue(e.interpreter().isEmpty());
        assertTrue(EhFrame.functionRanges(e).size() > 1000, "FDEs in a stripped static binary");
    }

    @Test
    void readsLibcSymbolsAndDynamic() {
        ElfFile e = ElfFile.read(Path.of("/lib/x86_64-linux-gnu/libc.so.6"));
        assertEquals(ElfHeader.ET_DYN, e.header().e_type());
        assertTrue(e.symbols().stream().anyMatch(s -> s.name().equals("write") && s.isFunction()));
        assertTrue(e.needed().contains("ld-linux-x86-64.so.2"));
    }

    @Test
    void readsInterpreterOfADynamicExecutable() {
        ElfFile e = ElfFile.read(Path.of("/bin/ls"));
        assertEquals("/lib64/ld-linux-x86-64.so.2", e.interpreter().orElseThrow());
        assertTrue(e.needed().contains("libc.so.6"));
    }

    private String errorFor(byte[] content) throws Exception {
        Path p = tmp.resolve("bad");
        Files.write(p, content);
        return assertThrows(ElfException.class, () -> ElfFile.read(p)).getMessage();
    }

    @Test
    void badInputsGiveClearMessages() throws Exception {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        assertTrue(errorFor(new byte[0]).contains("empty file"));
        assertTrue(errorFor("#!/bin/sh\necho hi\n".getBytes()).contains("not an ELF file"));
        assertTrue(errorFor(Arrays.copyOf(busybox, 40)).contains("truncated"));
        assertTrue(errorFor(Arrays.copyOf(busybox, 1000)).contains("truncated"));
        byte[] b32 = busybox.clone();
        b32[4] = 1;
        assertTrue(errorFor(b32).contains("32-bit"));
        byte[] be = busybox.clone();
        be[5] = 2;
        assertTrue(errorFor(be).contains("big-endian"));
        assertTrue(assertThrows(ElfException.class, () -> ElfFile.read(tmp)).getMessage().contains("directory"));
        assertTrue(assertThrows(ElfException.class, () -> ElfFile.read(tmp.resolve("missing")))
                .getMessage().contains("no such file"));
    }
}
