package org.portapp.syscalls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShimGeneratorTest {
    private final SyscallTable table = SyscallTable.load();
    private final ShimModules modules = ShimModules.scan(ShimModulesTest.fakeShim(), table);

    record Result(int exit, String output) {
    }

    static Result exec(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timeout: " + cmd);
        return new Result(p.exitValue(), out);
    }

    static void mustRun(Path dir, String... cmd) throws IOException, InterruptedException {
        Result r = exec(dir, List.of(cmd));
        assertEquals(0, r.exit(), String.join(" ", cmd) + " failed:\n" + r.output());
    }

    private static void copyAbiFixture(Path dir) throws IOException {
        for (String f : List.of("abi_test.c", "call_entry.S")) {
            try (var in = ShimGeneratorTest.class.getResourceAsStream("/shim-abi/" + f)) {
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
    }

    @Test
    void generatedFilesCompileWithTheShimFlagsAndHonourTheEntryAbi(@TempDir Path out) throws Exception {
        new ShimGenerator(table, modules.modules()).writeTo(out);
        // The flags the shim is built with (C11; -O2 so the optimizer's warnings run too).
        mustRun(out, "gcc", "-std=c11", "-c", "-Wall", "-Wextra", "-Werror", "-mgeneral-regs-only",
                "-O2", "shim_table.c");
        mustRun(out, "gcc", "-c", "-Wall", "-Wextra", "-Werror", "-mgeneral-regs-only", "shim_entries.S");
        // Link with stand-in handlers and run the ABI checks (abi_test.c).
        copyAbiFixture(out);
        mustRun(out, "gcc", "-std=c11", "-c", "-Wall", "-Wextra", "-Werror", "abi_test.c");
        mustRun(out, "gcc", "-c", "call_entry.S");
        mustRun(out, "gcc", "-o", "abi_test", "abi_test.o", "call_entry.o", "shim_table.o", "shim_entries.o");
        Result run = exec(out, List.of("./abi_test"));
        assertEquals(0, run.exit(), run.output());
        assertEquals("ok\n", run.output());

        // objdump symbolizes every entry (.type/.size present).
        Result dump = exec(out, List.of("objdump", "-d", "shim_entries.o"));
        assertEquals(0, dump.exit());
        for (Syscall s : table.all()) {
            assertTrue(dump.output().contains("<shim_entry_" + s.nr() + ">:"), "entry " + s.nr());
        }
        Result syms = exec(out, List.of("nm", "-S", "shim_entries.o"));
        assertTrue(syms.output().lines().anyMatch(l -> l.matches("[0-9a-f]+ [0-9a-f]+ T shim_entry_0")), syms.output());
        Result readelf = exec(out, List.of("readelf", "-S", "shim_entries.o"));
        assertTrue(readelf.output().contains(".note.GNU-stack"));
    }

    @Test
    void entriesCallHandlersDirectlyAndRouteTheRest() {
        ShimGenerator gen = new ShimGenerator(table, modules.resolve(Set.of("proc")));
        String s = gen.entriesS();
        assertTrue(s.contains("GENERATED FILE - DO NOT EDIT"));
        String getppid = block(s, 110);
        assertTrue(getppid.contains("call\tsys_getppid"), getppid);
        assertTrue(getppid.contains("movq\t%r10, %rcx"));
        assertFalse(getppid.contains("shim_handlers"));
        assertTrue(block(s, 0).contains("jmp\tshim_entry_generic"), "read is not selected (fs)");
        assertTrue(block(s, 15).contains("jmp\tshim_entry_special_rt_sigreturn"));
        assertTrue(block(s, 56).contains("jmp\tshim_entry_special_clone"));
        assertTrue(block(s, 58).contains("jmp\tshim_entry_special_vfork"));
        assertTrue(block(s, 435).contains("jmp\tshim_entry_special_clone3"));
        assertTrue(block(s, 57).contains("jmp\tshim_entry_special_fork"));
        assertFalse(s.contains("shim_entry_400:"));
        assertTrue(s.contains("shim_entry_500:"));
        assertFalse(s.contains("\nshim_entry_generic:"), "shim_entry_generic is hand-written elsewhere");
    }

    private static String block(String asm, int nr) {
        int at = asm.indexOf("\nshim_entry_" + nr + ":\n");
        assertTrue(at >= 0, "no entry " + nr);
        return asm.substring(at, asm.indexOf(".size", at));
    }

    @Test
    void headerAndTableFollowTheSelection() {
        ShimGenerator gen = new ShimGenerator(table, modules.resolve(Set.of("proc")));
        String h = gen.header();
        assertTrue(h.contains("#define SHIM_NR_read 0\n"));
        assertTrue(h.contains("#define SHIM_NR_mseal 462\n"));
        assertTrue(h.contains("#define SHIM_NR_portapp_noop 500\n"));
        assertTrue(h.contains("#define SHIM_NR_COUNT 501\n"));
        assertTrue(h.contains("long sys_getppid(long, long, long, long, long, long);"));
        assertTrue(h.contains("long sys_rseq(long, long, long, long, long, long);"), "stubs get prototypes too");
        assertFalse(h.contains("sys_read("), "fs is not selected");
        assertTrue(h.contains("/* proc: getppid() */\nlong sys_getppid("), "typed signature above each handler");
        assertTrue(h.contains("/* core: rseq(struct rseq *rseq, uint32_t rseq_len, int flags, uint32_t sig) */\n"), h);
        // Typed parameters and their conversions: for every syscall, selected or not.
        assertTrue(h.contains("#define SHIM_PARAMS_read unsigned int fd __attribute__((unused)), "
                + "char *buf __attribute__((unused)), size_t count __attribute__((unused))\n"), "read is not selected");
        assertTrue(h.contains("#define SHIM_ARGS_read (unsigned int)a0, (char *)a1, (size_t)a2\n"));
        assertTrue(h.contains("#define SHIM_PARAMS_getppid void\n#define SHIM_ARGS_getppid\n"));
        assertEquals(table.size(), h.lines().filter(l -> l.startsWith("#define SHIM_ARGS_")).count());
        assertTrue(h.contains("\nstruct rseq;\n") && h.contains("\nunion bpf_attr;\n"), "tags at file scope");
        assertTrue(h.contains("#define SHIM_HAVE_core 1\n#define SHIM_HAVE_proc 1\n"));
        assertFalse(h.contains("SHIM_HAVE_fs"), "fs is not selected");
        assertTrue(h.contains("extern const char *const shim_syscall_names[SHIM_NR_COUNT];"));
        assertTrue(h.contains("typedef long (*shim_handler_t)(long, long, long, long, long, long);"));
        assertTrue(h.contains("extern const shim_handler_t shim_handlers[SHIM_NR_COUNT];"));
        assertTrue(h.contains("extern void *const shim_entries[SHIM_NR_COUNT];"));
        assertTrue(h.contains("void shim_init_modules(void);"));
        String c = gen.tableC();
        assertTrue(c.contains("[SHIM_NR_getppid] = sys_getppid,"));
        assertFalse(c.contains("= sys_read,"));
        assertTrue(c.contains("[SHIM_NR_read] = (void *)shim_entry_0,"));
        assertTrue(c.contains("[400] = (void *)shim_entry_generic,"));
        assertTrue(c.contains("core_init();") && c.indexOf("core_init();") < c.indexOf("proc_init();"));
        assertFalse(c.contains("fs_init"));
    }

    @Test
    void rewritesOnlyChangedFiles(@TempDir Path out) throws Exception {
        new ShimGenerator(table, modules.resolve(Set.of("core"))).writeTo(out);
        var old = java.nio.file.attribute.FileTime.fromMillis(0);
        for (String f : List.of(ShimGenerator.HEADER, ShimGenerator.TABLE, ShimGenerator.ENTRIES)) {
            Files.setLastModifiedTime(out.resolve(f), old);
        }
        new ShimGenerator(table, modules.resolve(Set.of("core"))).writeTo(out);
        assertEquals(old, Files.getLastModifiedTime(out.resolve(ShimGenerator.TABLE)));
        new ShimGenerator(table, modules.resolve(Set.of("proc"))).writeTo(out);
        assertTrue(Files.getLastModifiedTime(out.resolve(ShimGenerator.TABLE)).compareTo(old) > 0);
        assertTrue(Files.readString(out.resolve(ShimGenerator.TABLE)).contains("= sys_getppid,"));
    }

    @Test
    void rejectsASelectionMissingADependency() {
        ShimModule proc = modules.module("proc").orElseThrow();
        SyscallTableException e = assertThrows(SyscallTableException.class,
                () -> new ShimGenerator(table, List.of(proc)));
        assertEquals("module 'proc' needs 'core', which is not selected", e.getMessage());
    }

    // ---- the CLIs ---------------------------------------------------------------------

    private static Result java(Path dir, String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return exec(dir, cmd);
    }

    @Test
    void generateShimCli(@TempDir Path out) throws Exception {
        String shim = ShimModulesTest.fakeShim().toString();
        Result ok = java(out, "org.portapp.syscalls.GenerateShim", "--shim-dir", shim, "--out", out.toString(),
                "--modules", "proc");
        assertEquals(0, ok.exit(), ok.output());
        assertTrue(ok.output().contains("for modules: core proc"), ok.output());
        String table = Files.readString(out.resolve("shim_table.c"));
        assertTrue(table.contains("= sys_getppid,") && !table.contains("= sys_read,"));
        assertTrue(Files.isRegularFile(out.resolve("shim_entries.S")));

        // fake-shim has no 'platforms' lines: on linuxu only core is available.
        Result linuxu = java(out, "org.portapp.syscalls.GenerateShim", "--shim-dir", shim, "--out", out.toString(),
                "--all", "--platform", "linuxu");
        assertEquals(0, linuxu.exit(), linuxu.output());
        assertTrue(linuxu.output().endsWith("for modules: core\n"), linuxu.output());
        Result plat = java(out, "org.portapp.syscalls.GenerateShim", "--shim-dir", shim, "--out", out.toString(),
                "--all", "--platform", "vax");
        assertEquals(2, plat.exit());
        assertEquals("GenerateShim: unknown platform 'vax' (expected one of linuxu, qemu)\n", plat.output());

        Result bad = java(out, "org.portapp.syscalls.GenerateShim", "--shim-dir", shim, "--out", out.toString(),
                "--modules", "nosuch");
        assertEquals(2, bad.exit());
        assertEquals("GenerateShim: 'nosuch' is neither a syscall nor a shim module\n", bad.output());

        Result both = java(out, "org.portapp.syscalls.GenerateShim", "--shim-dir", shim, "--out", out.toString(),
                "--all", "--modules", "core");
        assertEquals(2, both.exit());
        assertEquals(1, both.output().lines().count(), both.output());
    }

    /**
     * SHIM_SYSCALL (posix-shim/include/shim/shim.h) defines the table-ABI handler of a
     * syscall of the table around a body that sees the typed parameters, converted as
     * the kernel's types convert them; a name that is not one does not compile.
     */
    @Test
    void shimSyscallMacroDefinesHandlersOfTableNamesOnly(@TempDir Path out) throws Exception {
        new ShimGenerator(table, modules.resolve(Set.of("proc"))).writeTo(out);
        String include = "-I" + RealShimManifestsTest.repoRoot().resolve("posix-shim/include");
        Files.writeString(out.resolve("good.c"), """
                #include "shim/shim.h"
                SHIM_SYSCALL(getppid) { return 7; }
                /* rseq(struct rseq *rseq, uint32_t rseq_len, int flags, uint32_t sig) */
                SHIM_SYSCALL(rseq) { return (long)rseq_len * 10 + flags + (rseq == 0); }
                #if SHIM_HAVE_proc && !SHIM_HAVE_fs
                shim_handler_t h = sys_getppid;
                #endif
                """);
        mustRun(out, "gcc", "-std=c11", "-c", "-Wall", "-Wextra", "-Werror", "-ffreestanding", include,
                "-I.", "good.c");
        Result sym = exec(out, List.of("nm", "good.o"));
        assertTrue(sym.output().contains(" T sys_getppid\n") && sym.output().contains(" D h\n"), sym.output());
        // The upper half of a register is dropped for a 32-bit parameter, and int is signed.
        Files.writeString(out.resolve("main.c"), """
                #include <stdio.h>
                long sys_rseq(long, long, long, long, long, long);
                int main(void) { printf("%ld\\n", sys_rseq(0, 0x100000003L, 0xffffffffL, 0, 0, 0)); return 0; }
                """);
        mustRun(out, "gcc", "-o", "typed", "main.c", "good.o");
        assertEquals(new Result(0, "30\n"), exec(out, List.of("./typed")));

        Files.writeString(out.resolve("bad.c"), """
                #include "shim/shim.h"
                SHIM_SYSCALL(getppidd) { return 0; }
                """);
        Result bad = exec(out, List.of("gcc", "-std=c11", "-c", "-Wall", "-Wextra", "-Werror", "-ffreestanding",
                include, "-I.", "bad.c"));
        assertEquals(1, bad.exit(), bad.output());
        assertTrue(bad.output().contains("SHIM_NR_getppidd"), bad.output());
    }

    /**
     * Every syscall's typed parameters compile in shim code: shim/ktypes.h defines
     * every kernel type syscalls.tsv names, and the tags are declared at file scope.
     */
    @Test
    void typedParametersOfEverySyscallCompile(@TempDir Path out) throws Exception {
        new ShimGenerator(table, modules.resolve(Set.of())).writeTo(out);
        StringBuilder c = new StringBuilder("#include \"shim/shim.h\"\n");
        for (Syscall s : table.all()) {
            c.append("SHIM_SYSCALL(").append(s.name()).append(") { return 0; }\n");
        }
        Files.writeString(out.resolve("all.c"), c.toString());
        mustRun(out, "gcc", "-std=c11", "-c", "-Wall", "-Wextra", "-Werror", "-ffreestanding",
                "-I" + RealShimManifestsTest.repoRoot().resolve("posix-shim/include"), "-I.", "all.c");
    }

    @Test
    void generateDocsCli(@TempDir Path out) throws Exception {
        Path md = out.resolve("docs").resolve("syscalls.md");
        Result ok = java(out, "org.portapp.syscalls.GenerateDocs", "--shim-dir",
                ShimModulesTest.fakeShim().toString(), "--out", md.toString());
        assertEquals(0, ok.exit(), ok.output());
        String text = Files.readString(md);
        assertTrue(text.startsWith("<!-- GENERATED FILE - DO NOT EDIT."));
        assertTrue(text.contains("| provided | 12 |\n| stubbed | 2 |\n| missing | " + (table.size() - 14) + " |\n"));
        assertTrue(text.contains("| 0 | `read` | `unsigned int fd`, `char *buf`, `size_t count` | provided | fs | "
                + "[fs/fs.c](" + md.getParent().relativize(ShimModulesTest.fakeShim().resolve("fs/fs.c")) + ") |\n"));
        assertTrue(text.contains("| 334 | `rseq` | "));
        assertTrue(text.contains("| stubbed | core |  |\n"));
        assertTrue(text.contains("| 9 | `mmap` | "));
        assertTrue(text.contains("Modules: `core` [linuxu, qemu], `proc` [qemu], "), text.substring(0, 1200));
        assertEquals(table.size(), text.lines().filter(l -> l.matches("\\| \\d+ \\| `.*")).count());

        Result bad = java(out, "org.portapp.syscalls.GenerateDocs", "--shim-dir", "/nonexistent", "--out",
                md.toString());
        assertEquals(2, bad.exit());
        assertEquals(1, bad.output().lines().count());
    }
}
