package org.portapp.rewrite;

import java.util.HashSet;
import java.util.Set;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.elf.ProgramHeader;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * Checks a rewrite before anything is written: the output parses; every byte of the
 * input outside the ELF header and the patched windows is unchanged; every window
 * decodes as {@code jmp trampoline} plus int3 padding; the trampolines decode cleanly
 * with no {@code syscall} in them; and a fresh disassembly of the output finds exactly
 * the sites that were left as {@code syscall}.
 */
final class Verifier {
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
        byte[] before = in.bytes();
        boolean[] mayDiffer = new boolean[before.length];
        for (int k = 0; k < ElfHeader.SIZE; k++) {
            mayDiffer[k] = true;
        }
        Set<Long> trampolineTargets = new HashSet<>();
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
            trampolineTargets.add(target);
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
        if (trampolineTargets.size() != result.rewritten()) {
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
                for (long t : trampolineTargets) {
                    if (c.indexAt(t) < 0) {
                        throw fail("trampoline at 0x" + Long.toHexString(t) + " is not an instruction boundary");
                    }
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
