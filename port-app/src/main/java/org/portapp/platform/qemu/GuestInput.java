package org.portapp.platform.qemu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * The host's side of the console's input (platforms/qemu/tty.c): the app's stdin with
 * 0xff doubled, the end-of-input mark, and port-app's control codes, {@code 0xff 's' N}
 * (signal N for the app) and {@code 0xff 'w' ROWS COLS} (the terminal's new size, two
 * little-endian 16-bit numbers); payload bytes are escaped like data. On the serial line all
 * of it shares one stream and each piece is written whole, so stdin and control codes never
 * interleave; on the virtio console control codes have a stream of their own
 * ({@link VirtioConsole}), which a blocked stdin write never holds up.
 */
final class GuestInput {
    static final int SIGNAL = 's';
    static final int WINDOW_SIZE = 'w';

    private final OutputStream data;
    private final OutputStream control;
    private final Object dataLock = new Object();
    private final Object controlLock;

    /** Everything on one stream (the serial line). */
    GuestInput(OutputStream line) {
        this(line, line);
    }

    /** Stdin and its end on {@code data}, control codes on {@code control}. */
    GuestInput(OutputStream data, OutputStream control) {
        this.data = data;
        this.control = control;
        this.controlLock = data == control ? dataLock : new Object();
    }

    /** Host input bytes. */
    void data(byte[] buf, int off, int len) throws IOException {
        write(data, dataLock, ConsoleDemux.escapeInput(buf, off, len));
    }

    /** The host's input ended. */
    void endOfInput() throws IOException {
        write(data, dataLock, new byte[] {(byte) ConsoleDemux.ESC, ConsoleDemux.EOF_MARK});
    }

    /** Signal {@code sig} for the app. */
    void signal(int sig) throws IOException {
        write(control, controlLock, signalFrame(sig));
    }

    /** The host terminal's new size. */
    void windowSize(int rows, int cols) throws IOException {
        write(control, controlLock, windowSizeFrame(rows, cols));
    }

    private static void write(OutputStream to, Object lock, byte[] bytes) throws IOException {
        synchronized (lock) {
            to.write(bytes);
            to.flush();
        }
    }

    static byte[] signalFrame(int sig) {
        if (sig < 1 || sig > 64) {
            throw new IllegalArgumentException("signal " + sig);
        }
        return frame(SIGNAL, new byte[] {(byte) sig});
    }

    static byte[] windowSizeFrame(int rows, int cols) {
        if (rows < 1 || cols < 1 || rows > 0xffff || cols > 0xffff) {
            throw new IllegalArgumentException("window size " + rows + "x" + cols);
        }
        return frame(WINDOW_SIZE, new byte[] {(byte) rows, (byte) (rows >> 8), (byte) cols, (byte) (cols >> 8)});
    }

    private static byte[] frame(int code, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(ConsoleDemux.ESC);
        b.write(code);
        b.writeBytes(ConsoleDemux.escapeInput(payload, 0, payload.length));
        return b.toByteArray();
    }
}
