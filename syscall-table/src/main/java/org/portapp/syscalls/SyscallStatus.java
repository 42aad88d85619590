package org.portapp.syscalls;

/** How the POSIX shim answers a syscall, according to the module manifests only. */
public enum SyscallStatus {
    /** Some module lists it under {@code provides}: it has a real implementation. */
    PROVIDED,
    /** Some module lists it under {@code stubs}: it is answered with a fixed result. */
    STUBBED,
    /** No module mentions it: the platform's unhandled-syscall path answers it. */
    MISSING
}
