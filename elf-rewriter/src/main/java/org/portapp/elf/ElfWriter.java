package org.portapp.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an ELF file with new content appended and nothing existing moved or resized
 * (docs/architecture.md, "The rewritten ELF"): two new PT_LOAD segments after the highest
 * existing one, a TEXT segment ({@code PF_R|PF_X}) that starts with the relocated program
 * header table and a DATA segment ({@code PF_R|PF_W}) after it, PT_NOTEs for notes placed
 * in TEXT, and (when the input has section headers) a section per appended piece, with the
 * section name table and the section header table rewritten at the end of the file.
 *
 * <p>Use is in two steps, because code placed in TEXT refers to addresses in DATA: first
 * {@link #reserve} every piece (all of TEXT before any of DATA, each with its largest size),
 * which fixes the addresses; then fill each reservation with {@link #section} or
 * {@link #noteSection}, {@link #patch} existing bytes, and {@link #write}.
 */
public final class ElfWriter {
    public static final int PAGE = 0x1000;

    /** The appended segments. */
    public enum Segment { TEXT, DATA }

    private record Reservation(Segment segment, long vaddr, long size) {
    }

    private record Piece(String name, int type, long flags, long align, long vaddr, byte[] bytes, boolean note) {
    }

    private record Patch(long offset, byte[] bytes) {
    }

    private final ElfFile elf;
    private final int notes;
    private final int phnum;
    private final long textOffset;
    private final long textVaddr;
    /** Bytes of TEXT reserved so far (the program header table first). */
    private long textReserved;
    /** Address of DATA once its first piece is reserved; TEXT cannot grow after that. */
    private long dataVaddr = -1;
    private long dataReserved;
    private final List<Reservation> reservations = new ArrayList<>();
    private final List<Piece> pieces = new ArrayList<>();
    private final List<Patch> patches = new ArrayList<>();

    /**
     * Places the appended segments of {@code elf}, which will get {@code notes} PT_NOTEs.
     *
     * <p>TEXT goes a guard page above the original image. The relocated program headers must
     * sit where {@code e_phoff} says counting from the ELF header's address in memory: ld.so
     * finds its own as {@code &__ehdr_start + e_phoff}, not through PT_PHDR. So TEXT keeps the
     * first PT_LOAD's {@code vaddr - offset}; the file is padded (or TEXT moved up) to make
     * that so, by at most {@code maxPadding} bytes of padding.
     *
     * @throws ElfException if the padding would exceed {@code maxPadding}
     */
    public ElfWriter(ElfFile elf, int notes, long maxPadding) {
        this.elf = elf;
        this.notes = notes;
        this.phnum = elf.header().e_phnum() + 2 + notes;
        long offset = ElfFile.alignUp(elf.length(), PAGE);
        long vaddr = ElfFile.alignUp(elf.loadEnd(), PAGE) + PAGE;
        List<ProgramHeader> loads = elf.loadSegments();
        long base = loads.isEmpty() ? 0 : loads.get(0).p_vaddr() - loads.get(0).p_offset();
        long gap = vaddr - base - offset;
        if (gap > maxPadding) {
            throw new ElfException(elf.origin() + ": the segments span 0x" + Long.toHexString(gap)
                    + " bytes more in memory than in the file; padding the output that much is refused");
        }
        if (gap > 0) {
            offset += ElfFile.alignUp(gap, PAGE);
        } else if (gap < 0) {
            vaddr += ElfFile.alignUp(-gap, PAGE);
        }
        this.textOffset = offset;
        this.textVaddr = vaddr;
        this.textReserved = programHeaderTableSize();
    }

    /** Address of the TEXT segment (its first bytes are the program header table). */
    public long textVaddr() {
        return textVaddr;
    }

    private long programHeaderTableSize() {
        return (long) phnum * ProgramHeader.SIZE;
    }

    /**
     * Reserves up to {@code size} bytes aligned to {@code align} at the end of {@code segment}
     * and returns their virtual address. DATA starts on the page after everything reserved in
     * TEXT, so all of TEXT must be reserved first.
     */
    public long reserve(Segment segment, long align, long size) {
        long vaddr;
        if (segment == Segment.TEXT) {
            if (dataVaddr >= 0) {
                throw new IllegalStateException("TEXT reserved after DATA was placed");
            }
            long at = ElfFile.alignUp(textReserved, align);
            textReserved = at + size;
            vaddr = textVaddr + at;
        } else {
            if (dataVaddr < 0) {
                dataVaddr = textVaddr + ElfFile.alignUp(textReserved, PAGE);
            }
            long at = ElfFile.alignUp(dataReserved, align);
            dataReserved = at + size;
            vaddr = dataVaddr + at;
        }
        reservations.add(new Reservation(segment, vaddr, size));
        return vaddr;
    }

    /**
     * Puts {@code bytes} at reserved address {@code vaddr} as section {@code name}. Section
     * headers are written in the order of these calls.
     */
    public void section(String name, int type, long flags, long align, long vaddr, byte[] bytes) {
        pieces.add(new Piece(name, type, flags, align, vaddr, bytes.clone(), false));
    }

    /** Puts a note entry at reserved address {@code vaddr} as section {@code name} with a PT_NOTE of its own. */
    public void noteSection(String name, long vaddr, byte[] note) {
        pieces.add(new Piece(name, SectionHeader.SHT_NOTE, SectionHeader.SHF_ALLOC, 4, vaddr, note.clone(), true));
    }

    /** Replaces existing bytes at {@code vaddr} (which must lie in a segment's file image). */
    public void patch(long vaddr, byte[] bytes) {
        long off = elf.vaddrToOffset(vaddr).orElseThrow(() -> new IllegalArgumentException(
                "patch at 0x" + Long.toHexString(vaddr) + " lies outside the file's segments"));
        patches.add(new Patch(off, bytes.clone()));
    }

    private Reservation reservationAt(long vaddr) {
        return reservations.stream().filter(r -> r.vaddr() == vaddr).findFirst().orElseThrow(
                () -> new IllegalStateException("nothing reserved at 0x" + Long.toHexString(vaddr)));
    }

    /** The output file. */
    public byte[] write() {
        if (pieces.stream().filter(Piece::note).count() != notes) {
            throw new IllegalStateException("expected " + notes + " notes");
        }
        if (dataVaddr < 0) {
            dataVaddr = textVaddr + ElfFile.alignUp(textReserved, PAGE);
        }
        long textEnd = textVaddr + programHeaderTableSize();
        long dataEnd = dataVaddr;
        for (Piece p : pieces) {
            Reservation r = reservationAt(p.vaddr());
            if (p.bytes().length > r.size()) {
                throw new IllegalStateException(p.name() + ": " + p.bytes().length + " bytes overflow the "
                        + r.size() + " reserved for it");
            }
            if (r.segment() == Segment.TEXT) {
                textEnd = Math.max(textEnd, p.vaddr() + p.bytes().length);
            } else {
                dataEnd = Math.max(dataEnd, p.vaddr() + p.bytes().length);
            }
        }
        long textSize = textEnd - textVaddr;
        long dataOffset = textOffset + (dataVaddr - textVaddr);
        long dataSize = dataEnd - dataVaddr;
        // An empty DATA segment still gets a byte in the file, so its offset lies inside it.
        long dataFileEnd = dataOffset + Math.max(dataSize, 1);

        ElfHeader h = elf.header();
        List<SectionHeader> oldSections = elf.sections();
        boolean withSections = !oldSections.isEmpty();
        byte[] oldNames = new byte[0];
        if (withSections) {
            SectionHeader ss = oldSections.get(h.e_shstrndx());
            oldNames = elf.bytesAt(ss.sh_offset(), (int) ss.sh_size());
        }
        StringBuilder added = new StringBuilder();
        List<Integer> nameAt = new ArrayList<>();
        for (Piece p : pieces) {
            nameAt.add(oldNames.length + added.length());
            added.append(p.name()).append('\0');
        }
        byte[] newNames = added.toString().getBytes(StandardCharsets.ISO_8859_1);
        long namesOffset = ElfFile.alignUp(dataFileEnd, 8);
        long shOffset = ElfFile.alignUp(namesOffset + oldNames.length + newNames.length, 8);
        int shnum = withSections ? oldSections.size() + pieces.size() : 0;
        long total = withSections ? shOffset + (long) shnum * SectionHeader.SIZE : dataFileEnd;
        if (total > Integer.MAX_VALUE - 16) {
            throw new ElfException(elf.origin() + ": output would be larger than 2 GiB");
        }
        byte[] out = new byte[(int) total];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, elf.bytes());
        for (Patch p : patches) {
            b.put((int) p.offset(), p.bytes());
        }

        // Program headers: the old ones (PT_PHDR moved to the relocated table), TEXT and DATA
        // after the last existing PT_LOAD (so loads stay sorted by address), the notes last.
        List<ProgramHeader> old = elf.programHeaders();
        int lastLoad = -1;
        for (int k = 0; k < old.size(); k++) {
            if (old.get(k).isLoad()) {
                lastLoad = k;
            }
        }
        long phSize = programHeaderTableSize();
        List<ProgramHeader> phdrs = new ArrayList<>();
        for (int k = 0; k < old.size(); k++) {
            ProgramHeader p = old.get(k);
            phdrs.add(p.p_type() == ProgramHeader.PT_PHDR ? p.withLocation(textOffset, textVaddr, phSize, phSize) : p);
            if (k == lastLoad) {
                phdrs.add(new ProgramHeader(ProgramHeader.PT_LOAD, ProgramHeader.PF_R | ProgramHeader.PF_X,
                        textOffset, textVaddr, textVaddr, textSize, textSize, PAGE));
                phdrs.add(new ProgramHeader(ProgramHeader.PT_LOAD, ProgramHeader.PF_R | ProgramHeader.PF_W,
                        dataOffset, dataVaddr, dataVaddr, dataSize, dataSize, PAGE));
            }
        }
        for (Piece p : pieces) {
            if (p.note()) {
                phdrs.add(new ProgramHeader(ProgramHeader.PT_NOTE, ProgramHeader.PF_R, fileOffset(p.vaddr(), dataOffset),
                        p.vaddr(), p.vaddr(), p.bytes().length, p.bytes().length, 4));
            }
        }
        for (int k = 0; k < phdrs.size(); k++) {
            putPhdr(b, (int) (textOffset + (long) k * ProgramHeader.SIZE), phdrs.get(k));
        }
        for (Piece p : pieces) {
            b.put((int) fileOffset(p.vaddr(), dataOffset), p.bytes());
        }
        b.putLong(32, textOffset);   // e_phoff
        b.putShort(56, (short) phnum);

        if (withSections) {
            b.put((int) namesOffset, oldNames);
            b.put((int) namesOffset + oldNames.length, newNames);
            for (SectionHeader sh : oldSections) {
                SectionHeader copy = sh.index() == h.e_shstrndx()
                        ? new SectionHeader(sh.index(), sh.name(), sh.sh_name(), sh.sh_type(), sh.sh_flags(),
                        sh.sh_addr(), namesOffset, oldNames.length + newNames.length, sh.sh_link(), sh.sh_info(),
                        sh.sh_addralign(), sh.sh_entsize())
                        : sh;
                putShdr(b, (int) (shOffset + (long) sh.index() * SectionHeader.SIZE), copy);
            }
            for (int i = 0; i < pieces.size(); i++) {
                Piece p = pieces.get(i);
                int k = oldSections.size() + i;
                putShdr(b, (int) (shOffset + (long) k * SectionHeader.SIZE), new SectionHeader(k, p.name(),
                        nameAt.get(i), p.type(), p.flags(), p.vaddr(), fileOffset(p.vaddr(), dataOffset),
                        p.bytes().length, 0, 0, p.align(), 0));
            }
            b.putLong(40, shOffset);   // e_shoff
            b.putShort(60, (short) shnum);
        }
        return out;
    }

    private long fileOffset(long vaddr, long dataOffset) {
        return vaddr >= dataVaddr ? dataOffset + (vaddr - dataVaddr) : textOffset + (vaddr - textVaddr);
    }

    private static void putPhdr(ByteBuffer b, int o, ProgramHeader p) {
        b.putInt(o, p.p_type());
        b.putInt(o + 4, p.p_flags());
        b.putLong(o + 8, p.p_offset());
        b.putLong(o + 16, p.p_vaddr());
        b.putLong(o + 24, p.p_paddr());
        b.putLong(o + 32, p.p_filesz());
        b.putLong(o + 40, p.p_memsz());
        b.putLong(o + 48, p.p_align());
    }

    private static void putShdr(ByteBuffer b, int o, SectionHeader s) {
        b.putInt(o, s.sh_name());
        b.putInt(o + 4, s.sh_type());
        b.putLong(o + 8, s.sh_flags());
        b.putLong(o + 16, s.sh_addr());
        b.putLong(o + 24, s.sh_offset());
        b.putLong(o + 32, s.sh_size());
        b.putInt(o + 40, s.sh_link());
        b.putInt(o + 44, s.sh_info());
        b.putLong(o + 48, s.sh_addralign());
        b.putLong(o + 56, s.sh_entsize());
    }
}
