package org.portapp.rewrite;

import java.util.Set;
import java.util.TreeSet;

/**
 * What the analysis proved about the syscall number of a site (or the value of an argument
 * register at the calls of a function): the constants it takes on the paths followed, the
 * exported functions' arguments it may also come from (bounded only across objects), and,
 * when some path could not be bounded at all, why.
 *
 * @param numbers constants seen (ascending)
 * @param exports exported functions' arguments the value may also come from
 * @param reason  null when every path is bounded (up to {@code exports}); else the first
 *                reason found, phrased for a person ("rax is loaded from memory in f")
 */
public record NumberBound(Set<Integer> numbers, Set<ExportedArg> exports, String reason) {
    public NumberBound {
        numbers = Set.copyOf(new TreeSet<>(numbers));
        exports = Set.copyOf(exports);
    }

    static NumberBound of(Set<Integer> numbers) {
        return new NumberBound(numbers, Set.of(), null);
    }

    static NumberBound unbounded(String reason) {
        return new NumberBound(Set.of(), Set.of(), reason);
    }

    static NumberBound export(ExportedArg a) {
        return new NumberBound(Set.of(), Set.of(a), null);
    }

    /** True when the value is bounded without looking at other objects. */
    public boolean local() {
        return reason == null && exports.isEmpty();
    }

    /** True when some path could not be bounded even with every object's callers. */
    public boolean unbounded() {
        return reason != null;
    }

    /** Both sets of paths: bounded only if both are; the first reason wins. */
    NumberBound union(NumberBound o) {
        Set<Integer> n = new TreeSet<>(numbers);
        n.addAll(o.numbers);
        Set<ExportedArg> e = new java.util.HashSet<>(exports);
        e.addAll(o.exports);
        return new NumberBound(n, e, reason != null ? reason : o.reason);
    }
}
