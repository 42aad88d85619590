package org.portapp.x86;

import java.util.Arrays;

/**
 * The instructions of one decoded range, as parallel arrays (one entry per instruction, in
 * address order). Immutable: the arrays never leave this object.
 */
public final class DecodedCode {
    private static final InsnKind[] KINDS = InsnKind.values();
    private static final ValueOp[] VALUE_OPS = ValueOp.values();

    private final long base;
    private final int[] offsets;
    private final byte[] lengths;
    private final byte[] kinds;
    private final int[] regs;          // written << 16 | read
    private final byte[] valueOps;
    private final byte[] valueDst;
    private final byte[] valueSrc;
    private final byte[] dispOffsets;
    private final byte[] ripRelative;
    private final long[] aux;          // branch target (JMP/JCC/CALL) or MOV_IMM value

    DecodedCode(long base, int[] offsets, byte[] lengths, byte[] kinds, int[] regs, byte[] valueOps,
                byte[] valueDst, byte[] valueSrc, byte[] dispOffsets, byte[] ripRelative, long[] aux) {
        this.base = base;
        this.offsets = offsets;
        this.lengths = lengths;
        this.kinds = kinds;
        this.regs = regs;
        this.valueOps = valueOps;
        this.valueDst = valueDst;
        this.valueSrc = valueSrc;
        this.dispOffsets = dispOffsets;
        this.ripRelative = ripRelative;
        this.aux = aux;
    }

    /** Number of instructions (INVALID bytes included). */
    public int count() {
        return offsets.length;
    }

    /** Absolute address of instruction i. */
    public long address(int i) {
        return base + offsets[i];
    }

    /** Length of instruction i in bytes (1 for INVALID). */
    public int length(int i) {
        return lengths[i];
    }

    public InsnKind kind(int i) {
        return KINDS[kinds[i]];
    }

    /** Absolute target of a JMP, JCC or CALL with a relative operand; 0 for every other kind. */
    public long branchTarget(int i) {
        InsnKind k = kind(i);
        return k == InsnKind.JMP || k == InsnKind.JCC || k == InsnKind.CALL ? aux[i] : 0;
    }

    /**
     * Mask of 64-bit GPRs written, explicitly or implicitly (bit = {@link Reg} ordinal); a write
     * to eax/ax/al counts as RAX. For {@code syscall} it includes the kernel's rax result.
     * Describes the instruction only: a call's callee-clobbered registers are not in it.
     */
    public int regsWritten(int i) {
        return regs[i] >>> 16;
    }

    /** Mask of 64-bit GPRs read, including address registers; for {@code syscall} the ABI's rax and arguments. */
    public int regsRead(int i) {
        return regs[i] & 0xffff;
    }

    public ValueOp valueOp(int i) {
        return VALUE_OPS[valueOps[i]];
    }

    /** Reg ordinal of the explicit destination register, or -1 (when {@link #valueOp} is NONE). */
    public int valueDst(int i) {
        return valueDst[i];
    }

    /** Reg ordinal of the source register for MOV_REG, else -1. */
    public int valueSrc(int i) {
        return valueSrc[i];
    }

    /** For MOV_IMM: the full 64-bit value the destination holds afterwards; else 0. */
    public long valueImm(int i) {
        return valueOps[i] == ValueOp.MOV_IMM.ordinal() ? aux[i] : 0;
    }

    /** True when the instruction has a [rip+disp32] memory operand. */
    public boolean ripRelative(int i) {
        return ripRelative[i] != 0;
    }

    /** Offset of the 32-bit displacement inside the instruction, or -1 if it has none. */
    public int dispOffset(int i) {
        return dispOffsets[i];
    }

    /** Index of the instruction that starts exactly at {@code address}, or -1. */
    public int indexAt(long address) {
        long off = address - base;
        if (off < 0 || off > Integer.MAX_VALUE) {
            return -1;
        }
        int i = Arrays.binarySearch(offsets, (int) off);
        return i >= 0 ? i : -1;
    }
}
