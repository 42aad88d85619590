package org.portapp.elf;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * An immutable, fully bounds-checked view of an ELF64 little-endian x86-64 file:
 * header, program headers, sections, symbols and the dynamic section. Every offset
 * and count read from the file is validated before use, so malformed input raises
 * {@link ElfException} with a message naming the problem, never an index error.
 */
public final class ElfFile {
    private final String origin;
    private final byte[] bytes;
    private final ElfHeader header;
    private final List<ProgramHeader> programHeaders;
    private final List<SectionHeader> sections;

    private ElfFile(String origin, byte[] bytes, ElfHeader header, List<ProgramHeader> phdrs,
                    List<SectionHeader> sections) {
        this.origin = origin;
        this.bytes = bytes;
        this.header = header;
        this.programHeaders = phdrs;
        this.sections = sections;
    }

    /** Reads and validates the file at {@code path}. */
    public static ElfFile read(Path path) {
        return parse(path.toString(), readBytes(path), true);
    }

    /**
     * Reads a kernel image: validated like {@link #read}, except that its segments may lie in
     * the upper half of the address space, where a kernel links itself.
     */
    public static ElfFile readKernel(Path path) {
        return parse(path.toString(), readBytes(path), false);
    }

    private static byte[] readBytes(Path path) {
        if (Files.isDirectory(path)) {
            throw new ElfException(path + ": is a directory, not an ELF file");
        }
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ElfException(path + ": no such file");
        } catch (IOException e) {
            throw new ElfException(path + ": cannot read: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            throw new ElfException(path + ": too large to read");
        }
        return data;
    }

    /** Parses {@code data} (copied); {@code origin} names it in error messages. */
    public static ElfFile parse(String origin, byte[] data) {
        return parse(origin, data.clone(), true);
    }

    private static ElfFile parse(String origin, byte[] copy, boolean userSpace) {
        ByteReader r = new ByteReader(copy, origin);
        ElfHeader h = readHeader(r, origin);
        List<ProgramHeader> phdrs = readProgramHeaders(r, h, origin, userSpace);
        List<SectionHeader> shdrs = readSections(r, h, origin);
        return new ElfFile(origin, copy, h, phdrs, shdrs);
    }

    private static ElfHeader readHeader(ByteReader r, String origin) {
        if (r.length() == 0) {
            throw new ElfException(origin + ": empty file, not an ELF file");
        }
        if (r.length() < 4 || r.u8(0) != 0x7f || r.u8(1) != 'E' || r.u8(2) != 'L' || r.u8(3) != 'F') {
            throw new ElfException(origin + ": not an ELF file (bad magic)");
        }
        if (r.length() < 16) {
            throw new ElfException(origin + ": truncated ELF file (" + r.length() + " bytes, no complete identification)");
        }
        int eiClass = r.u8(4);
        int eiData = r.u8(5);
        if (eiClass == 1) {
            throw new ElfException(origin + ": 32-bit ELF (ELFCLASS32) is not supported; only x86-64 ELF64");
        }
        if (eiClass != ElfHeader.ELFCLASS64) {
            throw new ElfException(origin + ": invalid ELF class " + eiClass);
        }
        if (eiData == 2) {
            throw new ElfException(origin + ": big-endian ELF (ELFDATA2MSB) is not supported; only little-endian x86-64");
        }
        if (eiData != ElfHeader.ELFDATA2LSB) {
            throw new ElfException(origin + ": invalid ELF data encoding " + eiData);
        }
        if (r.length() < ElfHeader.SIZE) {
            throw new ElfException(origin + ": truncated ELF file (" + r.length() + " bytes, header needs 64)");
        }
        ElfHeader h = new ElfHeader(eiClass, eiData, r.u8(7),
                r.u16(16), r.u16(18), r.u32(20), r.u64(24), r.u64(32), r.u64(40), r.u32(48),
                r.u16(52), r.u16(54), r.u16(56), r.u16(58), r.u16(60), r.u16(62));
        if (h.e_machine() != ElfHeader.EM_X86_64) {
            throw new ElfException(origin + ": machine " + h.e_machine() + " is not x86-64 (EM_X86_64 = 62)");
        }
        if (h.e_type() != ElfHeader.ET_EXEC && h.e_type() != ElfHeader.ET_DYN) {
            throw new ElfException(origin + ": ELF type " + h.e_type()
                    + " is not an executable or shared object (relocatable objects are not supported)");
        }
        return h;
    }

