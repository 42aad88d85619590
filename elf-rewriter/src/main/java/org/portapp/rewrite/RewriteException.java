package org.portapp.rewrite;

/** The rewriter could not produce a correct output; the message is meant for the user. */
public class RewriteException extends RuntimeException {
    public RewriteException(String message) {
        super(message);
    }
}
