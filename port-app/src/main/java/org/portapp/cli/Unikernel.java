package org.portapp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.ImageException;
import org.portapp.platform.qemu.AppFootprint;
import org.portapp.platform.qemu.Cpio;
import org.portapp.platform.qemu.KernelCommandLine;
import org.portapp.platform.qemu.QemuPlatform;
import org.portapp.syscalls.ShimModule;

/**
 * What {@code build} and {@code run} share for the unikernel: rewrite the app (cached),
 * read its footprint, build the kernel specialized for it (cached), and put the app
 * (plus {@code --file}s) into an initrd.
 */
final class Unikernel {
    /** Environment the app gets unless --env overrides a name. */
    static final Map<String, String> DEFAULT_ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/");

    private Unikernel() {
    }

    /** A prepared image: kernel, initrd bytes, command line, and what was selected. */
    record Image(QemuPlatform.Kernel kernel, byte[] initrd, KernelCommandLine cmdline, AppFootprint footprint,
                 String guestExe, boolean knownOnly) {
    }

    static Image prepare(Path binary, List<String> args, List<String> envOpts, List<String> files, boolean trace,
                         boolean noRewrite, boolean knownOnly) {
        Inputs.existingFile(binary);
        Path exe = binary.toAbsolutePath().normalize();
        AppFootprint.requireX86Executable(exe);
        String guestExe = exe.toString();
        Cpio cpio = new Cpio();
        AppFootprint fp;
        List<String> plainFiles = files;
        try {
            if (AppFootprint.isDynamic(exe)) {
                // ld.so, the libraries and /etc defaults travel in the initrd at the paths ld.so
                // opens them by; --file mappings go through the image too (ELF objects among them
                // are rewritten like the closure's).
                Closure closure = Closure.of(exe);
                List<FileMapping> extra = new ArrayList<>();
                extra.addAll(runtimeFiles(exe));
                extra.addAll(dlopenedLibraries(closure));
                for (String spec : files) {
                    extra.add(fileMapping(spec));
                }
                org.portapp.image.Image image = org.portapp.image.Image.build(Main.cacheDir(), closure, extra,
                        !noRewrite, System.err::println);
                guestExe = image.executable();
                AppFootprint all = null;
                // the user's files and directories keep their host times (ls -l shows them)
                Map<String, Long> fileTimes = new java.util.HashMap<>();
                Map<String, Long> dirTimes = new java.util.TreeMap<>();
                for (String spec : files) {
                    FileMapping m = fileMapping(spec);
                    hostTimes(m.host(), m.guest(), fileTimes, dirTimes);
                }
                for (Map.Entry<String, Path> e : new java.util.TreeMap<>(image.files()).entrySet()) {
                    cpio.file(e.getKey(), Files.readAllBytes(e.getValue()), permissions(e.getValue()),
                            fileTimes.getOrDefault(e.getKey(), 0L));
                }
                dirTimes.keySet().forEach(cpio::directory);
                dirTimes.forEach(cpio::directoryTime);
                for (Closure.LoadedObject o : closure.objects()) {
                    AppFootprint f = AppFootprint.read(image.hostPath(o.guestPath()));
                    all = all == null ? f : all.union(f);
                }
                fp = all;
                plainFiles = List.of();
            } else {
                Path image = noRewrite ? exe : new org.portapp.image.RewriteCache(Main.cacheDir()).rewritten(exe);
                fp = AppFootprint.read(image);
                cpio.file(guestExe, Files.readAllBytes(image), 0755);
            }
            for (String spec : plainFiles) {
                int colon = spec.indexOf(':');
                if (colon <= 0 || colon == spec.length() - 1) {
                    throw new PortAppException("--file " + spec + ": expected HOSTPATH:GUESTPATH");
                }
                Path host = Path.of(spec.substring(0, colon));
                String guest = spec.substring(colon + 1);
                if (!guest.startsWith("/")) {
                    throw new PortAppException("--file " + spec + ": the guest path must be absolute");
                }
                if (Files.isDirectory(host)) {
                    addTree(cpio, host, guest);
                } else {
                    Inputs.existingFile(host);
                    cpio.file(guest, Files.readAllBytes(host), permissions(host), mtime(host));
                }
            }
        } catch (IOException e) {
            throw new PortAppException("cannot read a file for the initrd: " + e.getMessage());
        } catch (ImageException e) {
            throw new PortAppException(e.getMessage());
        }
        QemuPlatform platform = QemuPlatform.at(Main.root());
        List<ShimModule> modules = platform.selectModules(fp, knownOnly);
        QemuPlatform.Kernel kernel = platform.ensureBuilt(modules, Main.cacheDir().resolve("platforms"));
        Map<String, String> env = new LinkedHashMap<>(new java.util.TreeMap<>(DEFAULT_ENV));
        for (String e : envOpts) {
            int eq = e.indexOf('=');
            if (eq <= 0) {
                throw new PortAppException("--env " + e + ": expected NAME=VALUE");
            }
            env.put(e.substring(0, eq), e.substring(eq + 1));
        }
        List<String> envList = new ArrayList<>();
        env.forEach((k, v) -> envList.add(k + "=" + v));
        List<String> argv = new ArrayList<>();
        argv.add(binary.toString());
        argv.addAll(args);
        KernelCommandLine cl = new KernelCommandLine(guestExe, argv, envList, trace,
                System.currentTimeMillis() * 1_000_000L);
        return new Image(kernel, cpio.toBytes(), cl, fp, guestExe, knownOnly);
    }

