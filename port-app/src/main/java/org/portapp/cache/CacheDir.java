package org.portapp.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.portapp.platform.CachedBuild;

/**
 * The port-app cache directory as a set of entries that can be listed and trimmed: each
 * rewritten object ({@code rewritten/<hash>/}), each image ({@code images/<hash>/}) and each
 * platform build ({@code platforms/<name>-<hash>/}) and each recipe's unpacked packages
 * ({@code pkg-roots/<recipe>-<hash>/}) is one entry, last used at its
 * directory's modification time (touched by {@link #touch} whenever a run reuses it).
 *
 * <p>Sizes count disk use: images hard-link the rewritten objects, so a file with n links
 * counts 1/n towards each entry that holds it, the total counts each file once, and a prune
 * frees a file only when its last link goes.
 *
 * <p>Entries in use are never deleted, by two rules: a run holds a shared lock on
 * {@code in-use.lock} from before it prepares the app until the app ends ({@link #inUse}),
 * and a prune needs that lock exclusively (a prune after a run's own build happens before
 * the run takes its lock); and a prune never deletes an entry used less than {@link #GRACE}
 * ago, which covers a concurrent run between reusing an entry and taking its lock, and a
 * build still writing its temporary directory.
 */
public final class CacheDir {
    /** What the cache keeps itself under after a run or build adds to it (PORT_APP_CACHE_MAX overrides). */
    public static final long DEFAULT_MAX_BYTES = 2L << 30;
    /** Entries used more recently than this are never pruned. */
    public static final Duration GRACE = Duration.ofMinutes(10);
    static final String LOCK = "in-use.lock";

    /** The kinds of entry, each a folder of the cache. */
    public enum Kind {
        REWRITTEN("rewritten", "rewritten objects"), IMAGES("images", "images"),
        PLATFORMS("platforms", "platform builds"),
        /** Debian packages unpacked for a recipe ({@code org.portapp.pkg.PackageRoot}). */
        PACKAGE_ROOTS("pkg-roots", "package roots");

        private final String folder;
        private final String label;

        Kind(String folder, String label) {
            this.folder = folder;
            this.label = label;
        }

        public String folder() {
            return folder;
        }

        public String label() {
            return label;
        }
    }

    /** One cached thing: its share of disk use and when it was last used. */
    public record Entry(Kind kind, Path dir, long bytes, Instant lastUsed) {
    }

    /** What a prune did. */
    public record Pruned(int entries, long freedBytes, long remainingBytes) {
    }

    private final Path root;

    private CacheDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public static CacheDir at(Path root) {
        return new CacheDir(root);
    }

    public Path root() {
        return root;
    }

    /** Marks {@code dir} as used now (pruned last); best effort, a read-only cache still works. */
    public static void touch(Path dir) {
        try {
            Files.setLastModifiedTime(dir, FileTime.from(Instant.now()));
        } catch (IOException | UnsupportedOperationException e) {
            // only the prune order suffers
        }
    }

    /** Every entry, least recently used first. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>();
        for (Scanned s : scan()) {
            double share = 0;
            for (FileInfo f : s.files()) {
                share += (double) f.size() / Math.max(1, f.links());
            }
            out.add(new Entry(s.kind(), s.dir(), Math.round(share), s.lastUsed()));
        }
        return out;
    }

    /** Disk use of everything in the entries, each file counted once. */
    public long totalBytes() {
        return unique(scan()).values().stream().mapToLong(FileInfo::size).sum();
    }

    /**
     * Deletes entries, least recently used first, until the cache holds at most {@code maxBytes}
     * (entries used within {@code grace} are kept even if that leaves more).
     *
     * @throws CacheException if a run is using the cache (it holds {@code in-use.lock})
     */
    public Pruned prune(long maxBytes, Duration grace) {
        try (Lock l = exclusive()) {
            if (l == null) {
                throw new CacheException("the cache " + root + " is in use by a running port-app; try again when "
                        + "it has ended");
            }
            return pruneLocked(maxBytes, grace);
        }
    }

    /** Deletes every entry ({@code cache clear}). @throws CacheException if a run is using the cache */
    public Pruned clear() {
        return prune(0, Duration.ZERO);
    }

