package org.portapp.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The app's environment, the same on every platform, built as {@code docker run} builds a
 * container's: a minimal default, then {@code --env-file} entries, then {@code --env} settings
 * (a later setting of a name replaces an earlier one, keeping its place).
 *
 * <p>Default: {@code PATH} ({@link #DEFAULT_PATH}), {@code HOME} (the home directory of the
 * user the app runs as in the image's /etc/passwd, root today; {@code /} when it has none),
 * {@code TERM} (the host's, only when the host's stdin or stdout is a terminal), and the
 * host's {@code LANG} and {@code LC_*}. Nothing else of the host's environment reaches the app.
 *
 * @param variables name to value, in the order the app sees them
 */
public record AppEnvironment(Map<String, String> variables) {
    /** docker's default PATH. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public AppEnvironment {
        variables = Collections.unmodifiableMap(new LinkedHashMap<>(variables));
    }

    /**
     * What the builder reads of the host.
     *
     * @param env      the host's environment (of port-app)
     * @param terminal whether the host's stdin or stdout is a terminal
     */
    public record Host(Map<String, String> env, boolean terminal) {
        public Host {
            env = Map.copyOf(env);
        }

        /** This process's environment and terminals. */
        public static Host current() {
            return new Host(System.getenv(), isTerminal(0) || isTerminal(1));
        }

        /** Whether this process's descriptor {@code fd} is a terminal (Linux: what /proc/self/fd names);
         * also what Progress asks of fd 2. */
        static boolean isTerminal(int fd) {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty")
                        || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException e) {
                return false;   // no /proc, or a closed descriptor: not a terminal
            }
        }
    }

    /**
     * The environment for an app whose image has {@code passwd} as its /etc/passwd (empty: none),
     * with {@code settings} applied in order: {@code K=V} sets K, a bare {@code K} takes the
     * host's value (absent on the host: K is left as it is, as docker does).
     *
     * @throws ImageException for a setting with no name or a name that holds whitespace
     */
    public static AppEnvironment build(Host host, Optional<byte[]> passwd, List<String> settings) {
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("PATH", DEFAULT_PATH);
        vars.put("HOME", passwd.flatMap(p -> homeOf(p, 0)).orElse("/"));
        String term = host.env().get("TERM");
        if (host.terminal() && term != null) {
            vars.put("TERM", term);
        }
        // Locale settings pass through so messages, collation and encodings come out as natively.
        new TreeMap<>(host.env()).forEach((k, v) -> {
            if (k.equals("LANG") || k.startsWith("LC_")) {
                vars.put(k, v);
            }
        });
        for (String s : settings) {
            int eq = s.indexOf('=');
            String name = eq < 0 ? s : s.substring(0, eq);
            checkName(name, s);
            if (eq >= 0) {
                vars.put(name, s.substring(eq + 1));
            } else if (host.env().containsKey(name)) {
                vars.put(name, host.env().get(name));
            }
        }
        return new AppEnvironment(vars);
    }

    private static void checkName(String name, String setting) {
        if (name.isEmpty()) {
            throw new ImageException("environment setting '" + setting + "': no variable name");
        }
        if (!name.strip().equals(name) || name.chars().anyMatch(Character::isWhitespace)) {
            throw new ImageException("environment variable '" + name + "' contains whitespace");
        }
    }

    /**
     * The settings of an env file in docker's format: one {@code K=V} or {@code K} per line,
     * leading whitespace ignored, blank lines and lines starting with {@code #} skipped; the value
     * is everything after the first {@code =}, quotes included.
     */
    public static List<String> readEnvFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ImageException("--env-file " + file + ": cannot read it ("
                    + (Files.exists(file) ? e.getMessage() : "no such file") + ")");
        }
        List<String> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            l = l.stripLeading();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            String name = eq < 0 ? l : l.substring(0, eq);
            try {
                checkName(name, l);
            } catch (ImageException e) {
                throw new ImageException("--env-file " + file + ", line " + lineNo + ": " + e.getMessage());
            }
            out.add(l);
        }
        return out;
    }

    /** The home directory of user {@code uid} in a passwd file, if it has one. */
    public static Optional<String> homeOf(byte[] passwd, int uid) {
        for (String line : new String(passwd, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 7 && f[2].equals(Integer.toString(uid)) && f[5].startsWith("/")) {
                return Optional.of(f[5]);
            }
        }
        return Optional.empty();
    }

    /**
     * The /etc/passwd the image of an app will hold: the user's (a {@code --file} at
     * /etc/passwd, or one inside a {@code --dir}; the last wins, as in {@link Image#build}),
     * else {@link EtcFiles}' (the host's, or a minimal one).
     */
    public static Optional<byte[]> imagePasswd(List<FileMapping> files, Path hostEtc) {
        String target = "/etc/passwd";
        for (int i = files.size() - 1; i >= 0; i--) {
            FileMapping m = files.get(i);
            Path candidate = null;
            if (m.guest().equals(target)) {
                candidate = m.host();
            } else if (target.startsWith(m.guest().endsWith("/") ? m.guest() : m.guest() + "/")) {
                candidate = m.host().resolve(target.substring(m.guest().length()).replaceFirst("^/", ""));
            }
            if (candidate != null && Files.isRegularFile(candidate)) {
                try {
                    return Optional.of(Files.readAllBytes(candidate));
                } catch (IOException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.ofNullable(EtcFiles.from(hostEtc).get(target));
    }

    /** {@code K=V} entries, in order. */
    public List<String> entries() {
        List<String> out = new ArrayList<>();
        variables.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }
}
