package org.portapp.platform.linuxu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.elf.ElfFile;
import org.portapp.platform.linuxu.LinuxuPlatformTest.Result;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * The rewriter's unit-test program ({@code elf-rewriter/src/test/resources/tiny-sites.S}:
 * one syscall site per situation the rewriter handles) rewritten and run on linuxu: the
 * patched sites (through the slots) and the two left as {@code syscall} (through Syscall
 * User Dispatch) make the same syscalls, in the same order, as the unrewritten program.
 */
class TinySitesOnLinuxuTest {
    /** getpid = 39, getuid = 102, in the order _start calls the functions of tiny-sites.S. */
    static final List<String> CALLS = List.of("getpid", "getpid", "getuid", "getpid", "getpid", "getpid",
            "getpid", "getuid", "getpid", "exit");

    @TempDir
    static Path tmp;
    static LinuxuPlatform platform;
    static Path exe;
    static Path rewritten;

    @BeforeAll
    static void build() throws Exception {
        Path root = LinuxuPlatformTest.repoRoot();
        exe = tmp.resolve("tiny-sites");
        Result cc = LinuxuPlatformTest.run(List.of("gcc", "-nostdlib", "-static", "-no-pie", "-o", exe.toString(),
                root.resolve("elf-rewriter/src/test/resources/tiny-sites.S").toString()), "", Map.of());
        assertEquals(0, cc.code(), cc.err());
        RewriteResult r = Analysis.of(ElfFile.read(exe), Decoder.load()).rewrite();
        assertEquals(7, r.rewritten());
        assertEquals(2, r.leftAsSyscall());
        rewritten = tmp.resolve("tiny-sites.rw");
        Files.write(rewritten, r.output());
        platform = LinuxuPlatform.at(root);
        platform.ensureBuilt(tmp.resolve("build"));
    }

    static List<String> traced(Result r) {
        return r.err().lines().filter(l -> !l.startsWith("port-app:")).map(l -> l.substring(0, l.indexOf('(')))
                .toList();
    }

    @Test
    void rewrittenRunsLikeTheOriginal() {
        Result n = LinuxuPlatformTest.run(List.of(exe.toString()), "", Map.of());
        assertEquals(42, n.code());
        Result plain = LinuxuPlatformTest.run(platform.command(exe, exe, List.of(), true, Map.of()), "", Map.of());
        Result rw = LinuxuPlatformTest.run(platform.command(rewritten, exe, List.of(), true, Map.of()), "", Map.of());
        assertEquals(42, plain.code(), plain.err());
        assertEquals(42, rw.code(), rw.err());
        assertTrue(rw.err().contains(", 5 slots"), rw.err());
        assertEquals(CALLS, traced(plain), plain.err());
        assertEquals(CALLS, traced(rw), rw.err());
    }
}
