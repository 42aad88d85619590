package org.portapp.platform.qemu;

import org.portapp.PortAppError;

/**
 * A failure of the unikernel platform: a missing source tree or QEMU, a failed
 * generator or make run ({@link #output()} then holds the tool's output), an app
 * that cannot be put into an image.
 */
public final class QemuException extends PortAppError {
    private static final long serialVersionUID = 1L;
    private final String output;

    public QemuException(String message) {
        this(message, "", null);
    }

    public QemuException(String message, String output, Throwable cause) {
        super(output.isEmpty() ? message : message + "\n" + output, cause);
        this.output = output;
    }

    /** What the failing tool printed (empty when no tool ran). */
    public String output() {
        return output;
    }
}
