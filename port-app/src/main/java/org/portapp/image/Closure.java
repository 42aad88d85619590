package org.portapp.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;

/**
 * The objects ld.so loads for an executable: its PT_INTERP and the DT_NEEDED closure,
 * resolved the way glibc's ld.so resolves them, in a system root (the host's {@code /} or an
 * unpacked tree).
 *
 * <p>Search order for a name without a slash, needed by object O: the DT_RPATH of O and of
 * the objects that loaded it up to the executable (each only while it has no DT_RUNPATH; none
 * at all if O has a DT_RUNPATH), then O's DT_RUNPATH, then the system's directories: the
 * entries of {@code /etc/ld.so.conf} (with its {@code include}s, as ldconfig puts them in
 * {@code ld.so.cache}) followed by {@code /lib/x86_64-linux-gnu}, {@code
 * /usr/lib/x86_64-linux-gnu}, {@code /lib64}, {@code /lib}, {@code /usr/lib}. {@code $ORIGIN}
 * is the directory of the object (of the executable's canonical path for the executable);
 * {@code $LIB} and {@code $PLATFORM} expand as on Debian amd64. A name that an already loaded
 * object answers to (the name it was asked for, its DT_SONAME, or the same file under another
 * path) is not loaded again; candidates that are not x86-64 ELF64 files are skipped.
 * LD_LIBRARY_PATH is not consulted: the image must not depend on the caller's environment.
 *
 * <p>Each object keeps the path ld.so will ask for (symlinks are followed to find the file,
 * not to rename it), plus its canonical path as an alias.
 */
public final class Closure {
    /** What an object is to the app. */
    public enum Kind { EXECUTABLE, INTERPRETER, LIBRARY }

    /**
     * One object of the closure.
     *
     * @param kind      executable, interpreter (ld.so) or library
     * @param guestPath the absolute path the app (or ld.so) opens it by
     * @param hostFile  the file holding it (symlinks resolved)
     * @param neededBy  guest path of the object whose DT_NEEDED (or PT_INTERP) brought it in;
     *                  empty for the executable
     * @param aliases   other guest paths of the same file the image should also hold (its
     *                  canonical path when it differs)
     */
    public record LoadedObject(Kind kind, String guestPath, Path hostFile, String neededBy, List<String> aliases) {
        public LoadedObject {
            aliases = List.copyOf(aliases);
        }
    }

    /** Directories searched after RPATH/RUNPATH when the system has no ld.so.conf entries for them. */
    public static final List<String> DEFAULT_DIRS = List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/lib64", "/lib", "/usr/lib");

    private final Path sysroot;
    private final List<LoadedObject> objects;
    private final List<String> systemDirs;

    private Closure(Path sysroot, List<LoadedObject> objects, List<String> systemDirs) {
        this.sysroot = sysroot;
        this.objects = List.copyOf(objects);
        this.systemDirs = List.copyOf(systemDirs);
    }

    /** The closure of a host executable, with the host's own libraries and ld.so.conf. */
    public static Closure of(Path executable) {
        Path abs = executable.toAbsolutePath().normalize();
        return of(Path.of("/"), abs.toString());
    }

    /**
     * The closure of {@code guestExecutable} (an absolute path inside {@code sysroot}), with the
     * libraries and ld.so.conf of that system root.
     *
     * @throws ImageException naming any object that is missing or unreadable and who needs it
     */
    public static Closure of(Path sysroot, String guestExecutable) {
        Resolver r = new Resolver(sysroot.toAbsolutePath().normalize());
        return r.resolve(guestExecutable);
    }

    /**
     * The file that {@code guest} (an absolute path) names inside {@code sysroot}, symlinks
     * resolved inside the root (absolute targets taken relative to it, as a chroot would), or
     * empty if some component does not exist. In the host's {@code /} this is the real path.
     */
    public static Optional<Path> fileIn(Path sysroot, String guest) {
        Resolver r = new Resolver(sysroot.toAbsolutePath().normalize(), List.of());
        String c = guest.startsWith("/") ? r.canonical(guest) : null;
        return c == null ? Optional.empty() : Optional.of(r.host(c));
    }

