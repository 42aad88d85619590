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
 * @param programs    other programs of the packages' file system the app (or a setup step) execs: each
 *                    goes into the image with its ELF closure
 * @param setup       commands run in the guest before the app, in order, in the same boot (so they see
 *                    the same files and mounts), e.g. a database's initialisation
 * @param user        the user (a name in the image's /etc/passwd) the setup steps and the app run as;
 *                    null: root
 */
public record Recipe(String name, String description, List<String> packages, List<String> runtime,
                     String executable,
                     List<String> flags, List<String> args, Map<String, String> env, List<ConfigFile> files, List<Integer> ports,
                     List<String> mounts, int memory, List<String> needs, SmokeTest test, Path source,
                     List<String> programs, List<SetupStep> setup, String user) {
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
        programs = List.copyOf(programs);
        setup = List.copyOf(setup);
    }

    /** A recipe without programs, setup steps or user (runs as root). */
    public Recipe(String name, String description, List<String> packages, List<String> runtime, String executable,
                  List<String> flags, List<String> args, Map<String, String> env, List<ConfigFile> files,
                  List<Integer> ports, List<String> mounts, int memory, List<String> needs, SmokeTest test,
                  Path source) {
        this(name, description, packages, runtime, executable, flags, args, env, files, ports, mounts, memory, needs,
                test, source, List.of(), List.of(), null);
    }

    /**
     * A command run in the guest before the app: {@code run} (an absolute program path, then its
     * arguments), skipped when the guest path {@code unless} exists (a step that is done once, whose
     * result lives in a mount). A step that fails (non-zero exit) ends the boot with its exit code.
     *
     * @param run    the program and its arguments
     * @param unless a guest path whose existence means the step was done; null: always run
     */
    public record SetupStep(List<String> run, String unless) {
        public SetupStep {
            run = run == null ? List.of() : List.copyOf(run);
        }
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
        for (SetupStep s : setup) {
            if (s.run().isEmpty() || !s.run().get(0).startsWith("/")) {
                throw new PkgException(where + "setup: each step's run needs a program's absolute path first");
            }
            if (s.unless() != null && !s.unless().startsWith("/")) {
                throw new PkgException(where + "setup: unless must be an absolute guest path");
            }
        }
        for (String p : programs) {
            if (!p.startsWith("/")) {
                throw new PkgException(where + "programs: '" + p + "' is not an absolute path");
            }
        }
        if (user != null && !user.matches("[a-z_][a-z0-9_-]*")) {
            throw new PkgException(where + "user: '" + user + "' is not a user name");
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
