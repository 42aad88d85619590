package org.portapp.compat;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an {@link Execution} into a {@link TestResult} the way LTP's own runners read a test:
 * its exit status is the OR of LTP's result bits (1 TFAIL, 2 TBROK, 4 TWARN, 32 TCONF; 0 when
 * everything passed), a status of 128+N is signal N; the output's first TFAIL/TBROK/TWARN/TCONF
 * line says why. Around that: the time limit, the unikernel's kernel faults, and the shim's
 * one-line "fork() is not available" (a test that needs a second process).
 */
public final class Classifier {
    private Classifier() {
    }

    static final int FAIL_BIT = 1;
    static final int BROK_BIT = 2;
    static final int WARN_BIT = 4;
    static final int CONF_BIT = 32;

    private static final Pattern NOT_AVAILABLE =
            Pattern.compile("port-app: (\\w+)\\(\\) is not available in the unikernel");
    private static final Pattern UNHANDLED = Pattern.compile("\\[kernel\\] unhandled syscall (\\w+) \\(");
    private static final Pattern ERRNO_NAME = Pattern.compile("\\bE[A-Z0-9]{2,}\\b");
    private static final Map<Integer, String> SIGNALS = Map.ofEntries(Map.entry(1, "SIGHUP"),
            Map.entry(2, "SIGINT"), Map.entry(3, "SIGQUIT"), Map.entry(4, "SIGILL"), Map.entry(5, "SIGTRAP"),
            Map.entry(6, "SIGABRT"), Map.entry(7, "SIGBUS"), Map.entry(8, "SIGFPE"), Map.entry(9, "SIGKILL"),
            Map.entry(10, "SIGUSR1"), Map.entry(11, "SIGSEGV"), Map.entry(12, "SIGUSR2"),
            Map.entry(13, "SIGPIPE"), Map.entry(14, "SIGALRM"), Map.entry(15, "SIGTERM"),
            Map.entry(24, "SIGXCPU"), Map.entry(25, "SIGXFSZ"), Map.entry(31, "SIGSYS"));

    /** The verdict. */
    public static TestResult classify(Execution e) {
        if (e.error() != null) {
            return new TestResult(Outcome.ERROR, e.exitCode(), e.error(), "port-app could not run it", e.millis());
        }
        if (e.timedOut()) {
            return new TestResult(Outcome.TIMEOUT, e.exitCode(), "killed at the time limit", "timeout", e.millis());
        }
        if (e.kernelFault()) {
            String line = e.kernelLog().lines().filter(l -> l.contains("*** KERNEL")).findFirst()
                    .orElse("the unikernel panicked");
            return new TestResult(Outcome.KERNEL_FAULT, e.exitCode(), line.strip(), "kernel fault", e.millis());
        }
        Matcher fork = NOT_AVAILABLE.matcher(e.output());
        int code = e.exitCode();
        if (code != 0 && fork.find()) {
            return new TestResult(Outcome.FORK, code, fork.group().strip(), "fork-related: " + fork.group(1) + "()",
                    e.millis());
        }
        if (code >= 128) {
            int sig = code - 128;
            String name = SIGNALS.getOrDefault(sig, "signal " + sig);
            return new TestResult(Outcome.CRASH, code, "killed by " + name, "crash: " + name, e.millis());
        }
        Outcome o;
        if (code == 0) {
            o = Outcome.PASS;
        } else if ((code & ~(FAIL_BIT | BROK_BIT | WARN_BIT | CONF_BIT)) != 0) {
            // Not LTP's bits (a library's own exit, exec failing with 127): broken, like LTP says
            o = Outcome.BROK;
        } else if ((code & FAIL_BIT) != 0) {
            o = Outcome.FAIL;
        } else if ((code & BROK_BIT) != 0) {
            o = Outcome.BROK;
        } else if ((code & WARN_BIT) != 0) {
            o = Outcome.WARN;
        } else {
            o = Outcome.CONF;
        }
        if (o == Outcome.PASS) {
            return new TestResult(o, code, "", "", e.millis());
        }
        String detail = firstLine(e.output(), o);
        if (detail.isEmpty() && (code & ~(FAIL_BIT | BROK_BIT | WARN_BIT | CONF_BIT)) != 0) {
            detail = "exit code " + code;
        }
        return new TestResult(o, code, detail, cause(o, detail, e.kernelLog()), e.millis());
    }

    /** The first output line carrying the verdict's own LTP tag, else the first of any failure tag. */
    static String firstLine(String output, Outcome o) {
        String tag = switch (o) {
            case FAIL -> "TFAIL";
            case BROK -> "TBROK";
            case WARN -> "TWARN";
            default -> "TCONF";
        };
        List<String> lines = output.lines().map(String::strip).toList();
        for (String want : List.of(tag, "TFAIL", "TBROK", "TWARN", "TCONF")) {
            for (String l : lines) {
                if (l.contains(want)) {
                    return l;
                }
            }
        }
        return "";
    }

    /**
     * The group a failure falls in: an unimplemented syscall (by name, from the unikernel's
     * log or an ENOSYS), a wrong errno (an LTP line naming an expected errno), a verdict
     * without a known cause.
     */
    static String cause(Outcome o, String detail, String kernelLog) {
        Set<String> unhandled = new LinkedHashSet<>();
        Matcher m = UNHANDLED.matcher(kernelLog);
        while (m.find()) {
            unhandled.add(m.group(1));
        }
        if (!unhandled.isEmpty()) {
            return "unimplemented syscall: " + String.join(", ", unhandled);
        }
        if (detail.contains("ENOSYS")) {
            return "unimplemented syscall (ENOSYS)";
        }
        if (o == Outcome.CONF) {
            return "not supported here (TCONF)";
        }
        if (detail.contains("expected") && ERRNO_NAME.matcher(detail).find()) {
            return "wrong errno";
        }
        return o.label() + ": other";
    }

    /** The signal's name, for reports. */
    static String signalName(int sig) {
        return SIGNALS.getOrDefault(sig, "signal " + sig);
    }
}
