package org.portapp.rewrite;

import java.util.List;
import java.util.Map;

/**
 * What a rewrite will do, decided before any byte is laid out: the window patched for each
 * rewritable site, what happens to every site, and the slot table.
 *
 * @param windows     the patched windows, in site order
 * @param outcomes    one per site, in site order
 * @param slotNumbers {@code nr[]} of the slot table, ascending
 * @param slotOf      syscall number (or generic slot number) to its slot index
 */
record RewritePlan(List<Window> windows, List<SiteOutcome> outcomes, int[] slotNumbers, Map<Integer, Integer> slotOf) {
    RewritePlan {
        windows = List.copyOf(windows);
        outcomes = List.copyOf(outcomes);
        slotNumbers = slotNumbers.clone();
        slotOf = Map.copyOf(slotOf);
    }

    @Override
    public int[] slotNumbers() {
        return slotNumbers.clone();
    }

    /** The slot index a window's trampoline calls through. */
    int slotFor(Window w) {
        return slotOf.get(SitePlanner.slotNumber(w.site()));
    }

    int sitesLeft() {
        return outcomes.size() - windows.size();
    }
}
