package org.portapp.rewrite;

import java.util.List;

/** The verified output image and what happened to every site. */
public record RewriteResult(byte[] output, List<SiteOutcome> outcomes, int slots) {
    public long rewritten() {
        return outcomes.stream().filter(SiteOutcome::rewritten).count();
    }

    public long leftAsSyscall() {
        return outcomes.size() - rewritten();
    }
}
