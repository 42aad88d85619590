package org.portapp.syscalls;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.StreamSupport;
import java.util.stream.Collectors;

/**
 * Renders docs/syscalls.md: every syscall with its arguments, its status
 * (from the shim module manifests only), the module answering it and a link
 * to the file defining its handler ({@link HandlerDefinitions}).
 */
public final class DocsGenerator {
    private DocsGenerator() {
    }

    private static String platforms(ShimModule m) {
        return " [" + ShimModules.PLATFORMS.stream().sorted().filter(m::availableOn)
                .collect(Collectors.joining(", ")) + "]";
    }

    /** A relative link target from {@code docDir} to {@code file}, with '/' separators. */
    private static String link(Path docDir, Path file) {
        Path rel = docDir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize());
        return String.join("/", StreamSupport.stream(rel.spliterator(), false).map(Path::toString).toList());
    }

    /**
     * @param docDir the folder the page is written to, for the links to the sources
     */
    public static String markdown(SyscallTable table, ShimModules modules, Path docDir) {
        Map<ShimModule, HandlerDefinitions> defs = new HashMap<>();
        Map<SyscallStatus, Integer> totals = new EnumMap<>(SyscallStatus.class);
        for (SyscallStatus st : SyscallStatus.values()) {
            totals.put(st, 0);
        }
        StringBuilder rows = new StringBuilder();
        for (Syscall s : table.all()) {
            SyscallStatus st = modules.status(s);
            totals.merge(st, 1, Integer::sum);
            String args = s.args().isEmpty() ? "—"
                    : s.args().stream().map(a -> "`" + a.declaration() + "`").collect(Collectors.joining(", "));
            String module = modules.handler(s).map(ShimModule::name).orElse("");
            String source = modules.handler(s)
                    .flatMap(m -> defs.computeIfAbsent(m, HandlerDefinitions::scan).of(s.name()))
                    .map(d -> "[" + d.file().getParent().getFileName() + "/" + d.file().getFileName() + "]("
                            + link(docDir, d.file()) + ")")
                    .orElse("");
            rows.append("| ").append(s.nr()).append(" | `").append(s.name()).append("`")
                    .append(s.isExtension() ? " (port-app)" : "")
                    .append(" | ").append(args)
                    .append(" | ").append(st.name().toLowerCase())
                    .append(" | ").append(module)
                    .append(" | ").append(source).append(" |\n");
        }
        StringBuilder b = new StringBuilder();
        b.append("<!-- GENERATED FILE - DO NOT EDIT. Written by org.portapp.syscalls.GenerateDocs\n"
                + "     (syscall-table) from syscalls.tsv and posix-shim/*/module.conf. Regenerate with\n"
                + "       mvn -q -pl syscall-table package -DskipTests &&\n"
                + "       java -cp syscall-table/target/classes org.portapp.syscalls.GenerateDocs \\\n"
                + "         --shim-dir posix-shim --out docs/syscalls.md -->\n\n");
        b.append("# Syscalls and the POSIX shim\n\n");
        b.append("Every Linux x86_64 syscall (64-bit ABI) and port-app's extension numbers (>= ")
                .append(Syscall.FIRST_EXTENSION_NR).append("), with how the shim answers it. ")
                .append("The status comes only from the module manifests: *provided* = implemented by the module, ")
                .append("*stubbed* = answered with a fixed result, *missing* = no module answers it (the platform's ")
                .append("unhandled-syscall path does: linuxu passes it to the host, the unikernel returns -ENOSYS).\n\n");
        b.append("Modules: ");
        b.append(modules.modules().isEmpty() ? "none yet"
                : modules.modules().stream().map(m -> "`" + m.name() + "`" + platforms(m))
                        .collect(Collectors.joining(", ")));
        b.append(" (").append(modules.modules().size()).append(", in init order; in brackets the platforms a ")
                .append("build may select the module for).\n\n");
        b.append("| status | syscalls |\n|---|---|\n");
        for (SyscallStatus st : SyscallStatus.values()) {
            b.append("| ").append(st.name().toLowerCase()).append(" | ").append(totals.get(st)).append(" |\n");
        }
        b.append("| total | ").append(table.size()).append(" |\n\n");
        b.append("*defined in* is the file whose `SHIM_SYSCALL(<name>)` defines the handler.\n\n");
        b.append("| nr | name | arguments | status | module | defined in |\n|---|---|---|---|---|---|\n");
        b.append(rows);
        return b.toString();
    }
}