    /** As {@link #fileIn}, the canonical guest path itself. */
    public static Optional<String> canonicalIn(Path sysroot, String guest) {
        Resolver r = new Resolver(sysroot.toAbsolutePath().normalize(), List.of());
        return Optional.ofNullable(guest.startsWith("/") ? r.canonical(guest) : null);
    }

    /** All objects: the executable first, then the interpreter (if any), then libraries in load order. */
    public List<LoadedObject> objects() {
        return objects;
    }

    public LoadedObject executable() {
        return objects.get(0);
    }

    public Optional<LoadedObject> interpreter() {
        return objects.stream().filter(o -> o.kind() == Kind.INTERPRETER).findFirst();
    }

    public List<LoadedObject> libraries() {
        return objects.stream().filter(o -> o.kind() == Kind.LIBRARY).toList();
    }

    /** Every guest path (aliases included) mapped to its host file, in load order. */
    public Map<String, Path> files() {
        Map<String, Path> m = new LinkedHashMap<>();
        for (LoadedObject o : objects) {
            m.putIfAbsent(o.guestPath(), o.hostFile());
            o.aliases().forEach(a -> m.putIfAbsent(a, o.hostFile()));
        }
        return Collections.unmodifiableMap(m);
    }

    /** The system root the closure was resolved in. */
    public Path sysroot() {
        return sysroot;
    }

    /** The system's library directories, in search order (after RPATH/RUNPATH). */
    public List<String> systemDirs() {
        return systemDirs;
    }

    /** Resolution state: one per call. */
    private static final class Resolver {
        private final Path root;
        private final List<String> systemDirs;
        /** name asked for, soname, or canonical path -> loaded object index */
        private final Map<String, Integer> known = new HashMap<>();
        private final List<LoadedObject> objects = new ArrayList<>();
        private final List<Dyn> dyns = new ArrayList<>();
        private final List<Integer> loader = new ArrayList<>();

        Resolver(Path root) {
            this(root, systemDirs(root));
        }

        Resolver(Path root, List<String> systemDirs) {
            this.root = root;
            this.systemDirs = systemDirs;
        }

        /** Dynamic info of one object. */
        record Dyn(List<String> needed, List<String> rpath, List<String> runpath, String soname) {
        }

        Closure resolve(String exe) {
            if (!exe.startsWith("/")) {
                throw new ImageException(exe + ": not an absolute path");
            }
            String canon = canonical(exe);
            if (canon == null || !Files.isRegularFile(host(canon))) {
                throw new ImageException(exe + ": no such file" + where());
            }
            ElfFile elf = read(canon, exe, "");
            add(Kind.EXECUTABLE, exe, canon, "", elf, -1);
            Optional<String> interp = elf.interpreter();
            if (interp.isPresent()) {
                String ip = interp.get();
                String ic = canonical(ip);
                if (ic == null || !Files.isRegularFile(host(ic))) {
                    throw new ImageException("the interpreter " + ip + " (PT_INTERP of " + exe + ") not found"
                            + where());
                }
                add(Kind.INTERPRETER, ip, ic, exe, read(ic, ip, exe), 0);
            }
            // Breadth first, like ld.so: each object's DT_NEEDED in order, level by level.
            Deque<Integer> queue = new ArrayDeque<>();
            queue.add(0);
            if (interp.isPresent()) {
                queue.add(1);
            }
            while (!queue.isEmpty()) {
                int i = queue.poll();
                for (String name : dyns.get(i).needed()) {
                    if (known.containsKey(name)) {
                        continue;
                    }
                    String found = search(name, i);
                    String canonPath = canonical(found);
                    Integer same = known.get("canon:" + canonPath);
                    if (same != null) {
                        known.put(name, same);
                        continue;
                    }
                    ElfFile lib = read(canonPath, found, objects.get(i).guestPath());
                    int k = add(Kind.LIBRARY, found, canonPath, objects.get(i).guestPath(), lib, i);
                    known.put(name, k);
                    queue.add(k);
                }
            }
            return new Closure(root, objects, systemDirs);
        }

