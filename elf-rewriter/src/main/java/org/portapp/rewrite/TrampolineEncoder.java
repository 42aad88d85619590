package org.portapp.rewrite;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.portapp.elf.ElfFile;

/**
 * The machine code of a patch (docs/architecture.md, "A trampoline for one site"): the
 * {@code jmp rel32} plus int3 padding that replaces a window, and the trampoline it jumps to,
 * which runs the displaced instructions (RIP-relative operands relocated) around a call
 * through the site's slot, below the red zone, and jumps back.
 */
final class TrampolineEncoder {
    private static final byte[] LEA_RSP_MINUS_128 = {0x48, (byte) 0x8d, 0x64, 0x24, (byte) 0x80};
    private static final byte[] LEA_RSP_PLUS_128 = {0x48, (byte) 0x8d, (byte) 0xa4, 0x24, (byte) 0x80, 0, 0, 0};
    private static final int CALL_SLOT_LEN = 6; // ff 15 disp32
    private static final int JMP = 0xe9;
    private static final int INT3 = 0xcc;
    /** Trampolines start on this boundary (the gap is int3). */
    static final int ALIGN = 16;
    /**
     * Bytes the largest trampoline takes, padding included: up to MAX_NEIGHBOURS displaced
     * instructions of at most 15 bytes on each side, plus the two leas, the call and the jmp back.
     */
    static final long MAX_SIZE = ElfFile.alignUp(2L * SitePlanner.MAX_NEIGHBOURS * 15 + LEA_RSP_MINUS_128.length
            + CALL_SLOT_LEN + LEA_RSP_PLUS_128.length + SitePlanner.JMP_LEN, ALIGN);

    private TrampolineEncoder() {
    }

    /** What replaces window {@code w}: {@code jmp trampoline}, then int3 up to the window's end. */
    static byte[] patch(Window w, long trampolineVaddr) {
        byte[] p = new byte[w.length()];
        p[0] = (byte) JMP;
        putI32(p, 1, rel32(trampolineVaddr - (w.start() + SitePlanner.JMP_LEN)));
        for (int k = SitePlanner.JMP_LEN; k < p.length; k++) {
            p[k] = (byte) INT3;
        }
        return p;
    }

    /**
     * The trampoline of window {@code w} placed at {@code at}, calling through the slot at
     * {@code slotVaddr}, padded with int3 to {@link #ALIGN}; {@code image} is the input file.
     */
    static byte[] trampoline(Window w, long at, long slotVaddr, byte[] image) {
        var c = w.site().range().code();
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
        t.write(JMP);
        putI32(d, 0, rel32(w.start() + w.length() - (jmpAt + SitePlanner.JMP_LEN)));
        t.writeBytes(d);
        while (t.size() % ALIGN != 0) {
            t.write(INT3);
        }
        return t.toByteArray();
    }

    private static byte[] relocated(org.portapp.x86.DecodedCode c, int j, byte[] image, long fileBase, long newAddr) {
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

    private static void putI32(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
        b[off + 2] = (byte) (v >> 16);
        b[off + 3] = (byte) (v >> 24);
    }
}
