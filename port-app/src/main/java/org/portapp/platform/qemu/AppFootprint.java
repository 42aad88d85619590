package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The syscall footprint of a rewritten app, read from its PortApp note and slot table
 * (docs/architecture.md): one slot per statically known number, {@code -1} for sites
 * whose number is known only at run time and unbounded, {@code -2} for a generic slot whose
 * possible numbers all have slots of their own (that keeps the footprint complete).
 *
 * @param numbers        the statically known syscall numbers
 * @param runtimeNumbers whether some site's number is known only at run time
 * @param sitesLeft      sites left as {@code syscall} (they reach the LSTAR entry)
 * @param rewritten      whether the file has a PortApp note at all
 */
public record AppFootprint(Set<Integer> numbers, boolean runtimeNumbers, int sitesLeft, boolean rewritten) {
    private static final int NOTE_TYPE = 0x50410001;

    public AppFootprint {
        numbers = Set.copyOf(numbers);
    }

    /** Whether the footprint is complete: every syscall the app can make is in {@link #numbers}. */
    public boolean complete() {
        return rewritten && !runtimeNumbers && sitesLeft == 0;
    }

    /** Reads the footprint of a (rewritten) ELF file. */
    public static AppFootprint read(Path elf) {
        byte[] b;
        try {
            b = Files.readAllBytes(elf);
        } catch (IOException e) {
            throw new QemuException(elf + ": cannot read: " + e.getMessage());
        }
        try {
            return parse(b);
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new QemuException(elf + ": malformed ELF file (" + e.getMessage() + ")");
        }
    }

    /** The footprint of an app made of several objects (executable, ld.so, libraries). */
    public AppFootprint union(AppFootprint other) {
        Set<Integer> nrs = new TreeSet<>(numbers);
        nrs.addAll(other.numbers);
        return new AppFootprint(nrs, runtimeNumbers || other.runtimeNumbers, sitesLeft + other.sitesLeft,
                rewritten && other.rewritten);
    }

    /** Refuses an ELF the unikernel cannot run: one that is not an x86_64 executable. */
    public static void requireX86Executable(Path elf) {
        programHeaderTypes(elf);
    }

    /** Whether an x86_64 executable is dynamically linked (has a PT_INTERP). */
    public static boolean isDynamic(Path elf) {
        return programHeaderTypes(elf).contains(3);
    }

    private static Set<Integer> programHeaderTypes(Path elf) {
        byte[] b;
        try {
            b = Files.readAllBytes(elf);
        } catch (IOException e) {
            throw new QemuException(elf + ": cannot read: " + e.getMessage());
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 64 || bb.getInt(0) != 0x464c457f || b[4] != 2 || bb.getShort(18) != 62) {
            throw new QemuException(elf + ": not an x86_64 ELF64 executable");
        }
        int type = bb.getShort(16);
        if (type != 2 && type != 3) {
            throw new QemuException(elf + ": not an executable (ELF type " + type + ")");
        }
        long phoff = bb.getLong(32);
        int phentsize = bb.getShort(54) & 0xffff;
        int phnum = bb.getShort(56) & 0xffff;
        Set<Integer> types = new TreeSet<>();
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            if (at + 4 <= b.length) {
                types.add(bb.getInt((int) at));
            }
        }
        return types;
    }

    static AppFootprint parse(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 64 || bb.getInt(0) != 0x464c457f) {
            throw new QemuException("not an ELF file");
        }
        long phoff = bb.getLong(32);
        int phentsize = bb.getShort(54) & 0xffff;
        int phnum = bb.getShort(56) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int ph = Math.toIntExact(phoff + (long) i * phentsize);
            if (bb.getInt(ph) != 4) {   // PT_NOTE
                continue;
            }
            int off = Math.toIntExact(bb.getLong(ph + 8));
            int end = Math.toIntExact(off + bb.getLong(ph + 32));
            while (off + 12 <= end) {
                int namesz = bb.getInt(off);
                int descsz = bb.getInt(off + 4);
                int type = bb.getInt(off + 8);
                int desc = off + 12 + ((namesz + 3) & ~3);
                String name = new String(b, off + 12, Math.max(0, namesz - 1), StandardCharsets.US_ASCII);
                if (type == NOTE_TYPE && name.equals("PortApp") && descsz >= 24) {
                    long slotsVaddr = bb.getLong(desc);
                    int nslots = bb.getInt(desc + 8);
                    int left = bb.getInt(desc + 16);
                    long slotsOff = nslots == 0 ? 0 : fileOffset(bb, phoff, phentsize, phnum, slotsVaddr);
                    Set<Integer> nrs = new TreeSet<>();
                    boolean runtime = false;
                    for (int k = 0; k < nslots; k++) {
                        int nr = bb.getInt(Math.toIntExact(slotsOff + 8L * nslots + 4L * k));
                        if (nr == -1) { // -2: a generic slot whose numbers all have their own slots
                            runtime = true;
                        } else {
                            nrs.add(nr);
                        }
                    }
                    return new AppFootprint(nrs, runtime, left, true);
                }
                off = desc + ((descsz + 3) & ~3);
            }
        }
        return new AppFootprint(Set.of(), true, 0, false);
    }

    private static long fileOffset(ByteBuffer bb, long phoff, int phentsize, int phnum, long vaddr) {
        for (int i = 0; i < phnum; i++) {
            int ph = Math.toIntExact(phoff + (long) i * phentsize);
            long pv = bb.getLong(ph + 16);
            long filesz = bb.getLong(ph + 32);
            if (bb.getInt(ph) == 1 && vaddr >= pv && vaddr < pv + filesz) {
                return bb.getLong(ph + 8) + (vaddr - pv);
            }
        }
        throw new QemuException("PortApp slot table at 0x" + Long.toHexString(vaddr) + " is not in the file");
    }
}
