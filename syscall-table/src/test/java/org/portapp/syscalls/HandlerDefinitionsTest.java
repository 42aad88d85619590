package org.portapp.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandlerDefinitionsTest {
    private final SyscallTable table = SyscallTable.load();
    private final ShimModules modules = ShimModules.scan(ShimModulesTest.fakeShim(), table);

    @Test
    void findsEachDefinitionAtTheStartOfALine() {
        ShimModule proc = modules.module("proc").orElseThrow();
        HandlerDefinitions defs = HandlerDefinitions.scan(proc);
        Path file = proc.dir().resolve("proc.c");
        assertEquals(List.of(new HandlerDefinitions.Definition("getppid", file, 2),
                new HandlerDefinitions.Definition("getuid", file, 3),
                new HandlerDefinitions.Definition("geteuid", file, 8)), defs.definitions());
        assertEquals(List.of(), defs.problems());
        assertEquals(8, defs.of("geteuid").orElseThrow().line());
        assertTrue(defs.of("getpid").isEmpty());
    }

    @Test
    void reportsWhereSourcesAndManifestDisagree() {
        ShimModule fs = modules.module("fs").orElseThrow();
        HandlerDefinitions defs = HandlerDefinitions.scan(fs);
        Path src = fs.dir().resolve("fs.c");
        assertEquals(List.of(
                fs.manifest() + ": module 'fs' answers 'openat' but its sources have 2 SHIM_SYSCALL(openat)",
                fs.manifest() + ": module 'fs' answers 'close' but its sources have 0 SHIM_SYSCALL(close)",
                src + ":6: SHIM_SYSCALL(lseek): 'lseek' is not in the provides or stubs of " + fs.manifest()),
                defs.problems());
    }

    @Test
    void docsLinkEachHandlerToItsFile() {
        String md = DocsGenerator.markdown(table, modules, ShimModulesTest.fakeShim().resolve("docs"));
        assertTrue(md.contains("| 110 | `getppid` | — | provided | proc | [proc/proc.c](../proc/proc.c) |\n"), md);
        assertTrue(md.contains("| provided | core |  |\n"), "core has no sources: no link");
        assertTrue(md.contains("| 9 | `mmap` |"));
        assertTrue(md.contains("| missing |  |  |\n"));
    }
}
