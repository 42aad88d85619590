package org.portapp.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An LTP runtest file: one test per line, {@code TAG COMMAND [ARGS...]}, {@code #} comments
 * and blank lines skipped, as LTP's own runners (runltp, kirk) read it.
 */
public final class Runtest {
    private Runtest() {
    }

    /**
     * One test.
     *
     * @param tag  the test's name (first field)
     * @param argv the command: the binary's name in testcases/bin, then its arguments
     */
    public record Entry(String tag, List<String> argv) {
        public Entry {
            argv = List.copyOf(argv);
        }

        /** The program's name, looked up in testcases/bin. */
        public String program() {
            return argv.get(0);
        }
    }

    private static final Pattern SHELL = Pattern.compile("[;|&$<>`'\"\\\\()*?]");

    /**
     * Reads {@code file}. A command with shell syntax (pipes, redirections, quotes, variables)
     * is refused: compat runs each test's binary directly, on every platform alike.
     */
    public static List<Entry> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new CompatException("runtest file " + file + " not found");
        } catch (IOException e) {
            throw new CompatException("cannot read runtest file " + file + ": " + e.getMessage());
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            if (f.length < 2) {
                throw new CompatException(file + ":" + (i + 1) + ": a test needs a tag and a command: '" + line + "'");
            }
            if (SHELL.matcher(line).find()) {
                throw new CompatException(file + ":" + (i + 1) + ": shell syntax is not supported (compat runs the "
                        + "test's binary directly): '" + line + "'");
            }
            out.add(new Entry(f[0], List.of(f).subList(1, f.length)));
        }
        return List.copyOf(out);
    }
}
