package org.portapp.image;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A host file or directory tree to put into the image at {@code guest} (an absolute path):
 * the app's data and configuration ({@code --file HOST:GUEST}, {@code --dir HOSTDIR:GUESTDIR}),
 * the same on every platform.
 */
public record FileMapping(Path host, String guest) {
    /** How {@link #parse} splits a mapping, for the CLI's help. */
    public static final String RULE = "GUEST starts at the last ':' followed by '/', so HOST may contain ':' "
            + "(a:b.txt:/c puts the host file a:b.txt at /c).";

    public FileMapping {
        if (!guest.startsWith("/")) {
            throw new ImageException("guest path " + guest + " must be absolute");
        }
        if (Path.of(guest).normalize().toString().equals("/")) {
            throw new ImageException("cannot put " + host + " at the image's root directory itself");
        }
        host = host.toAbsolutePath().normalize();
        guest = Path.of(guest).normalize().toString();
    }

    /**
     * Parses {@code HOST:GUEST}. GUEST is absolute, so it starts at the last ':' followed by
     * '/'; a ':' in HOST (or in GUEST, when not followed by '/') stays where it is.
     */
    public static FileMapping parse(String spec) {
        int c = spec.lastIndexOf(":/");
        if (c <= 0) {
            throw new ImageException("'" + spec + "': expected HOST:GUEST (GUEST an absolute path)");
        }
        return new FileMapping(Path.of(spec.substring(0, c)), spec.substring(c + 1));
    }

    /** Refuses a mapping whose host file or directory does not exist. */
    public FileMapping requireExists() {
        if (!Files.exists(host)) {
            throw new ImageException(host + ": no such file or directory (for " + guest + ")");
        }
        return this;
    }
}