    /**
     * The prune after a run or build added to the cache: to the limit of PORT_APP_CACHE_MAX
     * (default {@link #DEFAULT_MAX_BYTES}), and not at all while another run holds the cache
     * (the next run will). Returns null when it did not prune.
     */
    public Pruned pruneAfterUse() {
        long max = DEFAULT_MAX_BYTES;
        String env = System.getenv("PORT_APP_CACHE_MAX");
        if (env != null && !env.isBlank()) {
            max = parseSize(env.strip());
        }
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Lock l = exclusive()) {
            return l == null ? null : pruneLocked(max, GRACE);
        }
    }

    private Pruned pruneLocked(long maxBytes, Duration grace) {
        List<Scanned> all = scan();
        Map<Object, FileInfo> files = unique(all);
        long total = files.values().stream().mapToLong(FileInfo::size).sum();
        // links left per file, as entries go: a file is freed with its last link
        Map<Object, Long> links = new HashMap<>();
        files.forEach((k, f) -> links.put(k, f.links()));
        Instant keepAfter = Instant.now().minus(grace);
        int deleted = 0;
        long freed = 0;
        for (Scanned s : all) {
            if (total <= maxBytes) {
                break;
            }
            if (s.lastUsed().isAfter(keepAfter)) {
                continue;
            }
            CachedBuild.deleteTree(s.dir());
            if (Files.exists(s.dir(), LinkOption.NOFOLLOW_LINKS)) {
                throw new CacheException("cannot delete " + s.dir());
            }
            deleted++;
            for (FileInfo f : s.files()) {
                long left = links.merge(f.key(), -1L, Long::sum);
                if (left == 0) {
                    total -= f.size();
                    freed += f.size();
                }
            }
        }
        return new Pruned(deleted, freed, total);
    }

    /**
     * A shared hold on the cache for the duration of a run: no prune deletes anything while it
     * is held. Returns null when the cache directory cannot be created (a run then goes on).
     */
    public AutoCloseable inUse() {
        try {
            FileChannel ch = openLockFile();
            FileLock lock;
            try {
                lock = ch.lock(0, Long.MAX_VALUE, true);
            } catch (IOException | OverlappingFileLockException e) {
                ch.close();
                return null;
            }
            return new Lock(ch, lock);
        } catch (IOException e) {
            return null;
        }
    }

    /** The lock file (created with the cache root if need be), which runs share and prune takes alone. */
    private FileChannel openLockFile() throws IOException {
        Files.createDirectories(root);
        return FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** The exclusive lock, or null when a run holds the shared one. */
    private Lock exclusive() {
        try {
            FileChannel ch = openLockFile();
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process (a run prepared in-process)
            }
            if (lock == null) {
                ch.close();
                return null;
            }
            return new Lock(ch, lock);
        } catch (IOException e) {
            throw new CacheException("cannot lock the cache " + root + ": " + e.getMessage(), e);
        }
    }

    private record Lock(FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException e) {
                // closing the channel releases the lock anyway
            }
        }
    }

    private record FileInfo(Object key, long size, long links) {
    }

    private record Scanned(Kind kind, Path dir, Instant lastUsed, List<FileInfo> files) {
    }

    /** Every entry with its files, least recently used first. */
    private List<Scanned> scan() {
        List<Scanned> out = new ArrayList<>();
        for (Kind k : Kind.values()) {
            Path folder = root.resolve(k.folder());
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder)) {
                for (Path d : ds) {
                    if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                        out.add(new Scanned(k, d, Files.getLastModifiedTime(d).toInstant(), files(d)));
                    }
                }
            } catch (IOException e) {
                throw new CacheException("cannot read the cache " + folder + ": " + e.getMessage(), e);
            }
        }
        out.sort(Comparator.comparing(Scanned::lastUsed).thenComparing(s -> s.dir().toString()));
        return out;
    }

    private static List<FileInfo> files(Path dir) throws IOException {
        List<FileInfo> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                BasicFileAttributes a;
                long links;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    links = a.isRegularFile() ? ((Number) Files.getAttribute(p, "unix:nlink",
                            LinkOption.NOFOLLOW_LINKS)).longValue() : 1;
                } catch (IOException e) {
                    continue; // deleted meanwhile (a concurrent build's temporary file)
                }
                if (a.isDirectory()) {
                    continue;
                }
                Object key = a.fileKey() != null ? a.fileKey() : p;
                out.add(new FileInfo(key, a.size(), links));
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return out;
    }

    private static Map<Object, FileInfo> unique(List<Scanned> all) {
        Map<Object, FileInfo> out = new HashMap<>();
        for (Scanned s : all) {
            for (FileInfo f : s.files()) {
                out.putIfAbsent(f.key(), f);
            }
        }
        return out;
    }

    /**
     * A size: a number of bytes with an optional K, M, G or T suffix (powers of 1024; "KiB",
     * "KB" and lower case accepted).
     *
     * @throws CacheException when it is not one
     */
    public static long parseSize(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]?)(I?B)?")
                .matcher(t);
        if (!m.matches()) {
            throw new CacheException("'" + text + "' is not a size (examples: 500M, 2G, 1048576)");
        }
        int shift = switch (m.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        double v = Double.parseDouble(m.group(1)) * (1L << shift);
        if (v >= Long.MAX_VALUE) {
            throw new CacheException("'" + text + "' is too large");
        }
        return (long) v;
    }

    /** {@code bytes} as people read it: 512 B, 3.4 MiB, 1.2 GiB. */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[i]);
    }
}
