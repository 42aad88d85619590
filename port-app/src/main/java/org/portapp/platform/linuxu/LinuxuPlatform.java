package org.portapp.platform.linuxu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.portapp.cache.CacheDir;
import org.portapp.image.Progress;
import org.portapp.platform.CachedBuild;
import org.portapp.syscalls.ShimGenerator;
import org.portapp.syscalls.ShimModule;
import org.portapp.syscalls.ShimModules;
import org.portapp.syscalls.SyscallTable;
import org.portapp.syscalls.SyscallTableException;

/**
 * The Linux-process platform: builds {@code portapp-linuxu} (the loader with
 * the POSIX shim inside) from {@code posix-shim/} and {@code platforms/linuxu/},
 * and says how to run an image on it.
 *
 * <p>Builds are cached by content: the output directory is named after a hash
 * of every source file and of the generated shim tables, so a build happens
 * only when something changed, and concurrent callers never see a half-built
 * loader (each builds in a private directory that is renamed into place).
 */
public final class LinuxuPlatform {
    /** Loader file name inside a build directory. */
    public static final String LOADER = "portapp-linuxu";

    private final Path root;
    private volatile Path loader;

    private LinuxuPlatform(Path root) {
        this.root = root;
    }

    /** The platform of the repository (or installation) at {@code repoRoot}. */
    public static LinuxuPlatform at(Path repoRoot) {
        Path root = repoRoot.toAbsolutePath().normalize();
        for (String d : List.of("posix-shim", "platforms/linuxu")) {
            if (!Files.isDirectory(root.resolve(d))) {
                throw new LinuxuException("linuxu: " + root.resolve(d) + " not found (is " + root
                        + " the port-app root?)");
            }
        }
        return new LinuxuPlatform(root);
    }

    /** The repository root this platform builds from. */
    public Path root() {
        return root;
    }

    /**
     * Makes sure the loader for the posix-shim modules meant for linuxu ({@code platforms} key) is built under
     * {@code buildDir} and returns its path. Prints one progress line on
     * stderr when it actually builds.
     *
     * @throws LinuxuException if generation or make fails (with make's output)
     */
    public Path ensureBuilt(Path buildDir) {
        return ensureBuilt(buildDir, Progress.verbose(System.err::println));
    }

    /** As {@link #ensureBuilt(Path)}, saying that it builds on {@code progress}. */
    public Path ensureBuilt(Path buildDir, Progress progress) {
        Path shimDir = root.resolve("posix-shim");
        List<ShimModule> modules;
        ShimGenerator gen;
        try {
            SyscallTable table = SyscallTable.load();
            modules = ShimModules.scan(shimDir, table).forPlatform(ShimModules.PLATFORM_LINUXU).modules();
            gen = new ShimGenerator(table, modules);
        } catch (SyscallTableException e) {
            throw new LinuxuException("linuxu: cannot generate the shim tables: " + e.getMessage(), "", e);
        }
        Map<String, String> generated = new TreeMap<>(Map.of(
                ShimGenerator.HEADER, gen.header(),
                ShimGenerator.TABLE, gen.tableC(),
                ShimGenerator.ENTRIES, gen.entriesS()));
        String names = modules.stream().map(ShimModule::name).collect(Collectors.joining(" "));
        List<Path> sources = new ArrayList<>(List.of(shimDir.resolve("include"), root.resolve("platforms/linuxu")));
        modules.forEach(m -> sources.add(m.dir()));
        try {
            String hash = CachedBuild.hash(root, names, generated, sources);
            Path dir = buildDir.toAbsolutePath().normalize().resolve("linuxu-" + hash);
            Path bin = dir.resolve(LOADER);
            if (!Files.isExecutable(bin)) {
                progress.building("the linuxu platform", "modules: " + names);
                try {
                    CachedBuild.buildOnce(buildDir, dir, bin, generated, List.of(LOADER), (genDir, out) ->
                            CachedBuild.run(List.of("make", "-C", root.resolve("platforms/linuxu").toString(),
                                    "GEN=" + genDir, "OUT=" + out, "SHIM=" + shimDir, "MODULES=" + names),
                                    "building the linuxu platform"));
                } finally {
                    progress.built();
                }
            } else {
                CacheDir.touch(dir); // recently used: pruned last
            }
            loader = bin;
            return bin;
        } catch (CachedBuild.Failure e) {
            throw new LinuxuException("linuxu: " + e.getMessage(), e.output(), e);
        } catch (IOException e) {
            throw new LinuxuException("linuxu: cannot build in " + buildDir + ": " + e.getMessage(), "", e);
        }
    }

