package org.portapp.platform;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What every platform build shares: a content hash of its inputs (module list, the
 * generated shim tables, every source file), and a build that happens in a private
 * temporary directory renamed into place, so concurrent callers never see a half-built
 * product and an interrupted build leaves nothing that looks finished.
 */
public final class CachedBuild {
    /** A build step failed; {@code output} holds the tool's output for the user. */
    public static final class Failure extends IOException {
        private final String output;

        public Failure(String message, String output) {
            super(message);
            this.output = output;
        }

        public String output() {
            return output;
        }
    }

    /** Builds into {@code outDir}, with the generated files already written to {@code genDir}. */
    @FunctionalInterface
    public interface Step {
        void build(Path genDir, Path outDir) throws IOException;
    }

    private CachedBuild() {
    }

    /**
     * Hash of the module names, the generated files and every regular file under
     * {@code sourceDirs} (hidden files and {@code build*} folders skipped), 16 hex digits.
     */
    public static String hash(Path root, String modules, Map<String, String> generated, List<Path> sourceDirs)
            throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        update(md, "modules:" + modules);
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(generated).entrySet()) {
            update(md, "gen:" + e.getKey());
            update(md, e.getValue());
        }
        for (Path base : sourceDirs) {
            if (!Files.isDirectory(base)) {
                continue;
            }
            List<Path> files;
            try (Stream<Path> s = Files.walk(base)) {
                files = s.filter(Files::isRegularFile)
                        .filter(f -> !base.relativize(f).toString().startsWith("."))
                        .filter(f -> !base.relativize(f).toString().startsWith("build"))
                        .sorted()
                        .toList();
            }
            for (Path f : files) {
                update(md, "file:" + root.relativize(f));
                md.update(Files.readAllBytes(f));
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

    /**
     * Builds {@code finalDir} (whose {@code product} file marks a finished build) unless it
     * exists: the generated files go to {@code tmp/gen}, {@code step} builds into {@code tmp},
     * and {@code keep} (files of tmp, relative) are moved into {@code finalDir} in one rename.
     */
    public static void buildOnce(Path buildDir, Path finalDir, Path product, Map<String, String> generated,
                                 List<String> keep, Step step) throws IOException {
        if (Files.exists(product)) {
            return;
        }
        Files.createDirectories(buildDir);
        Path tmp = Files.createTempDirectory(buildDir, finalDir.getFileName() + ".tmp");
        try {
            Path genDir = tmp.resolve("gen");
            Files.createDirectories(genDir);
            for (Map.Entry<String, String> e : generated.entrySet()) {
                Files.writeString(genDir.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
            }
            Path out = tmp.resolve("out");
            Files.createDirectories(out);
            step.build(genDir, out);
            Path done = tmp.resolve("done");
            Files.createDirectories(done);
            for (String k : keep) {
                Files.move(out.resolve(k), done.resolve(k));
            }
            if (Files.isDirectory(finalDir) && !Files.exists(product)) {
                deleteTree(finalDir); // left over from an interrupted build of the same sources
            }
            moveIntoPlace(done, finalDir, product);
        } finally {
            deleteTree(tmp);
        }
    }

    /**
     * Renames a finished temporary directory {@code tmp} to {@code finalDir} in one step. When
     * that fails because another process finished the same entry first ({@code marker}, the
     * file that says an entry is complete, exists), theirs stays and this is not an error.
     */
    public static void moveIntoPlace(Path tmp, Path finalDir, Path marker) throws IOException {
        try {
            Files.move(tmp, finalDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.exists(marker)) {
                throw e;
            }
        }
    }

    /** Runs a build tool, stdin closed; returns its output or throws {@link Failure} with it. */
    public static String run(List<String> cmd, String what) throws IOException {
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
            throw new Failure("interrupted while " + what, out);
        }
        if (rc != 0) {
            throw new Failure(what + " failed (" + cmd.get(0) + " exit " + rc + ")", out);
        }
        return out;
    }

    /** Deletes a directory tree, best effort (a leftover temporary directory is harmless). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort
        }
    }
}
