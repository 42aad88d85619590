package org.portapp.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An LTP tree: an installation ({@code make install}: {@code runtest/} and
 * {@code testcases/bin/}) or a built source tree ({@code runtest/} and the binaries next to
 * their sources under {@code testcases/}).
 *
 * @param root     the directory given to {@code --ltp}
 * @param binDir   testcases/bin of an installation, or testcases/ of a source tree
 * @param programs every executable ELF found under {@code binDir}, by file name
 * @param installed whether {@code root} is an installation
 */
public record LtpTree(Path root, Path binDir, Map<String, Path> programs, boolean installed) {
    public LtpTree {
        programs = Map.copyOf(programs);
    }

    /** Opens {@code dir}, refusing one that is not an LTP tree. */
    public static LtpTree open(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new CompatException("--ltp " + dir + ": no such directory");
        }
        if (!Files.isDirectory(root.resolve("runtest"))) {
            throw new CompatException("--ltp " + dir + ": not an LTP tree (no runtest/ directory; give LTP's "
                    + "install prefix or its built source tree)");
        }
        Path bin = root.resolve("testcases/bin");
        boolean installed = Files.isDirectory(bin);
        Path where = installed ? bin : root.resolve("testcases");
        if (!Files.isDirectory(where)) {
            throw new CompatException("--ltp " + dir + ": not an LTP tree (no testcases/bin/ nor testcases/)");
        }
        Map<String, Path> programs = new HashMap<>();
        try (Stream<Path> s = installed ? Files.list(where) : Files.walk(where)) {
            s.filter(p -> Files.isRegularFile(p) && Files.isExecutable(p) && isElf(p))
                    .sorted()
                    .forEach(p -> programs.putIfAbsent(p.getFileName().toString(), p));
        } catch (IOException e) {
            throw new CompatException("--ltp " + dir + ": cannot list " + where + ": " + e.getMessage());
        }
        return new LtpTree(root, where, programs, installed);
    }

    /** The runtest file: {@code name} under runtest/, or a path. */
    public Path runtest(String name) {
        Path p = Path.of(name);
        return name.contains("/") ? p : root.resolve("runtest").resolve(name);
    }

    /** The binary of {@code program}, if the tree has it. */
    public Optional<Path> program(String program) {
        return Optional.ofNullable(programs.get(program));
    }

    /** Where a missing program should have been, for the user. */
    public String lookedIn() {
        return binDir.toString();
    }

    /**
     * The syscall directory a test belongs to: its binary's folder under
     * testcases/kernel/syscalls in a source tree, else the tag without its number
     * ({@code getpid01} and {@code mmap21_01} are {@code getpid} and {@code mmap}).
     */
    public String directoryOf(Runtest.Entry e) {
        Path bin = programs.get(e.program());
        Path syscalls = root.resolve("testcases/kernel/syscalls");
        if (bin != null && bin.startsWith(syscalls) && syscalls.relativize(bin).getNameCount() > 1) {
            return syscalls.relativize(bin).getName(0).toString();
        }
        return e.tag().replaceFirst("(_?\\d+)+(_\\w*)?$", "");
    }

    private static boolean isElf(Path p) {
        try (var in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }
}
