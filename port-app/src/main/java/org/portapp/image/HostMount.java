package org.portapp.image;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A host directory the app sees at {@code guest} and writes through to ({@code --mount
 * HOSTDIR:GUESTDIR[:ro]}): unlike a {@link FileMapping}, which copies files into the image, a
 * mount is the host directory itself, so what the app writes there outlives it (the unikernel
 * reaches it through virtio-9p).
 *
 * @param host     the host directory (absolute, normalized)
 * @param guest    where the app sees it (absolute, normalized, not "/")
 * @param readOnly whether every change below it fails with EROFS
 */
public record HostMount(Path host, String guest, boolean readOnly) {
    /** How {@link #parse} reads a mount, for the CLI's help. */
    public static final String RULE = "GUESTDIR starts at the last ':' followed by '/', so HOSTDIR may contain ':'; "
            + "a trailing :ro makes it read-only.";

    public HostMount {
        FileMapping m = new FileMapping(host, guest);   // the same checks and normal form
        host = m.host();
        guest = m.guest();
    }

    /** Parses {@code HOSTDIR:GUESTDIR[:ro]}; a bad spec is a one-line {@link ImageException}. */
    public static HostMount parse(String spec) {
        boolean ro = spec.endsWith(":ro");
        String rest = ro ? spec.substring(0, spec.length() - 3) : spec;
        int c = rest.lastIndexOf(":/");
        if (c <= 0) {
            throw new ImageException("--mount " + spec + ": expected HOSTDIR:GUESTDIR[:ro] (GUESTDIR an absolute path)");
        }
        String guest = rest.substring(c + 1);
        if (Path.of(guest).normalize().toString().equals("/")) {
            throw new ImageException("--mount " + spec + ": cannot mount over / (the image stays the root; pick a "
                    + "directory such as /data)");
        }
        return new HostMount(Path.of(rest.substring(0, c)), guest, ro);
    }

    /** Refuses a mount whose host directory does not exist (before anything is built or booted). */
    public HostMount requireDirectory() {
        if (!Files.isDirectory(host)) {
            throw new ImageException("--mount " + host + ":" + guest + (readOnly ? ":ro" : "") + ": "
                    + (Files.exists(host) ? "not a directory" : "no such directory") + ": " + host);
        }
        return this;
    }
}
