package org.portapp.pkg;

import org.portapp.PortAppError;

/** A failure of a package recipe: a bad recipe file, a package apt cannot find, an unpack that failed. */
public class PkgException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public PkgException(String message) {
        super(message);
    }

    public PkgException(String message, Throwable cause) {
        super(message, cause);
    }
}
