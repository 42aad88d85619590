package org.portapp.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.portapp.cache.CacheDir;
import org.portapp.elf.ElfException;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.OutputFile;
import org.portapp.rewrite.RewriteException;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Rewritten objects cached by content: the key is the SHA-256 of the input and of the
 * rewriter's own code, so a changed binary or a new rewriter never reuses a stale file.
 * Safe for concurrent use (outputs are written to a temporary file and renamed).
 */
public final class RewriteCache {
    private final Path dir;
    private final Progress progress;

    /** A cache under {@code cacheRoot/rewritten}; progress lines (one per object) go to stderr. */
    public RewriteCache(Path cacheRoot) {
        this(cacheRoot, Progress.verbose(System.err::println));
    }

    /** A cache under {@code cacheRoot/rewritten}, saying what it rewrites on {@code progress}. */
    public RewriteCache(Path cacheRoot, Progress progress) {
        this.dir = cacheRoot.resolve("rewritten");
        this.progress = progress;
    }

    /**
     * The rewritten copy of {@code binary} (rewritten now if not cached), named like it.
     *
     * @throws ImageException if it cannot be read or the cache cannot be written; the rewriter's
     *                        own {@link ElfException} or {@link RewriteException} pass through
     */
    public Path rewritten(Path binary) {
        byte[] content;
        try {
            content = Files.readAllBytes(binary);
        } catch (IOException e) {
            throw new ImageException(binary + ": cannot read: " + e.getMessage(), e);
        }
        progress.nextObject(binary);
        String key = sha256(content, rewriterIdentity());
        Path out = dir.resolve(key.substring(0, 32)).resolve(binary.getFileName().toString());
        if (Files.isRegularFile(out)) {
            CacheDir.touch(out.getParent()); // recently used: pruned last
            return out;
        }
        progress.rewriting(binary);
        RewriteResult r = Analysis.of(org.portapp.elf.ElfFile.parse(binary.toString(), content), Decoder.load())
                .rewrite();
        try {
            Files.createDirectories(out.getParent());
        } catch (IOException e) {
            throw new ImageException("cannot create cache directory " + out.getParent() + ": " + e.getMessage(), e);
        }
        OutputFile.write(out, r.output(), true);
        progress.rewritten(binary, r.outcomes().size(), r.rewritten(), r.leftAsSyscall());
        return out;
    }

    /** Identifies the rewriter build: the code source (jar or classes dir) and its timestamp. */
    static byte[] rewriterIdentity() {
        try {
            Path code = Path.of(Analysis.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path probe = Files.isDirectory(code)
                    ? code.resolve("org/portapp/rewrite/Rewriter.class") : code;
            return (code + "@" + Files.getLastModifiedTime(probe).toMillis() + "/" + Files.size(probe)).getBytes();
        } catch (Exception e) {
            return new byte[0];
        }
    }

    static String sha256(byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(a);
            md.update(b);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
