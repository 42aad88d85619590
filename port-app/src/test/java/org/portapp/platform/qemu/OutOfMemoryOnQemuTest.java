package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/**
 * Debian's jq at a small -m on a workload that needs more (real TCG boots): the run ends
 * with port-app's out-of-memory message naming -m, not an app fault report or a panic.
 * jq's image (with its libraries) is about 11 MiB; natively the workload's peak RSS is
 * about 9 MiB.
 */
@Tag("qemu")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class OutOfMemoryOnQemuTest {
    private static final Path JQ = Path.of("/usr/bin/jq");

    @Test
    void firstTouchWithNoFrameLeftIsOutOfMemory() {
        assumeTrue(Files.isExecutable(JQ), "needs Debian's jq");
        // At -m 20 jq loads and starts; building the array runs out on a first touch.
        Run r = UnikernelRunTest.run("qemu-pc", "-m", "20", JQ.toString(), "--", "-n",
                "[range(300000)] | length");
        assertEquals(QemuLaunch.OUT_OF_MEMORY_EXIT, r.code(), r::describe);
        assertTrue(r.err().matches("(?s).*port-app: the unikernel ran out of memory \\(a page for the app at "
                + "0x[0-9a-f]+ \\(\\d+ KiB free of \\d+ KiB\\)\\) with -m 20; the image alone needs at least "
                + "-m \\d+ \\(initrd \\d+ KiB \\+ kernel \\d+ KiB \\+ 2 MiB.*"), r::describe);
        assertFalse(r.err().contains("APP FAULT") || r.err().contains("KERNEL PANIC"), r::describe);
        assertEquals("", r.out(), r::describe);
    }

    @Test
    void imageLargerThanTheMemoryIsOutOfMemoryWhileLoading() {
        assumeTrue(Files.isExecutable(JQ), "needs Debian's jq");
        // The initrd alone (about 10 MiB) leaves too little of 12 MiB to load jq.
        Run r = UnikernelRunTest.run("qemu-pc", "-m", "12", JQ.toString(), "--", "-n", "1");
        assertEquals(QemuLaunch.OUT_OF_MEMORY_EXIT, r.code(), r::describe);
        // What runs out first depends on the kernel's size (its page tables, the root
        // directory, jq's own pages): each says so, and none is a fault.
        assertTrue(r.err().matches("(?s).*port-app: the unikernel ran out of memory \\([^\n]+ \\(\\d+ KiB free of "
                + "\\d+ KiB\\)\\) with -m 12; the image alone needs at least -m 1[2-9] .*"),
                r::describe);
    }
}
