package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.portapp.elf.ElfException;
import org.portapp.elf.ElfFile;
import org.portapp.rewrite.PortAppNote;

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
        executable(elf);
    }

    /** Whether an x86_64 executable is dynamically linked (has a PT_INTERP). */
    public static boolean isDynamic(Path elf) {
        return executable(elf).interpreter().isPresent();
    }

    private static ElfFile executable(Path elf) {
        try {
            return ElfFile.read(elf);
        } catch (ElfException e) {
            throw new QemuException(e.getMessage());
        }
    }


    static AppFootprint parse(byte[] b) {
        ElfFile elf;
        try {
            elf = ElfFile.parse("app", b);
        } catch (ElfException e) {
            throw new QemuException(e.getMessage());
        }
        return PortAppNote.of(elf).map(note -> {
            Set<Integer> nrs = new TreeSet<>();
            boolean runtime = false;
            for (int nr : note.slotNumbers()) {
                if (nr == PortAppNote.GENERIC_UNBOUNDED) {
                    runtime = true;
                } else if (nr >= 0) {
                    nrs.add(nr);
                }
            }
            return new AppFootprint(nrs, runtime, note.sitesLeft(), true);
        }).orElse(new AppFootprint(Set.of(), true, 0, false));
    }

}
