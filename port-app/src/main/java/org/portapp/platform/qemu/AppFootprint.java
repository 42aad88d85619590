package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * <p>The slot tables see one object at a time; {@link #with} replaces what they say about
 * sites whose number is known only at run time by the whole-process analysis
 * ({@link ProcessFootprint}), which follows numbers across objects and through sites left
 * as {@code syscall} (they reach the same dispatcher through the LSTAR entry).
 *
 * @param numbers        the statically known syscall numbers
 * @param runtimeNumbers whether some site's number is known only at run time (and unbounded)
 * @param sitesLeft      sites left as {@code syscall} (they reach the LSTAR entry)
 * @param rewritten      whether the file has a PortApp note at all
 * @param analysed       whether the whole-process analysis bounded the sites ({@link #with})
 * @param unbounded      the sites the whole-process analysis could not bound, with why
 */
public record AppFootprint(Set<Integer> numbers, boolean runtimeNumbers, int sitesLeft, boolean rewritten,
                           boolean analysed, List<String> unbounded) {

    public AppFootprint {
        numbers = Set.copyOf(numbers);
        unbounded = List.copyOf(unbounded);
    }

    AppFootprint(Set<Integer> numbers, boolean runtimeNumbers, int sitesLeft, boolean rewritten) {
        this(numbers, runtimeNumbers, sitesLeft, rewritten, false, List.of());
    }

    /**
     * Whether the footprint is complete: every syscall the app can make is in {@link #numbers}.
     * Without the whole-process analysis, a generic unbounded slot or a site left as
     * {@code syscall} means any number may come.
     */
    public boolean complete() {
        if (!rewritten) {
            return false;
        }
        return analysed ? unbounded.isEmpty() : !runtimeNumbers && sitesLeft == 0;
    }

    /** This footprint with every site bounded (or not) by the whole-process analysis {@code p}. */
    public AppFootprint with(org.portapp.image.ProcessFootprint p) {
        Set<Integer> nrs = new TreeSet<>(numbers);
        nrs.addAll(p.numbers());
        return new AppFootprint(nrs, !p.complete(), sitesLeft, rewritten, true, p.unbounded());
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
