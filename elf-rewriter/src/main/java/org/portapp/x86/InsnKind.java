package org.portapp.x86;

/** What an instruction does to control flow. Ordinals are shared with the native helper. */
public enum InsnKind {
    /** Bytes Zydis cannot decode; always length 1, the sweep continues at the next byte. */
    INVALID,
    /** {@code syscall}. */
    SYSCALL,
    /** {@code jmp rel}: {@link DecodedCode#branchTarget} holds the target. */
    JMP,
    /** Conditional relative branch: Jcc, jcxz/jecxz/jrcxz, loop/loope/loopne. */
    JCC,
    /** {@code call rel}. */
    CALL,
    /** {@code jmp} through a register or memory (also far jumps). */
    JMP_INDIRECT,
    /** {@code call} through a register or memory. */
    CALL_INDIRECT,
    /** {@code ret} (near and far) and {@code iret*}. */
    RET,
    /** hlt, ud0/ud1/ud2, int3, int1, into, int n (including int 0x80), sysenter. */
    TRAP,
    /** Everything else. */
    OTHER
}
