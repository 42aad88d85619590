package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --exec-closure}: what a program the app execs brings into the image, on the host's real files. */
class ExecClosureTest {
    @TempDir
    Path tmp;

    private static Map<String, Path> byGuest(List<FileMapping> ms) {
        return ms.stream().collect(Collectors.toMap(FileMapping::guest, FileMapping::host, (a, b) -> a));
    }

    @Test
    void aDynamicProgramBringsItsWholeClosureAtItsOwnPaths() {
        Path sort = Path.of("/usr/bin/sort");
        Map<String, Path> m = byGuest(ExecClosure.of(sort));
        Closure c = Closure.of(sort);
        assertEquals(c.files().keySet(), c.files().keySet().stream().filter(m::containsKey)
                .collect(Collectors.toSet()), "every closure path: " + m.keySet());
        assertTrue(m.containsKey("/usr/bin/sort"), m::toString);
        assertTrue(m.containsKey(c.interpreter().orElseThrow().guestPath()), m::toString);
        assertTrue(m.keySet().stream().anyMatch(g -> g.endsWith("/libc.so.6")), m::toString);
    }

    @Test
    void aStaticProgramIsItselfAlone() {
        Map<String, Path> m = byGuest(ExecClosure.of(Path.of("/bin/busybox")));
        Path real = Path.of("/bin/busybox").toAbsolutePath();
        try {
            real = real.toRealPath();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(real, m.get("/bin/busybox"), m::toString);
        // and its canonical path when /bin is a link (usrmerge): nothing else
        assertTrue(m.keySet().stream().allMatch(g -> g.equals("/bin/busybox") || Path.of(g).equals(m.get(g))),
                m::toString);
    }

    @Test
    void aScriptBringsItselfAndItsInterpretersClosure() throws Exception {
        Path inner = tmp.resolve("inner.sh");
        Files.writeString(inner, "#!/bin/busybox sh\necho inner\n");
        Path outer = tmp.resolve("outer");
        Files.writeString(outer, "#! " + inner + " -x\necho outer\n");
        Map<String, Path> m = byGuest(ExecClosure.of(outer));
        assertEquals(outer, m.get(outer.toString()), m::toString);
        assertEquals(inner, m.get(inner.toString()), m::toString);
        assertEquals(byGuest(ExecClosure.of(Path.of("/bin/busybox"))).get("/bin/busybox"), m.get("/bin/busybox"));
        assertEquals(2 + byGuest(ExecClosure.of(Path.of("/bin/busybox"))).size(), m.size(), m::toString);
    }

    @Test
    void mistakesAreOneLineErrorsNamingTheOption() throws Exception {
        ImageException missing = assertThrows(ImageException.class,
                () -> ExecClosure.of(tmp.resolve("nothere")));
        assertEquals("--exec-closure " + tmp.resolve("nothere") + ": no such file", missing.getMessage());

        Path text = Files.writeString(tmp.resolve("notes.txt"), "plain text\n");
        assertTrue(assertThrows(ImageException.class, () -> ExecClosure.of(text)).getMessage()
                .endsWith("is neither an x86-64 ELF executable nor a #! script"));

        Path badInterp = Files.writeString(tmp.resolve("bad.sh"), "#!/nonexistent/shell\n");
        assertEquals("--exec-closure " + badInterp + ": its interpreter /nonexistent/shell does not exist",
                assertThrows(ImageException.class, () -> ExecClosure.of(badInterp)).getMessage());

        Path relative = Files.writeString(tmp.resolve("rel.sh"), "#!sh\n");
        assertTrue(assertThrows(ImageException.class, () -> ExecClosure.of(relative)).getMessage()
                .contains("by a relative path"));

        Path loop = tmp.resolve("loop.sh");
        Files.writeString(loop, "#!" + loop + "\n");
        assertTrue(assertThrows(ImageException.class, () -> ExecClosure.of(loop)).getMessage()
                .contains("more than 4 levels"));

        assertTrue(assertThrows(ImageException.class, () -> ExecClosure.of(tmp)).getMessage()
                .endsWith("is not a readable regular file"));
    }
}
