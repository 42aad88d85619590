package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which of the host's fds 0, 1 and 2 are terminals, and the terminal's size: the unikernel
 * answers TCGETS, TIOCGWINSZ and the other terminal ioctls on a guest fd exactly when the
 * host's is a terminal (ENOTTY otherwise), since its serial line cannot tell a terminal from
 * a pipe. Sent as the kernel command line word {@code portapp.tty=FDS[:ROWSxCOLS]}, FDS the
 * digits of the terminal fds ({@code portapp.tty=012:50x132}); no word when none is.
 *
 * @param fds  bit N set when fd N is a terminal
 * @param rows the terminal's rows (0: unknown, the guest then reports 24)
 * @param cols the terminal's columns (0: unknown, the guest then reports 80)
 */
public record HostTerminal(int fds, int rows, int cols) {
    /** No terminal at all (pipes, files, or not known). */
    public static final HostTerminal NONE = new HostTerminal(0, 0, 0);

    // isatty on the JVM's own fds: the shell inherits them unchanged (Redirect.INHERIT), so
    // `[ -t N ]` asks exactly those descriptors. Paths such as /proc/self/fd/N -> /dev/pts/*
    // would miss /dev/console or serial terminals, and reopening a FIFO by path can block.
    // The answer goes to a file since stdout itself is one of the fds being asked about.
    private static final String PROBE = "m=; s=; for f in 0 1 2; do if [ -t $f ]; then m=$m$f; "
            + "[ -n \"$s\" ] || s=$(stty size <&$f 2>/dev/null); fi; done; "
            + "printf '%s %s\\n' \"$m\" \"$s\" > \"$1\"";
    private static final Pattern ANSWER = Pattern.compile("([012]*) ?(?:(\\d+) (\\d+))?\\s*");

    public HostTerminal {
        if (fds < 0 || fds > 7 || rows < 0 || cols < 0 || rows > 0xffff || cols > 0xffff) {
            throw new IllegalArgumentException("terminal fds " + fds + ", size " + rows + "x" + cols);
        }
    }

    /** Whether fd {@code fd} (0, 1 or 2) is a terminal. */
    public boolean isTerminal(int fd) {
        return (fds >> fd & 1) != 0;
    }

    /** The command line word, or "" when no fd is a terminal. */
    public String word() {
        if (fds == 0) {
            return "";
        }
        StringBuilder b = new StringBuilder("portapp.tty=");
        for (int fd = 0; fd < 3; fd++) {
            if (isTerminal(fd)) {
                b.append(fd);
            }
        }
        if (rows > 0 && cols > 0) {
            b.append(':').append(rows).append('x').append(cols);
        }
        return b.toString();
    }

    /** Parses the probe's answer: the terminal fds' digits, then "ROWS COLS" when known. */
    static HostTerminal parse(String answer) {
        Matcher m = ANSWER.matcher(answer);
        if (!m.matches()) {
            return NONE;
        }
        int fds = 0;
        for (char c : m.group(1).toCharArray()) {
            fds |= 1 << (c - '0');
        }
        if (fds == 0 || m.group(2) == null) {
            return new HostTerminal(fds, 0, 0);
        }
        try {
            return new HostTerminal(fds, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        } catch (IllegalArgumentException e) {
            return new HostTerminal(fds, 0, 0);
        }
    }

    /**
     * Looks at this process's fds 0, 1 and 2. Anything that keeps the probe from answering
     * (no /bin/sh, a timeout) means no terminal: output then stays free of terminal codes.
     */
    public static HostTerminal detect() {
        Path answer = null;
        try {
            answer = Files.createTempFile("port-app-tty", ".txt");
            Process p = new ProcessBuilder(List.of("/bin/sh", "-c", PROBE, "sh", answer.toString()))
                    .inheritIO().start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return NONE;
            }
            return p.exitValue() == 0 ? parse(Files.readString(answer, StandardCharsets.UTF_8)) : NONE;
        } catch (IOException e) {
            return NONE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return NONE;
        } finally {
            if (answer != null) {
                try {
                    Files.deleteIfExists(answer);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }
}
