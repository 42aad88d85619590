package org.portapp.rewrite;

import java.util.Set;

/**
 * One {@code syscall} instruction: its address, where it was decoded, and what its number
 * can be. {@link #nr} is the number when it is proven to be exactly one value
 * ({@link #UNKNOWN} otherwise); {@link #numbers} is the set of values it can take when that
 * set is known (one value, or several: a loop trying exit_group then exit, the callers of
 * libc's {@code syscall()}), or null when it is not bounded.
 */
public record SyscallSite(long address, CodeRange range, int index, int nr, Set<Integer> numbers) {
    public static final int UNKNOWN = -1;

    public SyscallSite {
        numbers = numbers == null ? null : Set.copyOf(numbers);
    }

    static SyscallSite of(long address, CodeRange range, int index, Set<Integer> numbers) {
        int nr = numbers != null && numbers.size() == 1 ? numbers.iterator().next() : UNKNOWN;
        return new SyscallSite(address, range, index, nr, numbers);
    }

    /** The number is proven to be exactly one value. */
    public boolean resolved() {
        return nr != UNKNOWN;
    }

    /** The possible numbers are known (one or several). */
    public boolean bounded() {
        return numbers != null;
    }
}
