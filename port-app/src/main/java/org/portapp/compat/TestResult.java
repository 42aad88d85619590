package org.portapp.compat;

/**
 * One test's classified result on one platform.
 *
 * @param outcome  the verdict
 * @param exitCode the exit code (128+N after signal N; -1 if it never ran)
 * @param detail   the first line that says what went wrong (TFAIL/TBROK/TWARN, or TCONF for
 *                 CONF, the signal, the error), empty for PASS
 * @param cause    the failure's group in the summary ({@link Classifier#cause}), empty for PASS
 * @param millis   wall time
 */
public record TestResult(Outcome outcome, int exitCode, String detail, String cause, long millis) {
}
