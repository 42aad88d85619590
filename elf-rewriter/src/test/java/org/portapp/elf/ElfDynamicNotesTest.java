package org.portapp.elf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the ELF model answers for others: dynamic strings, notes, loaded size, the cheap sniff. */
class ElfDynamicNotesTest {
    private static final Path LIBC = Path.of("/lib/x86_64-linux-gnu/libc.so.6");

    @TempDir
    Path tmp;

    @Test
    void libcSonameAndNoSearchPath() {
        ElfFile libc = ElfFile.read(LIBC);
        assertEquals("libc.so.6", libc.soname().orElseThrow());
        assertEquals(List.of("ld-linux-x86-64.so.2"), libc.needed());
        assertTrue(libc.rpath().isEmpty());
        assertTrue(libc.runpath().isEmpty());
        assertTrue(ElfFile.read(Path.of("/bin/ls")).soname().isEmpty(), "an executable has no soname");
    }

    @Test
    void runpathIsSplitAtColons() {
        Path busctl = Path.of("/usr/bin/busctl");   // systemd tools carry a RUNPATH
        assumeTrue(Files.isRegularFile(busctl));
        assertEquals(List.of("/usr/lib/x86_64-linux-gnu/systemd"), ElfFile.read(busctl).runpath());
    }

    @Test
    void libcNotesFromBothItsNoteSegments() {
        // one PT_NOTE aligned to 8 (.note.gnu.property), one to 4 (build id, ABI tag)
        List<Note> notes = ElfFile.read(LIBC).notes();
        assertTrue(notes.stream().allMatch(n -> n.owner().equals("GNU")), notes.toString());
        assertTrue(notes.stream().anyMatch(n -> n.type() == 5 && n.desc().length == 16), "NT_GNU_PROPERTY_TYPE_0");
        assertTrue(notes.stream().anyMatch(n -> n.type() == 3 && n.desc().length == 20), "NT_GNU_BUILD_ID");
        Note abi = notes.stream().filter(n -> n.type() == 1).findFirst().orElseThrow();
        assertArrayEquals(new byte[] {0, 0, 0, 0}, java.util.Arrays.copyOf(abi.desc(), 4), "ELF_NOTE_OS_LINUX");
    }

    @Test
    void loadedBytesSumsTheLoadSegments() {
        ElfFile libc = ElfFile.read(LIBC);
        long sum = 0;
        for (ProgramHeader p : libc.loadSegments()) {
            sum += p.p_memsz();
        }
        assertTrue(sum > 0);
        assertEquals(sum, libc.loadedBytes());
    }

    @Test
    void sniffsX86_64Objects() throws Exception {
        assertEquals(OptionalInt.of(ElfHeader.ET_DYN), ElfFile.x86_64Type(LIBC));
        assertEquals(OptionalInt.of(ElfHeader.ET_EXEC), ElfFile.x86_64Type(Path.of("/bin/busybox")));
        Path text = Files.writeString(tmp.resolve("text"), "#!/bin/sh\necho not an ELF file at all\n");
        assertTrue(ElfFile.x86_64Type(text).isEmpty());
        byte[] arm = Files.readAllBytes(LIBC);
        arm[18] = (byte) 183;   // EM_AARCH64
        assertTrue(ElfFile.x86_64Type(Files.write(tmp.resolve("arm"), arm)).isEmpty());
        assertTrue(ElfFile.x86_64Type(tmp.resolve("missing")).isEmpty());
    }

    @Test
    void kernelImagesMayLieInTheUpperHalf() throws Exception {
        byte[] b = Files.readAllBytes(Path.of("/bin/busybox"));
        ElfFile e = ElfFile.parse("busybox", b);
        // move the first PT_LOAD to the upper half, as a kernel links itself
        long phoff = e.header().e_phoff();
        int first = e.programHeaders().indexOf(e.loadSegments().get(0));
        int at = (int) (phoff + (long) first * ProgramHeader.SIZE + 16);
        java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(at, 0xffffffff80000000L);
        Path kernel = Files.write(tmp.resolve("kernel"), b);
        assertTrue(assertThrows(ElfException.class, () -> ElfFile.read(kernel)).getMessage()
                .contains("outside the user address space"));
        assertEquals(e.loadedBytes(), ElfFile.readKernel(kernel).loadedBytes());
    }
}
