package org.portapp.syscalls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * CLI: {@code GenerateDocs --shim-dir DIR --out docs/syscalls.md}. Exits 0 on
 * success, 2 with a one-line message on error.
 */
public final class GenerateDocs {
    private GenerateDocs() {
    }

    public static void main(String[] argv) {
        try {
            System.out.println(run(argv));
        } catch (SyscallTableException e) {
            System.err.println("GenerateDocs: " + e.getMessage());
            System.exit(2);
        }
    }

    static String run(String[] argv) {
        Args a = Args.parse(argv, Set.of("--shim-dir", "--out"), Set.of());
        Path shimDir = Path.of(a.required("--shim-dir"));
        Path out = Path.of(a.required("--out"));
        SyscallTable table = SyscallTable.load();
        ShimModules modules = ShimModules.scan(shimDir, table);
        Path parent = out.toAbsolutePath().getParent();
        String md = DocsGenerator.markdown(table, modules, parent);
        try {
            Files.createDirectories(parent);
            Files.writeString(out, md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SyscallTableException("cannot write " + out + ": " + e.getMessage(), e);
        }
        return "GenerateDocs: wrote " + out + " (" + table.size() + " syscalls, "
                + modules.modules().size() + " module(s))";
    }
}
