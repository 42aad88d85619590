package org.portapp.cli;

import org.portapp.PortAppError;

/** A user-facing failure of a port-app command; the message is printed as is. */
public class PortAppException extends PortAppError {
    public PortAppException(String message) {
        super(message);
    }
}
