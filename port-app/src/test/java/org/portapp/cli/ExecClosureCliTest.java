package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.Closure;

/**
 * {@code --exec-closure} through the CLI: what {@code build} puts into the initrd for a
 * static app (busybox) that may exec a dynamic program, and the one-line error for a
 * missing program. Builds a kernel (cached) but boots nothing.
 */
@Tag("slow")
class ExecClosureCliTest {
    @TempDir
    Path tmp;

    /** The regular files of a cpio newc archive: name (without the leading '/') to bytes. */
    static Map<String, byte[]> cpioFiles(byte[] a) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int off = 0;
        while (off + 110 <= a.length) {
            String h = new String(a, off, 110, StandardCharsets.ISO_8859_1);
            assertEquals("070701", h.substring(0, 6), "cpio header at " + off);
            int mode = Integer.parseUnsignedInt(h.substring(14, 22), 16);
            int size = Integer.parseUnsignedInt(h.substring(54, 62), 16);
            int nameSize = Integer.parseUnsignedInt(h.substring(94, 102), 16);
            String name = new String(a, off + 110, nameSize - 1, StandardCharsets.UTF_8);
            int data = (off + 110 + nameSize + 3) & ~3;
            if (name.equals("TRAILER!!!")) {
                break;
            }
            if ((mode & 0170000) == 0100000) {
                out.put(name, java.util.Arrays.copyOfRange(a, data, data + size));
            }
            off = (data + size + 3) & ~3;
        }
        return out;
    }

    private static boolean rewritten(byte[] elf) {
        return new String(elf, StandardCharsets.ISO_8859_1).contains("PortApp\0");
    }

    @Test
    void aStaticAppGetsTheProgramItExecsWithItsClosureRewritten() throws Exception {
        Path sort = Path.of("/usr/bin/sort");
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("build", "-q", "-o", out.toString(), "--exec-closure", sort.toString(),
                "--file", "/bin/busybox:/bin/sh", "/bin/busybox");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        Map<String, byte[]> files = cpioFiles(Files.readAllBytes(out.resolve("initrd.cpio")));
        Closure c = Closure.of(sort);
        for (String guest : c.files().keySet()) {
            byte[] f = files.get(guest.substring(1));
            assertTrue(f != null, guest + " is in the initrd: " + files.keySet());
            assertTrue(rewritten(f), guest + " is rewritten");
        }
        // --file ELFs of a static app are rewritten as well: /bin/sh is what the app execs
        assertTrue(rewritten(files.get("bin/sh")), "--file /bin/busybox:/bin/sh is rewritten");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(Path.of("/bin/busybox")), files.get("bin/sh")));
        assertTrue(r.stdout().lines().anyMatch(l -> l.startsWith("modules: ") && l.contains(" process")),
                r.stdout());
    }

    @Test
    void aNonElfFileGoesInAsItIs() throws Exception {
        Path data = Files.writeString(tmp.resolve("notes.txt"), "not a program\n");
        Path out = tmp.resolve("out2");
        CliRunner.Result r = CliRunner.run("build", "-q", "-o", out.toString(), "--file", data + ":/data/notes.txt",
                "/bin/busybox");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertArrayEquals(Files.readAllBytes(data),
                cpioFiles(Files.readAllBytes(out.resolve("initrd.cpio"))).get("data/notes.txt"));
    }

    @Test
    void aMissingProgramIsAOneLineError() {
        Path missing = tmp.resolve("no-such-program");
        CliRunner.Result r = CliRunner.run("run", "--platform", "qemu-pc", "--exec-closure", missing.toString(),
                "/bin/busybox", "--", "true");
        assertEquals(1, r.exitCode(), r.stdout() + r.stderr());
        assertEquals("port-app: error: --exec-closure " + missing + ": no such file\n", r.stderr());
    }
}