    private static List<ProgramHeader> readProgramHeaders(ByteReader r, ElfHeader h, String origin,
                                                          boolean userSpace) {
        if (h.e_phnum() == 0) {
            throw new ElfException(origin + ": no program headers (not a loadable executable or library)");
        }
        if (h.e_phentsize() != ProgramHeader.SIZE) {
            throw new ElfException(origin + ": program header entry size " + h.e_phentsize() + " is not 56");
        }
        r.requireRange(h.e_phoff(), (long) h.e_phnum() * ProgramHeader.SIZE, "program header table");
        List<ProgramHeader> list = new ArrayList<>(h.e_phnum());
        for (int i = 0; i < h.e_phnum(); i++) {
            long o = h.e_phoff() + (long) i * ProgramHeader.SIZE;
            ProgramHeader p = new ProgramHeader((int) r.u32(o), (int) r.u32(o + 4), r.u64(o + 8), r.u64(o + 16),
                    r.u64(o + 24), r.u64(o + 32), r.u64(o + 40), r.u64(o + 48));
            if (p.p_type() == ProgramHeader.PT_LOAD || p.p_type() == ProgramHeader.PT_NOTE
                    || p.p_type() == ProgramHeader.PT_INTERP || p.p_type() == ProgramHeader.PT_DYNAMIC) {
                r.requireRange(p.p_offset(), p.p_filesz(), "segment " + i);
                if (Long.compareUnsigned(p.p_filesz(), p.p_memsz()) > 0 && p.isLoad()) {
                    throw new ElfException(origin + ": segment " + i + " has p_filesz > p_memsz");
                }
                if (userSpace && p.isLoad() && (p.p_vaddr() < 0 || p.p_memsz() < 0 || p.p_vaddr() + p.p_memsz() < 0)) {
                    throw new ElfException(origin + ": segment " + i + " lies outside the user address space");
                }
            }
            list.add(p);
        }
        if (list.stream().noneMatch(ProgramHeader::isLoad)) {
            throw new ElfException(origin + ": no PT_LOAD segment");
        }
        return Collections.unmodifiableList(list);
    }

    private static List<SectionHeader> readSections(ByteReader r, ElfHeader h, String origin) {
        if (h.e_shnum() == 0 || h.e_shoff() == 0) {
            return List.of();
        }
        if (h.e_shentsize() != SectionHeader.SIZE) {
            throw new ElfException(origin + ": section header entry size " + h.e_shentsize() + " is not 64");
        }
        r.requireRange(h.e_shoff(), (long) h.e_shnum() * SectionHeader.SIZE, "section header table");
        if (h.e_shstrndx() >= h.e_shnum()) {
            throw new ElfException(origin + ": section name table index " + h.e_shstrndx() + " out of range");
        }
        long strOff = r.u64(h.e_shoff() + (long) h.e_shstrndx() * SectionHeader.SIZE + 24);
        long strSize = r.u64(h.e_shoff() + (long) h.e_shstrndx() * SectionHeader.SIZE + 32);
        r.requireRange(strOff, strSize, "section name table");
        List<SectionHeader> list = new ArrayList<>(h.e_shnum());
        for (int i = 0; i < h.e_shnum(); i++) {
            long o = h.e_shoff() + (long) i * SectionHeader.SIZE;
            int nameIdx = (int) r.u32(o);
            String name = Long.compareUnsigned(nameIdx & 0xffffffffL, strSize) < 0
                    ? r.cString(strOff + (nameIdx & 0xffffffffL), strOff + strSize) : "";
            SectionHeader s = new SectionHeader(i, name, nameIdx, (int) r.u32(o + 4), r.u64(o + 8), r.u64(o + 16),
                    r.u64(o + 24), r.u64(o + 32), (int) r.u32(o + 40), (int) r.u32(o + 44), r.u64(o + 48),
                    r.u64(o + 56));
            if (s.hasFileBytes() && i != 0) {
                r.requireRange(s.sh_offset(), s.sh_size(), "section " + (name.isEmpty() ? "#" + i : name));
            }
            list.add(s);
        }
        return Collections.unmodifiableList(list);
    }

