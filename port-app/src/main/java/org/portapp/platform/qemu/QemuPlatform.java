package org.portapp.platform.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.portapp.cache.CacheDir;
import org.portapp.elf.ElfFile;
import org.portapp.image.Progress;
import org.portapp.platform.CachedBuild;
import org.portapp.syscalls.ShimGenerator;
import org.portapp.syscalls.ShimModule;
import org.portapp.syscalls.ShimModules;
import org.portapp.syscalls.SyscallTable;
import org.portapp.syscalls.SyscallTableException;

/**
 * The unikernel platform: builds a kernel image specialized for an app's syscall
 * footprint (platforms/x86_64 + platforms/qemu + the posix-shim modules that
 * provide the footprint, with LTO and --gc-sections), and says how to boot it.
 *
 * <p>Kernel builds are cached by content like linuxu's: the directory is named after
 * a hash of the generated tables, the module list and every source file involved.
 */
public final class QemuPlatform {
    /** Kernel file name inside a build directory. */
    public static final String KERNEL = "kernel.elf";

    private final Path root;

    private QemuPlatform(Path root) {
        this.root = root;
    }

    /** The platform of the repository (or installation) at {@code repoRoot}. */
    public static QemuPlatform at(Path repoRoot) {
        Path root = repoRoot.toAbsolutePath().normalize();
        for (String d : List.of("posix-shim", "platforms/x86_64", "platforms/qemu")) {
            if (!Files.isDirectory(root.resolve(d))) {
                throw new QemuException("qemu: " + root.resolve(d) + " not found (is " + root
                        + " the port-app root?)");
            }
        }
        return new QemuPlatform(root);
    }

    /**
     * The modules an image for an app needs: those providing its footprint, their
     * dependencies and {@code core}; every module when the footprint is incomplete (some
     * site's number is known only at run time, so any syscall may come through it) unless
     * {@code knownOnly}, which trusts the statically known numbers alone (a run-time
     * number whose module is missing then gets -ENOSYS).
     */
    public List<ShimModule> selectModules(AppFootprint footprint, boolean knownOnly) {
        return selectModules(footprint, knownOnly, List.of());
    }

    /**
     * As {@link #selectModules(AppFootprint, boolean)}, plus the modules named in {@code extra}
     * (and what they need) whatever the footprint: 9pfs for {@code --mount}, which no syscall
     * number selects.
     */
    public List<ShimModule> selectModules(AppFootprint footprint, boolean knownOnly, Collection<String> extra) {
        ShimModules all = modules();
        if (!footprint.complete() && !knownOnly) {
            return all.modules();
        }
        List<ShimModule> chosen = selectFor(all, footprint.numbers());
        if (extra.isEmpty()) {
            return chosen;
        }
        Set<String> wanted = new LinkedHashSet<>();
        chosen.forEach(m -> wanted.add(m.name()));
        wanted.addAll(extra);
        return all.resolve(wanted);
    }

    private static List<ShimModule> selectFor(ShimModules all, Collection<Integer> footprint) {
        Set<String> wanted = new LinkedHashSet<>();
        wanted.add(ShimModule.CORE);
        all.resolveNumbers(footprint).forEach(m -> wanted.add(m.name()));
        return all.resolve(wanted);
    }

    /** Every module available on the unikernel. */
    public ShimModules modules() {
        try {
            return ShimModules.scan(root.resolve("posix-shim"), SyscallTable.load())
                    .forPlatform(ShimModules.PLATFORM_QEMU);
        } catch (SyscallTableException e) {
            throw new QemuException("qemu: cannot read the shim modules: " + e.getMessage(), "", e);
        }
    }

    /** A built kernel. */
    public record Kernel(Path path, List<String> modules, long fileBytes, long loadedBytes) {
    }

    /**
     * Makes sure the kernel for these modules is built under {@code buildDir} (cached)
     * and returns it. Prints one progress line on stderr when it actually builds.
     */
    public Kernel ensureBuilt(List<ShimModule> selected, Path buildDir) {
        return ensureBuilt(selected, buildDir, true);
    }

    /**
     * As {@link #ensureBuilt(List, Path)}, with link-time optimization or without it: a
     * faster build of the same sources, cached apart, for
     * {@link org.portapp.platform.CompileCheck}.
     */
    public Kernel ensureBuilt(List<ShimModule> selected, Path buildDir, boolean lto) {
        return ensureBuilt(selected, buildDir, lto, Progress.verbose(System.err::println));
    }