        private int add(Kind kind, String guest, String canon, String neededBy, ElfFile elf, int loadedBy) {
            int k = objects.size();
            List<String> aliases = canon.equals(guest) ? List.of() : List.of(canon);
            objects.add(new LoadedObject(kind, guest, host(canon), neededBy, aliases));
            Dyn d = dynOf(elf);
            dyns.add(d);
            loader.add(loadedBy);
            known.put("canon:" + canon, k);
            if (d.soname() != null) {
                known.putIfAbsent(d.soname(), k);
            }
            return k;
        }

        private String where() {
            return root.toString().equals("/") ? "" : " in " + root;
        }

        /** The guest path ld.so finds {@code name} at for object {@code i}, or an error. */
        private String search(String name, int i) {
            String origin = objects.get(i).guestPath();
            if (name.contains("/")) {
                String p = name.startsWith("/") ? name : parent(origin) + "/" + name;
                if (compatible(p)) {
                    return p;
                }
                throw notFound(name, i, List.of());
            }
            Set<String> dirs = new LinkedHashSet<>();
            Dyn self = dyns.get(i);
            if (self.runpath().isEmpty()) {
                for (int j = i; j >= 0; j = loader.get(j)) {
                    if (dyns.get(j).runpath().isEmpty()) {
                        dirs.addAll(expand(dyns.get(j).rpath(), j));
                    }
                }
                if (i != 0 && dyns.get(0).runpath().isEmpty()) {
                    dirs.addAll(expand(dyns.get(0).rpath(), 0));
                }
            }
            dirs.addAll(expand(self.runpath(), i));
            dirs.addAll(systemDirs);
            for (String d : dirs) {
                String p = (d.endsWith("/") ? d : d + "/") + name;
                if (compatible(p)) {
                    return p;
                }
            }
            throw notFound(name, i, List.copyOf(dirs));
        }

        private ImageException notFound(String name, int i, List<String> dirs) {
            return new ImageException(name + ", needed by " + objects.get(i).guestPath() + ", not found"
                    + where() + (dirs.isEmpty() ? "" : " (searched " + String.join(", ", dirs) + ")")
                    + "; install the package that provides it");
        }

        private List<String> expand(List<String> dirs, int j) {
            List<String> out = new ArrayList<>();
            LoadedObject o = objects.get(j);
            String originOf = o.kind() == Kind.EXECUTABLE && !o.aliases().isEmpty() ? o.aliases().get(0) : o.guestPath();
            String origin = parent(originOf);
            for (String d : dirs) {
                if (d.isEmpty()) {
                    continue;   // an empty entry means the current directory: not part of an image
                }
                String e = d.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
                        .replace("${LIB}", "lib/x86_64-linux-gnu").replace("$LIB", "lib/x86_64-linux-gnu")
                        .replace("${PLATFORM}", "x86_64").replace("$PLATFORM", "x86_64");
                if (e.startsWith("/")) {
                    out.add(Path.of(e).normalize().toString());
                }
            }
            return out;
        }

        private static String parent(String guest) {
            int s = guest.lastIndexOf('/');
            return s <= 0 ? "/" : guest.substring(0, s);
        }

        private Path host(String guest) {
            return root.resolve(guest.substring(1));
        }

