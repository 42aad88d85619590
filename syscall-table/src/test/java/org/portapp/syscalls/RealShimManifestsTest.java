package org.portapp.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The repository's own posix-shim/*&#47;module.conf must validate against the
 * table: a bad manifest fails here, with its file and line, before any C build.
 */
class RealShimManifestsTest {
    static Path repoRoot() {
        // The parent pom passes the repository root; fall back to the module's parent
        // (surefire runs in syscall-table/) when run outside Maven.
        String root = System.getProperty("portapp.root");
        return root != null ? Path.of(root) : Path.of("").toAbsolutePath().getParent();
    }

    @Test
    void repositoryManifestsAreValid() {
        Path shim = repoRoot().resolve("posix-shim");
        assertTrue(Files.isDirectory(shim), shim + " is missing");
        SyscallTable table = SyscallTable.load();
        ShimModules modules = ShimModules.scan(shim, table);
        for (ShimModule m : modules.modules()) {
            assertEquals(m.name(), m.dir().getFileName().toString());
            // resolving a module yields it, after everything it needs
            assertEquals(m.name(), modules.resolve(Set.of(m.name())).stream()
                    .reduce((a, b) -> b).orElseThrow().name());
        }
    }

    /**
     * Every syscall a module answers is defined with SHIM_SYSCALL(name) exactly once in
     * its sources, and they define no handler its manifest does not list.
     */
    @Test
    void everyHandlerIsDefinedOnceInItsModule() {
        SyscallTable table = SyscallTable.load();
        List<String> problems = new ArrayList<>();
        for (ShimModule m : ShimModules.scan(repoRoot().resolve("posix-shim"), table).modules()) {
            problems.addAll(HandlerDefinitions.scan(m).problems());
        }
        assertEquals(List.of(), problems);
    }

    /** docs/syscalls.md is generated; a manifest change without regenerating it fails here. */
    @Test
    void generatedSyscallDocIsCurrent() throws Exception {
        Path doc = repoRoot().resolve("docs/syscalls.md");
        SyscallTable table = SyscallTable.load();
        String expected = DocsGenerator.markdown(table, ShimModules.scan(repoRoot().resolve("posix-shim"), table),
                doc.getParent());
        assertEquals(expected, Files.readString(doc),
                "docs/syscalls.md is stale: regenerate it with the command in its header");
    }
}
