package org.portapp.rewrite;

/**
 * One {@code syscall} instruction: its address, where it was decoded, and the syscall
 * number if constant propagation proved it ({@link #UNKNOWN} otherwise).
 */
public record SyscallSite(long address, CodeRange range, int index, int nr) {
    public static final int UNKNOWN = -1;

    public boolean resolved() {
        return nr != UNKNOWN;
    }
}
