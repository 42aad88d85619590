package org.portapp.cli;

import java.nio.file.Path;
import org.portapp.image.ImageException;

/**
 * The CLI's view of {@link org.portapp.image.RewriteCache} (where the implementation now
 * lives, public, for the image builder): same constructor and method as before, failures as
 * {@link PortAppException}. Kept so its callers need no change; they may use the public class
 * directly and this one can then go.
 */
final class RewriteCache {
    private final org.portapp.image.RewriteCache cache;

    RewriteCache(Path cacheRoot) {
        this.cache = new org.portapp.image.RewriteCache(cacheRoot);
    }

    Path rewritten(Path binary) {
        try {
            return cache.rewritten(binary);
        } catch (ImageException e) {
            throw new PortAppException(e.getMessage());
        }
    }
}
