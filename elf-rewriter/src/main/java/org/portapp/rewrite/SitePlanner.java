package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * Decides which sites are patched and how (docs/architecture.md, "Windows"): for each site,
 * the smallest window of whole instructions around the {@code syscall} that holds a 5-byte
 * {@code jmp}, has no relative branch, no entry point inside, stays within its function and
 * does not overlap an earlier window; and the slot table the trampolines call through.
 */
final class SitePlanner {
    /** Bytes of the {@code jmp rel32} that replaces a window. */
    static final int JMP_LEN = 5;
    /** How many whole instructions may be displaced on each side of the syscall. */
    static final int MAX_NEIGHBOURS = 4;

    private final Disassembly dis;

    SitePlanner(Disassembly dis) {
        this.dis = dis;
    }

    RewritePlan plan(List<SyscallSite> sites) {
        List<SiteOutcome> outcomes = new ArrayList<>();
        List<Window> windows = new ArrayList<>();
        NavigableMap<Long, Long> claimed = new TreeMap<>(); // window start -> end
        for (SyscallSite site : sites) {
            Window w = chooseWindow(site, claimed);
            if (w == null) {
                outcomes.add(SiteOutcome.left(site, whyNoWindow(site)));
            } else {
                claimed.put(w.start(), w.start() + w.length());
                windows.add(w);
                outcomes.add(SiteOutcome.patched(site, w.start(), w.length()));
            }
        }

        // Slots: one per statically known number, plus the generic one for unknown numbers.
        Map<Integer, Integer> slotOf = new TreeMap<>();
        for (Window w : windows) {
            slotOf.putIfAbsent(slotNumber(w.site()), 0);
        }
        // Numbers that sites reach only through the generic slot still get a slot of their
        // own (filled, never jumped through), so the footprint can be read from the table.
        for (SyscallSite site : sites) {
            if (site.bounded()) {
                site.numbers().forEach(k -> slotOf.putIfAbsent(k, 0));
            }
        }
        int[] slotNrs = new int[slotOf.size()];
        int s = 0;
        for (Map.Entry<Integer, Integer> e : slotOf.entrySet()) {
            e.setValue(s);
            slotNrs[s++] = e.getKey();
        }
        return new RewritePlan(windows, outcomes, slotNrs, slotOf);
    }

    /** Slot number for a site: its number, or a generic slot (see docs/architecture.md). */
    static int slotNumber(SyscallSite site) {
        if (site.resolved()) {
            return site.nr();
        }
        return site.bounded() ? PortAppNote.GENERIC_BOUNDED : PortAppNote.GENERIC_UNBOUNDED;
    }

    private Window chooseWindow(SyscallSite site, NavigableMap<Long, Long> claimed) {
        DecodedCode c = site.range().code();
        int i = site.index();
        Window best = null;
        for (int total = 1; total <= 2 * MAX_NEIGHBOURS && best == null; total++) {
            // Prefer displacing instructions before the syscall (the usual `mov eax, N`).
            for (int pre = Math.min(total, MAX_NEIGHBOURS); pre >= 0 && best == null; pre--) {
                int post = total - pre;
                if (post > MAX_NEIGHBOURS) {
                    continue;
                }
                int first = i - pre;
                int last = i + post;
                if (first < 0 || last >= c.count()) {
                    continue;
                }
                Window w = validWindow(site, c, first, last, claimed);
                if (w != null) {
                    best = w;
                }
            }
        }
        return best;
    }

    private Window validWindow(SyscallSite site, DecodedCode c, int first, int last, NavigableMap<Long, Long> claimed) {
        long start = c.address(first);
        long end = c.address(last) + c.length(last);
        if (end - start < JMP_LEN) {
            return null;
        }
        Long nextFunction = dis.functionStarts().higher(start);
        for (int j = first; j <= last; j++) {
            long a = c.address(j);
            if (j > first && dis.isEntryPoint(a)) {
                return null; // control can arrive inside the window
            }
            if (j > first && a != c.address(j - 1) + c.length(j - 1)) {
                return null;
            }
            if (j != site.index() && !displaceable(c, j)) {
                return null;
            }
        }
        if (nextFunction != null && nextFunction < end) {
            return null;
        }
        Map.Entry<Long, Long> before = claimed.floorEntry(end - 1);
        if (before != null && before.getValue() > start) {
            return null; // overlaps the window of an earlier site
        }
        return new Window(site, first, last, start, (int) (end - start));
    }

    /** An instruction can run from the trampoline if it has no relative branch and was decoded. */
    private static boolean displaceable(DecodedCode c, int j) {
        if (c.kind(j) != InsnKind.OTHER) {
            return false;
        }
        return !c.ripRelative(j) || c.dispOffset(j) >= 0;
    }

    private String whyNoWindow(SyscallSite site) {
        DecodedCode c = site.range().code();
        int i = site.index();
        if (i + 1 < c.count() && dis.isEntryPoint(c.address(i + 1))
                && (i == 0 || dis.isEntryPoint(c.address(i)))) {
            return "jump targets on both sides of the syscall";
        }
        return "no run of whole, relocatable instructions of 5+ bytes around the syscall without a jump target inside";
    }
}
