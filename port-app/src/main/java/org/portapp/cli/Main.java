package org.portapp.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.portapp.PortAppError;
import org.portapp.image.Progress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code port-app} command: analyze, rewrite and run unmodified Linux binaries. */
@Command(name = "port-app", mixinStandardHelpOptions = true, version = "port-app 0.1.0",
        description = {
            "Runs unmodified Linux x86_64 applications as specialized single-application systems.",
            "Each syscall instruction of the binary becomes a direct call into the POSIX shim.",
            ""},
        subcommands = {AnalyzeCommand.class, RewriteCommand.class, RunCommand.class, BuildCommand.class,
            CacheCommand.class, CompatCommand.class, PkgCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:",
            "  port-app analyze /bin/busybox",
            "  port-app rewrite /bin/busybox -o busybox.rewritten",
            "  port-app run /bin/busybox -- sh -c 'echo hello; exit 3'",
            "  port-app run --platform linuxu /usr/bin/sqlite3 -- -batch < script.sql",
            "  port-app run --env FOO=1 --env HOME -w /tmp busybox -- env",
            "  port-app build /bin/busybox -o busybox-vm",
            "  port-app cache prune --max-size 500M",
            "  port-app compat --ltp /opt/ltp --filter '^(getpid|open)' --platform qemu-pc",
            "  port-app pkg run sqlite3 -- :memory: 'select 1+1'",
            "", "Run 'port-app help COMMAND' for a command's options."})
public final class Main implements Runnable {
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print Java stack traces on errors.")
    boolean debug;

    @Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Say every object rewritten and every platform build with its modules.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Print nothing but errors (and the app's own output).")
    boolean quiet;

    /** Where run and build say what they do: in place on a terminal, a few lines in a log. */
    Progress progress() {
        if (verbose && quiet) {
            throw new PortAppException("-v and -q contradict each other");
        }
        return Progress.stderr(quiet ? Progress.Level.QUIET : verbose ? Progress.Level.VERBOSE : Progress.Level.NORMAL);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "missing command (analyze, rewrite, run)");
    }

    public static void main(String[] args) {
        // Before anything slow: a signal sent to port-app while it builds must act at once.
        org.portapp.platform.LauncherSignals.listen();
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (the app's own code for {@code run}). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setErr(new PrintWriter(System.err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean debugOn = java.util.Arrays.asList(args).contains("--debug");
            // Every module's user-facing error extends PortAppError; anything else is a bug.
            if (ex instanceof PortAppError) {
                cmd.getErr().println("port-app: error: " + ex.getMessage());
                if (debugOn) {
                    ex.printStackTrace(cmd.getErr());
                }
                return 1;
            }
            cmd.getErr().println("port-app: internal error: " + ex);
            if (debugOn) {
                ex.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("port-app: run again with --debug for the stack trace");
            }
            return 70;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("port-app: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try 'port-app " + commandPath(ex.getCommandLine())
                    + "--help' for usage.");
            return 2;
        });
        return cl.execute(args);
    }

    private static String commandPath(CommandLine cl) {
        String name = cl.getCommandName();
        return "port-app".equals(name) ? "" : name + " ";
    }

    /** The repository (or installation) root holding posix-shim/, platforms/ and test-apps/. */
    static Path root() {
        String prop = System.getProperty("portapp.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar; p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("posix-shim")) && Files.isDirectory(p.resolve("platforms"))) {
                    return p;
                }
            }
        } catch (Exception ignored) {
            // fall through to the error below
        }
        throw new PortAppException("cannot find the port-app installation (posix-shim/, platforms/); "
                + "run through bin/port-app or set -Dportapp.root");
    }

    /** Where built platforms and rewritten binaries are cached. */
    static Path cacheDir() {
        String env = System.getenv("PORT_APP_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("port-app");
    }
}
