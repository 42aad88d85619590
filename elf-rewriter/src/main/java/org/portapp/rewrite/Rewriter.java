package org.portapp.rewrite;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfWriter;
import org.portapp.elf.SectionHeader;

/**
 * Turns every syscall site that can be patched safely into a direct call into the shim,
 * following the contract in docs/architecture.md: each site's window of whole
 * instructions becomes {@code jmp trampoline} (plus int3 padding); the trampoline runs
 * the displaced instructions, calls the shim through a slot the loader fills, and jumps
 * back. New code and data go into two new PT_LOAD segments and a PT_NOTE; existing
 * bytes change only in the patched windows and the ELF header.
 *
 * <p>The steps have a class each: {@link SitePlanner} chooses the windows and the slots,
 * {@link TrampolineEncoder} makes the machine code, {@link ElfWriter} lays out and writes the
 * file, {@link PortAppNote} encodes the note and the slot table, and {@link Verifier} checks
 * the result before anyone can write it.
 */
public final class Rewriter {
    /** Generic slot for sites whose number is known only at run time and may be anything. */
    public static final int GENERIC_UNBOUNDED = PortAppNote.GENERIC_UNBOUNDED;
    /** Generic slot for sites whose possible numbers all have slots of their own. */
    public static final int GENERIC_BOUNDED = PortAppNote.GENERIC_BOUNDED;
    /** Most zero padding the output may get to keep the program headers' vaddr - offset. */
    private static final long MAX_PADDING = 256L << 20;

    private final Disassembly dis;
    private final List<SyscallSite> sites;

    public Rewriter(Disassembly dis, List<SyscallSite> sites) {
        this.dis = dis;
        this.sites = sites;
    }

    /** Slot number for a site: its number, or a generic slot (see docs/architecture.md). */
    static int slotNumber(SyscallSite site) {
        return SitePlanner.slotNumber(site);
    }

    public RewriteResult rewrite() {
        ElfFile elf = dis.elf();
        RewritePlan plan = new SitePlanner(dis).plan(sites);
        int nslots = plan.slotNumbers().length;

        // Segment TEXT: program headers, the note, the trampolines (room for the largest
        // possible ones, since the slots' address must be known before they are encoded);
        // segment DATA: the slot table.
        ElfWriter out = new ElfWriter(elf, 1, MAX_PADDING);
        long noteVaddr = out.reserve(ElfWriter.Segment.TEXT, 8, PortAppNote.SIZE);
        long trampolinesVaddr = out.reserve(ElfWriter.Segment.TEXT, TrampolineEncoder.ALIGN,
                TrampolineEncoder.MAX_SIZE * Math.max(sites.size(), 1));
        long slotsVaddr = out.reserve(ElfWriter.Segment.DATA, 8, (long) PortAppNote.SLOT_SIZE * nslots);

        byte[] image = elf.bytes();
        ByteArrayOutputStream trampolines = new ByteArrayOutputStream();
        for (Window w : plan.windows()) {
            long at = trampolinesVaddr + trampolines.size();
            trampolines.writeBytes(TrampolineEncoder.trampoline(w, at, slotsVaddr + 8L * plan.slotFor(w), image));
            out.patch(w.start(), TrampolineEncoder.patch(w, at));
        }
        PortAppNote note = new PortAppNote(slotsVaddr, nslots, plan.windows().size(), plan.sitesLeft(),
                plan.slotNumbers());
        out.section(".portapp.text", SectionHeader.SHT_PROGBITS, SectionHeader.SHF_ALLOC | SectionHeader.SHF_EXECINSTR,
                TrampolineEncoder.ALIGN, trampolinesVaddr, trampolines.toByteArray());
        out.noteSection(".note.portapp", noteVaddr, note.encode());
        out.section(".portapp.slots", SectionHeader.SHT_PROGBITS, SectionHeader.SHF_ALLOC | SectionHeader.SHF_WRITE,
                8, slotsVaddr, note.slotTable());

        RewriteResult result = new RewriteResult(out.write(), plan.outcomes(), nslots);
        new Verifier(dis, result, trampolinesVaddr, trampolines.size()).verify();
        return result;
    }
}
