package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The out-of-memory report's lower bound for -m, from the QEMU command's files. */
class OutOfMemoryMessageTest {
    @TempDir
    Path tmp;

    /** A minimal ELF64 header with two PT_LOAD headers (and a PT_NOTE that must not count). */
    private static byte[] kernelElf() {
        ByteBuffer b = ByteBuffer.allocate(64 + 3 * 56).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x464c457f).put(4, (byte) 2);
        b.putLong(32, 64).putShort(54, (short) 56).putShort(56, (short) 3);
        long[][] ph = {{1, 0x100000, 0x50000}, {4, 0, 0x7fffffff}, {1, 0x160000, 0x23000}};
        for (int i = 0; i < ph.length; i++) {
            int at = 64 + i * 56;
            b.putInt(at, (int) ph[i][0]).putLong(at + 24, ph[i][1]).putLong(at + 40, ph[i][2]);
        }
        return b.array();
    }

    @Test
    void loadedSizeSpansThePtLoadSegments() throws Exception {
        Path k = Files.write(tmp.resolve("kernel.elf"), kernelElf());
        assertEquals(0x83000, QemuLaunch.loadedSize(k)); // 0x100000 .. 0x160000 + 0x23000
        Path notElf = Files.write(tmp.resolve("blob"), new byte[1000]);
        assertEquals(1000, QemuLaunch.loadedSize(notElf));
        assertEquals(0, QemuLaunch.loadedSize(tmp.resolve("missing")));
    }

    @Test
    void minimumIsInitrdPlusKernelPlusMarginRoundedUpToMiB() {
        assertEquals(3, QemuLaunch.minimumMemoryMiB(0, 1));
        assertEquals(4, QemuLaunch.minimumMemoryMiB(1 << 20, 1 << 20));
        assertEquals(13, QemuLaunch.minimumMemoryMiB(540 << 10, 10440 << 10));
    }

    @Test
    void messageNamesTheCauseTheMemoryInForceAndTheBound() throws Exception {
        Path k = Files.write(tmp.resolve("kernel.elf"), kernelElf());
        Path initrd = Files.write(tmp.resolve("initrd.cpio"), new byte[10 << 20]);
        List<String> cmd = List.of("qemu-system-x86_64", "-M", "pc", "-m", "12", "-kernel", k.toString(),
                "-initrd", initrd.toString());
        String msg = QemuLaunch.outOfMemoryMessage(cmd, "loading /usr/bin/jq (0 KiB free of 148 KiB)");
        assertTrue(msg.startsWith("port-app: the unikernel ran out of memory (loading /usr/bin/jq (0 KiB free"),
                msg);
        // 10 MiB + 524 KiB + 2 MiB: 13 MiB rounded up.
        assertTrue(msg.contains("with -m 12; the image alone needs at least -m 13 (initrd 10240 KiB + kernel "
                + "524 KiB + 2 MiB, rounded up; a lower bound"), msg);
        assertTrue(!msg.contains("\n"), msg);
    }

    @Test
    void qemuRefusingTheInitrdIsOutOfMemoryToo() throws Exception {
        // A stand-in for QEMU that fails as QEMU 7+ does when the initrd does not fit -m.
        Path k = Files.write(tmp.resolve("kernel.elf"), kernelElf());
        Path initrd = Files.write(tmp.resolve("initrd.cpio"), new byte[9 << 20]);
        List<String> cmd = List.of("sh", "-c",
                "echo 'qemu: initrd is too large, cannot support.(max: 8224767, need 9437184)' >&2; exit 1",
                "qemu", "-m", "8", "-kernel", k.toString(), "-initrd", initrd.toString());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        QemuLaunch.Result r = QemuLaunch.run(cmd, null, new ByteArrayOutputStream(),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        String said = err.toString(StandardCharsets.UTF_8);
        assertEquals(QemuLaunch.OUT_OF_MEMORY_EXIT, r.exitCode(), said);
        assertTrue(said.contains("ran out of memory (the initrd, as QEMU says: qemu: initrd is too large"), said);
        assertTrue(said.contains("with -m 8; the image alone needs at least -m 12 "), said);
    }
}
