package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.portapp.elf.EhFrame;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ProgramHeader;
import org.portapp.elf.SectionHeader;
import org.portapp.elf.Symbol;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.Decoder;
import org.portapp.x86.InsnKind;

/**
 * Every executable byte of an ELF decoded by a linear sweep, plus what is known about
 * where control can arrive: function starts (symbols, .eh_frame FDEs, the entry
 * point) and the targets of every direct branch. Patches must never cover any of
 * those except at their first byte.
 */
public final class Disassembly {
    private final ElfFile elf;
    private final Decoder decoder;
    private final List<CodeRange> ranges;
    private final NavigableSet<Long> functionStarts;
    private final Set<Long> branchTargets;

    private Disassembly(ElfFile elf, Decoder decoder, List<CodeRange> ranges, NavigableSet<Long> functionStarts,
                        Set<Long> branchTargets) {
        this.elf = elf;
        this.decoder = decoder;
        this.ranges = ranges;
        this.functionStarts = functionStarts;
        this.branchTargets = branchTargets;
    }

    public static Disassembly of(ElfFile elf, Decoder decoder) {
        byte[] bytes = elf.bytes();
        List<CodeRange> ranges = new ArrayList<>();
        for (SectionHeader s : elf.sections()) {
            if (s.isExecutable() && s.sh_size() > 0) {
                requireMapped(elf, s);
                ranges.add(decode(decoder, bytes, s.name(), s.sh_addr(), s.sh_offset(), s.sh_size()));
            }
        }
        if (ranges.isEmpty()) {
            // No section headers (or none marked executable): fall back to executable segments.
            for (ProgramHeader p : elf.loadSegments()) {
                if ((p.p_flags() & ProgramHeader.PF_X) != 0 && p.p_filesz() > 0) {
                    ranges.add(decode(decoder, bytes, "segment@0x" + Long.toHexString(p.p_vaddr()), p.p_vaddr(),
                            p.p_offset(), p.p_filesz()));
                }
            }
        }
        NavigableSet<Long> starts = new TreeSet<>();
        for (Symbol sym : elf.symbols()) {
            if (sym.isFunction()) {
                starts.add(sym.st_value());
            }
        }
        for (EhFrame.FunctionRange f : EhFrame.functionRanges(elf)) {
            starts.add(f.start());
        }
        starts.add(elf.header().e_entry());
        Set<Long> targets = new HashSet<>();
        for (CodeRange r : ranges) {
            DecodedCode c = r.code();
            for (int i = 0; i < c.count(); i++) {
                InsnKind k = c.kind(i);
                if (k == InsnKind.JMP || k == InsnKind.JCC || k == InsnKind.CALL) {
                    targets.add(c.branchTarget(i));
                }
            }
        }
        addJumpTableTargets(elf, bytes, ranges, starts, targets);
        targets.addAll(EhFrame.landingPads(elf));
        return new Disassembly(elf, decoder, Collections.unmodifiableList(ranges), Collections.unmodifiableNavigableSet(starts),
                Collections.unmodifiableSet(targets));
    }

    /** Upper bound on the entries read from one jump table. */
    private static final int MAX_TABLE_ENTRIES = 1 << 14;