    /** As {@link #ensureBuilt(List, Path, boolean)}, saying that it builds on {@code progress}. */
    public Kernel ensureBuilt(List<ShimModule> selected, Path buildDir, boolean lto, Progress progress) {
        SyscallTable table = SyscallTable.load();
        ShimGenerator gen = new ShimGenerator(table, selected);
        Map<String, String> generated = new TreeMap<>(Map.of(
                ShimGenerator.HEADER, gen.header(),
                ShimGenerator.TABLE, gen.tableC(),
                ShimGenerator.ENTRIES, gen.entriesS()));
        List<String> names = selected.stream().map(ShimModule::name).toList();
        List<Path> sources = new ArrayList<>(List.of(root.resolve("platforms/x86_64"),
                root.resolve("platforms/qemu"), root.resolve("posix-shim/include")));
        selected.forEach(m -> sources.add(m.dir()));
        // The net module compiles lwIP from the cache; its version names the source.
        LwipSource lwip = names.contains("net") ? LwipSource.ensure(root, buildDir) : null;
        List<String> makeArgs = new ArrayList<>();
        if (lwip != null) {
            makeArgs.add("LWIP=" + lwip.dir());
        }
        Path kernel;
        try {
            String hash = CachedBuild.hash(root, String.join(" ", names)
                    + (lwip == null ? "" : " lwip-" + lwip.version()), generated, sources);
            Path dir = buildDir.toAbsolutePath().normalize().resolve((lto ? "qemu-" : "qemu-nolto-") + hash);
            kernel = dir.resolve(KERNEL);
            if (!Files.isRegularFile(kernel)) {
                progress.building("the unikernel", "modules: " + String.join(" ", names));
                try {
                    CachedBuild.buildOnce(buildDir, dir, kernel, generated, List.of(KERNEL), (genDir, out) ->
                            CachedBuild.run(makeCommand(genDir, out, names, lto, makeArgs),
                                    "building the unikernel"));
                } finally {
                    progress.built();
                }
            } else {
                CacheDir.touch(dir); // recently used: pruned last
            }
        } catch (CachedBuild.Failure e) {
            throw new QemuException("qemu: " + e.getMessage(), e.output(), e);
        } catch (IOException e) {
            throw new QemuException("qemu: cannot build in " + buildDir + ": " + e.getMessage(), "", e);
        }
        try {
            return new Kernel(kernel, names, Files.size(kernel), ElfFile.readKernel(kernel).loadedBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    private List<String> makeCommand(Path genDir, Path out, List<String> names, boolean lto, List<String> extra) {
        List<String> cmd = new ArrayList<>(List.of("make", "-C", root.resolve("platforms/qemu").toString(),
                "GEN=" + genDir, "OUT=" + out, "SHIM=" + root.resolve("posix-shim"),
                "MODULES=" + String.join(" ", names), "LTO=" + (lto ? "1" : "")));
        cmd.addAll(extra);
        return cmd;
    }

    /**
     * The QEMU command line that boots {@code kernel} (README: -nodefaults, the serial line on
     * stdio, -no-reboot so a panic ends QEMU with status 0, isa-debug-exit for the exit code).
     */
    public static List<String> qemuCommand(Machine machine, Path kernel, Path initrd, String append, int memoryMiB) {
        return qemuCommand(machine, kernel, initrd, append, memoryMiB, Network.NONE);
    }

    /**
     * As above, with the network's device and backend ({@link Network#qemuArgs}). microvm runs
     * with acpi=off: QEMU 7.2 then names its virtio-mmio devices on the kernel command line
     * (virtio_mmio.device=...), where the kernel finds them, and keeps their interrupts on
     * the first I/O APIC (with ACPI it moves them to a second one and names nothing).
     */
    public static List<String> qemuCommand(Machine machine, Path kernel, Path initrd, String append, int memoryMiB,
                                           Network network) {
        if (!machine.isQemu()) {
            throw new QemuException(machine.cliName() + " is not run through QEMU");
        }
        String m = machine == Machine.QEMU_MICROVM ? machine.qemuMachine() + ",acpi=off" : machine.qemuMachine();
        List<String> cmd = new ArrayList<>(List.of(
                "qemu-system-x86_64", "-M", m, "-cpu", "max", "-m", Integer.toString(memoryMiB),
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-kernel", kernel.toString()));
        if (initrd != null) {
            cmd.add("-initrd");
            cmd.add(initrd.toString());
        }
        if (append != null && !append.isEmpty()) {
            cmd.add("-append");
            cmd.add(append);
        }
        cmd.addAll(network.qemuArgs(machine));
        return cmd;
    }
}
