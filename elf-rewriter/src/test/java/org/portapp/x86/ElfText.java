package org.portapp.x86;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Test-only: the bytes and address of one section of an ELF64 little-endian file, from a minimal
 * section-header walk (independent of org.portapp.elf on purpose, so the decoder's tests do not
 * depend on the code under test elsewhere).
 */
record ElfText(long address, byte[] bytes) {

    static ElfText read(Path file, String sectionName) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (all.length < 64 || b.getInt(0) != 0x464c457f || all[4] != 2 || all[5] != 1) {
            throw new IllegalArgumentException(file + ": not an ELF64 little-endian file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
        int shnum = Short.toUnsignedInt(b.getShort(0x3c));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
        long strtab = b.getLong((int) (shoff + (long) shstrndx * shentsize) + 0x18);
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            int nameOff = (int) (strtab + b.getInt(sh));
            int end = nameOff;
            while (all[end] != 0) {
                end++;
            }
            String name = new String(all, nameOff, end - nameOff, StandardCharsets.US_ASCII);
            if (name.equals(sectionName)) {
                long addr = b.getLong(sh + 0x10);
                int off = (int) b.getLong(sh + 0x18);
                int size = (int) b.getLong(sh + 0x20);
                return new ElfText(addr, Arrays.copyOfRange(all, off, off + size));
            }
        }
        throw new IllegalArgumentException(file + ": no section " + sectionName);
    }
}
