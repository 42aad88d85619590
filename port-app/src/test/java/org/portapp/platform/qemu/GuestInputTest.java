package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The serial line's input as platforms/qemu/tty.c and x86_64/serial.c read it. */
class GuestInputTest {
    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void dataDoublesTheEscapeAndControlCodesStayWhole() throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        GuestInput in = new GuestInput(line);
        in.data(bytes('a', 0xff, 'b'), 0, 3);
        in.signal(15);
        in.windowSize(40, 120);
        in.endOfInput();
        assertArrayEquals(bytes('a', 0xff, 0xff, 'b', 0xff, 's', 15, 0xff, 'w', 40, 0, 120, 0, 0xff, 0x04),
                line.toByteArray());
    }

    @Test
    void payloadBytesAreEscapedLikeData() {
        // 255 rows: the low byte is the escape byte, doubled so the guest reads it as a byte.
        assertArrayEquals(bytes(0xff, 'w', 0xff, 0xff, 0, 0, 1), GuestInput.windowSizeFrame(255, 256));
    }

    @Test
    void outOfRangeValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GuestInput.signalFrame(0));
        assertThrows(IllegalArgumentException.class, () -> GuestInput.signalFrame(65));
        assertThrows(IllegalArgumentException.class, () -> GuestInput.windowSizeFrame(0, 80));
    }
}
