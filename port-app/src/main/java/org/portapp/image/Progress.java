package org.portapp.image;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What port-app says while it prepares an app (rewriting objects, building a platform), at
 * one of three levels. {@link Level#NORMAL} on a terminal keeps one line updated in place
 * ({@code \r} + clear to end of line) and clears it when done, so the app's own output starts
 * on a clean line; in a log (stderr not a terminal) it writes a start line and a summary per
 * slow step, never a line per object. {@link Level#VERBOSE} writes one line per object (the
 * old output); {@link Level#QUIET} writes nothing (errors are not progress: they go through
 * exceptions). Warnings (a file left unrewritten) are written at NORMAL and VERBOSE.
 *
 * <p>Not thread-safe: one instance per command, used by the thread that prepares the app.
 */
public final class Progress {
    /** How much to say. */
    public enum Level { QUIET, NORMAL, VERBOSE }

    /** Longest in-place line: a line wider than the terminal would wrap and {@code \r} not erase it. */
    static final int MAX_IN_PLACE = 79;

    private final Level level;
    private final Consumer<String> lines;
    private final PrintStream terminal; // non-null: NORMAL lines are updated in place on it

    private boolean lineShown;
    private int total;
    private int checked;
    private final Set<Path> seen = new HashSet<>();
    private int rewrote;
    private long sites;
    private long sitesRewritten;
    private long sitesLeft;

    private Progress(Level level, Consumer<String> lines, PrintStream terminal) {
        this.level = level;
        this.lines = lines;
        this.terminal = level == Level.NORMAL ? terminal : null;
    }

    /** Progress on {@code err}; in place when {@code isTerminal}. */
    public static Progress on(PrintStream err, Level level, boolean isTerminal) {
        return new Progress(level, err::println, isTerminal ? err : null);
    }

    /** Progress on {@code System.err}, in place when file descriptor 2 is a terminal. */
    public static Progress stderr(Level level) {
        return on(System.err, level, stderrIsTerminal());
    }

    /** Every line (the verbose level) to {@code lines}: for callers that keep or test them. */
    public static Progress verbose(Consumer<String> lines) {
        return new Progress(Level.VERBOSE, lines, null);
    }

    /** Says nothing. */
    public static Progress none() {
        return new Progress(Level.QUIET, l -> { }, null);
    }

    public Level level() {
        return level;
    }

    /** Whether fd 2 is a terminal that can redraw a line (not TERM=dumb). */
    static boolean stderrIsTerminal() {
        return !"dumb".equals(System.getenv("TERM")) && AppEnvironment.Host.isTerminal(2);
    }

    /** Starts a pass over {@code n} distinct objects, each either found in the cache or rewritten. */
    public void objects(int n) {
        total = n;
        checked = 0;
        seen.clear();
        rewrote = 0;
        sites = 0;
        sitesRewritten = 0;
        sitesLeft = 0;
    }

    /**
     * {@code binary} is being looked up; an object met again (by another guest path) is not
     * counted twice, and one more than announced grows the pass.
     */
    public void nextObject(Path binary) {
        if (seen.add(binary)) {
            checked++;
            total = Math.max(total, checked);
        }
    }

    /** {@code binary} is not cached: it is being rewritten now. */
    public void rewriting(Path binary) {
        if (level == Level.VERBOSE) {
            lines.accept("port-app: rewriting " + binary + " ...");
        } else if (terminal != null) {
            inPlace(String.format("port-app: rewriting %d/%d %s", Math.max(checked, 1), total,
                    binary.getFileName()));
        } else if (level == Level.NORMAL && rewrote == 0) {
            lines.accept("port-app: rewriting the app's objects (cached for later runs) ...");
        }
    }

    /** {@code binary} was rewritten: its syscall sites. */
    public void rewritten(Path binary, long allSites, long rewrittenSites, long leftSites) {
        rewrote++;
        sites += allSites;
        sitesRewritten += rewrittenSites;
        sitesLeft += leftSites;
        if (level == Level.VERBOSE) {
            lines.accept(String.format("port-app: %d syscall sites, %d rewritten, %d left as syscall",
                    allSites, rewrittenSites, leftSites));
        }
    }

    /** The pass is over: a summary in a log when something was rewritten. */
    public void objectsDone() {
        if (level == Level.NORMAL && rewrote > 0) {
            if (terminal != null) {
                clear();
            } else {
                lines.accept(String.format("port-app: rewrote %d of %d objects: %d syscall sites, %d rewritten, "
                        + "%d left as syscall", rewrote, Math.max(total, rewrote), sites, sitesRewritten, sitesLeft));
            }
        }
    }

    /**
     * A slow build starts ({@code what}: "the unikernel"); {@code detail} (the modules) is
     * said at the verbose level only. {@link #built()} ends it.
     */
    public void building(String what, String detail) {
        if (level == Level.VERBOSE) {
            lines.accept("port-app: building " + what + " (" + detail + ") ...");
        } else if (terminal != null) {
            inPlace("port-app: building " + what + " ...");
        } else if (level == Level.NORMAL) {
            lines.accept("port-app: building " + what + " ...");
        }
    }

    /** The build started by {@link #building} is over (done or failed). */
    public void built() {
        clear();
    }

    /**
     * A step of something slow (one download of many): said in place on a terminal, as a line
     * at the verbose level, not at all in a log at the normal level.
     */
    public void step(String line) {
        if (level == Level.VERBOSE) {
            lines.accept(line);
        } else if (terminal != null) {
            inPlace(line);
        }
    }

    /** A line for the verbose level only (what a prune of the cache removed). */
    public void detail(String line) {
        if (level == Level.VERBOSE) {
            lines.accept(line);
        }
    }

    /** Something the user should know (said unless quiet), e.g. a file left unrewritten. */
    public void warn(String line) {
        if (level != Level.QUIET) {
            clear();
            lines.accept(line);
        }
    }

    /** Erases the in-place line, if one is shown. */
    public void clear() {
        if (lineShown) {
            terminal.print("\r\033[K");
            terminal.flush();
            lineShown = false;
        }
    }

    private void inPlace(String text) {
        String t = text.length() > MAX_IN_PLACE ? text.substring(0, MAX_IN_PLACE - 3) + "..." : text;
        terminal.print("\r" + t + "\033[K");
        terminal.flush();
        lineShown = true;
    }
}
