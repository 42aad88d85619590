package org.portapp.rewrite;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.elf.ProgramHeader;
import org.portapp.elf.SectionHeader;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * Turns every syscall site that can be patched safely into a direct call into the shim,
 * following the contract in docs/architecture.md: each site's window of whole
 * instructions becomes {@code jmp trampoline} (plus int3 padding); the trampoline runs
 * the displaced instructions, calls the shim through a slot the loader fills, and jumps
 * back. New code and data go into two new PT_LOAD segments and a PT_NOTE; existing
 * bytes change only in the patched windows and the ELF header.
 */
public final class Rewriter {
    public static final String NOTE_OWNER = "PortApp";
    public static final int NOTE_TYPE = 0x50410001;
    /** Generic slot for sites whose number is known only at run time and may be anything. */
    public static final int GENERIC_UNBOUNDED = -1;
    /** Generic slot for sites whose possible numbers all have slots of their own. */
    public static final int GENERIC_BOUNDED = -2;
    static final int NOTE_DESC_SIZE = 24;
    private static final int PAGE = 0x1000;
    private static final int JMP_LEN = 5;
    /** Most zero padding the output may get to keep the program headers' vaddr - offset. */
    private static final long MAX_PADDING = 256L << 20;
    /** How many whole instructions may be displaced on each side of the syscall. */
    private static final int MAX_NEIGHBOURS = 4;

    private static final byte[] LEA_RSP_MINUS_128 = {0x48, (byte) 0x8d, 0x64, 0x24, (byte) 0x80};
    private static final byte[] LEA_RSP_PLUS_128 = {0x48, (byte) 0x8d, (byte) 0xa4, 0x24, (byte) 0x80, 0, 0, 0};
    private static final int CALL_SLOT_LEN = 6; // ff 15 disp32

    private final Disassembly dis;
    private final List<SyscallSite> sites;

    public Rewriter(Disassembly dis, List<SyscallSite> sites) {
        this.dis = dis;
        this.sites = sites;
    }

    /** A window of instructions [first, last] around a site (indices into its range's code). */
    private record Window(SyscallSite site, int first, int last, long start, int length) {
    }

    public RewriteResult rewrite() {
        ElfFile elf = dis.elf();
        List<SiteOutcome> outcomes = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        NavigableMap<Long, Long> claimed = new TreeMap<>(); // window start -> end
        for (SyscallSite site : sites) {
            Window w = chooseWindow(site, claimed);
            if (w == null) {
                outcomes.add(SiteOutcome.left(site, whyNoWindow(site)));
            } else {
                claimed.put(w.start(), w.start() + w.length());
                windows.add(w);
                outcomes.add(SiteOutcome.patched(site, w.start(), w.length()));
            }
        }

        // Slots: one per statically known number, plus the generic one for unknown numbers.
        Map<Integer, Integer> slotOf = new TreeMap<>();
        for (Window w : windows) {
            slotOf.putIfAbsent(slotNumber(w.site()), 0);
        }
        // Numbers that sites reach only through the generic slot still get a slot of their
        // own (filled, never jumped through), so the footprint can be read from the table.
        for (SyscallSite site : sites) {
            if (site.bounded()) {
                site.numbers().forEach(k -> slotOf.putIfAbsent(k, 0));
            }
        }
        int[] slotNrs = new int[slotOf.size()];
        int s = 0;
        for (Map.Entry<Integer, Integer> e : slotOf.entrySet()) {
            e.setValue(s);
            slotNrs[s++] = e.getKey();
        }

        Layout layout = new Layout(elf, slotNrs.length);
        byte[] image = elf.bytes();
        ByteArrayOutputStream tramp = new ByteArrayOutputStream();
        List<long[]> jumps = new ArrayList<>(); // {windowStart, windowLength, trampolineVaddr}
        for (Window w : windows) {
            long at = layout.trampolinesVaddr + tramp.size();
            byte[] t = trampoline(w, at, layout.slotVaddr(slotOf.get(slotNumber(w.site()))), image);
            tramp.writeBytes(t);
            jumps.add(new long[] {w.start(), w.length(), at});
            while (tramp.size() % 16 != 0) {
                tramp.write(0xcc);
            }
        }
        byte[] out = layout.build(tramp.toByteArray(), slotNrs, windows.size(), outcomes.size() - windows.size());
        for (long[] j : jumps) {
            int off = (int) (long) elf.vaddrToOffset(j[0]).orElseThrow();
            out[off] = (byte) 0xe9;
            putI32(out, off + 1, rel32(j[2] - (j[0] + JMP_LEN)));
            for (int k = JMP_LEN; k < j[1]; k++) {
                out[off + k] = (byte) 0xcc;
            }
        }
        RewriteResult result = new RewriteResult(out, List.copyOf(outcomes), slotNrs.length);
        new Verifier(dis, result, layout.trampolinesVaddr, tramp.size()).verify();
        return result;
    }

