package org.portapp.rewrite;

/**
 * What the rewriter did with one site: patched (with the window of original bytes it
 * replaced) or left as {@code syscall} with the reason.
 */
public record SiteOutcome(SyscallSite site, boolean rewritten, long windowStart, int windowLength, String reason) {
    public static SiteOutcome patched(SyscallSite site, long windowStart, int windowLength) {
        return new SiteOutcome(site, true, windowStart, windowLength, "");
    }

    public static SiteOutcome left(SyscallSite site, String reason) {
        return new SiteOutcome(site, false, site.address(), 2, reason);
    }
}
