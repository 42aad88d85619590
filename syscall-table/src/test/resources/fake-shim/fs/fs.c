/* Test fixture for HandlerDefinitions: disagrees with its manifest. */
SHIM_SYSCALL(read) { return 0; }
SHIM_SYSCALL(write) { return 0; }
SHIM_SYSCALL(openat) { return 0; }
SHIM_SYSCALL(openat) { return 0; }
SHIM_SYSCALL(lseek) { return 0; }
SHIM_SYSCALL(fadvise64) { return 0; }
