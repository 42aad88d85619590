package org.portapp.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ProgramHeader;

/**
 * The PortApp note of a rewritten file (docs/architecture.md) and its slot table's
 * syscall numbers, read back through the ELF model.
 */
public record PortAppNote(long slotsVaddr, int nslots, int sitesRewritten, int sitesLeft, int[] slotNumbers) {

    /** The note of {@code elf}, or empty if the file was not rewritten. */
    public static Optional<PortAppNote> of(ElfFile elf) {
        for (ProgramHeader p : elf.programHeaders()) {
            if (p.p_type() != ProgramHeader.PT_NOTE) {
                continue;
            }
            long off = p.p_offset();
            long end = p.p_offset() + p.p_filesz();
            while (off + 12 <= end) {
                int namesz = (int) u32(elf, off);
                int descsz = (int) u32(elf, off + 4);
                long type = u32(elf, off + 8);
                long desc = off + 12 + ((namesz + 3L) & ~3L);
                if (namesz < 0 || descsz < 0 || desc + descsz > end) {
                    break;
                }
                String name = namesz > 0 ? new String(elf.bytesAt(off + 12, namesz - 1), StandardCharsets.US_ASCII)
                        : "";
                if (type == Rewriter.NOTE_TYPE && name.equals(Rewriter.NOTE_OWNER) && descsz >= 24) {
                    long slots = u32(elf, desc) | u32(elf, desc + 4) << 32;
                    int n = (int) u32(elf, desc + 8);
                    int[] nrs = new int[n];
                    if (n > 0) {
                        long at = elf.vaddrToOffset(slots).orElseThrow(() -> new org.portapp.elf.ElfException(
                                elf.origin() + ": PortApp slot table lies outside the file"));
                        for (int k = 0; k < n; k++) {
                            nrs[k] = (int) u32(elf, at + 8L * n + 4L * k);
                        }
                    }
                    return Optional.of(new PortAppNote(slots, n, (int) u32(elf, desc + 12), (int) u32(elf, desc + 16),
                            nrs));
                }
                off = desc + ((descsz + 3L) & ~3L);
            }
        }
        return Optional.empty();
    }

    private static long u32(ElfFile elf, long off) {
        byte[] b = elf.bytesAt(off, 4);
        return (b[0] & 0xffL) | (b[1] & 0xffL) << 8 | (b[2] & 0xffL) << 16 | (b[3] & 0xffL) << 24;
    }
}
