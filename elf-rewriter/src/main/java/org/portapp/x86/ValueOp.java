package org.portapp.x86;

/**
 * What an instruction does to its explicit destination register ({@link DecodedCode#valueDst}),
 * for constant propagation. Only the first explicit operand is described; every register an
 * instruction writes (implicit ones, the second operand of xchg, ...) is in
 * {@link DecodedCode#regsWritten}, which stays the authority for invalidating known values.
 * Ordinals are shared with the native helper.
 */
public enum ValueOp {
    /** The explicit destination is not a general-purpose register (or there is none). */
    NONE,
    /** {@code mov reg, imm}: the register holds {@link DecodedCode#valueImm} afterwards. */
    MOV_IMM,
    /**
     * 32- or 64-bit register-to-register {@code mov}: the value is {@link DecodedCode#valueSrc}'s
     * (for the 32-bit form its low 32 bits, zero-extended; the consumer does the extension).
     */
    MOV_REG,
    /** {@code xor r,r} or {@code sub r,r} on a 32- or 64-bit register: the value is 0. */
    ZERO,
    /** Any other write to the destination register, including 8/16-bit partial writes and cmov. */
    UNKNOWN_WRITE
}
