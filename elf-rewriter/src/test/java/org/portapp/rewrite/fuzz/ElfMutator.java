package org.portapp.rewrite.fuzz;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.elf.ProgramHeader;
import org.portapp.elf.SectionHeader;

/**
 * Structural mutations of one real ELF file: the seed is parsed once, so a mutation can aim
 * at a field of the ELF header, a program or section header, a dynamic entry, a symbol, a
 * relocation, a note, a string table or the code around a syscall instruction, and put
 * there a value chosen to hurt (0, all ones, the file's length and its neighbours, offsets
 * just past the end, huge counts, another field's value). Blind byte noise and truncations
 * complete the mix. Every choice comes from the {@link Random} passed in, so a case is
 * reproduced from the seed file and the RNG's seed alone.
 */
public final class ElfMutator {
    /** One field inside the file: where it is and how wide (1, 2, 4 or 8 bytes). */
    record Field(int offset, int width, long original) {
    }

    /** What {@link #mutate} did, for the report of a failing case. */
    public record Mutant(byte[] bytes, String description) {
    }

    private static final int[] EHDR_FIELDS = {16, 2, 18, 2, 20, 4, 24, 8, 32, 8, 40, 8, 48, 4, 52, 2, 54, 2, 56, 2,
        58, 2, 60, 2, 62, 2};
    private static final int[] PHDR_FIELDS = {0, 4, 4, 4, 8, 8, 16, 8, 24, 8, 32, 8, 40, 8, 48, 8};
    private static final int[] SHDR_FIELDS = {0, 4, 4, 4, 8, 8, 16, 8, 24, 8, 32, 8, 40, 4, 44, 4, 48, 8, 56, 8};
    private static final int[] SYM_FIELDS = {0, 4, 4, 1, 5, 1, 6, 2, 8, 8, 16, 8};
    private static final int[] RELA_FIELDS = {0, 8, 8, 8, 16, 8};

    private final byte[] seed;
    private final ElfHeader header;
    private final List<ProgramHeader> phdrs;
    private final List<SectionHeader> sections;
    /** File offsets of the seed's {@code syscall} instructions (0f 05 in executable sections). */
    private final int[] syscallOffsets;

    public ElfMutator(byte[] seed) {
        this.seed = seed.clone();
        ElfFile elf = ElfFile.parse("seed", seed);
        this.header = elf.header();
        this.phdrs = elf.programHeaders();
        this.sections = elf.sections();
        List<Integer> sys = new ArrayList<>();
        for (SectionHeader s : sections) {
            if (s.isExecutable() && s.hasFileBytes()) {
                for (long o = s.sh_offset(); o + 1 < s.sh_offset() + s.sh_size(); o++) {
                    if (seed[(int) o] == 0x0f && seed[(int) o + 1] == 0x05) {
                        sys.add((int) o);
                    }
                }
            }
        }
        this.syscallOffsets = sys.stream().mapToInt(Integer::intValue).toArray();
    }

    public int length() {
        return seed.length;
    }

    /** One to three stacked mutations of the seed. */
    public Mutant mutate(Random rnd) {
        byte[] m = seed.clone();
        StringBuilder what = new StringBuilder();
        int n = 1 + (rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(2) : 0);
        for (int k = 0; k < n; k++) {
            if (what.length() > 0) {
                what.append("; ");
            }
            m = mutateOnce(m, rnd, what);
        }
        return new Mutant(m, what.toString());
    }

    private byte[] mutateOnce(byte[] m, Random rnd, StringBuilder what) {
        int kind = rnd.nextInt(100);
        if (kind < 12) {
            return field(m, rnd, pick(rnd, EHDR_FIELDS, 0), what.append("ehdr"));
        }
        if (kind < 30) {
            int i = rnd.nextInt(phdrs.size());
            what.append("phdr ").append(i);
            return field(m, rnd, pick(rnd, PHDR_FIELDS, (int) header.e_phoff() + i * ProgramHeader.SIZE), what);
        }
        if (kind < 46 && !sections.isEmpty()) {
            int i = rnd.nextInt(sections.size());
            what.append("shdr ").append(i).append(' ').append(sections.get(i).name());
            return field(m, rnd, pick(rnd, SHDR_FIELDS, (int) header.e_shoff() + i * SectionHeader.SIZE), what);
        }
        if (kind < 54) {
            return dynamic(m, rnd, what);
        }
        if (kind < 62) {
            return table(m, rnd, what, SectionHeader.SHT_SYMTAB, SectionHeader.SHT_DYNSYM, 24, SYM_FIELDS, "sym");
        }
        if (kind < 67) {
            return table(m, rnd, what, SectionHeader.SHT_RELA, SectionHeader.SHT_RELA, 24, RELA_FIELDS, "rela");
        }
        if (kind < 72) {
            return strings(m, rnd, what);
        }
        if (kind < 76) {
            return notes(m, rnd, what);
        }
        if (kind < 84) {
            return nearSyscall(m, rnd, what);
        }
        if (kind < 88) {
            return swapEntries(m, rnd, what);
        }
        if (kind < 94) {
            return truncate(m, rnd, what);
        }
        return noise(m, rnd, what);
    }

