package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.x86.Decoder;

/**
 * libc's syscall() across objects: a dynamic program's calls through the PLT bound the number,
 * a pointer to syscall() or an import of dlsym leaves it unbounded; and the static busybox's
 * footprint is complete except for glibc's set*id broadcast, whose number is in memory.
 */
class ClosureFootprintTest {
    @TempDir
    static Path tmp;
    static Decoder decoder;
    static Analysis libc;
    static Analysis ld;

    @BeforeAll
    static void load() {
        decoder = Decoder.load();
        libc = Analysis.of(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), decoder);
        ld = Analysis.of(Path.of("/lib64/ld-linux-x86-64.so.2"), decoder);
    }

    static ClosureFootprint footprintOf(String name, String c) throws Exception {
        Path src = tmp.resolve(name + ".c");
        Files.writeString(src, c);
        Path exe = tmp.resolve(name);
        TinySites.Run cc = TinySites.run(List.of("gcc", "-O2", "-o", exe.toString(), src.toString()));
        assertEquals(0, cc.exit(), cc.output());
        assertEquals(0, TinySites.run(List.of(exe.toString())).exit(), name + " runs natively");
        return ClosureFootprint.of(List.of(new ClosureFootprint.Member(exe.toString(), Analysis.of(exe, decoder)),
                new ClosureFootprint.Member("libc.so.6", libc), new ClosureFootprint.Member("ld.so", ld)));
    }

    static SyscallSite syscallSite() {
        return libc.sites().stream().filter(s -> s.function().startsWith("syscall+")).findFirst().orElseThrow();
    }

    @Test
    void syscallIsBoundedByThePltCallsOfTheOtherObjects() throws Exception {
        SyscallSite site = syscallSite();
        assertFalse(site.bounded(), "libc alone cannot bound syscall()");
        assertTrue(site.reason().contains("rdi of syscall()"), site.reason());
        ClosureFootprint f = footprintOf("calls", """
                #include <unistd.h>
                #include <sys/syscall.h>
                static long twice(long nr) { return syscall(nr) + syscall(nr); }
                int main(int argc, char **argv) {
                    (void)argv;
                    long r = syscall(SYS_gettid) + twice(SYS_getpid);
                    if (argc > 5) {
                        r += twice(SYS_getppid);
                    }
                    return r < 0;
                }
                """);
        assertEquals(Set.of(39, 110, 186), f.boundedAcrossObjects().get(site), f.unbounded().toString());
        assertTrue(f.numbers().containsAll(Set.of(39, 110, 186)));
        assertTrue(f.unbounded().stream().noneMatch(u -> u.site().equals(site)), f.unbounded().toString());
    }

    @Test
    void aPointerToSyscallLeavesItUnbounded() throws Exception {
        ClosureFootprint f = footprintOf("pointer", """
                #include <unistd.h>
                long (*volatile p)(long, ...) = syscall;
                int main(void) { return p(39) < 0; }
                """);
        ClosureFootprint.Unbounded u = f.unbounded().stream().filter(x -> x.site().equals(syscallSite()))
                .findFirst().orElseThrow();
        assertTrue(u.reason().contains("address of syscall() is taken"), u.reason());
        assertFalse(f.complete());
    }

    @Test
    void dlsymLeavesItUnbounded() throws Exception {
        ClosureFootprint f = footprintOf("lookup", """
                #include <dlfcn.h>
                #include <unistd.h>
                #include <sys/syscall.h>
                int main(void) { return dlsym(RTLD_DEFAULT, "nothing") != 0 || syscall(SYS_getpid) < 0; }
                """);
        ClosureFootprint.Unbounded u = f.unbounded().stream().filter(x -> x.site().equals(syscallSite()))
                .findFirst().orElseThrow();
        assertTrue(u.reason().contains("dlsym"), u.reason());
    }

    @Test
    void busyboxIsBoundedButForTheSetxidBroadcast() {
        Analysis bb = Analysis.of(Path.of("/bin/busybox"), decoder);
        ClosureFootprint f = ClosureFootprint.of(List.of(new ClosureFootprint.Member("/bin/busybox", bb)));
        assertEquals(2, f.unbounded().size(), f.unbounded().toString());
        for (ClosureFootprint.Unbounded u : f.unbounded()) {
            assertTrue(u.reason().startsWith("rax is computed or loaded from memory"), u.reason());
        }
        // _exit's exit_group/exit loop and the futex wrappers whose number crosses padding
        assertTrue(f.numbers().containsAll(Set.of(60, 231, 202)));
    }
}
