package org.portapp.rewrite;

import org.portapp.PortAppError;

/** The rewriter could not produce a correct output; the message is meant for the user. */
public class RewriteException extends PortAppError {
    public RewriteException(String message) {
        super(message);
    }
}
