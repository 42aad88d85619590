package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.cache.CacheDir;
import org.portapp.image.Closure;

/**
 * What port-app prints by default, with -q and with -v, and the cache command, on real runs
 * of busybox on linuxu. Each run is a separate JVM with its own XDG_CACHE_HOME (the cache
 * location comes from the environment), so every "first run" really starts from nothing.
 */
class QuietAndCacheTest {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    Path tmp;

    record Out(int code, String stdout, String stderr) {
        List<String> errLines() {
            return stderr.lines().toList();
        }
    }

    /** {@code port-app ARGS} in a new JVM with XDG_CACHE_HOME = {@code xdg}; stderr is a pipe (a log). */
    static Out cli(Path xdg, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dportapp.root=" + Main.root(), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("PORT_APP_CACHE");
        pb.environment().remove("PORT_APP_CACHE_MAX");
        pb.environment().put("XDG_CACHE_HOME", xdg.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "port-app " + String.join(" ", args) + " timed out");
        return new Out(p.exitValue(), out, err.get());
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Out busyboxEcho(Path xdg, String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of(flags));
        args.addAll(List.of("run", "--platform", "linuxu", BUSYBOX.toString(), "--", "echo", "hello"));
        Out r = cli(xdg, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.stderr());
        assertEquals("hello\n", r.stdout());
        return r;
    }

    @Test
    void quietPrintsNothingButTheApp() throws Exception {
        Out r = busyboxEcho(tmp.resolve("q"), "-q");
        assertEquals("", r.stderr(), "a first run with -q");
    }

    @Test
    void defaultFirstRunIsAFewLinesAndASecondRunNone() throws Exception {
        Path xdg = tmp.resolve("d");
        Out first = busyboxEcho(xdg);
        int objects = Closure.of(BUSYBOX).objects().size();
        List<String> lines = first.errLines();
        assertEquals(List.of("port-app: rewriting the app's objects (cached for later runs) ...",
                "port-app: building the linuxu platform ..."),
                lines.stream().filter(l -> !l.startsWith("port-app: rewrote ")).toList(), first.stderr());
        assertEquals(3, lines.size(), "start, summary, build: " + first.stderr());
        assertTrue(lines.get(1).startsWith("port-app: rewrote " + objects + " of " + objects + " objects: "),
                first.stderr());
        assertFalse(first.stderr().contains("\r"), "no in-place updates in a log");
        assertEquals("", busyboxEcho(xdg).stderr(), "everything cached: nothing to say");
    }

    @Test
    void verboseListsEveryObject() throws Exception {
        Out r = busyboxEcho(tmp.resolve("v"), "-v");
        List<Path> objects = Closure.of(BUSYBOX).objects().stream().map(Closure.LoadedObject::hostFile).toList();
        List<String> rewriting = r.errLines().stream().filter(l -> l.startsWith("port-app: rewriting ")).toList();
        assertEquals(objects.size(), rewriting.size(), r.stderr());
        for (Path o : objects) {
            assertTrue(rewriting.contains("port-app: rewriting " + o + " ..."), o + " in\n" + r.stderr());
        }
        assertEquals(objects.size(), r.errLines().stream().filter(l -> l.matches(
                "port-app: \\d+ syscall sites, \\d+ rewritten, \\d+ left as syscall")).count(), r.stderr());
        assertTrue(r.errLines().stream().anyMatch(l -> l.matches(
                "port-app: building the linuxu platform \\(modules: core.*\\) \\.\\.\\.")), r.stderr());
        assertEquals(2 * objects.size() + 1, r.errLines().size(), r.stderr());
    }

    @Test
    void verboseAndQuietTogetherAreAnError() throws Exception {
        Out r = cli(tmp, "-v", "-q", "run", "--platform", "linuxu", BUSYBOX.toString(), "--", "true");
        assertEquals(1, r.code());
        assertEquals("port-app: error: -v and -q contradict each other\n", r.stderr());
    }

    /** Sets an entry's last use {@code ago} in the past. */
    private static void usedAgo(Path entry, Duration ago) throws Exception {
        Files.setLastModifiedTime(entry, FileTime.from(Instant.now().minus(ago)));
    }

    private static List<Path> entries(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }

