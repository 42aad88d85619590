package org.portapp.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.portapp.image.AppEnvironment;
import org.portapp.image.Dpkg;
import org.portapp.image.FileMapping;
import org.portapp.image.Progress;
import org.portapp.image.SystemRoot;
import org.portapp.pkg.Apt;
import org.portapp.pkg.PackageRoot;
import org.portapp.pkg.PkgException;
import org.portapp.pkg.PlatformSupport;
import org.portapp.pkg.Recipe;
import org.portapp.pkg.Recipes;
import org.portapp.platform.qemu.Machine;
import org.portapp.platform.qemu.UnikernelApp;
import org.portapp.syscalls.ShimModules;
import org.portapp.syscalls.SyscallTable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code port-app pkg}: Debian apps from package recipes ({@code recipes/*.yaml}), fetched with
 * apt into port-app's cache (nothing installed on the host) and run as unikernels.
 */
@Command(name = "pkg", mixinStandardHelpOptions = true,
        header = "Run popular Debian apps from package recipes, with nothing installed on the host.",
        description = {"A recipe (recipes/NAME.yaml, or your own with --recipe FILE) names the app's",
            "Debian packages, its program, arguments, configuration files and a smoke test.",
            "The packages and their Depends/Pre-Depends closure are downloaded with apt into",
            "port-app's cache (a private apt state: no root, the system's apt untouched),",
            "checked against the signed index, unpacked with dpkg-deb, and the app's image is",
            "built from that tree instead of the host's /. docs/recipes.md has the details."},
        subcommands = {PkgCommand.ListCmd.class, PkgCommand.Info.class, PkgCommand.Run.class,
            PkgCommand.Build.class, PkgCommand.Test.class},
        footer = {"", "Examples:",
            "  port-app pkg list",
            "  port-app pkg run sqlite3 -- :memory: 'select 1+1'",
            "  port-app pkg test sqlite3 python3",
            "  port-app pkg build redis -o redis-vm",
            "  port-app pkg run --offline --recipe my-app.yaml my-app"})
final class PkgCommand implements Runnable {
    @ParentCommand
    Main main;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this),
                "missing command (list, info, run, build, test)");
    }

    /** What every pkg subcommand takes: where recipes come from and whether to use the network. */
    static final class PkgOptions {
        @Option(names = "--offline", description = "Use only what the cache holds: no package list update, "
                + "no download (an error names what is missing).")
        boolean offline;

        @Option(names = "--recipe", paramLabel = "FILE", description = "Read a recipe of your own (repeatable); "
                + "it wins over a shipped recipe of the same name.")
        List<Path> recipes = new ArrayList<>();

        Recipes recipes() {
            return Recipes.load(Main.root().resolve("recipes"), recipes);
        }

        Apt apt(Progress progress) {
            return new Apt(Main.cacheDir().resolve("pkg/apt"), offline, progress::step, progress::warn, List.of());
        }

        /** The recipe's packages, fetched (or found in the cache) and unpacked. */
        PackageRoot root(Recipe r, Progress progress) {
            progress.building("the package root of " + r.name(), "apt: " + String.join(" ", r.packages()));
            try {
                List<Apt.Deb> debs = apt(progress).fetch(r.packages());
                progress.built();
                return PackageRoot.of(Main.cacheDir(), r.name(), debs, progress::detail);
            } finally {
                progress.built();
            }
        }

        /** Args for a child {@code port-app pkg ...} that sees the same recipes and cache rules. */
        List<String> forwarded() {
            List<String> out = new ArrayList<>();
            if (offline) {
                out.add("--offline");
            }
            recipes.forEach(f -> {
                out.add("--recipe");
                out.add(f.toAbsolutePath().toString());
            });
            return out;
        }
    }

    /** What the unikernel has for recipes' needs, from the shim manifests. */
    static PlatformSupport support(String platform) {
        return PlatformSupport.of(platform, ShimModules.scan(Main.root().resolve("posix-shim"), SyscallTable.load()));
    }

    /** The recipe's files (configuration) as files in the cache, content-addressed so images stay cached. */
    static List<FileMapping> recipeFiles(PackageRoot pr, Recipe r) {
        if (r.files().isEmpty()) {
            return List.of();
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Recipe.ConfigFile f : r.files()) {
                md.update((f.path() + "\0" + f.content() + "\0").getBytes(StandardCharsets.UTF_8));
            }
            Path dir = pr.dir().resolve("recipe-files").resolve(HexFormat.of().formatHex(md.digest()).substring(0, 16));
            List<FileMapping> out = new ArrayList<>();
            for (Recipe.ConfigFile f : r.files()) {
                Path host = dir.resolve(f.path().substring(1)).normalize();
                if (!host.startsWith(dir)) {
                    throw new PkgException(r.source() + ": files: " + f.path() + " leaves the file system");
                }
                if (!Files.isRegularFile(host)) {
                    Files.createDirectories(host.getParent());
                    Path tmp = Files.createTempFile(host.getParent(), ".new", "");
                    Files.writeString(tmp, f.content(), StandardCharsets.UTF_8);
                    Files.move(tmp, host, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                out.add(new FileMapping(host, f.path()));
            }
            return out;
        } catch (IOException e) {
            throw new PkgException("cannot write the files of recipe " + r.name() + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A recipe's app made ready to boot: the image, and the kernel command line words it needs
     * beyond the image's own ({@code portapp.user=UID:GID} for a recipe's {@code user}).
     */
    record Prepared(UnikernelApp image, String kernelWords) {
    }

    /** The recipe's app made ready for the unikernel, with the user's run options over the recipe's. */
    static Prepared prepare(Recipe r, PackageRoot pr, AppOptions app, List<String> args, boolean trace,
                            Progress progress) {
        java.util.Set<String> runtime = new java.util.HashSet<>(r.runtime());
        if (!r.setup().isEmpty()) {
            // The image's program is then the shell: the app's own package brings its data and
            // plugins as a runtime package (what it gets as the program otherwise).
            Dpkg.at(pr.dir().resolve("admin")).ownerOf(r.executable()).ifPresent(runtime::add);
        }
        SystemRoot sys = new SystemRoot(pr.root(), pr.dir().resolve("admin"), runtime);
        List<String> settings = new ArrayList<>();
        r.env().forEach((k, v) -> settings.add(k + "=" + v));
        app.envFiles.forEach(f -> settings.addAll(AppEnvironment.readEnvFile(f)));
        settings.addAll(app.env);
        List<FileMapping> files = new ArrayList<>(programFiles(r, sys));
        files.addAll(recipeFiles(pr, r));
        files.addAll(app.fileMappings());
        AppEnvironment env = AppEnvironment.build(AppEnvironment.Host.current(),
                AppEnvironment.imagePasswd(files, pr.root().resolve("etc")), settings);
        List<String> argv = new ArrayList<>(r.flags());
        argv.addAll(args.isEmpty() ? r.args() : args);
        String exe = r.executable();
        String argv0 = r.executable();
        if (!r.setup().isEmpty()) {
            // The steps run in the guest's /bin/sh, which then becomes the app (exec): same boot,
            // same files and mounts, the app still the first process once it runs.
            sys.file(SETUP_SHELL);
            List<String> wrapped = new ArrayList<>(List.of("-c", setupScript(r.setup()), r.executable()));
            wrapped.addAll(argv);
            argv = wrapped;
            exe = SETUP_SHELL;
            argv0 = "sh";
        }
        UnikernelApp.Request req = new UnikernelApp.Request(Path.of(exe), argv0,
                argv, env.variables(), app.workdir(), files, trace, false,
                app.knownFootprint, !app.noPackageData, app.hostMounts());
        UnikernelApp im = UnikernelApp.prepare(Main.root(), Main.cacheDir(), req, progress, sys);
        return new Prepared(im, r.user() == null ? "" : " portapp.user=" + userIds(r, files, pr));
    }

    /** The shell that runs a recipe's setup steps (from the recipe's packages: dash). */
    static final String SETUP_SHELL = "/bin/sh";

    /**
     * The shell script of the setup steps: each run unless its path exists, the first failure
     * ending the boot with its exit code, then the app ({@code $0} with {@code $@}) exec'd.
     */
    static String setupScript(List<Recipe.SetupStep> steps) {
        StringBuilder b = new StringBuilder();
        for (Recipe.SetupStep s : steps) {
            if (s.unless() != null) {
                b.append("[ -e ").append(shellQuote(s.unless())).append(" ] || ");
            }
            b.append(String.join(" ", s.run().stream().map(PkgCommand::shellQuote).toList()))
                    .append(" || exit $?\n");
        }
        return b.append("exec \"$0\" \"$@\"\n").toString();
    }

    /** A word for sh, single-quoted: nothing in it is expanded. */
    static String shellQuote(String w) {
        return "'" + w.replace("'", "'\\''") + "'";
    }

    /**
     * The recipe's {@code programs} and its setup steps' programs, each with its ELF closure from
     * the package root (the image holds only the app's own closure otherwise).
     */
    static List<FileMapping> programFiles(Recipe r, SystemRoot sys) {
        List<String> programs = new ArrayList<>(r.programs());
        r.setup().forEach(s -> programs.add(s.run().get(0)));
        if (!r.setup().isEmpty()) {
            programs.add(SETUP_SHELL);
            programs.add(r.executable()); // exec'd by the shell once the steps are done
        }
        java.util.Map<String, FileMapping> out = new java.util.LinkedHashMap<>();
        for (String p : programs) {
            sys.file(p); // a one-line error naming the program when the packages lack it
            org.portapp.image.Closure c = org.portapp.image.Closure.of(sys.dir(), p);
            c.files().forEach((guest, host) -> out.putIfAbsent(guest, new FileMapping(host, guest)));
        }
        return new ArrayList<>(out.values());
    }

    /** "UID:GID" of the recipe's user in the image's /etc/passwd (the recipe's files, else the packages'). */
    static String userIds(Recipe r, List<FileMapping> files, PackageRoot pr) {
        byte[] passwd = AppEnvironment.imagePasswd(files, pr.root().resolve("etc"))
                .orElseThrow(() -> new PkgException(r.source() + ": user " + r.user()
                        + ": the image has no /etc/passwd (add one with files:)"));
        for (String line : new String(passwd, StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && f[0].equals(r.user()) && f[2].matches("\\d{1,9}") && f[3].matches("\\d{1,9}")) {
                return f[2] + ":" + f[3];
            }
        }
        throw new PkgException(r.source() + ": user " + r.user() + ": not in the image's /etc/passwd "
                + "(maintainer scripts do not run, so add the user's line with files:)");
    }

    /** The guest memory: -m when given, else the recipe's. */
    static int memory(CommandLine.Model.CommandSpec spec, AppOptions app, Recipe r) {
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("-m");
        return given ? app.memoryMiB() : r.memory();
    }

    /** The recipe's packages fetched and unpacked (cached), and its app prepared: what run and build share. */
    static Prepared prepared(PkgOptions opts, Recipe r, AppOptions app, boolean trace, Progress progress) {
        try {
            PackageRoot pr = opts.root(r, progress);
            return prepare(r, pr, app, app.args, trace, progress);
        } finally {
            progress.clear();
        }
    }

    /**
     * Renames run's BIN to NAME in {@code pkg run} and {@code pkg build}, which take the app
     * options as they are (AppOptions) but a recipe's name where run takes a program.
     */
    static final class RecipeNameParameter implements CommandLine.IModelTransformer {
        @Override
        public CommandLine.Model.CommandSpec transform(CommandLine.Model.CommandSpec spec) {
            for (CommandLine.Model.PositionalParamSpec p : List.copyOf(spec.positionalParameters())) {
                if ("BIN".equals(p.paramLabel())) {
                    spec.remove(p);
                    spec.add(CommandLine.Model.PositionalParamSpec.builder(p).paramLabel("NAME")
                            .description("The recipe's name (port-app pkg list).").build());
                }
            }
            return spec;
        }
    }

    /** {@code --platform} of run, build and test. */
    static final class PlatformOption {
        @Option(names = "--platform", defaultValue = "qemu-pc", paramLabel = "PLATFORM",
                description = "qemu-pc or qemu-microvm. Default: ${DEFAULT-VALUE}.")
        String platform;

        Machine machine() {
            if (!PlatformSupport.PLATFORMS.contains(platform)) {
                throw new PortAppException("pkg runs recipes on " + String.join(" or ", PlatformSupport.PLATFORMS)
                        + ", not '" + platform + "'");
            }
            return Machine.byCliName(platform);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            header = "List the recipes: name, version, what the app is, status on each platform.")
    static final class ListCmd implements Callable<Integer> {
        @Mixin
        PkgOptions opts;

        @Override
        public Integer call() {
            Recipes recipes = opts.recipes();
            List<String> firsts = recipes.byName().values().stream().map(r -> r.packages().get(0)).toList();
            Map<String, String[]> known = opts.apt(Progress.none()).candidates(firsts);
            List<PlatformSupport> platforms = PlatformSupport.PLATFORMS.stream().map(PkgCommand::support).toList();
            StringBuilder head = new StringBuilder(String.format("%-12s %-28s", "NAME", "VERSION"));
            platforms.forEach(p -> head.append(String.format(" %-24s", p.platform())));
            System.out.println(head.append(" DESCRIPTION").toString().stripTrailing());
            for (Recipe r : recipes.byName().values()) {
                String[] c = known.get(r.packages().get(0));
                String version = c == null || c[0] == null ? "?" : c[0];
                StringBuilder line = new StringBuilder(String.format("%-12s %-28s", r.name(), version));
                platforms.forEach(p -> line.append(String.format(" %-24s", p.status(r))));
                System.out.println(line.append(" ").append(r.description()));
            }
            if (known.isEmpty()) {
                System.out.println("(versions show once package lists are fetched: pkg info or pkg run a recipe)");
            }
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            header = "Show a recipe and resolve its packages with apt (nothing is downloaded but the lists).")
    static final class Info implements Callable<Integer> {
        @Mixin
        PkgOptions opts;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @ParentCommand
        PkgCommand pkg;

        @Override
        public Integer call() {
            Recipe r = opts.recipes().get(name);
            Progress progress = pkg.main.progress();
            List<Apt.Resolved> closure;
            try {
                closure = opts.apt(progress).resolve(r.packages());
            } finally {
                progress.clear();
            }
            System.out.println("name:        " + r.name());
            System.out.println("description: " + r.description());
            System.out.println("recipe:      " + r.source());
            for (String p : r.packages()) {
                String v = closure.stream().filter(c -> c.name().equals(p)).map(Apt.Resolved::version).findFirst()
                        .orElse("(provided by another package)");
                System.out.println("package:     " + p + " " + v);
            }
            System.out.println("closure:     " + closure.size() + " packages (Depends and Pre-Depends)");
            System.out.println("executable:  " + r.executable());
            if (!r.flags().isEmpty()) {
                System.out.println("flags:       " + String.join(" ", r.flags()));
            }
            System.out.println("args:        " + String.join(" ", r.args()));
            r.env().forEach((k, v) -> System.out.println("env:         " + k + "=" + v));
            r.files().forEach(f -> System.out.println("file:        " + f.path()));
            System.out.println("ports:       " + r.ports().stream().map(String::valueOf).reduce((a, b) -> a + " " + b)
                    .orElse("none"));
            r.mounts().forEach(m -> System.out.println("mount:       " + m));
            System.out.println("memory:      " + r.memory() + " MiB");
            System.out.println("needs:       " + (r.needs().isEmpty() ? "nothing beyond files" : String.join(" ", r.needs())));
            for (String p : PlatformSupport.PLATFORMS) {
                PlatformSupport s = support(p);
                List<String> unmet = s.unmet(r);
                System.out.println("status:      " + p + ": " + (unmet.isEmpty() ? "ready" : String.join("; ", unmet)));
            }
            Recipe.SmokeTest t = r.test();
            System.out.println("test:        " + (t.host().isEmpty() ? "run with " + String.join(" ", t.args())
                    : "on the host: " + String.join(" ", t.host())) + "; expects \"" + t.expect() + "\"");
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, modelTransformer = RecipeNameParameter.class,
            header = "Fetch a recipe's packages (cached) and run its app as a unikernel.",
            description = {"Takes run's options (-m, --env, --file, -w, ...); ARGS replace the recipe's",
                "default arguments. The exit code is the app's, as for run."})
    static final class Run implements Callable<Integer> {
        @Mixin
        PkgOptions opts;

        @Mixin
        PlatformOption on;

        @Option(names = "--kernel-log", description = "Show the unikernel's own log on stderr.")
        boolean kernelLog;

        @Option(names = "--trace-syscalls", description = "Print one strace-like line per syscall to stderr.")
        boolean trace;

        @Mixin
        AppOptions app;

        @ParentCommand
        PkgCommand pkg;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Recipe r = opts.recipes().get(app.binary.toString());
            Machine machine = on.machine();
            List<String> unmet = support(on.platform).unmet(r);
            if (!unmet.isEmpty()) {
                throw new PkgException(r.name() + " cannot run on " + on.platform + " yet: " + String.join("; ", unmet));
            }
            Progress progress = pkg.main.progress();
            List<org.portapp.image.HostMount> mounts = app.hostMounts();
            app.network(false); // -p and --net checked before the (slow) build
            Prepared p = prepared(opts, r, app, trace, progress);
            return RunCommand.boot(p.image(), machine, memory(spec, app, r), kernelLog, progress,
                    app.network(org.portapp.platform.qemu.Network.appUsesSockets(p.image())), mounts, !app.noAslr,
                    p.kernelWords());
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true, modelTransformer = RecipeNameParameter.class,
            header = "Build a recipe's unikernel into a directory (as build does for a binary).")
    static final class Build implements Callable<Integer> {
        @Mixin
        PkgOptions opts;

        @Mixin
        PlatformOption on;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output directory.")
        Path out;

        @Mixin
        AppOptions app;

        @ParentCommand
        PkgCommand pkg;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Recipe r = opts.recipes().get(app.binary.toString());
            Machine machine = on.machine();
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new PortAppException(out + ": exists and is not a directory");
            }
            List<String> unmet = support(on.platform).unmet(r);
            Progress progress = pkg.main.progress();
            if (!unmet.isEmpty()) {
                progress.warn("port-app: warning: " + r.name() + " will not work on " + on.platform + " yet: "
                        + String.join("; ", unmet));
            }
            List<org.portapp.image.HostMount> mounts = app.hostMounts();
            Prepared p = prepared(opts, r, app, false, progress);
            BuildCommand.write(p.image(), machine, memory(spec, app, r), out, r.name() + " (" + r.executable() + ")",
                    org.portapp.platform.qemu.Network.choose(app.net, app.publish,
                            org.portapp.platform.qemu.Network.appUsesSockets(p.image())), mounts, !app.noAslr,
                    p.kernelWords());
            return 0;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            header = "Run recipes' smoke tests (all of them without NAME); exit 1 if any fails.",
            description = {"Each test boots the app on the platform and checks its output. A recipe",
                "whose needs the platform lacks fails with the reason, it is not skipped."})
    static final class Test implements Callable<Integer> {
        @Mixin
        PkgOptions opts;

        @Mixin
        PlatformOption on;

        @Parameters(paramLabel = "NAME", arity = "0..*")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Recipes recipes = opts.recipes();
            on.machine();
            List<Recipe> todo = names.isEmpty() ? List.copyOf(recipes.byName().values())
                    : names.stream().map(recipes::get).toList();
            PlatformSupport support = support(on.platform);
            int failed = 0;
            for (Recipe r : todo) {
                long t0 = System.nanoTime();
                String verdict = test(r, support);
                double secs = (System.nanoTime() - t0) / 1e9;
                if (verdict == null) {
                    System.out.printf("PASS %-12s (%.1f s)%n", r.name(), secs);
                } else {
                    failed++;
                    System.out.printf("FAIL %-12s %s%n", r.name(), verdict);
                }
                System.out.flush();
            }
            System.out.printf("%d of %d smoke tests passed on %s%n", todo.size() - failed, todo.size(), on.platform);
            return failed == 0 ? 0 : 1;
        }

        /** Null when the test passes, else why it failed (one line). */
        private String test(Recipe r, PlatformSupport support) throws Exception {
            List<String> unmet = support.unmet(r);
            if (!unmet.isEmpty()) {
                return String.join("; ", unmet);
            }
            Recipe.SmokeTest t = r.test();
            if (!t.host().isEmpty()) {
                return hostSide(r, t);
            }
            // {hostport}: a page served on the host, which the guest reaches at QEMU's gateway 10.0.2.2
            com.sun.net.httpserver.HttpServer server = null;
            List<String> args = t.args();
            if (args.stream().anyMatch(a -> a.contains("{hostport}"))) {
                server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("0.0.0.0", 0), 0);
                server.createContext("/", ex -> {
                    byte[] body = "served by the host\n".getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                    ex.close();
                });
                server.start();
                String port = String.valueOf(server.getAddress().getPort());
                args = args.stream().map(a -> a.replace("{hostport}", port)).toList();
            }
            try {
                Process p = child(r, List.of("--"), args);
                try (var stdin = p.getOutputStream()) {
                    stdin.write(t.stdin().getBytes(StandardCharsets.UTF_8));
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                Thread reader = new Thread(() -> copy(p.getInputStream(), out), "pkg-test-output");
                reader.start();
                if (!p.waitFor(t.timeout(), TimeUnit.SECONDS)) {
                    stop(p);
                    reader.join(2000);
                    return "timed out after " + t.timeout() + " s; output: " + tail(out);
                }
                reader.join(5000);
                String text = out.toString(StandardCharsets.UTF_8);
                if (p.exitValue() != 0) {
                    return "exit code " + p.exitValue() + "; output: " + tail(out);
                }
                if (!text.contains(t.expect())) {
                    return "output lacks \"" + t.expect() + "\": " + tail(out);
                }
                return null;
            } finally {
                if (server != null) {
                    server.stop(0);
                }
            }
        }

        /**
         * A server's test: the app started with its first port forwarded to a free host port
         * ({@code -p 127.0.0.1:HOSTPORT:PORT}, run's port option), then the host command ({port}
         * = that host port) tried once a second until its output has the expected text.
         */
        private String hostSide(Recipe r, Recipe.SmokeTest t) throws Exception {
            if (r.ports().isEmpty()) {
                return r.source() + ": a host-side test needs the recipe's ports";
            }
            int hostPort;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                hostPort = s.getLocalPort();
            }
            Process p = child(r, List.of("-p", "127.0.0.1:" + hostPort + ":" + r.ports().get(0)), List.of());
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(p.getInputStream(), out), "pkg-test-output");
            reader.start();
            List<String> cmd = t.host().stream().map(a -> a.replace("{port}", String.valueOf(hostPort))).toList();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(t.timeout());
            String last = "";
            try {
                while (System.nanoTime() < deadline) {
                    if (!p.isAlive()) {
                        reader.join(2000);
                        return "the app ended (exit code " + p.exitValue() + ") before the host command passed; "
                                + "output: " + tail(out);
                    }
                    Process h;
                    try {
                        h = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                    } catch (IOException e) {
                        return "the host command " + cmd.get(0) + " cannot run (is it installed?): " + e.getMessage();
                    }
                    h.getOutputStream().close();
                    last = new String(h.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (h.waitFor() == 0 && last.contains(t.expect())) {
                        return null;
                    }
                    Thread.sleep(1000);
                }
                return "timed out after " + t.timeout() + " s; the host command last said: "
                        + last.strip().replace("\n", " | ") + "; the app: " + tail(out);
            } finally {
                stop(p);
            }
        }

        /** A child port-app running the recipe: its own QEMU, killed with it. */
        private Process child(Recipe r, List<String> options, List<String> args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-Dportapp.root=" + Main.root(), "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "-q", "pkg", "run"));
            cmd.addAll(opts.forwarded());
            cmd.addAll(List.of("--platform", on.platform, r.name()));
            cmd.addAll(options);
            cmd.addAll(args);
            return new ProcessBuilder(cmd).redirectErrorStream(true).start();
        }

        private static void stop(Process p) throws InterruptedException {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
        }

        private static void copy(InputStream in, ByteArrayOutputStream out) {
            try {
                in.transferTo(out);
            } catch (IOException e) {
                // the process went away: what was read is the output
            }
        }

        /** The output's last lines, on one line. */
        private static String tail(ByteArrayOutputStream out) {
            String s = out.toString(StandardCharsets.UTF_8).strip().replace("\n", " | ");
            return s.length() > 300 ? "..." + s.substring(s.length() - 300) : s;
        }
    }
}
