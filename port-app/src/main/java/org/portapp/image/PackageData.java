package org.portapp.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The data files of the Debian packages an app comes from, which it reads at run time (perl's
 * modules, libmagic's database): what the unikernel's image needs beside the closure. On
 * linuxu the overlay root already shows the host's files.
 *
 * <p>The packages: the executable's own, those that ship the closure's objects, and, followed
 * from these through Depends, only data packages (names ending {@code -data}, {@code -common},
 * {@code -mgc}, {@code -modules} or {@code -modules-VERSION}): that keeps the set bounded by the
 * closure instead of the whole dependency graph (libc6's Depends would otherwise pull in
 * libgcc-s1 and on). Of their files, regular files and links to regular files (as copies: the
 * initrd has no links), except documentation, manuals, info, lintian overrides, bug-report
 * scripts, ld.so's configuration and translations other than LANG's. ELF objects only when they
 * are the executable's own package's plugins (in a subdirectory of a library directory, such as
 * perl's XS modules), with their libraries: other executables and libraries the app did not ask
 * for would only be rewritten for nothing.
 *
 * @param packages what each package adds, in the order found
 */
public record PackageData(List<Package> packages) {
    /**
     * One package's files for the image.
     *
     * @param name  the package
     * @param files its files, at the paths it lists
     * @param bytes their total size
     */
    public record Package(String name, List<FileMapping> files, long bytes) {
        public Package {
            files = List.copyOf(files);
        }
    }

    public PackageData {
        packages = List.copyOf(packages);
    }

    private static final Pattern DATA_PACKAGE = Pattern.compile(".+-(data|common|mgc|modules(-[0-9.]+)?)");

    private static final List<String> SKIP = List.of("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
            "/usr/share/lintian/", "/usr/share/bug/", "/usr/share/doc-base/", "/etc/ld.so.");

    /** Every file to add, each guest path once. */
    public List<FileMapping> files() {
        Map<String, FileMapping> out = new LinkedHashMap<>();
        packages.forEach(p -> p.files().forEach(f -> out.putIfAbsent(f.guest(), f)));
        return List.copyOf(out.values());
    }

    /** One line per package that adds files: its name, file count and size. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        for (Package p : packages) {
            if (!p.files().isEmpty()) {
                lines.add(String.format("package data: %s: %d files, %.1f MiB", p.name(), p.files().size(),
                        p.bytes() / 1048576.0));
            }
        }
        return lines;
    }

    /**
     * The package data for {@code exe} (a host path, or the executable's file in the closure's
     * system root) and its {@code closure}, from {@code dpkg} (that system's database);
     * {@code lang} is the app's LANG (null or empty for none): its translations are kept.
     */
    public static PackageData of(Dpkg dpkg, Path exe, Closure closure, String lang) {
        return of(dpkg, exe, closure, lang, Set.of());
    }

    /**
     * As {@link #of(Dpkg, Path, Closure, String)}, with {@code runtimePackages} too: packages
     * the app loads files of at run time whose names do not say so (node's JavaScript modules in
     * node-*), their ELF plugins included as for the executable's own package (ruby's extension
     * modules ship in libruby3.1).
     */
    public static PackageData of(Dpkg dpkg, Path exe, Closure closure, String lang, Set<String> runtimePackages) {
        Set<String> inClosure = new HashSet<>();
        for (Closure.LoadedObject o : closure.objects()) {
            inClosure.addAll(Dpkg.spellings(o.guestPath()));
            o.aliases().forEach(a -> inClosure.addAll(Dpkg.spellings(a)));
        }
        // the host path first (a host app), then its paths in the closure's system (a package root)
        Closure.LoadedObject exeObject = closure.executable();
        Optional<String> own = ownerOf(dpkg, exe).or(() -> dpkg.ownerOf(exeObject.guestPath()))
                .or(() -> exeObject.aliases().stream().map(dpkg::ownerOf).flatMap(Optional::stream).findFirst());
        Set<String> seeds = new LinkedHashSet<>();
        own.ifPresent(seeds::add);
        for (Closure.LoadedObject o : closure.objects()) {
            dpkg.ownerOf(o.guestPath()).or(() -> ownerOf(dpkg, o.hostFile())).ifPresent(seeds::add);
        }
        runtimePackages.stream().filter(dpkg::installed).forEach(seeds::add);
        Set<String> all = new LinkedHashSet<>(seeds);
        Deque<String> todo = new ArrayDeque<>(seeds);
        while (!todo.isEmpty()) {
            for (String d : dpkg.dependsOf(todo.pop())) {
                if (DATA_PACKAGE.matcher(d).matches() && all.add(d)) {
                    todo.add(d);
                }
            }
        }
        Set<String> langs = languages(lang);
        Set<String> taken = new HashSet<>(inClosure);
        List<Package> out = new ArrayList<>();
        for (String pkg : all) {
            boolean plugins = (own.isPresent() && own.get().equals(pkg)) || runtimePackages.contains(pkg);
            List<FileMapping> files = new ArrayList<>();
            long bytes = 0;
            for (String path : dpkg.files(pkg)) {
                if (!wanted(path, langs) || taken.contains(path)) {
                    continue;
                }
                // links are followed inside the closure's system root, not the host's
                Path host = Closure.fileIn(closure.sysroot(), path).orElse(null);
                if (host == null || !Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (Image.isElfObject(host) && !(plugins && isPlugin(path))) {
                    continue;
                }
                taken.add(path);
                files.add(new FileMapping(host, path));
                bytes += size(host);
                if (Image.isElfObject(host)) {
                    try {
                        for (Closure.LoadedObject l : Closure.of(closure.sysroot(), path).libraries()) {
                            if (taken.add(l.guestPath())) {
                                files.add(new FileMapping(l.hostFile(), l.guestPath()));
                                bytes += size(l.hostFile());
                            }
                        }
                    } catch (ImageException e) {
                        // a plugin whose library is missing fails to load, as natively
                    }
                }
            }
            out.add(new Package(pkg, files, bytes));
        }
        return new PackageData(out);
    }

    private static Optional<String> ownerOf(Dpkg dpkg, Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Optional<String> o = dpkg.ownerOf(abs.toString());
        if (o.isEmpty()) {
            try {
                o = dpkg.ownerOf(abs.toRealPath().toString());
            } catch (IOException e) {
                // not there: no owner
            }
        }
        return o;
    }

    /** Whether a listed path is data the app may read (the rule in the class comment, ELF aside). */
    static boolean wanted(String path, Set<String> langs) {
        for (String s : SKIP) {
            if (path.startsWith(s)) {
                return false;
            }
        }
        if (path.startsWith("/usr/share/locale/") && path.contains("/LC_MESSAGES/")) {
            String l = path.substring("/usr/share/locale/".length(), path.indexOf('/', "/usr/share/locale/".length()));
            return langs.contains(l);
        }
        return true;
    }

    /** The locale directory names LANG selects: de_DE.UTF-8 gives de_DE and de. */
    static Set<String> languages(String lang) {
        Set<String> out = new HashSet<>();
        if (lang == null || lang.isEmpty() || lang.equals("C") || lang.startsWith("C.") || lang.equals("POSIX")) {
            return out;
        }
        String l = lang.split("[.@]", 2)[0];
        out.add(l);
        out.add(l.split("_", 2)[0]);
        return out;
    }

    /** A shared object in a subdirectory of a library directory: a plugin its program loads by path. */
    private static boolean isPlugin(String path) {
        String dir = Path.of(path).getParent().toString();
        if (!(dir.startsWith("/usr/lib/") || dir.startsWith("/lib/"))) {
            return false;
        }
        for (String d : Closure.DEFAULT_DIRS) {
            for (String s : Dpkg.spellings(d)) {
                if (dir.equals(s)) {
                    return false;
                }
            }
        }
        return !dir.equals("/usr/lib") && !dir.equals("/lib");
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
