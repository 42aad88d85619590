package org.portapp.syscalls;

import org.portapp.PortAppError;

/**
 * The one error type of the syscall-table library: a malformed table, an invalid
 * shim module manifest, an unknown name, or a generator failure. The message is
 * meant for the user as is (it names the file and line where there is one).
 */
public class SyscallTableException extends PortAppError {
    private static final long serialVersionUID = 1L;

    public SyscallTableException(String message) {
        super(message);
    }

    public SyscallTableException(String message, Throwable cause) {
        super(message, cause);
    }
}
