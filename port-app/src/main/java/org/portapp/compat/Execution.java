package org.portapp.compat;

/**
 * What running one test on one platform produced, before classification.
 *
 * @param exitCode  the exit code (128+N after signal N), or -1 when it never ran
 * @param output    the test's stdout and stderr, interleaved
 * @param kernelLog the unikernel's own log (empty elsewhere)
 * @param timedOut  whether it was killed at the time limit
 * @param kernelFault whether the unikernel panicked or faulted in the kernel
 * @param error     why port-app could not run it, or null
 * @param millis    wall time
 */
public record Execution(int exitCode, String output, String kernelLog, boolean timedOut, boolean kernelFault,
                        String error, long millis) {
    /** A test that port-app could not start. */
    public static Execution failed(String error, long millis) {
        return new Execution(-1, "", "", false, false, error, millis);
    }
}
