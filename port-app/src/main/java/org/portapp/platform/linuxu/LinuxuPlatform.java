package org.portapp.platform.linuxu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
        String hash = hash(generated, names, sources);
        Path dir = buildDir.toAbsolutePath().normalize().resolve("linuxu-" + hash);
        Path bin = dir.resolve(LOADER);
        if (Files.isExecutable(bin)) {
            loader = bin;
            return bin;
        }
        System.err.println("port-app: building linuxu platform (modules: " + names + ") ...");
        try {
            Files.createDirectories(buildDir);
            Path tmp = Files.createTempDirectory(buildDir, "linuxu-" + hash + ".tmp");
            try {
                Path genDir = tmp.resolve("gen");
                Files.createDirectories(genDir);
                for (Map.Entry<String, String> e : generated.entrySet()) {
                    Files.writeString(genDir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
                }
                make(genDir, tmp, shimDir, names);
                if (Files.isDirectory(dir) && !Files.isExecutable(bin)) {
                    deleteTree(dir);   // left over from an interrupted build of the same sources
                }
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                    // Another process finished the same build first: use its result.
                    if (!Files.isExecutable(bin)) {
                        throw e;
                    }
                } catch (IOException e) {
                    if (!Files.isExecutable(bin)) {
                        throw e;
                    }
                }
            } finally {
                deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new LinuxuException("linuxu: cannot build in " + buildDir + ": " + e.getMessage(), "", e);
        }
        loader = bin;
        return bin;
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
     * How the app sees the image's root directory (the loader's {@code --root}).
     * OVERLAY: absolute paths that name a file (not a directory) in the image are served from
     * it, everything else is the host's, so {@code ls -la /} lists the host's / as natively.
     * STRICT: every absolute path outside /proc, /sys and /dev is the image's, as on the
     * unikernel.
     */
    public enum RootMode { OVERLAY, STRICT }

    /**
     * The command line that runs an {@link org.portapp.image.Image} on linuxu: the loader loads
     * the image's executable (and its ld.so) and resolves the app's absolute paths in the
     * image's root first, so ld.so opens the image's (rewritten) libraries by their usual
     * paths and an exec of a program in the image runs the image's copy.
     *
     * @param image   the image (see {@link org.portapp.image.Image#build})
     * @param appArgs the app's argv, argv[0] first (empty: argv[0] = the executable's guest path)
     * @param trace   one strace-like line per syscall on stderr
     * @param mode    how the image's root combines with the host's files
     * @throws IllegalStateException if {@link #ensureBuilt} was not called
     */
    public List<String> command(org.portapp.image.Image image, List<String> appArgs, boolean trace, RootMode mode) {
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
        if (trace) {
            cmd.add("--trace");
        }
        cmd.add("--root");
        cmd.add(root);
        if (mode == RootMode.STRICT) {
            cmd.add("--root-strict");
        }
        cmd.add("--exe-path");
        cmd.add(image.executable());
        cmd.add("--");
        cmd.add(image.executableFile().toString());
        cmd.addAll(appArgs);
        return List.copyOf(cmd);
    }

    private void make(Path genDir, Path outDir, Path shimDir, String modules) throws IOException {
        List<String> cmd = List.of("make", "-C", root.resolve("platforms/linuxu").toString(),
                "GEN=" + genDir, "OUT=" + outDir, "SHIM=" + shimDir, "MODULES=" + modules);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toString(StandardCharsets.UTF_8);
        }
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LinuxuException("linuxu: interrupted while building", out, e);
        }
        if (rc != 0) {
            throw new LinuxuException("linuxu: building the platform failed (make exit " + rc + ")", out, null);
        }
    }

    /** Hash of the generated tables, the module list and every file under {@code sources}. */
    private String hash(Map<String, String> generated, String modules, List<Path> sources) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        update(md, "modules:" + modules);
        generated.forEach((name, text) -> {
            update(md, "gen:" + name);
            update(md, text);
        });
        for (Path base : sources) {
            if (!Files.isDirectory(base)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(base)) {
                files = s.filter(Files::isRegularFile)
                        .filter(f -> !base.relativize(f).toString().startsWith("."))
                        .sorted()
                        .toList();
            } catch (IOException e) {
                throw new LinuxuException("linuxu: cannot read " + base + ": " + e.getMessage(), "", e);
            }
            for (Path f : files) {
                update(md, "file:" + root.relativize(f));
                try {
                    md.update(Files.readAllBytes(f));
                } catch (IOException e) {
                    throw new LinuxuException("linuxu: cannot read " + f + ": " + e.getMessage(), "", e);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
        md.update((byte) ':');
        md.update(b);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A leftover temporary directory is harmless.
        }
    }
}
