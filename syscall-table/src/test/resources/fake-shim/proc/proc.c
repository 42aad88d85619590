/* Test fixture for HandlerDefinitions: every handler of the manifest, once. */
SHIM_SYSCALL(getppid) { return 0; }
SHIM_SYSCALL(getuid) { return 0; }

/* Not at the start of a line, so not a definition:
 *     SHIM_SYSCALL(getuid)
 */
SHIM_SYSCALL(geteuid)
{
    return 0;
}