    private static Field pick(Random rnd, int[] layout, int base) {
        int f = rnd.nextInt(layout.length / 2);
        return new Field(base + layout[2 * f], layout[2 * f + 1], 0);
    }

    /** Sets one field to a hostile value. */
    private byte[] field(byte[] m, Random rnd, Field f, StringBuilder what) {
        if (f.offset() < 0 || f.offset() + f.width() > m.length) {
            what.append(" (field past the end)");
            return m;
        }
        long orig = get(m, f.offset(), f.width());
        long v = hostile(rnd, orig, m.length);
        put(m, f.offset(), f.width(), v);
        what.append(String.format(" @0x%x[%d] 0x%x -> 0x%x", f.offset(), f.width(), orig, mask(v, f.width())));
        return m;
    }

    /** Values that break assumptions: bounds, signs, the file's length, page edges, other fields. */
    private long hostile(Random rnd, long orig, int len) {
        return switch (rnd.nextInt(20)) {
            case 0 -> 0;
            case 1 -> -1L;
            case 2 -> 1;
            case 3 -> Long.MAX_VALUE;
            case 4 -> Long.MIN_VALUE;
            case 5 -> 0x7fffffffL;
            case 6 -> 0xffffffffL;
            case 7 -> 0x80000000L;
            case 8 -> len;
            case 9 -> len - 1 - rnd.nextInt(64);
            case 10 -> len + 1 + rnd.nextInt(4096);
            case 11 -> orig + 1 + rnd.nextInt(16);
            case 12 -> orig - 1 - rnd.nextInt(16);
            case 13 -> orig ^ (1L << rnd.nextInt(64));
            case 14 -> orig * (2 + rnd.nextInt(1000));
            case 15 -> rnd.nextInt(Math.max(len, 1));
            case 16 -> 0x1000L * rnd.nextInt(1 << 16);
            case 17 -> 0x7fffffffffff0000L | rnd.nextInt(0x10000);
            case 18 -> rnd.nextInt(64);
            default -> otherField(rnd);
        };
    }

    /** A value another header holds: an offset, address or size that is real somewhere else. */
    private long otherField(Random rnd) {
        if (!sections.isEmpty() && rnd.nextBoolean()) {
            SectionHeader s = sections.get(rnd.nextInt(sections.size()));
            return switch (rnd.nextInt(3)) {
                case 0 -> s.sh_offset();
                case 1 -> s.sh_addr();
                default -> s.sh_size();
            };
        }
        ProgramHeader p = phdrs.get(rnd.nextInt(phdrs.size()));
        return switch (rnd.nextInt(4)) {
            case 0 -> p.p_offset();
            case 1 -> p.p_vaddr();
            case 2 -> p.p_filesz();
            default -> p.p_memsz();
        };
    }

    /** A tag or value of one PT_DYNAMIC entry. */
    private byte[] dynamic(byte[] m, Random rnd, StringBuilder what) {
        ProgramHeader dyn = phdrs.stream().filter(p -> p.p_type() == ProgramHeader.PT_DYNAMIC).findFirst().orElse(null);
        if (dyn == null || dyn.p_filesz() < 16) {
            return noise(m, rnd, what);
        }
        int n = (int) (dyn.p_filesz() / 16);
        int i = rnd.nextInt(n);
        what.append("dynamic ").append(i);
        int at = (int) dyn.p_offset() + 16 * i;
        if (at + 16 > m.length) {
            return m; // cut off by an earlier truncation
        }
        if (rnd.nextInt(3) == 0) {
            // a known string-bearing tag, so the value is read as a string offset
            long[] tags = {0, 1, 5, 14, 15, 29, 6, 10};
            long tag = tags[rnd.nextInt(tags.length)];
            put(m, at, 8, tag);
            what.append(" tag -> ").append(tag);
            return field(m, rnd, new Field(at + 8, 8, 0), what);
        }
        return field(m, rnd, new Field(at + (rnd.nextBoolean() ? 0 : 8), 8, 0), what);
    }

    /** One field of one entry of a symbol or relocation table. */
    private byte[] table(byte[] m, Random rnd, StringBuilder what, int type1, int type2, int entsize, int[] layout,
                         String name) {
        List<SectionHeader> tabs = sections.stream()
                .filter(s -> (s.sh_type() == type1 || s.sh_type() == type2) && s.sh_size() >= entsize).toList();
        if (tabs.isEmpty()) {
            return noise(m, rnd, what);
        }
        SectionHeader s = tabs.get(rnd.nextInt(tabs.size()));
        int i = rnd.nextInt((int) (s.sh_size() / entsize));
        what.append(name).append(' ').append(s.name()).append('[').append(i).append(']');
        return field(m, rnd, pick(rnd, layout, (int) s.sh_offset() + i * entsize), what);
    }

