package org.portapp.x86;

/** JNI entry points of libportapp-x86 (src/main/native/x86decode.c). Bounds are checked by callers. */
final class NativeDecoder {
    private NativeDecoder() {
    }

    /**
     * Linear sweep over {@code code[offset, offset+length)}. Returns, in this order:
     * int[] offsets, byte[] lengths, byte[] kinds, int[] regs (written << 16 | read),
     * byte[] valueOps, byte[] valueDst, byte[] valueSrc, byte[] dispOffsets, byte[] ripRelative,
     * long[] aux (branch target or MOV_IMM value).
     */
    static native Object[] decode(byte[] code, int offset, int length, long address);

    /** Intel syntax of the first instruction, "(bad)" if it does not decode. */
    static native String format(byte[] code, int offset, int length, long address);
}