    public String origin() {
        return origin;
    }

    public ElfHeader header() {
        return header;
    }

    public List<ProgramHeader> programHeaders() {
        return programHeaders;
    }

    public List<SectionHeader> sections() {
        return sections;
    }

    /** A copy of the file's bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    /** Reads {@code len} bytes at file offset {@code offset} (bounds-checked). */
    public byte[] bytesAt(long offset, int len) {
        new ByteReader(bytes, origin).requireRange(offset, len, "range");
        return Arrays.copyOfRange(bytes, (int) offset, (int) offset + len);
    }

    public int u8(long offset) {
        return new ByteReader(bytes, origin).u8(offset);
    }

    public Optional<SectionHeader> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public List<ProgramHeader> loadSegments() {
        return programHeaders.stream().filter(ProgramHeader::isLoad).toList();
    }

    /** File offset of virtual address {@code vaddr}, if it lies in a segment's file image. */
    public Optional<Long> vaddrToOffset(long vaddr) {
        for (ProgramHeader p : loadSegments()) {
            if (p.containsVaddr(vaddr)) {
                return Optional.of(p.p_offset() + (vaddr - p.p_vaddr()));
            }
        }
        return Optional.empty();
    }

    /** Highest virtual address (exclusive) of any PT_LOAD segment. */
    public long loadEnd() {
        long end = 0;
        for (ProgramHeader p : loadSegments()) {
            end = Math.max(end, p.p_vaddr() + p.p_memsz());
        }
        return end;
    }

    /** Symbols from .symtab and .dynsym (empty for a stripped static binary). */
    public List<Symbol> symbols() {
        List<Symbol> out = new ArrayList<>();
        ByteReader r = new ByteReader(bytes, origin);
        for (SectionHeader s : sections) {
            if (s.sh_type() != SectionHeader.SHT_SYMTAB && s.sh_type() != SectionHeader.SHT_DYNSYM) {
                continue;
            }
            if (s.sh_link() <= 0 || s.sh_link() >= sections.size() || s.sh_entsize() != 24) {
                continue; // malformed table: symbols are only hints, so skip rather than fail
            }
            SectionHeader str = sections.get(s.sh_link());
            long count = s.sh_size() / 24;
            for (long i = 0; i < count; i++) {
                long o = s.sh_offset() + i * 24;
                long nameIdx = r.u32(o);
                String name = nameIdx < str.sh_size() ? r.cString(str.sh_offset() + nameIdx,
                        str.sh_offset() + str.sh_size()) : "";
                out.add(new Symbol(name, r.u64(o + 8), r.u64(o + 16), r.u8(o + 4), r.u8(o + 5), r.u16(o + 6),
                        s.sh_type() == SectionHeader.SHT_DYNSYM));
            }
        }
        return out;
    }

    /** The .dynsym table in index order (what relocations' symbol indices name); empty without one. */
    public List<Symbol> dynamicSymbols() {
        return symbols().stream().filter(Symbol::dynamic).toList();
    }

