package org.portapp;

/**
 * A failure the user can act on (a bad input file, a missing library, a failed build of a
 * platform), as opposed to a bug in port-app. Every module's error type extends it, so the
 * CLI tells the two apart with one check: the message of a {@code PortAppError} is printed as
 * is, anything else is an internal error. It lives in syscall-table because that is the module
 * every other one depends on.
 */
public class PortAppError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PortAppError(String message) {
        super(message);
    }

    public PortAppError(String message, Throwable cause) {
        super(message, cause);
    }
}