    @Test
    void cacheListsPrunesLeastRecentlyUsedFirstAndClears() throws Exception {
        Path xdg = tmp.resolve("c");
        Path cache = xdg.resolve("port-app");
        busyboxEcho(xdg, "-q");
        int objects = Closure.of(BUSYBOX).objects().size();
        List<Path> rewritten = entries(cache.resolve("rewritten"));
        List<Path> images = entries(cache.resolve("images"));
        List<Path> platforms = entries(cache.resolve("platforms"));
        assertEquals(objects, rewritten.size());
        assertEquals(1, images.size());
        assertEquals(1, platforms.size());

        Out list = cli(xdg, "cache");
        assertEquals(0, list.code(), list.stderr());
        List<String> rows = list.stdout().lines().toList();
        assertEquals("cache: " + cache, rows.get(0));
        assertTrue(rows.get(1).matches("rewritten objects +" + objects + " +[0-9.]+ (KiB|MiB)"), list.stdout());
        assertTrue(rows.get(2).matches("images +1 +[0-9.]+ (B|KiB|MiB)"), list.stdout());
        assertTrue(rows.get(3).matches("platform builds +1 +[0-9.]+ (KiB|MiB)"), list.stdout());
        assertTrue(rows.get(4).matches("package roots +0 +0 B"), list.stdout());
        assertTrue(rows.get(5).matches("total +" + (objects + 2) + " +[0-9.]+ (KiB|MiB)"), list.stdout());
        assertEquals(list.stdout(), cli(xdg, "cache", "list").stdout());

        // Just used: within the grace period, a prune to nothing keeps everything.
        Out kept = cli(xdg, "cache", "prune", "--max-size", "1K");
        assertEquals(0, kept.code(), kept.stderr());
        assertTrue(kept.stdout().startsWith("removed 0 entries"), kept.stdout());

        // Used long ago, the rewritten objects least recently: a prune to the platform build's
        // size removes the objects and the image (which links them) and keeps the build.
        for (Path e : rewritten) {
            usedAgo(e, Duration.ofHours(3));
        }
        usedAgo(images.get(0), Duration.ofHours(2));
        usedAgo(platforms.get(0), Duration.ofHours(1));
        long platformBytes = CacheDir.at(cache).entries().stream()
                .filter(e -> e.kind() == CacheDir.Kind.PLATFORMS).mapToLong(CacheDir.Entry::bytes).sum();
        Out pruned = cli(xdg, "cache", "prune", "--max-size", Long.toString(platformBytes));
        assertEquals(0, pruned.code(), pruned.stderr());
        assertTrue(pruned.stdout().startsWith("removed " + (objects + 1) + " entries"), pruned.stdout());
        assertEquals(List.of(), entries(cache.resolve("rewritten")));
        assertEquals(List.of(), entries(cache.resolve("images")));
        assertEquals(platforms, entries(cache.resolve("platforms")));
        assertEquals(platformBytes, CacheDir.at(cache).totalBytes());

        // A run reuses the build and touches it: it becomes the most recently used entry again.
        busyboxEcho(xdg, "-q");
        assertTrue(Files.getLastModifiedTime(platforms.get(0)).toInstant()
                .isAfter(Instant.now().minus(Duration.ofMinutes(5))), "the reused build was touched");

        // While a run holds the cache, nothing can be cleared.
        try (AutoCloseable inUse = CacheDir.at(cache).inUse()) {
            Out busy = cli(xdg, "cache", "clear");
            assertEquals(1, busy.code());
            assertTrue(busy.stderr().startsWith("port-app: error: the cache " + cache + " is in use"), busy.stderr());
        }
        Out cleared = cli(xdg, "cache", "clear");
        assertEquals(0, cleared.code(), cleared.stderr());
        assertTrue(cleared.stdout().endsWith("the cache holds 0 B\n"), cleared.stdout());
        assertEquals(0, CacheDir.at(cache).entries().size());
    }

    @Test
    void badSizeIsAOneLineError() throws Exception {
        Out r = cli(tmp, "cache", "prune", "--max-size", "lots");
        assertEquals(1, r.code());
        assertEquals("port-app: error: 'lots' is not a size (examples: 500M, 2G, 1048576)\n", r.stderr());
    }
}
