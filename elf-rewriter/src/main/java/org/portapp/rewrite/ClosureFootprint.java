package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The syscall footprint of a whole process: every object it can run (executable, ld.so, the
 * libraries, whatever else it may {@code dlopen}), with the sites whose number is an argument
 * of an exported function (libc's {@code syscall()}) bounded by the calls to that function
 * from every object, through their PLT or GOT, followed across objects.
 *
 * <p>Sound: a function whose address is taken anywhere (a GOT load, a data relocation), or
 * that may be looked up by name at run time (some object imports {@code dlsym} or
 * {@code dlvsym}) can be called with any arguments, so what depends on it stays unbounded.
 */
public final class ClosureFootprint {
    /** One object of the process: its path (for messages) and its analysis. */
    public record Member(String path, Analysis analysis) {
    }

    /** A site whose number stays unbounded, where it is and why. */
    public record Unbounded(String object, SyscallSite site, String reason) {
    }

    /** Functions that find any exported function by a name known only at run time. */
    private static final List<String> LOOKUPS = List.of("dlsym", "dlvsym");
    /** How many objects deep a number passed through exported functions is followed. */
    private static final int MAX_DEPTH = 4;

    private final List<Member> members;
    private final List<SyscallSiteFinder> finders = new ArrayList<>();
    private final Map<ExportedArg, NumberBound> resolved = new HashMap<>();
    private final Set<Integer> numbers = new TreeSet<>();
    private final List<Unbounded> unbounded = new ArrayList<>();
    private final Map<SyscallSite, Set<Integer>> acrossObjects = new LinkedHashMap<>();
    private String lookup; // "dlsym (imported by libfoo.so)", or null

    private ClosureFootprint(List<Member> members) {
        this.members = List.copyOf(members);
    }

    /** The footprint of a process made of {@code members}. */
    public static ClosureFootprint of(List<Member> members) {
        ClosureFootprint f = new ClosureFootprint(members);
        f.compute();
        return f;
    }

    private void compute() {
        for (Member m : members) {
            SyscallSiteFinder finder = new SyscallSiteFinder(m.analysis().disassembly());
            finders.add(finder);
            for (String name : LOOKUPS) {
                if (lookup == null && finder.imports(name)) {
                    lookup = name + " (imported by " + shortName(m.path()) + ")";
                }
            }
        }
        for (Member m : members) {
            for (SyscallSite s : m.analysis().sites()) {
                NumberBound b = s.bound();
                if (b.unbounded()) {
                    unbounded.add(new Unbounded(m.path(), s, b.reason()));
                    continue;
                }
                NumberBound all = NumberBound.of(b.numbers());
                for (ExportedArg a : b.exports()) {
                    all = all.union(resolve(a, MAX_DEPTH, new HashSet<>()));
                }
                if (all.unbounded()) {
                    unbounded.add(new Unbounded(m.path(), s, "the number is " + b.exports().iterator().next()
                            + ": " + all.reason()));
                    continue;
                }
                numbers.addAll(all.numbers());
                if (!b.exports().isEmpty()) {
                    acrossObjects.put(s, Set.copyOf(all.numbers()));
                }
            }
        }
    }

    /** The values {@code a} takes at every call of its function from every object, followed {@code depth} deep. */
    private NumberBound resolve(ExportedArg a, int depth, Set<ExportedArg> visiting) {
        NumberBound known = resolved.get(a);
        if (known != null) {
            return known;
        }
        if (lookup != null) {
            return NumberBound.unbounded(a.function() + "() may be looked up by name with " + lookup
                    + " and called with any arguments");
        }
        if (depth == 0) {
            return NumberBound.unbounded("passed through more than " + MAX_DEPTH + " exported functions");
        }
        if (!visiting.add(a)) {
            return NumberBound.unbounded("passed around a cycle of exported functions");
        }
        NumberBound out = NumberBound.of(Set.of());
        for (int i = 0; i < members.size() && !out.unbounded(); i++) {
            NumberBound b = finders.get(i).argumentAtImportCalls(a.function(), a.reg());
            if (b.unbounded()) {
                out = NumberBound.unbounded(b.reason() + " in " + shortName(members.get(i).path()));
                break;
            }
            out = out.union(NumberBound.of(b.numbers()));
            for (ExportedArg next : b.exports()) {
                out = out.union(resolve(next, depth - 1, visiting));
            }
        }
        visiting.remove(a);
        if (depth == MAX_DEPTH) {
            resolved.put(a, out);
        }
        return out;
    }

    private static String shortName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Every syscall number a bounded site can make (the footprint, when {@link #complete()}). */
    public Set<Integer> numbers() {
        return Set.copyOf(numbers);
    }

    /** The sites whose number stays unbounded, in object order. */
    public List<Unbounded> unbounded() {
        return List.copyOf(unbounded);
    }

    /** Whether every site of every object is bounded: {@link #numbers()} is all the process can ask for. */
    public boolean complete() {
        return unbounded.isEmpty();
    }

    /** Sites bounded only through other objects' calls (libc's {@code syscall()}), with their numbers. */
    public Map<SyscallSite, Set<Integer>> boundedAcrossObjects() {
        return Map.copyOf(acrossObjects);
    }
}