    /** Slot number for a site: its number, or a generic slot (see docs/architecture.md). */
    static int slotNumber(SyscallSite site) {
        if (site.resolved()) {
            return site.nr();
        }
        return site.bounded() ? GENERIC_BOUNDED : GENERIC_UNBOUNDED;
    }

    private Window chooseWindow(SyscallSite site, NavigableMap<Long, Long> claimed) {
        DecodedCode c = site.range().code();
        int i = site.index();
        Window best = null;
        for (int total = 1; total <= 2 * MAX_NEIGHBOURS && best == null; total++) {
            // Prefer displacing instructions before the syscall (the usual `mov eax, N`).
            for (int pre = Math.min(total, MAX_NEIGHBOURS); pre >= 0 && best == null; pre--) {
                int post = total - pre;
                if (post > MAX_NEIGHBOURS) {
                    continue;
                }
                int first = i - pre;
                int last = i + post;
                if (first < 0 || last >= c.count()) {
                    continue;
                }
                Window w = validWindow(site, c, first, last, claimed);
                if (w != null) {
                    best = w;
                }
            }
        }
        return best;
    }

    private Window validWindow(SyscallSite site, DecodedCode c, int first, int last, NavigableMap<Long, Long> claimed) {
        long start = c.address(first);
        long end = c.address(last) + c.length(last);
        if (end - start < JMP_LEN) {
            return null;
        }
        Long nextFunction = dis.functionStarts().higher(start);
        for (int j = first; j <= last; j++) {
            long a = c.address(j);
            if (j > first && dis.isEntryPoint(a)) {
                return null; // control can arrive inside the window
            }
            if (j > first && a != c.address(j - 1) + c.length(j - 1)) {
                return null;
            }
            if (j != site.index() && !displaceable(c, j)) {
                return null;
            }
        }
        if (nextFunction != null && nextFunction < end) {
            return null;
        }
        Map.Entry<Long, Long> before = claimed.floorEntry(end - 1);
        if (before != null && before.getValue() > start) {
            return null; // overlaps the window of an earlier site
        }
        return new Window(site, first, last, start, (int) (end - start));
    }

    /** An instruction can run from the trampoline if it has no relative branch and was decoded. */
    private static boolean displaceable(DecodedCode c, int j) {
        if (c.kind(j) != InsnKind.OTHER) {
            return false;
        }
        return !c.ripRelative(j) || c.dispOffset(j) >= 0;
    }

    private String whyNoWindow(SyscallSite site) {
        DecodedCode c = site.range().code();
        int i = site.index();
        if (i + 1 < c.count() && dis.isEntryPoint(c.address(i + 1))
                && (i == 0 || dis.isEntryPoint(c.address(i)))) {
            return "jump targets on both sides of the syscall";
        }
        return "no run of whole, relocatable instructions of 5+ bytes around the syscall without a jump target inside";
    }

