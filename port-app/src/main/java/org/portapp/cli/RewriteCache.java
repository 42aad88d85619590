package org.portapp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.OutputFile;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Rewritten binaries cached by content: the key is the SHA-256 of the input and of the
 * rewriter's own code, so a changed binary or a new rewriter never reuses a stale file.
 */
final class RewriteCache {
    private final Path dir;

    RewriteCache(Path cacheRoot) {
        this.dir = cacheRoot.resolve("rewritten");
    }

    Path rewritten(Path binary) {
        byte[] content;
        try {
            content = Files.readAllBytes(binary);
        } catch (IOException e) {
            throw new PortAppException(binary + ": cannot read: " + e.getMessage());
        }
        String key = sha256(content, rewriterIdentity());
        Path out = dir.resolve(key.substring(0, 32)).resolve(binary.getFileName().toString());
        if (Files.isRegularFile(out)) {
            return out;
        }
        System.err.println("port-app: rewriting " + binary + " ...");
        RewriteResult r = Analysis.of(binary, Decoder.load()).rewrite();
        try {
            Files.createDirectories(out.getParent());
        } catch (IOException e) {
            throw new PortAppException("cannot create cache directory " + out.getParent() + ": " + e.getMessage());
        }
        OutputFile.write(out, r.output(), true);
        System.err.printf("port-app: %d syscall sites, %d rewritten, %d left as syscall%n",
                r.outcomes().size(), r.rewritten(), r.leftAsSyscall());
        return out;
    }

    /** Identifies the rewriter build: the code source (jar or classes dir) and its timestamp. */
    private static byte[] rewriterIdentity() {
        try {
            Path code = Path.of(Analysis.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path probe = Files.isDirectory(code)
                    ? code.resolve("org/portapp/rewrite/Rewriter.class") : code;
            return (code + "@" + Files.getLastModifiedTime(probe).toMillis() + "/" + Files.size(probe)).getBytes();
        } catch (Exception e) {
            return new byte[0];
        }
    }

    private static String sha256(byte[] a, byte[] b) {
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
