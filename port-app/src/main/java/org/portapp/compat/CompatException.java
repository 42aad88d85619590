package org.portapp.compat;

import org.portapp.PortAppError;

/** A compat run that cannot start (bad LTP directory, runtest file, options): one line for the user. */
public final class CompatException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public CompatException(String message) {
        super(message);
    }
}
