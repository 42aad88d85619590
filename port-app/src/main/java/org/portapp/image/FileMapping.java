package org.portapp.image;

import java.nio.file.Path;

/**
 * A host file or directory tree to put into the image at {@code guest} (an absolute path):
 * the app's data and configuration ({@code --file HOST:GUEST}, {@code --dir HOSTDIR:GUESTDIR}).
 */
public record FileMapping(Path host, String guest) {
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

    /** Parses {@code HOST:GUEST} (the last ':' separates them). */
    public static FileMapping parse(String spec) {
        int c = spec.lastIndexOf(':');
        if (c <= 0 || c == spec.length() - 1) {
            throw new ImageException("'" + spec + "': expected HOST:GUEST (GUEST an absolute path)");
        }
        return new FileMapping(Path.of(spec.substring(0, c)), spec.substring(c + 1));
    }
}