    /**
     * The command line that runs {@code image} on linuxu.
     *
     * @param image    the ELF to load (rewritten or not)
     * @param exePath  what the app sees as its own path (AT_EXECFN, /proc/self/exe)
     * @param appArgs  the app's argv, argv[0] first (empty: argv[0] = exePath)
     * @param trace    one strace-like line per syscall on stderr
     * @param execMap  programs the app may exec, mapped to the images to load
     *                 instead (e.g. original binary to its rewritten copy)
     * @throws IllegalStateException if {@link #ensureBuilt} was not called
     */
    public List<String> command(Path image, Path exePath, List<String> appArgs, boolean trace,
                                Map<Path, Path> execMap) {
        Path bin = loader;
        if (bin == null) {
            throw new IllegalStateException("LinuxuPlatform.ensureBuilt must be called before command");
        }
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(exePath, "exePath");
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.toString());
        // The app starts as a shell's exec would start it, not with the JVM's mask and SIG_IGNs.
        cmd.add("--fresh-signals");
        if (trace) {
            cmd.add("--trace");
        }
        cmd.add("--exe-path");
        cmd.add(exePath.toString());
        new TreeMap<>(execMap.entrySet().stream().collect(Collectors.toMap(
                e -> e.getKey().toString(), e -> e.getValue().toString())))
                .forEach((orig, img) -> {
                    if (orig.contains("=")) {
                        throw new LinuxuException("linuxu: cannot map a path containing '=': " + orig);
                    }
                    cmd.add("--map");
                    cmd.add(orig + "=" + img);
                });
        cmd.add("--");
        cmd.add(image.toString());
        cmd.addAll(appArgs);
        return List.copyOf(cmd);
    }

    /**
     * {@code command} (from {@link #command}) with the loader tied to the process
     * {@code parentPid}: killed (SIGKILL) when it dies, so no app outlives a killed port-app.
     * The kernel fires this when the parent's <em>thread</em> that started the loader ends:
     * start it from a thread that waits for it.
     */
    public static List<String> tiedTo(List<String> command, long parentPid) {
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(1, List.of("--parent-pid", Long.toString(parentPid)));
        return List.copyOf(cmd);
    }

    /**
     * How the app sees the image's root directory (the loader's {@code --root}).
     * OVERLAY: absolute paths that name a file (not a directory) in the image are served from
     * it, everything else is the host's, so {@code ls -la /} lists the host's / as natively.
     * STRICT: every absolute path outside /proc, /sys and /dev is the image's, as on the
     * unikernel.
     */
    public enum RootMode { OVERLAY, STRICT }

    /** As below, with the app starting in the loader's own working directory and environment. */
    public List<String> command(org.portapp.image.Image image, List<String> appArgs, boolean trace, RootMode mode) {
        return command(image, appArgs, null, List.of(), trace, mode);
    }

    /**
     * The command line that runs an {@link org.portapp.image.Image} on linuxu: the loader loads
     * the image's executable (and its ld.so) and resolves the app's absolute paths in the
     * image's root first, so ld.so opens the image's (rewritten) libraries by their usual
     * paths and an exec of a program in the image runs the image's copy.
     *
     * @param image   the image (see {@link org.portapp.image.Image#build})
     * @param appArgs the app's argv, argv[0] first (empty: argv[0] = the executable's guest path)
     * @param workdir the app's working directory, a path the app sees (the loader enters it; in the
     *                image under STRICT), or null for the loader's own
     * @param env     the app's whole environment, {@code K=V} in order (empty: the loader's own)
     * @param trace   one strace-like line per syscall on stderr
     * @param mode    how the image's root combines with the host's files
     * @throws IllegalStateException if {@link #ensureBuilt} was not called
     */
    public List<String> command(org.portapp.image.Image image, List<String> appArgs, String workdir,
                                List<String> env, boolean trace, RootMode mode) {
        Path bin = loader;
        if (bin == null) {
            throw new IllegalStateException("LinuxuPlatform.ensureBuilt must be called before command");
        }
        String root = image.root().toAbsolutePath().normalize().toString();
        if (root.length() >= 1024) {
            throw new LinuxuException("linuxu: the image root path is too long (" + root.length()
                    + " bytes, at most 1023): " + root);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.toString());
        // The app starts as a shell's exec would start it, not with the JVM's mask and SIG_IGNs.
        cmd.add("--fresh-signals");
        if (trace) {
            cmd.add("--trace");
        }
        cmd.add("--root");
        cmd.add(root);
        if (mode == RootMode.STRICT) {
            cmd.add("--root-strict");
        }
        if (workdir != null) {
            cmd.add("--workdir");
            cmd.add(workdir);
        }
        for (String e : env) {
            cmd.add("--env");
            cmd.add(e);
        }
        cmd.add("--exe-path");
        cmd.add(image.executable());
        cmd.add("--");
        cmd.add(image.executableFile().toString());
        cmd.addAll(appArgs);
        return List.copyOf(cmd);
    }
}