        /**
         * The canonical guest path of {@code guest} (symlinks resolved inside the root, absolute
         * targets taken relative to it), or null if some component does not exist.
         */
        String canonical(String guest) {
            Deque<String> todo = new ArrayDeque<>(List.of(guest.split("/")));
            Deque<String> done = new ArrayDeque<>();
            int hops = 0;
            while (!todo.isEmpty()) {
                String c = todo.poll();
                if (c.isEmpty() || c.equals(".")) {
                    continue;
                }
                if (c.equals("..")) {
                    done.pollLast();
                    continue;
                }
                done.addLast(c);
                Path h = host("/" + String.join("/", done));
                if (Files.isSymbolicLink(h)) {
                    if (++hops > 40) {
                        return null;
                    }
                    String target;
                    try {
                        target = Files.readSymbolicLink(h).toString();
                    } catch (IOException e) {
                        return null;
                    }
                    done.pollLast();
                    if (target.startsWith("/")) {
                        done.clear();
                    }
                    List<String> parts = new ArrayList<>(List.of(target.split("/")));
                    Collections.reverse(parts);
                    parts.forEach(todo::addFirst);
                } else if (!Files.exists(h, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    return null;
                }
            }
            return "/" + String.join("/", done);
        }

        /** True if {@code guest} is a regular x86-64 ELF64 little-endian file (ld.so skips others). */
        private boolean compatible(String guest) {
            String c = canonical(guest);
            return c != null && Files.isRegularFile(host(c)) && ElfFile.x86_64Type(host(c)).isPresent();
        }

        private ElfFile read(String canon, String guest, String neededBy) {
            try {
                return ElfFile.read(host(canon));
            } catch (ElfException e) {
                throw new ImageException(guest + (neededBy.isEmpty() ? "" : " (needed by " + neededBy + ")")
                        + ": " + e.getMessage(), e);
            }
        }

        private static Dyn dynOf(ElfFile elf) {
            return new Dyn(elf.needed(), elf.rpath(), elf.runpath(), elf.soname().orElse(null));
        }

        /** ld.so.conf entries (includes expanded, in order) followed by the default directories. */
        static List<String> systemDirs(Path root) {
            Set<String> dirs = new LinkedHashSet<>();
            readConf(root, "/etc/ld.so.conf", dirs, 0);
            dirs.addAll(DEFAULT_DIRS);
            return List.copyOf(dirs);
        }

        private static void readConf(Path root, String guest, Set<String> out, int depth) {
            Path f = root.resolve(guest.substring(1));
            if (depth > 8 || !Files.isRegularFile(f)) {
                return;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return;   // unreadable: ldconfig skips it too
            }
            for (String line : lines) {
                int hash = line.indexOf('#');
                String l = (hash >= 0 ? line.substring(0, hash) : line).trim();
                if (l.isEmpty() || l.startsWith("hwcap ")) {
                    continue;
                }
                if (l.startsWith("include ") || l.startsWith("include\t")) {
                    for (String pat : l.substring(8).trim().split("\\s+")) {
                        String abs = pat.startsWith("/") ? pat : parent(guest) + "/" + pat;
                        for (String inc : glob(root, abs)) {
                            readConf(root, inc, out, depth + 1);
                        }
                    }
                    continue;
                }
                for (String d : l.split("[\\s:,=]+")) {
                    if (d.startsWith("/")) {
                        out.add(d.length() > 1 && d.endsWith("/") ? d.substring(0, d.length() - 1) : d);
                    }
                }
            }
        }

        /** Files matching a glob whose wildcards are in the last component only (as ld.so.conf uses). */
        private static List<String> glob(Path root, String pattern) {
            String dir = parent(pattern);
            String name = pattern.substring(pattern.lastIndexOf('/') + 1);
            Path d = root.resolve(dir.substring(1));
            if (!Files.isDirectory(d)) {
                return List.of();
            }
            java.nio.file.PathMatcher m = d.getFileSystem().getPathMatcher("glob:" + name);
            try (var s = Files.list(d)) {
                return s.filter(p -> m.matches(p.getFileName())).map(p -> (dir.equals("/") ? "" : dir) + "/"
                        + p.getFileName()).sorted().toList();
            } catch (IOException e) {
                return List.of();
            }
        }
    }
}
