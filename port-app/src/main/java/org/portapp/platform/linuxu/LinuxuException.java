package org.portapp.platform.linuxu;

import org.portapp.PortAppError;

/**
 * A failure of the linuxu platform: a missing source tree, a failed generator
 * or make run ({@link #output()} then holds the tool's output).
 */
public final class LinuxuException extends PortAppError {
    private static final long serialVersionUID = 1L;
    private final String output;

    public LinuxuException(String message) {
        this(message, "", null);
    }

    public LinuxuException(String message, String output, Throwable cause) {
        super(output.isEmpty() ? message : message + "\n" + output, cause);
        this.output = output;
    }

    /** What the failing tool printed (empty when no tool ran). */
    public String output() {
        return output;
    }
}