    /**
     * The SHT_RELA sections that apply to the loaded image ({@code .rela.dyn}, {@code .rela.plt}):
     * those whose symbol table is the .dynsym.
     */
    public List<Relocation> dynamicRelocations() {
        List<Relocation> out = new ArrayList<>();
        ByteReader r = new ByteReader(bytes, origin);
        for (SectionHeader s : sections) {
            if (s.sh_type() != SectionHeader.SHT_RELA || s.sh_entsize() != 24 || s.sh_link() <= 0
                    || s.sh_link() >= sections.size() || sections.get(s.sh_link()).sh_type() != SectionHeader.SHT_DYNSYM) {
                continue;
            }
            for (long o = s.sh_offset(); o + 24 <= s.sh_offset() + s.sh_size(); o += 24) {
                long info = r.u64(o + 8);
                out.add(new Relocation(r.u64(o), (int) info, (int) (info >>> 32), r.u64(o + 16)));
            }
        }
        return out;
    }

    /** The PT_INTERP path, if any. */
    public Optional<String> interpreter() {
        ByteReader r = new ByteReader(bytes, origin);
        return programHeaders.stream().filter(p -> p.p_type() == ProgramHeader.PT_INTERP).findFirst()
                .map(p -> r.cString(p.p_offset(), p.p_offset() + p.p_filesz()));
    }

    /** Entries of the PT_DYNAMIC segment, up to DT_NULL. */
    public List<DynamicEntry> dynamic() {
        ByteReader r = new ByteReader(bytes, origin);
        List<DynamicEntry> out = new ArrayList<>();
        for (ProgramHeader p : programHeaders) {
            if (p.p_type() != ProgramHeader.PT_DYNAMIC) {
                continue;
            }
            for (long o = p.p_offset(); o + 16 <= p.p_offset() + p.p_filesz(); o += 16) {
                DynamicEntry d = new DynamicEntry(r.u64(o), r.u64(o + 8));
                if (d.d_tag() == DynamicEntry.DT_NULL) {
                    break;
                }
                out.add(d);
            }
        }
        return out;
    }

    /** DT_NEEDED names, resolved through DT_STRTAB. */
    public List<String> needed() {
        return dynamicStrings(DynamicEntry.DT_NEEDED);
    }

    /** The DT_SONAME, if any. */
    public Optional<String> soname() {
        return dynamicStrings(DynamicEntry.DT_SONAME).stream().findFirst();
    }

    /** The DT_RPATH directories, in order (an empty entry stays, as ld.so reads it). */
    public List<String> rpath() {
        return searchPath(DynamicEntry.DT_RPATH);
    }

    /** The DT_RUNPATH directories, in order (an empty entry stays, as ld.so reads it). */
    public List<String> runpath() {
        return searchPath(DynamicEntry.DT_RUNPATH);
    }

    private List<String> searchPath(long tag) {
        List<String> out = new ArrayList<>();
        for (String p : dynamicStrings(tag)) {
            out.addAll(List.of(p.split(":", -1)));
        }
        return out;
    }

    /** The strings of every dynamic entry with {@code tag}, resolved through DT_STRTAB, in order. */
    private List<String> dynamicStrings(long tag) {
        List<DynamicEntry> dyn = dynamic();
        Optional<Long> strtab = dyn.stream().filter(d -> d.d_tag() == DynamicEntry.DT_STRTAB)
                .map(DynamicEntry::d_val).findFirst().flatMap(this::vaddrToOffset);
        if (strtab.isEmpty()) {
            return List.of();
        }
        ByteReader r = new ByteReader(bytes, origin);
        List<String> out = new ArrayList<>();
        for (DynamicEntry d : dyn) {
            if (d.d_tag() == tag) {
                out.add(r.cString(strtab.get() + d.d_val(), bytes.length));
            }
        }
        return out;
    }

