package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.portapp.platform.CachedBuild;

/**
 * lwIP's source tree for the net shim module: Debian's {@code lwip} source package,
 * fetched once into port-app's cache by {@code posix-shim/net/fetch-lwip.sh} (a private
 * apt configuration; {@code apt-get source} checks the tarballs against the .dsc) and
 * never copied into the repository. Offline with nothing cached is a one-line error.
 */
record LwipSource(Path dir) {
    /** The script that fetches it, relative to the repository root. */
    static final String FETCH = "posix-shim/net/fetch-lwip.sh";

    /** The tree under {@code cacheDir/lwip}, fetched first if need be. */
    static LwipSource ensure(Path root, Path cacheDir) {
        Path script = root.resolve(FETCH);
        if (!Files.isRegularFile(script)) {
            throw new QemuException("qemu: " + script + " not found (is " + root + " the port-app root?)");
        }
        String out;
        try {
            out = CachedBuild.run(List.of("bash", script.toString(), cacheDir.resolve("lwip").toString()),
                    "fetching lwIP");
        } catch (CachedBuild.Failure e) {
            throw new QemuException("qemu: the net module needs lwIP: " + lastLine(e.output()), e.output(), e);
        } catch (IOException e) {
            throw new QemuException("qemu: cannot run " + script + ": " + e.getMessage(), "", e);
        }
        Path dir = Path.of(lastLine(out));
        if (!Files.isDirectory(dir.resolve("src/core"))) {
            throw new QemuException("qemu: fetching lwIP gave no source tree (" + lastLine(out) + ")");
        }
        return new LwipSource(dir);
    }

    /** The version part of the tree's name (lwip-2.1.3+dfsg1 gives 2.1.3+dfsg1). */
    String version() {
        String name = dir.getFileName().toString();
        return name.startsWith("lwip-") ? name.substring(5) : name;
    }

    private static String lastLine(String text) {
        String t = text.strip();
        int nl = t.lastIndexOf('\n');
        return nl < 0 ? t : t.substring(nl + 1).strip();
    }
}
