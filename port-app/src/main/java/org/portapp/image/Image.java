package org.portapp.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.portapp.cache.CacheDir;
import org.portapp.elf.ElfFile;
import org.portapp.elf.ElfHeader;
import org.portapp.platform.CachedBuild;

/**
 * An app's image as a real directory tree: every object of its {@link Closure} (rewritten,
 * unless asked otherwise) at each guest path ld.so opens it by, the /etc files glibc reads
 * ({@link EtcFiles}, unless the user supplies them), and the user's own files. The tree holds
 * regular files and directories only, no symlinks, so a platform can resolve guest paths in it
 * lexically (platforms/linuxu --root does). Images are cached by content under
 * {@code cacheRoot/images/<hash>/root} and built all-or-nothing.
 *
 * @param root       the image's root directory on the host
 * @param executable the executable's guest path
 * @param files      every guest file in the image (objects, aliases, /etc, the user's) mapped
 *                   to its host path inside {@code root}
 * @param closure    the objects it was built from
 */
public record Image(Path root, String executable, Map<String, Path> files, Closure closure) {
    public Image {
        files = Map.copyOf(files);
    }

    /** The host file of the executable inside the image. */
    public Path executableFile() {
        return hostPath(executable);
    }

    /** Where guest path {@code guest} lies on the host, inside the image's root. */
    public Path hostPath(String guest) {
        return root.resolve(guest.substring(1));
    }

    /**
     * Builds (or finds in the cache) the image of {@code closure}.
     *
     * @param cacheRoot the port-app cache directory (rewritten objects go to its {@code rewritten/},
     *                  images to {@code images/})
     * @param extra     the user's files and directories; an /etc file among them replaces the default;
     *                  x86-64 ELF objects among them are rewritten too (when {@code rewrite})
     * @param rewrite   false: the objects go in as they are (the app then runs on the fallback path)
     * @param progress  where progress lines go (one per object actually rewritten)
     * @throws ImageException if a file cannot be read or the cache cannot be written
     */
    public static Image build(Path cacheRoot, Closure closure, List<FileMapping> extra, boolean rewrite,
                              Consumer<String> progress) {
        return build(cacheRoot, closure, extra, rewrite, Progress.verbose(progress));
    }

    /** As {@link #build(Path, Closure, List, boolean, Consumer)}, saying what it does on {@code progress}. */
    public static Image build(Path cacheRoot, Closure closure, List<FileMapping> extra, boolean rewrite,
                              Progress progress) {
        RewriteCache cache = new RewriteCache(cacheRoot, progress);
        // n/N counts the closure; the user's ELF objects, found as the walk goes, add to N
        progress.objects(rewrite ? new java.util.HashSet<>(closure.files().values()).size() : 0);
        // guest path -> source on the host (rewritten object, original, or the user's file)
        Map<String, Path> sources = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : closure.files().entrySet()) {
            sources.put(e.getKey(), rewrite ? cache.rewritten(e.getValue()) : e.getValue());
        }
        Map<String, byte[]> etc = new LinkedHashMap<>(EtcFiles.from(closure.sysroot().resolve("etc")));
        Map<String, Path> user = new LinkedHashMap<>();
        for (FileMapping m : extra) {
            for (Map.Entry<String, Path> f : walk(m.requireExists()).entrySet()) {
                // x86-64 ELF objects among them (dlopen'ed plugins, extension modules) are rewritten too
                user.put(f.getKey(), rewrite && isElfObject(f.getValue()) ? rewrittenOrAsIs(cache, f.getValue(), progress)
                        : f.getValue());
                etc.remove(f.getKey());
                sources.remove(f.getKey());
            }
        }
        progress.objectsDone();