    /**
     * The notes of every PT_NOTE segment, in file order. Entries are padded to the segment's
     * alignment (4, or 8 for the 8-aligned notes such as .note.gnu.property); a malformed
     * entry ends its segment's walk, since notes are only ever looked up, never required.
     */
    public List<Note> notes() {
        ByteReader r = new ByteReader(bytes, origin);
        List<Note> out = new ArrayList<>();
        for (ProgramHeader p : programHeaders) {
            if (p.p_type() != ProgramHeader.PT_NOTE) {
                continue;
            }
            long align = p.p_align() == 8 ? 8 : 4;
            long off = p.p_offset();
            long end = p.p_offset() + p.p_filesz();
            while (off + Note.HEADER_SIZE <= end) {
                long namesz = r.u32(off);
                long descsz = r.u32(off + 4);
                int type = (int) r.u32(off + 8);
                long name = off + Note.HEADER_SIZE;
                // the descriptor and the next entry start on the segment's alignment (for 8,
                // the descriptor after a 12-byte header and "GNU\0" is at +16, not +20)
                long desc = alignUp(name + namesz, align);
                if (desc + descsz > end) {
                    break;
                }
                String owner = namesz > 0 ? new String(bytes, (int) name, (int) namesz - 1,
                        StandardCharsets.US_ASCII) : "";
                out.add(new Note(owner, type, Arrays.copyOfRange(bytes, (int) desc, (int) (desc + descsz))));
                off = alignUp(desc + descsz, align);
            }
        }
        return out;
    }

    /** {@code v} rounded up to a multiple of {@code a}, a power of two (ELF alignments are). */
    public static long alignUp(long v, long a) {
        return (v + a - 1) & -a;
    }

    /** Bytes the PT_LOAD segments occupy in memory: the sum of their p_memsz (text, data, bss). */
    public long loadedBytes() {
        return loadSegments().stream().mapToLong(ProgramHeader::p_memsz).sum();
    }

    /**
     * A cheap look at a file's identification and header, without reading the rest: the
     * e_type of an ELF64 little-endian x86-64 file, or empty for anything else (another
     * format or machine, a short or unreadable file). ld.so skips such files in its search.
     */
    public static OptionalInt x86_64Type(Path p) {
        byte[] h = new byte[20];
        try (InputStream in = Files.newInputStream(p)) {
            if (in.readNBytes(h, 0, h.length) < h.length) {
                return OptionalInt.empty();
            }
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        ByteReader r = new ByteReader(h, p.toString());
        boolean x86 = r.u8(0) == 0x7f && r.u8(1) == 'E' && r.u8(2) == 'L' && r.u8(3) == 'F'
                && r.u8(4) == ElfHeader.ELFCLASS64 && r.u8(5) == ElfHeader.ELFDATA2LSB
                && r.u16(18) == ElfHeader.EM_X86_64;
        return x86 ? OptionalInt.of(r.u16(16)) : OptionalInt.empty();
    }

    /** Little-endian bounds-checked reads; every failure is an {@link ElfException}. */
    static final class ByteReader {
        private final byte[] b;
        private final String origin;

        ByteReader(byte[] b, String origin) {
            this.b = b;
            this.origin = origin;
        }

        int length() {
            return b.length;
        }

        void requireRange(long offset, long size, String what) {
            if (offset < 0 || size < 0 || offset > b.length || size > b.length - offset) {
                throw new ElfException(origin + ": truncated or corrupt ELF: " + what + " (offset 0x"
                        + Long.toHexString(offset) + ", size 0x" + Long.toHexString(size)
                        + ") lies outside the file (" + b.length + " bytes)");
            }
        }

        int u8(long o) {
            requireRange(o, 1, "byte");
            return b[(int) o] & 0xff;
        }

        int u16(long o) {
            requireRange(o, 2, "field");
            return (b[(int) o] & 0xff) | (b[(int) o + 1] & 0xff) << 8;
        }

        long u32(long o) {
            requireRange(o, 4, "field");
            int i = (int) o;
            return ((b[i] & 0xffL) | (b[i + 1] & 0xffL) << 8 | (b[i + 2] & 0xffL) << 16 | (b[i + 3] & 0xffL) << 24);
        }

        long u64(long o) {
            requireRange(o, 8, "field");
            return u32(o) | u32(o + 4) << 32;
        }

        String cString(long start, long limit) {
            long end = Math.min(limit, b.length);
            long i = start;
            while (i >= 0 && i < end && b[(int) i] != 0) {
                i++;
            }
            if (start < 0 || start > end) {
                return "";
            }
            return new String(b, (int) start, (int) (i - start), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }
}
