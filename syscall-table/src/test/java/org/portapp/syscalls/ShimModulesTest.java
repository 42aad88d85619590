package org.portapp.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShimModulesTest {
    private final SyscallTable table = SyscallTable.load();

    static Path fakeShim() {
        try {
            return Path.of(ShimModulesTest.class.getResource("/fake-shim").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> names(List<ShimModule> modules) {
        return modules.stream().map(ShimModule::name).toList();
    }

    @Test
    void scansTheFakeShim() {
        ShimModules mods = ShimModules.scan(fakeShim(), table);
        // fs has order 5 but needs proc (20): dependencies always come first.
        assertEquals(List.of("core", "proc", "fs", "bench"), names(mods.modules()));
        ShimModule proc = mods.module("proc").orElseThrow();
        assertEquals(List.of("getppid", "getuid", "geteuid"), proc.provides()); // repeated key accumulates
        assertEquals(List.of("core"), proc.needs());
        assertEquals(Optional.of("proc_init"), proc.init());
        assertEquals(20, proc.order());
        assertEquals(fakeShim().resolve("proc"), proc.dir());
        ShimModule fs = mods.module("fs").orElseThrow();
        assertEquals(List.of("core", "proc"), fs.needs());
        assertEquals(List.of("fadvise64"), fs.stubs());
        ShimModule bench = mods.module("bench").orElseThrow();
        assertEquals(Optional.empty(), bench.init());
        assertEquals(ShimModules.DEFAULT_ORDER, bench.order());
        assertTrue(mods.module("notamodule").isEmpty());
    }

    @Test
    void statusComesFromTheManifests() {
        ShimModules mods = ShimModules.scan(fakeShim(), table);
        assertEquals(SyscallStatus.PROVIDED, mods.status(table.require("getpid")));
        assertEquals(SyscallStatus.STUBBED, mods.status(table.require("rseq")));
        assertEquals(SyscallStatus.STUBBED, mods.status(table.require("fadvise64")));
        assertEquals(SyscallStatus.MISSING, mods.status(table.require("mmap")));
        assertEquals(SyscallStatus.PROVIDED, mods.status(table.require("portapp_noop")));
        assertEquals("fs", mods.handler(table.require("read")).orElseThrow().name());
        assertTrue(mods.handler(table.require("mmap")).isEmpty());
    }

    @Test
    void resolveTakesTheClosureInInitOrder() {
        ShimModules mods = ShimModules.scan(fakeShim(), table);
        assertEquals(List.of("core"), names(mods.resolve(Set.of("getpid"))));
        assertEquals(List.of("core"), names(mods.resolve(Set.of("rseq", "mmap")))); // mmap: missing, adds nothing
        assertEquals(List.of("core", "proc"), names(mods.resolve(Set.of("geteuid"))));
        assertEquals(List.of("core", "proc", "fs"), names(mods.resolve(Set.of("read"))));
        assertEquals(List.of("core", "proc", "fs"), names(mods.resolve(Set.of("fs"))));
        assertEquals(List.of("core", "proc", "fs", "bench"), names(mods.resolve(Set.of("portapp_noop", "write"))));
        assertEquals(List.of(), names(mods.resolve(Set.of("mmap"))));
        assertEquals(List.of("core", "proc"), names(mods.resolveNumbers(List.of(110, 39, 9))));
        SyscallTableException e = assertThrows(SyscallTableException.class, () -> mods.resolve(Set.of("bogus")));
        assertEquals("'bogus' is neither a syscall nor a shim module", e.getMessage());
    }

    // ---- validation errors, each naming the file and line -----------------------

    private static void module(Path root, String name, String conf) throws IOException {
        Files.createDirectories(root.resolve(name));
        Files.writeString(root.resolve(name).resolve("module.conf"), conf);
    }

    private String error(Path root) {
        return assertThrows(SyscallTableException.class, () -> ShimModules.scan(root, table)).getMessage();
    }

    private static String conf(Path root, String module, int line) {
        return root.resolve(module).resolve("module.conf") + ":" + line + ": ";
    }

    @Test
    void unknownSyscall(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nprovides getpid\nprovides getpid2 read\n");
        assertEquals(conf(root, "a", 3) + "unknown syscall 'getpid2' in 'provides' (not in the x86_64 syscall table)",
                error(root));
    }

    @Test
    void unknownDependency(@TempDir Path root) throws IOException {
        module(root, "a", "module a\n\n# comment\nneeds  b   # trailing\n");
        module(root, "b", "module b\nneeds c\n");
        assertEquals(conf(root, "b", 2) + "module 'b' needs unknown module 'c'", error(root));
    }

    @Test
    void dependencyCycle(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nneeds b\n");
        module(root, "b", "module b\nneeds c\n");
        module(root, "c", "module c\nprovides getpid\nneeds a\n");
        assertEquals(conf(root, "c", 3) + "dependency cycle between modules: a -> b -> c -> a", error(root));
    }

    @Test
    void selfDependencyIsACycle(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nneeds a\n");
        assertEquals(conf(root, "a", 2) + "dependency cycle between modules: a -> a", error(root));
    }

    @Test
    void syscallProvidedByTwoModules(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nprovides read write\n");
        module(root, "b", "module b\nstubs getpid\nprovides write\n");
        assertEquals(conf(root, "b", 3) + "syscall 'write' is already answered by module 'a' ("
                + conf(root, "a", 2).replaceAll(": $", "") + "); a syscall belongs to one module", error(root));
    }

    @Test
    void syscallTwiceInOneModule(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nprovides read\nstubs read\n");
        assertEquals(conf(root, "a", 3) + "syscall 'read' is listed twice in this module (first at line 2)",
                error(root));
    }

    @Test
    void unknownKey(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nprovide read\n");
        assertEquals(conf(root, "a", 2) + "unknown key 'provide' (expected module, provides, stubs, needs, init, order or platforms)",
                error(root));
    }

    @Test
    void malformedValues(@TempDir Path root) throws IOException {
        module(root, "a", "module b\n");
        assertEquals(conf(root, "a", 1) + "module name 'b' must equal its folder name 'a'", error(root));
        module(root, "a", "module a\norder soon\n");
        assertEquals(conf(root, "a", 2) + "order 'soon' is not an integer", error(root));
        module(root, "a", "module a\ninit x\ninit y\n");
        assertEquals(conf(root, "a", 3) + "'init' given twice (it takes a single value)", error(root));
        module(root, "a", "module a\ninit a-init\n");
        assertEquals(conf(root, "a", 2) + "init function 'a-init' is not a C identifier", error(root));
        module(root, "a", "module a\nprovides\n");
        assertEquals(conf(root, "a", 2) + "'provides' needs at least one value", error(root));
        module(root, "a", "provides read\n");
        assertEquals(root.resolve("a").resolve("module.conf") + ": no 'module a' line", error(root));
        assertTrue(assertThrows(SyscallTableException.class,
                () -> ShimModules.scan(root.resolve("missing"), table)).getMessage().contains("does not exist"));
    }

    @Test
    void platformsKeySelectsModulesPerPlatform(@TempDir Path root) throws IOException {
        module(root, "core", "module core\nprovides getpid\n");
        module(root, "mm", "module mm\nprovides mmap\n");                        // no key: kernel-only
        module(root, "host", "module host\nprovides getppid\nplatforms linuxu\n");
        module(root, "both", "module both\nprovides gettid\nplatforms linuxu qemu\nneeds core\n");
        ShimModules all = ShimModules.scan(root, table);
        assertEquals(Set.of("linuxu"), all.module("host").orElseThrow().platforms());
        assertEquals(Set.of(), all.module("mm").orElseThrow().platforms());
        ShimModules linuxu = all.forPlatform(ShimModules.PLATFORM_LINUXU);
        assertEquals(List.of("both", "core", "host"), names(linuxu.modules()).stream().sorted().toList());
        assertEquals(List.of(), names(linuxu.resolve(Set.of("mmap"))));           // mm is not there
        ShimModules qemu = all.forPlatform(ShimModules.PLATFORM_QEMU);
        assertEquals(List.of("both", "core", "mm"), names(qemu.modules()).stream().sorted().toList());
        assertEquals(List.of("mm"), names(qemu.resolve(Set.of("mmap"))));
        assertEquals("unknown platform 'vax' (expected one of linuxu, qemu)",
                assertThrows(SyscallTableException.class, () -> all.forPlatform("vax")).getMessage());
    }

    @Test
    void platformsKeyErrors(@TempDir Path root) throws IOException {
        module(root, "a", "module a\nplatforms linuxu vax\n");
        assertEquals(conf(root, "a", 2) + "unknown platform 'vax' (expected one of linuxu, qemu)", error(root));
        module(root, "a", "module a\nplatforms linuxu\nplatforms qemu\n");
        assertEquals(conf(root, "a", 3) + "'platforms' given twice", error(root));
        module(root, "a", "module a\nplatforms linuxu\nneeds b\n");
        module(root, "b", "module b\nplatforms qemu\n");
        ShimModules mods = ShimModules.scan(root, table);
        assertTrue(assertThrows(SyscallTableException.class, () -> mods.forPlatform("linuxu")).getMessage()
                .endsWith("module 'a' is available on linuxu but needs 'b', which is not"));
    }
}
