package org.portapp.rewrite;

import java.util.Set;

/**
 * One {@code syscall} instruction: its address, where it was decoded, and what its number
 * can be. {@link #nr} is the number when it is proven to be exactly one value
 * ({@link #UNKNOWN} otherwise); {@link #numbers} is the set of values it can take when that
 * set is known within this object (one value, or several: a loop trying exit_group then
 * exit, the callers of a wrapper), or null when it is not. {@link #bound} says why not: a
 * reason, or the exported functions' arguments the number comes from, which only the other
 * objects of the process bound ({@link ClosureFootprint}).
 *
 * @param function the function the site is in ("syscall", "foo+0x12", or an address)
 */
public record SyscallSite(long address, CodeRange range, int index, int nr, Set<Integer> numbers, String function,
                          NumberBound bound) {
    public static final int UNKNOWN = -1;

    public SyscallSite {
        numbers = numbers == null ? null : Set.copyOf(numbers);
    }

    static SyscallSite of(long address, CodeRange range, int index, String function, NumberBound bound) {
        Set<Integer> numbers = bound.local() ? bound.numbers() : null;
        int nr = numbers != null && numbers.size() == 1 ? numbers.iterator().next() : UNKNOWN;
        return new SyscallSite(address, range, index, nr, numbers, function, bound);
    }

    /** The number is proven to be exactly one value. */
    public boolean resolved() {
        return nr != UNKNOWN;
    }

    /** The possible numbers are known (one or several) from this object alone. */
    public boolean bounded() {
        return numbers != null;
    }

    /** Why the number is not bounded within this object ("" when it is). */
    public String reason() {
        if (bound.reason() != null) {
            return bound.reason();
        }
        if (!bound.exports().isEmpty()) {
            return "the number is " + String.join(", ", bound.exports().stream().map(ExportedArg::toString)
                    .sorted().toList()) + ", exported: bounded only by the callers in the other objects";
        }
        return "";
    }
}
