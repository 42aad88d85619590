package org.portapp.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host files an app's arguments name, so that {@code port-app run file -- /bin/busybox} or
 * {@code xz -c data.txt} read them in the guest as they would natively, without a
 * {@code --file}. An argument that does not start with {@code -} and names an existing regular
 * file on the host (relative ones against port-app's working directory) goes into the guest at
 * the path the app will open: an absolute one at itself, a relative one under the app's
 * working directory. Copies: what the app writes to them stays in the guest. Paths under
 * /proc, /sys and /dev are the guest kernel's own and never copied.
 */
public final class ArgumentFiles {
    /** A file bigger than this is not copied in (the guest holds its files in RAM). */
    public static final long MAX_BYTES = 256L << 20;

    /** What the guest's kernel shows under these (procfs, sysfs, devfs), not the host's files. */
    private static final List<Path> KERNEL_TREES = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    private ArgumentFiles() {
    }

    private static boolean inKernelTree(Path p) {
        return KERNEL_TREES.stream().anyMatch(p::startsWith);
    }

    /**
     * @param args     the app's arguments
     * @param workdir  the app's working directory in the guest (absolute)
     * @param hostCwd  port-app's working directory, for relative arguments
     * @param taken    guest paths the image has already (the app, its libraries, --file): left alone
     */
    public static List<FileMapping> of(List<String> args, String workdir, Path hostCwd, Set<String> taken) {
        Map<String, FileMapping> out = new LinkedHashMap<>();
        for (String a : args) {
            if (a.isEmpty() || a.startsWith("-") || a.indexOf('\0') >= 0) {
                continue;
            }
            Path host;
            String guest;
            try {
                host = hostCwd.resolve(a).normalize();
                guest = Path.of(workdir).resolve(a).normalize().toString();
            } catch (java.nio.file.InvalidPathException e) {
                continue;
            }
            if (inKernelTree(host) || inKernelTree(Path.of(guest))) {
                continue;
            }
            if (!Files.isRegularFile(host) || !Files.isReadable(host) || taken.contains(guest)) {
                continue;
            }
            try {
                if (Files.size(host) > MAX_BYTES) {
                    continue;
                }
            } catch (java.io.IOException e) {
                continue;
            }
            out.putIfAbsent(guest, new FileMapping(host, guest));
        }
        return new ArrayList<>(out.values());
    }
}
