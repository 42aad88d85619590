package org.portapp.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.portapp.syscalls.ShimModules;
import org.portapp.syscalls.Syscall;
import org.portapp.syscalls.SyscallStatus;
import org.portapp.syscalls.SyscallTable;

/** Checks on command inputs and the shared syscall knowledge (table + shim manifests). */
final class Inputs {
    private Inputs() {
    }

    static Path existingFile(Path p) {
        if (!Files.exists(p)) {
            throw new PortAppException(p + ": no such file");
        }
        if (Files.isDirectory(p)) {
            throw new PortAppException(p + ": is a directory, not an ELF file");
        }
        if (!Files.isReadable(p)) {
            throw new PortAppException(p + ": not readable (permission denied)");
        }
        return p;
    }

    /**
     * The file a program name stands for, as a shell finds it: a name with a {@code /} is a path;
     * one without is looked up in each directory of the host's PATH in turn (an empty entry is
     * the current directory), and the first executable regular file wins.
     */
    static Path program(Path name) {
        return program(name, System.getenv("PATH"));
    }

    static Path program(Path name, String path) {
        String s = name.toString();
        if (s.contains("/")) {
            return existingFile(name);
        }
        String searched = path == null ? "" : path;
        for (String dir : searched.split(":", -1)) {
            Path candidate = (dir.isEmpty() ? Path.of(".") : Path.of(dir)).resolve(s);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new PortAppException(s + ": not found on PATH (searched " + (searched.isEmpty() ? "an empty PATH"
                : searched) + "); give a path to run a file by its location");
    }

    /** The syscall table and the shim modules' manifests, which decide each syscall's status. */
    record SyscallKnowledge(SyscallTable table, ShimModules modules) {
        static SyscallKnowledge load() {
            SyscallTable t = SyscallTable.load();
            return new SyscallKnowledge(t, ShimModules.scan(Main.root().resolve("posix-shim"), t));
        }

        String name(int nr) {
            return table.byNumber(nr).map(Syscall::name).orElse("unknown_" + nr);
        }

        String status(int nr) {
            return table.byNumber(nr).map(s -> modules.status(s)).map(st -> st.name().toLowerCase())
                    .orElse(SyscallStatus.MISSING.name().toLowerCase());
        }
    }
}
