package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Decoding QEMU's end: a signal, not the guest, ended it; the guest ran out of memory. */
class ExitStatusTest {
    @Test
    void qemuEndedBySignalIsNotAPanic() {
        // QEMU exits 0 on SIGTERM, as after a guest panic; its stderr tells them apart.
        String said = "qemu-system-x86_64: terminating on signal 15 from pid 1234 (timeout)\n";
        assertEquals(new ExitStatus(ExitStatus.Kind.SIGNALED, 143), ExitStatus.decode(0, "", said, 0));
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, ExitStatus.decode(0, "", "", 0).kind());
    }

    @Test
    void aSignalToPortAppWinsOverTheStatus() {
        // port-app killed QEMU (SIGKILL: status 137, odd, would read as app exit 68).
        assertEquals(new ExitStatus(ExitStatus.Kind.SIGNALED, 130), ExitStatus.decode(137, "", "", 2));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 200),
                ExitStatus.decode(145, "[kernel] exit 200\n", "", 0));
    }

    private static final String OOM_LOG = "[kernel] boot\n"
            + "[kernel] out of memory: a page for the app at 0x7fffbf661000 (0 KiB free of 8340 KiB)\r\n"
            + "[kernel] panic: resetting (QEMU status 0 under -no-reboot)\n";

    @Test
    void outOfMemoryIsItsStatusWithTheKernelsLine() {
        assertEquals(245, ExitStatus.OOM_QEMU_STATUS);
        assertEquals(new ExitStatus(ExitStatus.Kind.OUT_OF_MEMORY, -1), ExitStatus.decode(245, OOM_LOG, "", 0));
        assertEquals("a page for the app at 0x7fffbf661000 (0 KiB free of 8340 KiB)",
                ExitStatus.outOfMemoryCause(OOM_LOG));
    }

    @Test
    void appExits122And250AreNotOutOfMemory() {
        // Same QEMU status as the kernel's out-of-memory exit; the exit line decides.
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 122), ExitStatus.decode(245, "[kernel] exit 122\n"));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 250), ExitStatus.decode(245, "[kernel] exit 250\n"));
        // Without the kernel's line either (a log cut short), it stays an app exit.
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 122), ExitStatus.decode(245, ""));
        assertNull(ExitStatus.outOfMemoryCause("[kernel] exit 122\n"));
    }

    @Test
    void outOfMemoryLineWithAnotherStatusIsNotOutOfMemory() {
        // Without isa-debug-exit the kernel resets: status 0 is then a panic, as before.
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, ExitStatus.decode(0, OOM_LOG, "", 0).kind());
        assertEquals(new ExitStatus(ExitStatus.Kind.SIGNALED, 130), ExitStatus.decode(245, OOM_LOG, "", 2));
    }
}
