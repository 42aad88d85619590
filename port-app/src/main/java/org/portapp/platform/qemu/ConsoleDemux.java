package org.portapp.platform.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Splits the unikernel's serial line, or its virtio console's output port, into its three
 * streams (platforms/x86_64/serial.c, virtio_console.h):
 * {@code 0xff 0x01}, {@code 0xff 0x02}, {@code 0xff 0x03} switch to the app's stdout,
 * the app's stderr and the kernel log; {@code 0xff 0xff} is a literal 0xff. The line
 * starts in the kernel log. Bytes are forwarded unchanged, as they arrive (the
 * kernel log also goes to a buffer the exit status is read from). Not thread-safe:
 * one reader feeds it.
 */
public final class ConsoleDemux {
    /** The escape byte, on the way out and on the way in. */
    public static final int ESC = 0xff;
    /** After {@link #ESC} on the way in: the host's input ended. */
    public static final int EOF_MARK = 0x04;

    private final OutputStream stdout;
    private final OutputStream stderr;
    private final OutputStream logEcho;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private int channel = 3;
    private boolean escape;

    /**
     * @param stdout  where the app's stdout goes
     * @param stderr  where the app's stderr goes
     * @param logEcho where the kernel log goes as well as to {@link #kernelLog()} (null: nowhere)
     */
    public ConsoleDemux(OutputStream stdout, OutputStream stderr, OutputStream logEcho) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.logEcho = logEcho;
    }

    /** Feeds bytes read from the serial line. */
    public void feed(byte[] buf, int off, int len) {
        try {
            int start = off;
            int end = off + len;
            for (int i = off; i < end; i++) {
                int b = buf[i] & 0xff;
                if (escape) {
                    escape = false;
                    if (b == ESC) {
                        start = i;          // the second 0xff is the literal byte
                    } else {
                        if (b >= 1 && b <= 3) {
                            channel = b;
                        }
                        start = i + 1;
                    }
                } else if (b == ESC) {
                    emit(buf, start, i - start);
                    escape = true;
                }
            }
            if (!escape) {
                emit(buf, start, end - start);
            }
            flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void emit(byte[] buf, int off, int len) throws IOException {
        if (len <= 0) {
            return;
        }
        switch (channel) {
            case 1 -> stdout.write(buf, off, len);
            case 2 -> stderr.write(buf, off, len);
            default -> {
                for (int i = off; i < off + len; i++) {
                    if (buf[i] != '\r') {
                        log.write(buf[i]);
                        if (logEcho != null) {
                            logEcho.write(buf[i]);
                        }
                    }
                }
            }
        }
    }

    private void flush() throws IOException {
        stdout.flush();
        stderr.flush();
        if (logEcho != null) {
            logEcho.flush();
        }
    }

    /** The kernel log so far, without carriage returns. */
    public String kernelLog() {
        return log.toString(StandardCharsets.UTF_8);
    }

    /** Escapes host input for the console (0xff doubled). */
    public static byte[] escapeInput(byte[] buf, int off, int len) {
        int escapes = 0;
        for (int i = off; i < off + len; i++) {
            if ((buf[i] & 0xff) == ESC) {
                escapes++;
            }
        }
        if (escapes == 0) {
            return java.util.Arrays.copyOfRange(buf, off, off + len);
        }
        byte[] out = new byte[len + escapes];
        int o = 0;
        for (int i = off; i < off + len; i++) {
            out[o++] = buf[i];
            if ((buf[i] & 0xff) == ESC) {
                out[o++] = (byte) ESC;
            }
        }
        return out;
    }
}
