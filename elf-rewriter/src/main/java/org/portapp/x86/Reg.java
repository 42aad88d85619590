package org.portapp.x86;

/** The 64-bit general-purpose registers, in encoding order; the ordinal is the bit in the masks. */
public enum Reg {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15;

    private static final Reg[] VALUES = values();

    /** The register with this ordinal. */
    public static Reg of(int ordinal) {
        return VALUES[ordinal];
    }

    /** This register's bit in {@link DecodedCode#regsRead}/{@link DecodedCode#regsWritten} masks. */
    public int bit() {
        return 1 << ordinal();
    }

    /** True when {@code mask} has this register's bit. */
    public boolean in(int mask) {
        return (mask & bit()) != 0;
    }
}
