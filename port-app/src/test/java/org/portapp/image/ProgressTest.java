package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static String drive(Progress.Level level, boolean terminal) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Progress p = Progress.on(err, level, terminal);
        p.objects(3);
        for (String o : new String[] {"/usr/bin/app", "/lib/ld.so", "/lib/libc.so.6"}) {
            p.nextObject(Path.of(o));
            if (!o.equals("/lib/ld.so")) { // ld.so found in the cache
                p.rewriting(Path.of(o));
                p.rewritten(Path.of(o), 10, 9, 1);
            }
        }
        p.objectsDone();
        p.building("the unikernel", "modules: core " + "x".repeat(100));
        p.built();
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onATerminalOneLineIsUpdatedInPlaceAndErased() {
        String out = drive(Progress.Level.NORMAL, true);
        assertEquals("\rport-app: rewriting 1/3 app\033[K\rport-app: rewriting 3/3 libc.so.6\033[K\r\033[K"
                + "\rport-app: building the unikernel ...\033[K\r\033[K", out);
        assertTrue(out.indexOf('\n') < 0, "no newline: the app's output starts at column 0");
    }

    @Test
    void inALogAStartLineAndASummary() {
        assertEquals("port-app: rewriting the app's objects (cached for later runs) ...\n"
                + "port-app: rewrote 2 of 3 objects: 20 syscall sites, 18 rewritten, 2 left as syscall\n"
                + "port-app: building the unikernel ...\n", drive(Progress.Level.NORMAL, false));
    }

    @Test
    void verboseEveryObjectAndQuietNothing() {
        String v = drive(Progress.Level.VERBOSE, true);
        assertEquals(5, v.lines().count(), v);
        assertTrue(v.startsWith("port-app: rewriting /usr/bin/app ...\n"
                + "port-app: 10 syscall sites, 9 rewritten, 1 left as syscall\n"), v);
        assertTrue(v.endsWith("port-app: building the unikernel (modules: core " + "x".repeat(100) + ") ...\n"), v);
        assertEquals("", drive(Progress.Level.QUIET, true));
    }

    @Test
    void longInPlaceLinesAreCutToFitATerminalLine() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = Progress.on(new PrintStream(buf, true, StandardCharsets.UTF_8), Progress.Level.NORMAL, true);
        p.rewriting(Path.of("/lib/" + "y".repeat(200)));
        String line = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1 + Progress.MAX_IN_PLACE + 3, line.length(), line); // \r + text + ESC[K
    }
}
