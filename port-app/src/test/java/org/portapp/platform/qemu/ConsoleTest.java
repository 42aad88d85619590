package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host side of the serial protocol, the initrd format and the command line encoding. */
class ConsoleTest {
    private static byte[] b(int... v) {
        byte[] r = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (byte) v[i];
        }
        return r;
    }

    @Test
    void demuxSplitsStreamsEvenWhenEscapesStraddleReads() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ConsoleDemux d = new ConsoleDemux(out, err, null);
        byte[] line = b('k', '\r', '\n', 0xff, 1, 'o', 0xff, 0xff, 'x', 0xff, 2, 'e', 0xff, 3, 'l', 0xff, 1, 'p');
        for (byte x : line) {      // worst case: one byte per read
            d.feed(new byte[] {x}, 0, 1);
        }
        assertArrayEquals(b('o', 0xff, 'x', 'p'), out.toByteArray());
        assertEquals("e", err.toString(StandardCharsets.UTF_8));
        assertEquals("k\nl", d.kernelLog());
    }

    @Test
    void inputEscapesOnlyTheEscapeByte() {
        assertArrayEquals(b('a', 0xff, 0xff, 'b'), ConsoleDemux.escapeInput(b('a', 0xff, 'b'), 0, 3));
    }

    @Test
    void exitStatusDecoding() {
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 200), ExitStatus.decode(145, "[kernel] exit 200\n"));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), ExitStatus.decode(1, "x\n[kernel] exit 0\n"));
        assertEquals(ExitStatus.Kind.QEMU_ERROR, ExitStatus.decode(1, "").kind());
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, ExitStatus.decode(0, "").kind());
    }

    @Test
    void commandLineValuesArePercentEncoded() {
        KernelCommandLine cl = new KernelCommandLine("/bin/busybox", List.of("sh", "-c", "echo a%b; x=\"1\""),
                List.of("K=v w"), "/", true, 5);
        assertEquals("portapp.exe=/bin/busybox portapp.arg=sh portapp.arg=-c portapp.arg=echo%20a%25b%3B%20x=%221%22 "
                + "portapp.env=K=v%20w portapp.trace=1 portapp.time=5", cl.encode());
        assertEquals("portapp.exe=/a portapp.arg=a portapp.cwd=/my%20dir",
                new KernelCommandLine("/a", List.of("a"), List.of(), "/my dir", false, 0).encode());
        assertEquals("%C3%A9", KernelCommandLine.encodeValue("\u00e9"));
    }

    @Test
    void cpioNewcLayout() {
        byte[] a = new Cpio().file("/bin/app", b(1, 2, 3), 0755).toBytes();
        String text = new String(a, StandardCharsets.ISO_8859_1);
        // "bin" (directory), "bin/app" (3 bytes, 4-aligned), then the trailer.
        assertEquals(0, text.indexOf("070701"));
        assertEquals("000041ed", text.substring(14, 22));             // S_IFDIR | 0755
        int app = text.indexOf("bin/app\0");
        assertEquals("000081ed", text.substring(app - 110 + 14, app - 110 + 22));   // S_IFREG | 0755
        assertEquals("00000003", text.substring(app - 110 + 54, app - 110 + 62));  // file size
        int data = (app + 8 + 3) & ~3;                                  // after the name, 4-aligned
        assertArrayEquals(b(1, 2, 3), java.util.Arrays.copyOfRange(a, data, data + 3));
        assertEquals(0, a.length % 4);
        assertEquals(true, text.contains("TRAILER!!!\0"));
        assertEquals("cpio: '/a/../b' must not contain '.' or '..' components",
                assertThrows(QemuException.class, () -> new Cpio().file("/a/../b", b(), 0644)).getMessage());
    }
}
