package org.portapp.compat;

/**
 * How one test ended on one platform. PASS to CONF are LTP's own verdicts, read from its exit
 * status (LTP's lib ORs 1 fail, 2 brok, 4 warn, 32 conf into it; the worst one wins); the
 * rest are what happened around the test.
 */
public enum Outcome {
    PASS, FAIL, BROK, WARN, CONF,
    /** Killed at {@code --timeout}. */
    TIMEOUT,
    /** Killed by a signal (on the unikernel: a fault the kernel turned into one). */
    CRASH,
    /** The unikernel panicked or faulted in the kernel. */
    KERNEL_FAULT,
    /** The test needs fork(), which the unikernel's single address space cannot give (the shim says so). */
    FORK,
    /** The binary is not in the LTP tree. */
    MISSING,
    /** port-app could not run it at all (rewrite or image failed, QEMU failed): the message says why. */
    ERROR;

    /** How the tables show it. */
    public String label() {
        return switch (this) {
            case KERNEL_FAULT -> "KFAULT";
            default -> name();
        };
    }
}