    /** Parts of the standard library python never needs at run time (tests, tools, the static libpython). */
    private static final Set<String> PYTHON_SKIP = Set.of("test", "idlelib", "tkinter", "turtledemo", "ensurepip",
            "lib2to3", "pydoc_data", "distutils", "site-packages", "dist-packages");

    /**
     * Files an app is known to need at run time beyond its closure: for CPython
     * ({@code pythonX.Y}), its standard library under {@code PREFIX/lib/pythonX.Y} (sources and
     * their plain {@code .pyc}, the extension modules of {@code lib-dynload} and the shared
     * libraries those load).
     */
    static List<FileMapping> runtimeFiles(Path exe) {
        Path real;
        try {
            real = exe.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("python(\\d+\\.\\d+)")
                .matcher(real.getFileName().toString());
        Path prefix = real.getParent() == null ? null : real.getParent().getParent();
        if (!m.matches() || prefix == null) {
            return List.of();
        }
        Path lib = prefix.resolve("lib").resolve("python" + m.group(1));
        if (!Files.isRegularFile(lib.resolve("os.py"))) {
            return List.of();
        }
        Map<String, FileMapping> out = new java.util.TreeMap<>();
        try (var s = Files.walk(lib)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                Path rel = lib.relativize(p);
                String top = rel.getName(0).toString();
                String name = p.getFileName().toString();
                if (PYTHON_SKIP.contains(top) || top.startsWith("config-") || name.contains(".opt-")
                        || rel.toString().contains("/test/") || rel.toString().contains("/tests/")) {
                    continue;
                }
                out.put(p.toString(), new FileMapping(p, p.toString()));
                if (name.endsWith(".so")) {
                    try {
                        for (Closure.LoadedObject o : Closure.of(p).libraries()) {
                            out.putIfAbsent(o.guestPath(), new FileMapping(o.hostFile(), o.guestPath()));
                            for (String a : o.aliases()) {
                                out.putIfAbsent(a, new FileMapping(o.hostFile(), a));
                            }
                        }
                    } catch (ImageException e) {
                        // a module whose library is missing fails to import, as natively
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new PortAppException(lib + ": cannot read: " + e.getMessage());
        }
        return List.copyOf(out.values());
    }

    private static final java.util.regex.Pattern SONAME = java.util.regex.Pattern.compile(
            "lib[A-Za-z0-9_+-][A-Za-z0-9_+.-]*\\.so(\\.[0-9]+)*");

    /**
     * Libraries the closure's objects name in their data but do not list in DT_NEEDED, found in
     * the system's library directories: what they {@code dlopen} by a fixed name (libc:
     * libgcc_s.so.1 for thread cancellation and unwinding; an app's own {@code dlopen("libm.so.6")}),
     * each with its own DT_NEEDED closure. Placed in ld.so's first default directory.
     */
    static List<FileMapping> dlopenedLibraries(Closure closure) {
        java.util.Set<String> known = new java.util.HashSet<>();
        for (Closure.LoadedObject o : closure.objects()) {
            known.add(Path.of(o.guestPath()).getFileName().toString());
            o.aliases().forEach(a -> known.add(Path.of(a).getFileName().toString()));
        }
        Map<String, FileMapping> out = new java.util.TreeMap<>();
        for (Closure.LoadedObject o : closure.objects()) {
            byte[] b;
            try {
                b = Files.readAllBytes(o.hostFile());
            } catch (IOException e) {
                continue;
            }
            for (String name : nulTerminatedNames(b)) {
                if (known.contains(name)) {
                    continue;
                }
                known.add(name);
                for (String dir : closure.systemDirs()) {
                    Path host = closure.sysroot().resolve(dir.substring(1)).resolve(name);
                    if (!Files.isRegularFile(host)) {
                        continue;
                    }
                    // without /etc/ld.so.cache in the image, ld.so's own default directory finds it
                    String guest = Closure.DEFAULT_DIRS.get(0) + "/" + name;
                    out.putIfAbsent(guest, new FileMapping(host, guest));
                    try {
                        for (Closure.LoadedObject l : Closure.of(host).libraries()) {
                            if (known.add(Path.of(l.guestPath()).getFileName().toString())) {
                                out.putIfAbsent(l.guestPath(), new FileMapping(l.hostFile(), l.guestPath()));
                            }
                        }
                    } catch (org.portapp.image.ImageException e) {
                        // its own library is missing: dlopen fails as it would natively
                    }
                    break;
                }
            }
        }
        return List.copyOf(out.values());
    }

    /** Strings of the form libNAME.so[.N...] that stand alone (NUL before and after) in b. */
    private static java.util.Set<String> nulTerminatedNames(byte[] b) {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (int i = 0; i + 6 < b.length; i++) {
            if (b[i] != 'l' || b[i + 1] != 'i' || b[i + 2] != 'b' || (i > 0 && b[i - 1] != 0)) {
                continue;
            }
            int end = i;
            while (end < b.length && end - i < 64 && b[end] > 32 && b[end] < 127) {
                end++;
            }
            if (end < b.length && b[end] == 0) {
                String s = new String(b, i, end - i, java.nio.charset.StandardCharsets.US_ASCII);
                if (SONAME.matcher(s).matches()) {
                    names.add(s);
                }
            }
            i = end;
        }
        return names;
    }

    private static FileMapping fileMapping(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0 || colon == spec.length() - 1) {
            throw new PortAppException("--file " + spec + ": expected HOSTPATH:GUESTPATH");
        }
        if (!spec.startsWith("/", colon + 1)) {
            throw new PortAppException("--file " + spec + ": the guest path must be absolute");
        }
        return new FileMapping(Path.of(spec.substring(0, colon)), spec.substring(colon + 1));
    }

    private static void addTree(Cpio cpio, Path host, String guest) throws IOException {
        try (var s = Files.walk(host)) {
            for (Path p : s.sorted().toList()) {
                String rel = host.relativize(p).toString();
                String g = rel.isEmpty() ? guest : guest.replaceAll("/+$", "") + "/" + rel;
                if (Files.isDirectory(p)) {
                    cpio.directory(g).directoryTime(g, mtime(p));
                } else if (Files.isRegularFile(p)) {
                    cpio.file(g, Files.readAllBytes(p), permissions(p), mtime(p));
                }
            }
        }
    }

    /** Guest path to host modification time of every file and directory under host (mapped to guest). */
    private static void hostTimes(Path host, String guest, Map<String, Long> fileTimes, Map<String, Long> dirTimes)
            throws IOException {
        Path h = host.toAbsolutePath().normalize();
        String g = Path.of(guest).normalize().toString();
        if (!Files.isDirectory(h)) {
            if (Files.isRegularFile(h)) {
                fileTimes.put(g, mtime(h));
            }
            return;
        }
        try (var s = Files.walk(h, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : s.toList()) {
                String rel = h.relativize(p).toString();
                String gp = rel.isEmpty() ? g : g + "/" + rel;
                if (Files.isDirectory(p)) {
                    dirTimes.put(gp, mtime(p));
                } else if (Files.isRegularFile(p)) {
                    fileTimes.put(gp, mtime(p));
                }
            }
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() / 1000;
        } catch (IOException e) {
            return 0;
        }
    }

    private static int permissions(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            int mode = 0;
            for (PosixFilePermission x : perms) {
                mode |= 1 << (8 - x.ordinal());
            }
            return mode;
        } catch (IOException | UnsupportedOperationException e) {
            return 0644;
        }
    }

    /** One line per fact: the modules chosen and the kernel's size. */
    static void describe(Image im, java.io.PrintStream out) {
        AppFootprint fp = im.footprint();
        String note = "";
        if (!fp.complete()) {
            String why = fp.rewritten() ? " + sites whose number is known only at run time" : " (not rewritten)";
            note = im.knownOnly() ? why + ": modules for the known numbers only (--known-footprint)"
                    : why + ": every unikernel module kept (--known-footprint selects for the known numbers only)";
        }
        out.printf("footprint: %d distinct syscalls%s%n", fp.numbers().size(), note);
        out.println("modules: " + String.join(" ", im.kernel().modules()));
        out.printf("kernel: %s, %d bytes (%d KiB loaded in memory)%n", im.kernel().path(),
                im.kernel().fileBytes(), (im.kernel().loadedBytes() + 1023) / 1024);
    }
}
