package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.portapp.image.FileMapping;
import org.portapp.image.Image;

/**
 * The unikernel's initrd (cpio newc): the app at its guest paths, and the user's files
 * ({@code --file}/{@code --dir}) with their host permissions and modification times, so
 * {@code ls -l} in the guest shows what it shows on the host.
 */
public final class Initrd {
    private Initrd() {
    }

    /**
     * The initrd of a dynamically linked app: every file of its image (which already holds
     * {@code user}'s files), sorted by guest path.
     */
    public static byte[] of(Image image, List<FileMapping> user) {
        return of(image, user, List.of());
    }

    /**
     * As {@link #of(Image, List)}, with {@code verbatim} files added as they are (never
     * rewritten: the files the app's arguments name, {@link org.portapp.image.ArgumentFiles}).
     */
    public static byte[] of(Image image, List<FileMapping> user, List<FileMapping> verbatim) {
        Cpio cpio = new Cpio();
        try {
            Map<String, Long> fileTimes = new HashMap<>();
            Map<String, Long> dirTimes = new TreeMap<>();
            for (FileMapping m : user) {
                hostTimes(m.host(), m.guest(), fileTimes, dirTimes);
            }
            for (Map.Entry<String, Path> e : new TreeMap<>(image.files()).entrySet()) {
                cpio.file(e.getKey(), Files.readAllBytes(e.getValue()), permissions(e.getValue()),
                        fileTimes.getOrDefault(e.getKey(), 0L));
            }
            dirTimes.keySet().forEach(cpio::directory);
            dirTimes.forEach(cpio::directoryTime);
            addVerbatim(cpio, verbatim);
        } catch (IOException e) {
            throw cannotRead(e);
        }
        return cpio.toBytes();
    }

    /**
     * The initrd of a statically linked app: {@code exeFile} at {@code guestExe}, then
     * {@code user}'s files and trees.
     */
    public static byte[] ofStatic(String guestExe, Path exeFile, List<FileMapping> user) {
        return ofStatic(guestExe, exeFile, user, List.of());
    }

    /** As {@link #ofStatic(String, Path, List)}, with {@code verbatim} files added as they are. */
    public static byte[] ofStatic(String guestExe, Path exeFile, List<FileMapping> user, List<FileMapping> verbatim) {
        Cpio cpio = new Cpio();
        try {
            cpio.file(guestExe, Files.readAllBytes(exeFile), 0755);
            for (FileMapping m : user) {
                m.requireExists();
                if (Files.isDirectory(m.host())) {
                    addTree(cpio, m.host(), m.guest());
                } else {
                    cpio.file(m.guest(), Files.readAllBytes(m.host()), permissions(m.host()), mtime(m.host()));
                }
            }
            addVerbatim(cpio, verbatim);
        } catch (IOException e) {
            throw cannotRead(e);
        }
        return cpio.toBytes();
    }

    private static void addVerbatim(Cpio cpio, List<FileMapping> files) throws IOException {
        for (FileMapping m : files) {
            cpio.file(m.guest(), Files.readAllBytes(m.host()), permissions(m.host()), mtime(m.host()));
        }
    }

    private static QemuException cannotRead(IOException e) {
        return new QemuException("cannot read a file for the initrd: " + e.getMessage());
    }

    private static void addTree(Cpio cpio, Path host, String guest) throws IOException {
        try (var s = Files.walk(host)) {
            for (Path p : s.sorted().toList()) {
                String rel = host.relativize(p).toString();
                String g = rel.isEmpty() ? guest : guest.replaceAll("/+$", "") + "/" + rel;
                if (Files.isDirectory(p)) {
                    cpio.directory(g).directoryTime(g, mtime(p));
                } else if (Files.isRegularFile(p)) {
                    cpio.file(g, Files.readAllBytes(p), permissions(p), mtime(p));
                }
            }
        }
    }

    /** Guest path to host modification time of every file and directory under host (mapped to guest). */
    private static void hostTimes(Path host, String guest, Map<String, Long> fileTimes, Map<String, Long> dirTimes)
            throws IOException {
        if (!Files.isDirectory(host)) {
            if (Files.isRegularFile(host)) {
                fileTimes.put(guest, mtime(host));
            }
            return;
        }
        try (var s = Files.walk(host, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : s.toList()) {
                String rel = host.relativize(p).toString();
                String gp = rel.isEmpty() ? guest : guest + "/" + rel;
                if (Files.isDirectory(p)) {
                    dirTimes.put(gp, mtime(p));
                } else if (Files.isRegularFile(p)) {
                    fileTimes.put(gp, mtime(p));
                }
            }
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() / 1000;
        } catch (IOException e) {
            return 0;
        }
    }

    private static int permissions(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            int mode = 0;
            for (PosixFilePermission x : perms) {
                mode |= 1 << (8 - x.ordinal());
            }
            return mode;
        } catch (IOException | UnsupportedOperationException e) {
            return 0644;
        }
    }
}
