package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.elf.ProgramHeader;
import org.portapp.elf.SectionHeader;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * The verifier on outputs of the rewriter that were corrupted afterwards: each corruption
 * a bug in planning, encoding or layout could cause must be rejected, with a message that
 * says what is wrong, and the uncorrupted output must pass.
 */
class VerifierTest {
    @TempDir
    static Path tmp;
    static TinySites.Rewritten rw;
    static SectionHeader trampolines;

    @BeforeAll
    static void rewrite() throws Exception {
        rw = TinySites.build(tmp).rewrite();
        trampolines = rw.out().section(".portapp.text").orElseThrow();
    }

    /** Runs the verifier of the tiny rewrite on {@code bytes} in place of its output. */
    static void verify(byte[] bytes) {
        RewriteResult r = rw.result();
        new Verifier(rw.tiny().analysis().disassembly(), new RewriteResult(bytes, r.outcomes(), r.slots()),
                trampolines.sh_addr(), (int) trampolines.sh_size()).verify();
    }

    static void assertRejected(byte[] bytes, String expected) {
        RewriteException e = assertThrows(RewriteException.class, () -> verify(bytes));
        assertTrue(e.getMessage().contains("verification of the rewritten file failed: " + expected),
                "expected \"" + expected + "\", got: " + e.getMessage());
        assertTrue(e.getMessage().endsWith("(nothing was written)"), e.getMessage());
    }

    static byte[] output() {
        return rw.result().output().clone();
    }

    static int offsetOf(long vaddr) {
        return (int) (long) rw.out().vaddrToOffset(vaddr).orElseThrow();
    }

    static int rel32At(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    static void putRel32(byte[] b, int off, int v) {
        ByteBuffer.wrap(b, off, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(v);
    }

    /** Where the patch of {@code o} jumps. */
    static long trampolineOf(SiteOutcome o) {
        int off = offsetOf(o.windowStart());
        return o.windowStart() + 5 + rel32At(rw.result().output(), off + 1);
    }

    @Test
    void theRewriterOutputPasses() {
        verify(output());
        assertEquals(7, rw.result().rewritten());
    }

    @Test
    void aByteChangedOutsideAnyPatch() {
        byte[] b = output();
        int off = offsetOf(rw.tiny().fn("f_after_tiny").st_value()); // its ret
        b[off] = (byte) 0x90;
        assertRejected(b, "byte at file offset 0x" + Integer.toHexString(off) + " changed outside any patch");
    }

    @Test
    void aPatchThatJumpsOutsideTheTrampolines() {
        byte[] b = output();
        SiteOutcome o = rw.outcomeIn("f_copy");
        putRel32(b, offsetOf(o.windowStart()) + 1, -5); // jmp to itself
        assertRejected(b, "patched site at 0x" + Long.toHexString(o.site().address())
                + " jumps outside the trampolines");
    }

    @Test
    void aPatchThatJumpsIntoTheMiddleOfItsTrampoline() {
        byte[] b = output();
        SiteOutcome o = rw.outcomeIn("f_copy"); // its trampoline opens with the 5-byte mov $39, %edx
        int off = offsetOf(o.windowStart()) + 1;
        putRel32(b, off, rel32At(b, off) + 1);
        assertRejected(b, "trampoline at 0x" + Long.toHexString(trampolineOf(o) + 1)
                + " is not an instruction boundary");
    }

    @Test
    void twoPatchesThatShareATrampoline() {
        byte[] b = output();
        SiteOutcome first = rw.outcome(rw.tiny().sitesIn("f_adjacent").get(0));
        SiteOutcome second = rw.outcome(rw.tiny().sitesIn("f_adjacent").get(1));
        putRel32(b, offsetOf(second.windowStart()) + 1, (int) (trampolineOf(first) - (second.windowStart() + 5)));
        assertRejected(b, "two patched sites share a trampoline");
    }

    @Test
    void aTrampolineThatJumpsBackOneByteTooFar() {
        byte[] b = output();
        SiteOutcome o = rw.outcomeIn("f_copy");
        long t = trampolineOf(o);
        int toff = offsetOf(t);
        DecodedCode c = rw.tiny().analysis().disassembly().decoder().decode(b, toff, 64, t);
        int k = 0;
        while (c.kind(k) != InsnKind.JMP) {
            k++;
        }
        int relOff = (int) (toff + (c.address(k) - t) + 1);
        putRel32(b, relOff, rel32At(b, relOff) + 1);
        long end = o.windowStart() + o.windowLength();
        assertRejected(b, "trampoline at 0x" + Long.toHexString(t) + " jumps back to 0x"
                + Long.toHexString(end + 1) + ", not to the end of its window at 0x" + Long.toHexString(end));
    }

    @Test
    void aSegmentWhoseOffsetAndAddressDisagree() {
        byte[] b = output();
        ProgramHeader x = newSegment(ProgramHeader.PF_R | ProgramHeader.PF_X);
        int field = phdrOffset(x) + 8; // p_offset
        ByteBuffer.wrap(b, field, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(x.p_offset() + 16);
        assertRejected(b, "segment at 0x" + Long.toHexString(x.p_vaddr()) + " is misaligned (p_offset 0x"
                + Long.toHexString(x.p_offset() + 16) + " and p_vaddr differ modulo the page size)");
    }

    @Test
    void overlappingSegments() {
        byte[] b = output();
        ProgramHeader x = newSegment(ProgramHeader.PF_R | ProgramHeader.PF_X);
        ProgramHeader w = newSegment(ProgramHeader.PF_R | ProgramHeader.PF_W);
        int field = phdrOffset(w) + 16; // p_vaddr
        ByteBuffer.wrap(b, field, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(x.p_vaddr());
        assertRejected(b, "segments at 0x" + Long.toHexString(x.p_vaddr()) + " and 0x" + Long.toHexString(x.p_vaddr())
                + " overlap");
    }

    @Test
    void aMissingNote() {
        byte[] b = output();
        ProgramHeader note = rw.out().programHeaders().stream().filter(p -> p.p_type() == ProgramHeader.PT_NOTE
                && p.p_vaddr() >= rw.tiny().elf().loadEnd()).findFirst().orElseThrow(); // not the linker's notes
        b[(int) note.p_offset() + 12] = 'X'; // the owner's first letter
        assertRejected(b, "PortApp note missing from the output");
    }

    /** One of the two PT_LOADs the rewriter added (after the original image), by flags. */
    static ProgramHeader newSegment(int flags) {
        long end = rw.tiny().elf().loadEnd();
        return rw.out().loadSegments().stream().filter(p -> p.p_vaddr() >= end && p.p_flags() == flags)
                .findFirst().orElseThrow();
    }

    static int phdrOffset(ProgramHeader p) {
        int k = rw.out().programHeaders().indexOf(p);
        assertTrue(k >= 0);
        return (int) (rw.out().header().e_phoff() + (long) k * ProgramHeader.SIZE);
    }
}
