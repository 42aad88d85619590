package org.portapp.rewrite;

/**
 * The whole instructions around a site that a patch replaces: indices {@code first..last}
 * into its range's code, {@code length} bytes from {@code start}.
 */
record Window(SyscallSite site, int first, int last, long start, int length) {
}