        String key = key(sources, etc, user);
        Path dir = cacheRoot.toAbsolutePath().normalize().resolve("images").resolve(key);
        Path root = dir.resolve("root");
        Map<String, Path> files = new LinkedHashMap<>();
        sources.keySet().forEach(g -> files.put(g, root.resolve(g.substring(1))));
        etc.keySet().forEach(g -> files.put(g, root.resolve(g.substring(1))));
        user.keySet().forEach(g -> files.put(g, root.resolve(g.substring(1))));
        Image image = new Image(root, closure.executable().guestPath(), files, closure);
        if (Files.isRegularFile(dir.resolve("complete"))) {
            CacheDir.touch(dir); // recently used: pruned last
            return image;
        }
        try {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), key + ".tmp");
            try {
                Path troot = tmp.resolve("root");
                Files.createDirectories(troot);
                for (Map.Entry<String, Path> e : sources.entrySet()) {
                    place(troot, e.getKey(), e.getValue(), true);
                }
                for (Map.Entry<String, byte[]> e : etc.entrySet()) {
                    Path t = target(troot, e.getKey());
                    Files.write(t, e.getValue());
                }
                for (Map.Entry<String, Path> e : user.entrySet()) {
                    place(troot, e.getKey(), e.getValue(), e.getValue().startsWith(cacheRoot.toAbsolutePath()));
                }
                Files.writeString(tmp.resolve("complete"), "executable " + image.executable() + "\n");
                CachedBuild.moveIntoPlace(tmp, dir, dir.resolve("complete"));
            } finally {
                CachedBuild.deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new ImageException("cannot build the image in " + dir + ": " + e, e);
        }
        return image;
    }

    /** A user's ELF file rewritten, or (said on progress) as it is when the rewriter refuses it. */
    private static Path rewrittenOrAsIs(RewriteCache cache, Path file, Progress progress) {
        try {
            return cache.rewritten(file);
        } catch (org.portapp.rewrite.RewriteException | org.portapp.elf.ElfException e) {
            progress.warn("port-app: " + file + " goes in unrewritten (its syscalls take the fallback path): "
                    + e.getMessage());
            return file;
        }
    }

    /**
     * The original (host) files of every x86-64 ELF object a process built from {@code closure}
     * and {@code extra} can run: the closure's, and those among the extra files and trees
     * (extension modules, plugins), each once. What a sound footprint must cover.
     */
    public static List<Path> elfObjects(Closure closure, List<FileMapping> extra) {
        java.util.Set<Path> out = new java.util.LinkedHashSet<>();
        for (Closure.LoadedObject o : closure.objects()) {
            out.add(o.hostFile());
        }
        out.addAll(elfObjects(extra).values());
        return List.copyOf(out);
    }

    /** Every x86-64 ELF object among {@code extra}'s files and trees: guest path to host file. */
    public static Map<String, Path> elfObjects(List<FileMapping> extra) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (FileMapping m : extra) {
            walk(m.requireExists()).forEach((guest, host) -> {
                if (isElfObject(host)) {
                    out.put(guest, host);
                }
            });
        }
        return out;
    }

    /**
     * The ELF objects among {@code extra} rewritten (cached; as they are when the rewriter
     * refuses one), one mapping per file: what a static app's initrd puts over the user's
     * originals, so a program the app execs runs through its slot table as the app does.
     * Counted on {@code progress} within the caller's pass.
     */
    public static List<FileMapping> rewrittenObjects(Path cacheRoot, Map<String, Path> objects, Progress progress) {
        RewriteCache cache = new RewriteCache(cacheRoot, progress);
        List<FileMapping> out = new ArrayList<>();
        objects.forEach((guest, host) -> out.add(new FileMapping(rewrittenOrAsIs(cache, host, progress), guest)));
        return out;
    }

    /** True for an x86-64 ELF64 executable or shared object. */
    static boolean isElfObject(Path p) {
        java.util.OptionalInt type = ElfFile.x86_64Type(p);
        return type.isPresent() && (type.getAsInt() == ElfHeader.ET_EXEC || type.getAsInt() == ElfHeader.ET_DYN);
    }

    /** The files of a mapping: one file, or every regular file under a directory (symlinks followed). */
    private static Map<String, Path> walk(FileMapping m) {
        Map<String, Path> out = new LinkedHashMap<>();
        if (!Files.isDirectory(m.host())) {
            out.put(m.guest(), m.host());
            return out;
        }
        try (Stream<Path> s = Files.walk(m.host(), java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = m.host().relativize(p).toString();
                out.put(m.guest() + "/" + rel, p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ImageException(m.host() + ": cannot read: " + e.getMessage(), e);
        }
        return out;
    }

    private static Path target(Path root, String guest) throws IOException {
        Path t = root.resolve(guest.substring(1)).normalize();
        if (!t.startsWith(root)) {
            throw new ImageException(guest + ": outside the image");
        }
        Files.createDirectories(t.getParent());
        if (Files.isDirectory(t, LinkOption.NOFOLLOW_LINKS)) {
            throw new ImageException(guest + ": is a directory in the image, cannot also be a file");
        }
        Files.deleteIfExists(t);
        return t;
    }

    /** A hard link to the cached object when the file system allows, else a copy. */
    private static void place(Path root, String guest, Path source, boolean link) throws IOException {
        Path t = target(root, guest);
        if (link) {
            try {
                Files.createLink(t, source);
                return;
            } catch (IOException | UnsupportedOperationException e) {
                // another file system: copy
            }
        }
        Files.copy(source, t, StandardCopyOption.COPY_ATTRIBUTES);
    }

    /** Hash of every guest path with its source's identity (path, size, mtime) and the /etc contents. */
    private static String key(Map<String, Path> sources, Map<String, byte[]> etc, Map<String, Path> user) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Map.Entry<String, Path>> all = new ArrayList<>(sources.entrySet());
        all.addAll(user.entrySet());
        for (Map.Entry<String, Path> e : all) {
            Path p = e.getValue();
            String id;
            try {
                id = p + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis();
            } catch (IOException ex) {
                throw new ImageException(p + ": cannot read: " + ex.getMessage(), ex);
            }
            md.update((e.getKey() + "\0" + id + "\n").getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, byte[]> e : etc.entrySet()) {
            md.update((e.getKey() + "\0" + e.getValue().length + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(e.getValue());
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 24);
    }

}