    /** A string table loses its terminators or gets bytes that are no text. */
    private byte[] strings(byte[] m, Random rnd, StringBuilder what) {
        List<SectionHeader> tabs = sections.stream()
                .filter(s -> s.sh_type() == SectionHeader.SHT_STRTAB && s.sh_size() > 0).toList();
        if (tabs.isEmpty()) {
            return noise(m, rnd, what);
        }
        SectionHeader s = tabs.get(rnd.nextInt(tabs.size()));
        int start = (int) s.sh_offset() + rnd.nextInt((int) s.sh_size());
        if (start >= m.length) {
            return m;
        }
        int len = Math.min(1 + rnd.nextInt(rnd.nextBoolean() ? 16 : (int) s.sh_size()), m.length - start);
        byte b = rnd.nextBoolean() ? (byte) 'A' : (byte) (0x80 | rnd.nextInt(128));
        Arrays.fill(m, start, start + len, b);
        what.append(String.format("strtab %s: %d bytes at 0x%x = 0x%02x", s.name(), len, start, b & 0xff));
        return m;
    }

    /** The size words of a note header inside a PT_NOTE. */
    private byte[] notes(byte[] m, Random rnd, StringBuilder what) {
        List<ProgramHeader> ns = phdrs.stream().filter(p -> p.p_type() == ProgramHeader.PT_NOTE && p.p_filesz() >= 12)
                .toList();
        if (ns.isEmpty()) {
            return noise(m, rnd, what);
        }
        ProgramHeader p = ns.get(rnd.nextInt(ns.size()));
        int at = (int) p.p_offset() + 4 * rnd.nextInt((int) Math.min(p.p_filesz() / 4, 8));
        what.append("note");
        return field(m, rnd, new Field(at, 4, 0), what);
    }

    /** Bytes just before or after a syscall instruction: the code the rewriter displaces. */
    private byte[] nearSyscall(byte[] m, Random rnd, StringBuilder what) {
        if (syscallOffsets.length == 0) {
            return noise(m, rnd, what);
        }
        int site = syscallOffsets[rnd.nextInt(syscallOffsets.length)];
        int n = 1 + rnd.nextInt(6);
        what.append(String.format("code near the syscall at 0x%x:", site));
        for (int k = 0; k < n; k++) {
            int at = site - 24 + rnd.nextInt(50); // a window reaches four instructions either side
            if (at >= 0 && at < m.length) {
                // prefixes, branches, rip-relative modrm, another syscall: what decoding trips on
                byte[] nasty = {(byte) 0xe8, (byte) 0xe9, (byte) 0xeb, 0x74, 0x0f, 0x05, 0x66, 0x48, (byte) 0xc3,
                    (byte) 0xcc, 0x05, (byte) 0xff, 0x62, (byte) 0xc4, (byte) 0xf0, 0x3e};
                m[at] = rnd.nextBoolean() ? nasty[rnd.nextInt(nasty.length)] : (byte) rnd.nextInt(256);
                what.append(String.format(" 0x%x=0x%02x", at, m[at] & 0xff));
            }
        }
        return m;
    }

    /** One program or section header copied over another: overlapping or duplicated entries. */
    private byte[] swapEntries(byte[] m, Random rnd, StringBuilder what) {
        boolean ph = sections.isEmpty() || rnd.nextBoolean();
        int count = ph ? phdrs.size() : sections.size();
        int size = ph ? ProgramHeader.SIZE : SectionHeader.SIZE;
        int base = (int) (ph ? header.e_phoff() : header.e_shoff());
        int a = rnd.nextInt(count);
        int b = rnd.nextInt(count);
        if (base + (b + 1) * size > m.length) {
            return m;
        }
        System.arraycopy(seed, base + a * size, m, base + b * size, size);
        what.append(ph ? "phdr " : "shdr ").append(a).append(" copied over ").append(b);
        return m;
    }

    /** The file cut short: inside the headers, inside a table, or anywhere. */
    private byte[] truncate(byte[] m, Random rnd, StringBuilder what) {
        if (m.length < 2) {
            return m;
        }
        int len = switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt(Math.min(m.length, 4096));
            case 1 -> sections.isEmpty() ? rnd.nextInt(m.length)
                    : (int) Math.min(m.length - 1, sections.get(rnd.nextInt(sections.size())).sh_offset()
                            + rnd.nextInt(64));
            case 2 -> Math.max(0, m.length - 1 - rnd.nextInt(4096));
            default -> rnd.nextInt(m.length);
        };
        what.append("truncated to ").append(len);
        return Arrays.copyOf(m, Math.max(0, Math.min(len, m.length)));
    }

    /** Random bytes at random places (headers twice as likely as their share of the file). */
    private byte[] noise(byte[] m, Random rnd, StringBuilder what) {
        int n = 1 + rnd.nextInt(16);
        what.append("noise:");
        for (int k = 0; k < n && m.length > 0; k++) {
            int at = rnd.nextBoolean() ? rnd.nextInt(Math.min(m.length, 4096)) : rnd.nextInt(m.length);
            m[at] = (byte) rnd.nextInt(256);
            what.append(String.format(" 0x%x", at));
        }
        return m;
    }

    static long get(byte[] b, int off, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    static void put(byte[] b, int off, int width, long v) {
        for (int i = 0; i < width; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }

    private static long mask(long v, int width) {
        return width == 8 ? v : v & ((1L << (8 * width)) - 1);
    }
}