    private byte[] trampoline(Window w, long at, long slotVaddr, byte[] image) {
        DecodedCode c = w.site().range().code();
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        long fileBase = w.site().range().fileOffset() - w.site().range().vaddr();
        for (int j = w.first(); j < w.site().index(); j++) {
            t.writeBytes(relocated(c, j, image, fileBase, at + t.size()));
        }
        t.writeBytes(LEA_RSP_MINUS_128);
        long callAt = at + t.size();
        t.write(0xff);
        t.write(0x15);
        byte[] d = new byte[4];
        putI32(d, 0, rel32(slotVaddr - (callAt + CALL_SLOT_LEN)));
        t.writeBytes(d);
        t.writeBytes(LEA_RSP_PLUS_128);
        for (int j = w.site().index() + 1; j <= w.last(); j++) {
            t.writeBytes(relocated(c, j, image, fileBase, at + t.size()));
        }
        long jmpAt = at + t.size();
        t.write(0xe9);
        putI32(d, 0, rel32(w.start() + w.length() - (jmpAt + JMP_LEN)));
        t.writeBytes(d);
        return t.toByteArray();
    }

    private static byte[] relocated(DecodedCode c, int j, byte[] image, long fileBase, long newAddr) {
        long oldAddr = c.address(j);
        int len = c.length(j);
        byte[] insn = new byte[len];
        System.arraycopy(image, (int) (oldAddr + fileBase), insn, 0, len);
        if (c.ripRelative(j)) {
            int off = c.dispOffset(j);
            int disp = ByteBuffer.wrap(insn, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            putI32(insn, off, rel32(disp + (oldAddr - newAddr)));
        }
        return insn;
    }

    static int rel32(long v) {
        if (v != (int) v) {
            throw new RewriteException("displacement 0x" + Long.toHexString(v) + " does not fit in 32 bits");
        }
        return (int) v;
    }

    static void putI32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
        b[off + 2] = (byte) (v >> 16);
        b[off + 3] = (byte) (v >> 24);
    }

    static void putI64(byte[] b, int off, long v) {
        putI32(b, off, (int) v);
        putI32(b, off + 4, (int) (v >>> 32));
    }

