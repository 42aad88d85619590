package org.portapp.image;

import java.nio.file.Path;
import java.util.Set;

/**
 * The system an app's files come from: the host's {@code /} with its dpkg database, or a
 * tree of unpacked packages ({@code org.portapp.pkg.PackageRoot}) with a database of its own.
 * Closure resolution, runtime files and package data are all looked up in it.
 *
 * @param dir       the root directory on the host
 * @param dpkgAdmin      its dpkg database directory ({@code info/*.list}, {@code status})
 * @param runtimePackages packages whose files (data, ELF plugins) the app loads at run time beyond
 *                        those {@link PackageData} finds by itself
 */
public record SystemRoot(Path dir, Path dpkgAdmin, Set<String> runtimePackages) {
    public SystemRoot {
        dir = dir.toAbsolutePath().normalize();
        runtimePackages = Set.copyOf(runtimePackages);
    }

    /** The host's own system. */
    public static SystemRoot host() {
        return new SystemRoot(Path.of("/"), Path.of("/var/lib/dpkg"), Set.of());
    }

    /** Whether this is the host's {@code /}. */
    public boolean isHost() {
        return dir.equals(Path.of("/"));
    }

    /** Its dpkg database, read now. */
    public Dpkg dpkg() {
        return Dpkg.at(dpkgAdmin);
    }

    /**
     * The host file of {@code guest}, symlinks resolved inside the root.
     *
     * @throws ImageException if it does not exist
     */
    public Path file(String guest) {
        return Closure.fileIn(dir, guest).orElseThrow(() -> new ImageException(guest + ": no such file"
                + (isHost() ? "" : " in " + dir)));
    }
}
