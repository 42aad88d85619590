package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.elf.ProgramHeader;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * Checks a rewrite before anything is written: the output parses; its PT_LOAD segments
 * can be mapped (offset congruent to address modulo the page, no overlap); every byte of
 * the input outside the ELF header and the patched windows is unchanged; every window
 * decodes as {@code jmp trampoline} plus int3 padding; the trampolines decode cleanly
 * with no {@code syscall} in them, and each jumps back to the end of its own window; and
 * a fresh disassembly of the output finds exactly the sites that were left as
 * {@code syscall}.
 */
final class Verifier {
    private static final long PAGE = 0x1000;

    private final Disassembly original;
    private final RewriteResult result;
    private final long trampolinesVaddr;
    private final int trampolinesSize;

    Verifier(Disassembly original, RewriteResult result, long trampolinesVaddr, int trampolinesSize) {
        this.original = original;
        this.result = result;
        this.trampolinesVaddr = trampolinesVaddr;
        this.trampolinesSize = trampolinesSize;
    }

    void verify() {
        ElfFile in = original.elf();
        byte[] out = result.output();
        ElfFile parsed;
        try {
            parsed = ElfFile.parse(in.origin() + " (rewritten)", out);
        } catch (ElfException e) {
            throw fail("output does not parse: " + e.getMessage());
        }
        checkSegments(parsed);
        byte[] before = in.bytes();
        boolean[] mayDiffer = new boolean[before.length];
        for (int k = 0; k < ElfHeader.SIZE; k++) {
            mayDiffer[k] = true;
        }
        Map<Long, Long> returnOf = new HashMap<>(); // trampoline address -> end of its window
        for (SiteOutcome o : result.outcomes()) {
            if (!o.rewritten()) {
                continue;
            }
            int off = (int) (long) in.vaddrToOffset(o.windowStart()).orElseThrow(() -> fail("window outside file"));
            for (int k = 0; k < o.windowLength(); k++) {
                mayDiffer[off + k] = true;
            }
            DecodedCode c = original.decoder().decode(out, off, o.windowLength(), o.windowStart());
            if (c.count() < 1 || c.kind(0) != InsnKind.JMP || c.length(0) != 5) {
                throw fail("patched site at 0x" + Long.toHexString(o.site().address()) + " does not decode as jmp");
            }
            long target = c.branchTarget(0);
            if (target < trampolinesVaddr || target >= trampolinesVaddr + trampolinesSize) {
                throw fail("patched site at 0x" + Long.toHexString(o.site().address()) + " jumps outside the trampolines");
            }
            returnOf.put(target, o.windowStart() + o.windowLength());
            for (int k = 5; k < o.windowLength(); k++) {
                if (out[off + k] != (byte) 0xcc) {
                    throw fail("padding after the patch at 0x" + Long.toHexString(o.windowStart()) + " is not int3");
                }
            }
        }
        for (int k = 0; k < before.length; k++) {
            if (!mayDiffer[k] && before[k] != out[k]) {
                throw fail("byte at file offset 0x" + Integer.toHexString(k) + " changed outside any patch");
            }
        }
        if (returnOf.size() != result.rewritten()) {
            throw fail("two patched sites share a trampoline");
        }
        Disassembly after = Disassembly.of(parsed, original.decoder());
        long syscalls = 0;
        for (CodeRange r : after.ranges()) {
            DecodedCode c = r.code();
            boolean isTrampolines = r.vaddr() == trampolinesVaddr;
            for (int k = 0; k < c.count(); k++) {
                if (c.kind(k) == InsnKind.SYSCALL) {
                    syscalls++;
                }
                if (isTrampolines && c.kind(k) == InsnKind.INVALID) {
                    throw fail("trampoline code at 0x" + Long.toHexString(c.address(k)) + " does not decode");
                }
            }
            if (isTrampolines) {
                for (Map.Entry<Long, Long> e : returnOf.entrySet()) {
                    long t = e.getKey();
                    int k = c.indexAt(t);
                    if (k < 0) {
                        throw fail("trampoline at 0x" + Long.toHexString(t) + " is not an instruction boundary");
                    }
                    checkJumpBack(c, k, t, e.getValue());
                }
            }
        }
        if (!parsed.sections().isEmpty() && syscalls != result.leftAsSyscall()) {
            throw fail("output has " + syscalls + " syscall instructions, expected " + result.leftAsSyscall());
        }
        // The contract: a PT_NOTE of its own holding just the PortApp note, which decodes.
        boolean note = parsed.programHeaders().stream().anyMatch(p -> p.p_type() == ProgramHeader.PT_NOTE
                && p.p_filesz() == PortAppNote.SIZE) && decodesNote(parsed);
        if (!note) {
            throw fail("PortApp note missing from the output");
        }
    }

    /**
     * Every loader (Linux, ld.so, linuxu, the unikernel) maps each PT_LOAD page by page,
     * so its file offset and address must agree modulo the page size (what mmap needs;
     * a larger p_align is not enforced by Linux either), and no two may claim the same
     * addresses.
     */
    private void checkSegments(ElfFile parsed) {
        List<ProgramHeader> loads = new ArrayList<>(parsed.loadSegments());
        for (ProgramHeader p : loads) {
            if (((p.p_offset() - p.p_vaddr()) & (PAGE - 1)) != 0) {
                throw fail("segment at 0x" + Long.toHexString(p.p_vaddr()) + " is misaligned (p_offset 0x"
                        + Long.toHexString(p.p_offset()) + " and p_vaddr differ modulo the page size)");
            }
        }
        loads.sort(Comparator.comparingLong(ProgramHeader::p_vaddr));
        for (int k = 1; k < loads.size(); k++) {
            ProgramHeader a = loads.get(k - 1);
            ProgramHeader b = loads.get(k);
            if (Long.compareUnsigned(a.p_vaddr() + a.p_memsz(), b.p_vaddr()) > 0) {
                throw fail("segments at 0x" + Long.toHexString(a.p_vaddr()) + " and 0x" + Long.toHexString(b.p_vaddr())
                        + " overlap");
            }
        }
    }

    /**
     * A trampoline's displaced instructions hold no relative branch, so its first {@code jmp}
     * is the one back to the original code, which must land right after the patched window.
     */
    private void checkJumpBack(DecodedCode c, int first, long trampoline, long windowEnd) {
        for (int k = first; k < c.count(); k++) {
            if (c.kind(k) == InsnKind.JMP) {
                if (c.branchTarget(k) != windowEnd) {
                    throw fail("trampoline at 0x" + Long.toHexString(trampoline) + " jumps back to 0x"
                            + Long.toHexString(c.branchTarget(k)) + ", not to the end of its window at 0x"
                            + Long.toHexString(windowEnd));
                }
                return;
            }
            if (c.kind(k) != InsnKind.OTHER && c.kind(k) != InsnKind.CALL_INDIRECT) {
                break;
            }
        }
        throw fail("trampoline at 0x" + Long.toHexString(trampoline) + " does not end with a jmp back");
    }

    private RewriteException fail(String what) {
        return new RewriteException(original.elf().origin() + ": verification of the rewritten file failed: " + what
                + " (nothing was written)");
    }

    private static boolean decodesNote(ElfFile parsed) {
        try {
            return PortAppNote.of(parsed).isPresent();
        } catch (ElfException e) {
            return false;
        }
    }
}