    /**
     * Targets of compiler-generated jump tables, which no direct branch names: for each
     * indirect jmp, the table it reads (an absolute {@code jmp [disp32 + reg*8]} in non-PIC
     * code, or the PIC form {@code lea rX, [rip+table]; movsxd; add; jmp rX}) is walked while
     * its entries land on instruction boundaries of the same function. Reading too far only
     * adds spurious targets, which makes the analysis more conservative, never less.
     */
    private static void addJumpTableTargets(ElfFile elf, byte[] bytes, List<CodeRange> ranges,
                                            NavigableSet<Long> starts, Set<Long> targets) {
        for (CodeRange r : ranges) {
            DecodedCode c = r.code();
            for (int k = 0; k < c.count(); k++) {
                if (c.kind(k) != InsnKind.JMP_INDIRECT) {
                    continue;
                }
                long addr = c.address(k);
                Long fs = starts.floor(addr);
                long from = fs == null || fs < r.vaddr() ? r.vaddr() : fs;
                Long fe = starts.higher(addr);
                long to = fe == null || fe > r.end() ? r.end() : fe;
                if (!c.ripRelative(k) && c.dispOffset(k) >= 0) {
                    long table = le32(bytes, r.fileOffset() + (addr - r.vaddr()) + c.dispOffset(k));
                    walkTable(elf, bytes, c, table, 8, 0, from, to, targets);
                    continue;
                }
                for (int j = k - 1; j >= Math.max(0, k - 8); j--) {
                    long o = r.fileOffset() + (c.address(j) - r.vaddr());
                    if (c.ripRelative(j) && c.length(j) == 7 && (bytes[(int) o] & 0xf8) == 0x48
                            && bytes[(int) o + 1] == (byte) 0x8d) { // lea r64, [rip+disp32]
                        long table = c.address(j) + 7 + le32(bytes, o + 3);
                        walkTable(elf, bytes, c, table, 4, table, from, to, targets);
                        break;
                    }
                }
            }
        }
    }

    private static void walkTable(ElfFile elf, byte[] bytes, DecodedCode c, long table, int entrySize, long base,
                                  long from, long to, Set<Long> targets) {
        for (int i = 0; i < MAX_TABLE_ENTRIES; i++) {
            Optional<Long> off = elf.vaddrToOffset(table + (long) i * entrySize);
            if (off.isEmpty() || off.get() + entrySize > bytes.length) {
                return;
            }
            long entry = entrySize == 8 ? le32(bytes, off.get()) & 0xffffffffL | le32(bytes, off.get() + 4) << 32
                    : le32(bytes, off.get());
            long target = base + entry;
            if (target < from || target >= to || c.indexAt(target) < 0) {
                return;
            }
            targets.add(target);
        }
    }

    /** The sign-extended little-endian 32-bit word at file offset {@code o}, 0 outside {@code b}. */
    static long le32(byte[] b, long o) {
        int i = (int) o;
        if (i < 0 || i + 4 > b.length) {
            return 0;
        }
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (long) (b[i + 3] << 24);
    }

    /** An executable section must be loaded from the same file bytes, or patching it means nothing. */
    private static void requireMapped(ElfFile elf, SectionHeader s) {
        boolean mapped = elf.loadSegments().stream().anyMatch(p -> p.containsVaddr(s.sh_addr())
                && p.p_offset() + (s.sh_addr() - p.p_vaddr()) == s.sh_offset()
                && s.sh_addr() + s.sh_size() <= p.p_vaddr() + p.p_filesz());
        if (!mapped) {
            throw new org.portapp.elf.ElfException(elf.origin() + ": executable section " + s.name()
                    + " is not inside a loadable segment at the matching file offset (corrupt ELF)");
        }
    }

    private static CodeRange decode(Decoder decoder, byte[] bytes, String name, long vaddr, long offset, long size) {
        if (size > Integer.MAX_VALUE) {
            throw new org.portapp.elf.ElfException("executable range " + name + " is too large");
        }
        DecodedCode code = decoder.decode(bytes, (int) offset, (int) size, vaddr);
        return new CodeRange(name, vaddr, offset, (int) size, code);
    }

    public ElfFile elf() {
        return elf;
    }

    public Decoder decoder() {
        return decoder;
    }

    public List<CodeRange> ranges() {
        return ranges;
    }

    public NavigableSet<Long> functionStarts() {
        return functionStarts;
    }

    /** True if control may arrive at {@code address} other than by falling through. */
    public boolean isEntryPoint(long address) {
        return branchTargets.contains(address) || functionStarts.contains(address);
    }

    public boolean isBranchTarget(long address) {
        return branchTargets.contains(address);
    }

    public Optional<CodeRange> rangeOf(long address) {
        for (CodeRange r : ranges) {
            if (r.contains(address)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public long instructionCount() {
        long n = 0;
        for (CodeRange r : ranges) {
            n += r.code().count();
        }
        return n;
    }
}
