package org.portapp.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Files an app needs at run time that its {@link Closure} does not list: a runtime's own
 * library (CPython's standard library) and the libraries its objects {@code dlopen} by a
 * fixed name. Both go into the image beside the closure.
 *
 * <p>CPython's standard library stays a rule of its own rather than a case of
 * {@link PackageData}: Debian ships it in libpython3.X-minimal and libpython3.X-stdlib, which
 * neither own the executable nor are data packages by name (and hold its extension modules,
 * ELF plugins of another package), and this rule also leaves out the tests and tools.
 */
public final class RuntimeFiles {
    /** Parts of the standard library python never needs at run time (tests, tools, the static libpython). */
    private static final Set<String> PYTHON_SKIP = Set.of("test", "idlelib", "tkinter", "turtledemo", "ensurepip",
            "lib2to3", "pydoc_data", "distutils", "site-packages", "dist-packages");

    private static final Pattern SONAME = Pattern.compile("lib[A-Za-z0-9_+-][A-Za-z0-9_+.-]*\\.so(\\.[0-9]+)*");

    private RuntimeFiles() {
    }

    /** Where ncurses looks for terminal descriptions, in its order (Debian's build). */
    private static final List<String> TERMINFO_DIRS = List.of("/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo");

    /**
     * The description of terminal type {@code term} (the app's {@code TERM}) from the host's
     * terminfo, at the path ncurses reads it by: readline and curses know the terminal's keys
     * (Home, End, arrows) and capabilities only through it. Empty when {@code term} is
     * null, not a plain name, or not described on the host.
     */
    public static List<FileMapping> terminfo(String term) {
        if (term == null || !term.matches("[A-Za-z0-9][A-Za-z0-9._+-]*")) {
            return List.of();
        }
        for (String dir : TERMINFO_DIRS) {
            Path entry = Path.of(dir, term.substring(0, 1), term);
            if (Files.isRegularFile(entry)) {
                return List.of(new FileMapping(entry, entry.toString()));
            }
        }
        return List.of();
    }

    /**
     * Files an app is known to need at run time beyond its closure: for CPython
     * ({@code pythonX.Y}), its standard library under {@code PREFIX/lib/pythonX.Y} (sources and
     * their plain {@code .pyc}, the extension modules of {@code lib-dynload} and the shared
     * libraries those load).
     *
     * @throws ImageException if the standard library cannot be read
     */
    public static List<FileMapping> of(Path exe) {
        return of(Path.of("/"), exe.toAbsolutePath().normalize().toString());
    }

    /**
     * As {@link #of(Path)} for {@code guestExe} in the system root {@code sysroot} (symlinks
     * resolved inside it): the files found there, at their paths in that system.
     */
    public static List<FileMapping> of(Path sysroot, String guestExe) {
        String real = Closure.canonicalIn(sysroot, guestExe).orElse(null);
        if (real == null) {
            return List.of();
        }
        Path realPath = Path.of(real);
        Matcher m = Pattern.compile("python(\\d+\\.\\d+)").matcher(realPath.getFileName().toString());
        Path prefix = realPath.getParent() == null ? null : realPath.getParent().getParent();
        if (!m.matches() || prefix == null) {
            return List.of();
        }
        String libGuest = prefix.resolve("lib").resolve("python" + m.group(1)).toString();
        Path lib = sysroot.resolve(libGuest.substring(1));
        if (Closure.fileIn(sysroot, libGuest + "/os.py").filter(Files::isRegularFile).isEmpty()) {
            return List.of();
        }
        Map<String, FileMapping> out = new TreeMap<>();
        try (var s = Files.walk(lib)) {
            for (Path p : s.sorted().toList()) {
                Path rel = lib.relativize(p);
                if (rel.toString().isEmpty()) {
                    continue;
                }
                String top = rel.getName(0).toString();
                String name = p.getFileName().toString();
                if (PYTHON_SKIP.contains(top) || top.startsWith("config-") || name.contains(".opt-")
                        || rel.toString().contains("/test/") || rel.toString().contains("/tests/")) {
                    continue;
                }
                String guest = libGuest + "/" + rel;
                // a link (sitecustomize.py -> /etc/...) is followed inside the system root
                Path file = Closure.fileIn(sysroot, guest).filter(Files::isRegularFile).orElse(null);
                if (file == null) {
                    continue;
                }
                out.put(guest, new FileMapping(file, guest));
                if (name.endsWith(".so")) {
                    try {
                        for (Closure.LoadedObject o : Closure.of(sysroot, guest).libraries()) {
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
        } catch (IOException | UncheckedIOException e) {
            throw new ImageException(lib + ": cannot read: " + e.getMessage(), e);
        }
        return List.copyOf(out.values());
    }

    /**
     * Libraries the closure's objects name in their data but do not list in DT_NEEDED, found in
     * the system's library directories: what they {@code dlopen} by a fixed name (libc:
     * libgcc_s.so.1 for thread cancellation and unwinding; an app's own {@code dlopen("libm.so.6")}),
     * each with its own DT_NEEDED closure. Placed in ld.so's first default directory.
     */
    public static List<FileMapping> dlopened(Closure closure) {
        Set<String> known = new HashSet<>();
        for (Closure.LoadedObject o : closure.objects()) {
            known.add(Path.of(o.guestPath()).getFileName().toString());
            o.aliases().forEach(a -> known.add(Path.of(a).getFileName().toString()));
        }
        Map<String, FileMapping> out = new TreeMap<>();
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
                    String found = dir + "/" + name;
                    Path host = Closure.fileIn(closure.sysroot(), found).filter(Files::isRegularFile).orElse(null);
                    if (host == null) {
                        continue;
                    }
                    // without /etc/ld.so.cache in the image, ld.so's own default directory finds it
                    String guest = Closure.DEFAULT_DIRS.get(0) + "/" + name;
                    out.putIfAbsent(guest, new FileMapping(host, guest));
                    try {
                        for (Closure.LoadedObject l : Closure.of(closure.sysroot(), found).libraries()) {
                            if (known.add(Path.of(l.guestPath()).getFileName().toString())) {
                                out.putIfAbsent(l.guestPath(), new FileMapping(l.hostFile(), l.guestPath()));
                            }
                        }
                    } catch (ImageException e) {
                        // its own library is missing: dlopen fails as it would natively
                    }
                    break;
                }
            }
        }
        return List.copyOf(out.values());
    }

    /** Strings of the form libNAME.so[.N...] that stand alone (NUL before and after) in b. */
    private static Set<String> nulTerminatedNames(byte[] b) {
        Set<String> names = new TreeSet<>();
        for (int i = 0; i + 6 < b.length; i++) {
            if (b[i] != 'l' || b[i + 1] != 'i' || b[i + 2] != 'b' || (i > 0 && b[i - 1] != 0)) {
                continue;
            }
            int end = i;
            while (end < b.length && end - i < 64 && b[end] > 32 && b[end] < 127) {
                end++;
            }
            if (end < b.length && b[end] == 0) {
                String s = new String(b, i, end - i, StandardCharsets.US_ASCII);
                if (SONAME.matcher(s).matches()) {
                    names.add(s);
                }
            }
            i = end;
        }
        return names;
    }
}
