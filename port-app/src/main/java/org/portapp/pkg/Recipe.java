package org.portapp.pkg;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One app's package recipe (a {@code recipes/NAME.yaml} file, read by {@link Recipes}): the
 * Debian packages it comes from, how to run it, and its smoke test. docs/recipes.md describes
 * every field.
 *
 * @param name        the recipe's name ({@code pkg run NAME}); the file's base name
 * @param description what the app is, one line
 * @param packages    the Debian packages to fetch (their Depends/Pre-Depends closure comes along)
 * @param runtime     packages whose files (data, extension modules) the app loads at run time beyond
 *                    those found by rule (docs/recipes.md)
 * @param executable  the program's absolute path in the packages' file system
 * @param flags       arguments always given first (a runtime's own options), before {@code args} or the user's
 * @param args        default arguments (used when {@code pkg run} is given none)
 * @param env         environment variables set for the app (the user's {@code --env} wins)
 * @param files       files written into the image (configuration)
 * @param ports       TCP ports the app listens on in the guest
 * @param mounts      guest directories the app writes to and a user would mount
 * @param memory      guest memory in MiB
 * @param needs       what the app needs from the platform beyond files ({@link #NEEDS})
 * @param test        the smoke test
 * @param source      the file the recipe was read from
 */
public record Recipe(String name, String description, List<String> packages, List<String> runtime,
                     String executable,
                     List<String> flags, List<String> args, Map<String, String> env, List<ConfigFile> files, List<Integer> ports,
                     List<String> mounts, int memory, List<String> needs, SmokeTest test, Path source) {
    /** The capabilities a recipe may need: a network stack, processes (fork/exec). */
    public static final Set<String> NEEDS = Set.of("network", "processes");

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9.+-]*");

    public Recipe {
        flags = List.copyOf(flags);
        args = List.copyOf(args);
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        files = List.copyOf(files);
        ports = List.copyOf(ports);
        mounts = List.copyOf(mounts);
        needs = List.copyOf(needs);
        packages = List.copyOf(packages);
        runtime = List.copyOf(runtime);
    }

    /**
     * A file the recipe puts into the image.
     *
     * @param path    its absolute guest path
     * @param content its text
     */
    public record ConfigFile(String path, String content) {
    }

    /**
     * A smoke test: the app run with {@code args} (and {@code stdin}), whose output must contain
     * {@code expect}; or, for a server, {@code host} run on the host against the running app,
     * whose output must contain {@code expect}.
     *
     * @param args    the app's arguments for the test
     * @param stdin   its standard input (empty for none)
     * @param expect  text the output must contain
     * @param host    a command run on the host while the app runs (servers); empty for none
     * @param timeout seconds the test may take
     */
    public record SmokeTest(List<String> args, String stdin, String expect, List<String> host, int timeout) {
        public SmokeTest {
            args = List.copyOf(args);
            host = List.copyOf(host);
        }
    }

    /** Checks what the YAML schema cannot: names, paths, capabilities. */
    Recipe validated() {
        String where = source + ": ";
        if (name == null || !NAME.matcher(name).matches()) {
            throw new PkgException(where + "name '" + name + "' must be lower-case letters, digits, '.', '+' or '-'");
        }
        if (packages.isEmpty()) {
            throw new PkgException(where + "packages: at least one Debian package");
        }
        if (executable == null || !executable.startsWith("/")) {
            throw new PkgException(where + "executable: an absolute path in the packages' file system");
        }
        for (ConfigFile f : files) {
            if (f.path() == null || !f.path().startsWith("/") || f.content() == null) {
                throw new PkgException(where + "files: each needs an absolute path and a content");
            }
        }
        for (String n : needs) {
            if (!NEEDS.contains(n)) {
                throw new PkgException(where + "needs: unknown capability '" + n + "' (known: network, processes)");
            }
        }
        if (memory < 8) {
            throw new PkgException(where + "memory: at least 8 MiB");
        }
        if (test == null || test.expect() == null || test.expect().isEmpty()) {
            throw new PkgException(where + "test: a smoke test with 'expect' is required");
        }
        return this;
    }
}
