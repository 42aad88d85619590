package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Decoding QEMU's end when a signal, not the guest, ended it. */
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
}
