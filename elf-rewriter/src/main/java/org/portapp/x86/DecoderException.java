package org.portapp.x86;

import org.portapp.PortAppError;

/** The one error type of org.portapp.x86: the native decoder could not be loaded or used. */
public class DecoderException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public DecoderException(String message) {
        super(message);
    }

    public DecoderException(String message, Throwable cause) {
        super(message, cause);
    }
}
