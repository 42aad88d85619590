package org.portapp.platform.qemu;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cpio archive in the "newc" format (the Linux initramfs format), written in memory:
 * regular files and the directories above them. Paths are absolute guest paths; the
 * archive stores them without the leading slash, as {@code find . | cpio -H newc} does
 * (minus the "./").
 */
public final class Cpio {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;

    private record Entry(String name, int mode, byte[] data, long mtime) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /** Adds a regular file (and its missing parent directories, mode 0755) with modification time 0. */
    public Cpio file(String guestPath, byte[] data, int permissions) {
        return file(guestPath, data, permissions, 0);
    }

    /**
     * Adds a regular file (and its missing parent directories, mode 0755).
     *
     * @param mtime modification time, seconds since the epoch
     */
    public Cpio file(String guestPath, byte[] data, int permissions, long mtime) {
        String name = normalize(guestPath);
        if (name.isEmpty()) {
            throw new QemuException("cpio: '" + guestPath + "' is not a file path");
        }
        int slash = name.lastIndexOf('/');
        if (slash > 0) {
            directory(name.substring(0, slash));
        }
        Entry prev = entries.get(name);
        if (prev != null && (prev.mode() & S_IFDIR) != 0) {
            throw new QemuException("cpio: '" + guestPath + "' is already a directory in the initrd");
        }
        entries.put(name, new Entry(name, S_IFREG | (permissions & 07777), data.clone(), mtime));
        return this;
    }

    /** Sets the modification time of a directory already added (seconds since the epoch). */
    public Cpio directoryTime(String guestPath, long mtime) {
        String name = normalize(guestPath);
        Entry e = entries.get(name);
        if (e == null || (e.mode() & S_IFDIR) == 0) {
            throw new QemuException("cpio: '" + guestPath + "' is not a directory in the initrd");
        }
        entries.put(name, new Entry(name, e.mode(), e.data(), mtime));
        return this;
    }

    /** Adds a directory (and its parents), mode 0755. */
    public Cpio directory(String guestPath) {
        String name = normalize(guestPath);
        List<String> parts = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty()) {
                continue;
            }
            parts.add(p);
            String dir = String.join("/", parts);
            Entry prev = entries.get(dir);
            if (prev != null && (prev.mode() & S_IFDIR) == 0) {
                throw new QemuException("cpio: '/" + dir + "' is a file and a directory in the initrd");
            }
            entries.putIfAbsent(dir, new Entry(dir, S_IFDIR | 0755, new byte[0], 0));
        }
        return this;
    }

    private static String normalize(String p) {
        String s = p.replace('\\', '/');
        while (s.startsWith("/") || s.startsWith("./")) {
            s = s.startsWith("/") ? s.substring(1) : s.substring(2);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        for (String part : s.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new QemuException("cpio: '" + p + "' must not contain '.' or '..' components");
            }
        }
        return s;
    }

    /**
     * The regular files of a "newc" archive, as absolute guest paths (what {@link #toBytes}
     * wrote, or any newc archive); reading stops at the trailer or at the first malformed
     * header.
     */
    public static List<String> fileNames(byte[] archive) {
        List<String> names = new ArrayList<>();
        int off = 0;
        while (off + 110 <= archive.length) {
            String header = new String(archive, off, 110, StandardCharsets.US_ASCII);
            if (!header.startsWith("070701") && !header.startsWith("070702")) {
                break;
            }
            long mode;
            long size;
            int nameSize;
            try {
                mode = Long.parseLong(header.substring(14, 22), 16);
                size = Long.parseLong(header.substring(54, 62), 16);
                nameSize = Integer.parseInt(header.substring(94, 102), 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (nameSize < 1 || off + 110L + nameSize > archive.length) {
                break;
            }
            String name = new String(archive, off + 110, nameSize - 1, StandardCharsets.UTF_8);
            if (name.equals("TRAILER!!!")) {
                break;
            }
            if ((mode & 0170000) == S_IFREG) {
                names.add("/" + name);
            }
            long data = (off + 110L + nameSize + 3) & ~3L;
            long next = (data + size + 3) & ~3L;
            if (next > archive.length) {
                break;
            }
            off = (int) next;
        }
        return names;
    }

    /** The archive, ending with the TRAILER!!! entry. */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int ino = 1;
        for (Entry e : entries.values()) {
            write(out, ino++, e.name(), e.mode(), e.data(), e.mtime());
        }
        write(out, 0, "TRAILER!!!", 0, new byte[0], 0);
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, int ino, String name, int mode, byte[] data, long mtime) {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.UTF_8);
        boolean dir = (mode & S_IFDIR) != 0;
        String header = "070701" + hex(ino) + hex(mode) + hex(0) + hex(0) + hex(dir ? 2 : 1) + hex(mtime & 0xffffffffL)
                + hex(data.length) + hex(0) + hex(0) + hex(0) + hex(0) + hex(nameBytes.length) + hex(0);
        out.writeBytes(header.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        pad(out);
        out.writeBytes(data);
        pad(out);
    }

    private static String hex(long v) {
        return String.format("%08x", v);
    }

    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) {
            out.write(0);
        }
    }
}
