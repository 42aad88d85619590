package org.portapp.cli;

/** A user-facing failure of a port-app command; the message is printed as is. */
public class PortAppException extends RuntimeException {
    public PortAppException(String message) {
        super(message);
    }
}
