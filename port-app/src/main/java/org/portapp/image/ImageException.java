package org.portapp.image;

import org.portapp.PortAppError;

/**
 * A failure to put an app's image together: a library that cannot be found (naming it and
 * the object that needs it), an unreadable or malformed object, a cache that cannot be
 * written. The message is meant for the user.
 */
public final class ImageException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
