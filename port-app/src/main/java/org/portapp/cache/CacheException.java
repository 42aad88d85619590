package org.portapp.cache;

import org.portapp.PortAppError;

/** A cache that cannot be read, trimmed or locked, or a size that cannot be parsed; meant for the user. */
public final class CacheException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public CacheException(String message) {
        super(message);
    }

    public CacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