    static void putI16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) & -a;
    }

    /**
     * Where everything new goes: segment X (program headers, note, trampolines), segment W
     * (slots), then a new section name table and section header table at the end.
     */
    final class Layout {
        final ElfFile elf;
        final int nslots;
        final int phnum;
        final long xOffset;
        final long xVaddr;
        final long noteOffsetInX;
        final long trampolinesVaddr;

        Layout(ElfFile elf, int nslots) {
            this.elf = elf;
            this.nslots = nslots;
            this.phnum = elf.header().e_phnum() + 3;
            // The relocated program headers must sit where e_phoff says counting from the ELF
            // header's address in memory: ld.so finds its own as &__ehdr_start + e_phoff, not
            // through PT_PHDR. So segment X keeps the first PT_LOAD's vaddr - offset; the file is
            // padded (or the vaddr moved up) to make that so.
            long offset = alignUp(elf.length(), PAGE);
            long vaddr = alignUp(elf.loadEnd(), PAGE) + PAGE; // a guard page after the original image
            long base = elf.loadSegments().isEmpty() ? 0
                    : elf.loadSegments().get(0).p_vaddr() - elf.loadSegments().get(0).p_offset();
            long gap = vaddr - base - offset;
            if (gap > MAX_PADDING) {
                throw new RewriteException(elf.origin() + ": the segments span 0x" + Long.toHexString(gap)
                        + " bytes more in memory than in the file; padding the output that much is refused");
            }
            if (gap > 0) {
                offset += alignUp(gap, PAGE);
            } else if (gap < 0) {
                vaddr += alignUp(-gap, PAGE);
            }
            this.xOffset = offset;
            this.xVaddr = vaddr;
            this.noteOffsetInX = alignUp((long) phnum * ProgramHeader.SIZE, 8);
            this.trampolinesVaddr = xVaddr + alignUp(noteOffsetInX + noteSize(), 16);
        }

        static int noteSize() {
            return 12 + 8 + NOTE_DESC_SIZE;
        }

        private long xSize(int trampBytes) {
            return (trampolinesVaddr - xVaddr) + trampBytes;
        }

        private long wVaddr(int trampBytes) {
            return alignUp(xVaddr + xSize(trampBytes), PAGE);
        }

        long slotVaddr(int slot) {
            // The trampoline size is not known yet when slots are referenced, so W is placed
            // at a fixed distance: far enough for any trampoline area (checked in build()).
            return slotsBase() + 8L * slot;
        }

        private long slotsBase() {
            return xVaddr + alignUp(trampolineLimit(), PAGE);
        }

        private long trampolineLimit() {
            // Largest trampoline: 4+4 displaced insns of <=15 bytes + 24 fixed bytes, rounded to 16.
            long perSite = alignUp(8 * 15 + 5 + 6 + 8 + 5, 16);
            return (trampolinesVaddr - xVaddr) + perSite * Math.max(sites.size(), 1);
        }

        byte[] build(byte[] trampolines, int[] slotNrs, int rewritten, int left) {
            long xSize = xSize(trampolines.length);
            long wVaddr = slotsBase();
            if (wVaddr < wVaddr(trampolines.length)) {
                throw new RewriteException("internal error: trampolines overflow their segment");
            }
            long wOffset = xOffset + (wVaddr - xVaddr);
            int wSize = nslots * 12;
            ElfHeader h = elf.header();
            List<SectionHeader> oldSections = elf.sections();
            boolean withSections = !oldSections.isEmpty();
            byte[] oldShstr = new byte[0];
            if (withSections) {
                SectionHeader ss = oldSections.get(h.e_shstrndx());
                oldShstr = elf.bytesAt(ss.sh_offset(), (int) ss.sh_size());
            }
            byte[] names = ".portapp.text\0.note.portapp\0.portapp.slots\0".getBytes(StandardCharsets.ISO_8859_1);
            long shstrOffset = alignUp(wOffset + Math.max(wSize, 1), 8);
            long shOffset = alignUp(shstrOffset + oldShstr.length + names.length, 8);
            int shnum = withSections ? oldSections.size() + 3 : 0;
            long total = withSections ? shOffset + (long) shnum * SectionHeader.SIZE : wOffset + Math.max(wSize, 1);
            if (total > Integer.MAX_VALUE - 16) {
                throw new RewriteException("output would be larger than 2 GiB");
            }
            byte[] out = new byte[(int) total];
            byte[] in = elf.bytes();
            System.arraycopy(in, 0, out, 0, in.length);

            // Program headers: the old ones (PT_PHDR moved), the two new loads after the last
            // existing PT_LOAD (keeping loads sorted by address), the note at the end.
            long noteVaddr = xVaddr + noteOffsetInX;
            List<ProgramHeader> phdrs = new ArrayList<>();
            int lastLoad = -1;
            List<ProgramHeader> old = elf.programHeaders();
            for (int k = 0; k < old.size(); k++) {
                if (old.get(k).isLoad()) {
                    lastLoad = k;
                }
            }
            long phSize = (long) phnum * ProgramHeader.SIZE;
            for (int k = 0; k < old.size(); k++) {
                ProgramHeader p = old.get(k);
                phdrs.add(p.p_type() == ProgramHeader.PT_PHDR ? p.withLocation(xOffset, xVaddr, phSize, phSize) : p);
                if (k == lastLoad) {
                    phdrs.add(new ProgramHeader(ProgramHeader.PT_LOAD, ProgramHeader.PF_R | ProgramHeader.PF_X,
                            xOffset, xVaddr, xVaddr, xSize, xSize, PAGE));
                    phdrs.add(new ProgramHeader(ProgramHeader.PT_LOAD, ProgramHeader.PF_R | ProgramHeader.PF_W,
                            wOffset, wVaddr, wVaddr, wSize, wSize, PAGE));
                }
            }
            phdrs.add(new ProgramHeader(ProgramHeader.PT_NOTE, ProgramHeader.PF_R, xOffset + noteOffsetInX,
                    noteVaddr, noteVaddr, noteSize(), noteSize(), 4));
            for (int k = 0; k < phdrs.size(); k++) {
                writePhdr(out, (int) (xOffset + (long) k * ProgramHeader.SIZE), phdrs.get(k));
            }

            // The note: owner "PortApp", descriptor {slots_vaddr, nslots, rewritten, left, 0}.
            int n = (int) (xOffset + noteOffsetInX);
            putI32(out, n, 8);
            putI32(out, n + 4, NOTE_DESC_SIZE);
            putI32(out, n + 8, NOTE_TYPE);
            System.arraycopy(NOTE_OWNER.getBytes(StandardCharsets.ISO_8859_1), 0, out, n + 12, 7);
            putI64(out, n + 20, wVaddr);
            putI32(out, n + 28, nslots);
            putI32(out, n + 32, rewritten);
            putI32(out, n + 36, left);

            System.arraycopy(trampolines, 0, out, (int) (xOffset + (trampolinesVaddr - xVaddr)), trampolines.length);
            for (int k = 0; k < slotNrs.length; k++) {
                putI32(out, (int) (wOffset + 8L * nslots + 4L * k), slotNrs[k]);
            }

            putI64(out, 32, xOffset); // e_phoff
            putI16(out, 56, phnum);
            if (withSections) {
                System.arraycopy(oldShstr, 0, out, (int) shstrOffset, oldShstr.length);
                System.arraycopy(names, 0, out, (int) shstrOffset + oldShstr.length, names.length);
                int base = oldShstr.length;
                for (SectionHeader sh : oldSections) {
                    SectionHeader copy = sh.index() == h.e_shstrndx()
                            ? new SectionHeader(sh.index(), sh.name(), sh.sh_name(), sh.sh_type(), sh.sh_flags(),
                            sh.sh_addr(), shstrOffset, oldShstr.length + names.length, sh.sh_link(), sh.sh_info(),
                            sh.sh_addralign(), sh.sh_entsize())
                            : sh;
                    writeShdr(out, (int) (shOffset + (long) sh.index() * SectionHeader.SIZE), copy);
                }
                int k = oldSections.size();
                long tOff = xOffset + (trampolinesVaddr - xVaddr);
                writeShdr(out, (int) (shOffset + (long) k * SectionHeader.SIZE), new SectionHeader(k, "", base,
                        SectionHeader.SHT_PROGBITS, SectionHeader.SHF_ALLOC | SectionHeader.SHF_EXECINSTR,
                        trampolinesVaddr, tOff, trampolines.length, 0, 0, 16, 0));
                writeShdr(out, (int) (shOffset + (long) (k + 1) * SectionHeader.SIZE), new SectionHeader(k + 1, "",
                        base + 14, SectionHeader.SHT_NOTE, SectionHeader.SHF_ALLOC, noteVaddr,
                        xOffset + noteOffsetInX, noteSize(), 0, 0, 4, 0));
                writeShdr(out, (int) (shOffset + (long) (k + 2) * SectionHeader.SIZE), new SectionHeader(k + 2, "",
                        base + 28, SectionHeader.SHT_PROGBITS, SectionHeader.SHF_ALLOC | SectionHeader.SHF_WRITE,
                        wVaddr, wOffset, wSize, 0, 0, 8, 0));
                putI64(out, 40, shOffset);
                putI16(out, 60, shnum);
            }
            return out;
        }

        private void writePhdr(byte[] out, int o, ProgramHeader p) {
            putI32(out, o, p.p_type());
            putI32(out, o + 4, p.p_flags());
            putI64(out, o + 8, p.p_offset());
            putI64(out, o + 16, p.p_vaddr());
            putI64(out, o + 24, p.p_paddr());
            putI64(out, o + 32, p.p_filesz());
            putI64(out, o + 40, p.p_memsz());
            putI64(out, o + 48, p.p_align());
        }

        private void writeShdr(byte[] out, int o, SectionHeader s) {
            putI32(out, o, s.sh_name());
            putI32(out, o + 4, s.sh_type());
            putI64(out, o + 8, s.sh_flags());
            putI64(out, o + 16, s.sh_addr());
            putI64(out, o + 24, s.sh_offset());
            putI64(out, o + 32, s.sh_size());
            putI32(out, o + 40, s.sh_link());
            putI32(out, o + 44, s.sh_info());
            putI64(out, o + 48, s.sh_addralign());
            putI64(out, o + 56, s.sh_entsize());
        }
    }
}
