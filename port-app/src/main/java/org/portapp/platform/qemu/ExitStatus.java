package org.portapp.platform.qemu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU's exit status decoded per the convention in platforms/x86_64/README.md:
 * odd status s = ((E << 1) | 1) & 0xff from isa-debug-exit gives the app's
 * exit code E modulo 128, made exact by the kernel's "[kernel] exit E" log
 * line; status 0 (with -no-reboot) is a kernel panic or crash, unless a
 * signal ended QEMU (it then exits 0 too, saying "terminating on signal N" on
 * stderr) or port-app ended QEMU on a signal it received itself. Status
 * {@link #OOM_QEMU_STATUS} with the kernel's "[kernel] out of memory:" line and
 * no exit line is the guest running out of memory.
 *
 * @param kind        what ended the VM
 * @param appExitCode the app's exit code for {@link Kind#APP_EXIT}, 128+N for
 *                    {@link Kind#SIGNALED}, else -1
 */
public record ExitStatus(Kind kind, int appExitCode) {
    /**
     * What ended the VM. SIGNALED: a signal to port-app or to QEMU, not from the guest.
     * TIMED_OUT: the caller's time limit ({@link QemuLaunch}); never decoded from a status.
     */
    public enum Kind { APP_EXIT, KERNEL_PANIC, QEMU_ERROR, SIGNALED, OUT_OF_MEMORY, TIMED_OUT }

    /**
     * QEMU's status when the guest ran out of memory: the kernel writes 122 to
     * isa-debug-exit (platforms/x86_64/trap.c). App exits 122 and 250 give it too;
     * the kernel's out-of-memory line without an exit line tells them apart.
     */
    public static final int OOM_QEMU_STATUS = (122 << 1) | 1;

    private static final Pattern OOM_LINE = Pattern.compile("(?m)^\\[kernel\\] out of memory: (.*?)\\r?$");

    /** What the kernel said ran out of memory ("WHAT (N KiB free of M KiB)"), or null. */
    public static String outOfMemoryCause(String kernelLog) {
        Matcher m = OOM_LINE.matcher(kernelLog);
        return m.find() ? m.group(1) : null;
    }

    private static final Pattern QEMU_SIGNALED = Pattern.compile("terminating on signal (\\d+)");

    /**
     * As {@link #decode(int, String)}, knowing QEMU's stderr and the signal port-app ended
     * QEMU on (0: none). A signal wins over the status the VM ended with, as a shell
     * reports 128+N for a command that a signal ended.
     */
    public static ExitStatus decode(int qemuStatus, String kernelLog, String qemuStderr, int hostSignal) {
        if (hostSignal > 0) {
            return new ExitStatus(Kind.SIGNALED, 128 + hostSignal);
        }
        Matcher m = QEMU_SIGNALED.matcher(qemuStderr);
        if (qemuStatus == 0 && m.find()) {
            return new ExitStatus(Kind.SIGNALED, 128 + Integer.parseInt(m.group(1)));
        }
        return decode(qemuStatus, kernelLog);
    }

    private static final Pattern EXIT_LINE = Pattern.compile("(?m)^\\[kernel\\] exit (\\d+)\\r?$");

    /** Decodes QEMU's status with the kernel log (or the whole console of a kernel without an app). */
    public static ExitStatus decode(int qemuStatus, String kernelLog) {
        if (qemuStatus == 0) {
            return new ExitStatus(Kind.KERNEL_PANIC, -1);
        }
        if ((qemuStatus & 1) == 0) {
            return new ExitStatus(Kind.QEMU_ERROR, -1);
        }
        Matcher m = EXIT_LINE.matcher(kernelLog);
        Integer logged = null;
        while (m.find()) {
            logged = Integer.parseInt(m.group(1));
        }
        if (qemuStatus == OOM_QEMU_STATUS && logged == null && outOfMemoryCause(kernelLog) != null) {
            return new ExitStatus(Kind.OUT_OF_MEMORY, -1);
        }
        int fromStatus = qemuStatus >> 1;
        if (logged != null && (logged & 0x7f) == fromStatus) {
            return new ExitStatus(Kind.APP_EXIT, logged);
        }
        if (qemuStatus == 1) {
            // (0 << 1) | 1 and QEMU's own error exit look the same; without the
            // kernel's exit line it was QEMU that failed.
            return new ExitStatus(Kind.QEMU_ERROR, -1);
        }
        return new ExitStatus(Kind.APP_EXIT, fromStatus);
    }
}
