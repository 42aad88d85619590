package org.portapp.x86;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * x86-64 (64-bit mode) decoder backed by Zydis 4 through the JNI helper libportapp-x86.
 * Thread-safe: every call decodes with its own native decoder state.
 */
public final class Decoder {
    /** Classpath location of the helper, put there by the module's `make` step. */
    static final String LIBRARY_RESOURCE = "/native/libportapp-x86.so";

    private static final Decoder INSTANCE = new Decoder();

    private Decoder() {
    }

    /**
     * Loads the native helper (once per class loader) and returns the decoder.
     *
     * @throws DecoderException if the library is not on the classpath or cannot be loaded
     */
    public static Decoder load() {
        if (Library.FAILURE != null) {
            throw Library.FAILURE;
        }
        return INSTANCE;
    }

    /**
     * Decodes {@code code[offset, offset+length)}, whose first byte is at {@code address}, by
     * linear sweep in one native call. A byte that does not start a valid instruction becomes
     * one {@link InsnKind#INVALID} instruction of length 1, and the sweep goes on at the next byte.
     *
     * @throws IndexOutOfBoundsException if the range is not inside {@code code}
     */
    public DecodedCode decode(byte[] code, int offset, int length, long address) {
        Objects.checkFromIndexSize(offset, length, code.length);
        Object[] r = NativeDecoder.decode(code, offset, length, address);
        return new DecodedCode(address, (int[]) r[0], (byte[]) r[1], (byte[]) r[2], (int[]) r[3],
                (byte[]) r[4], (byte[]) r[5], (byte[]) r[6], (byte[]) r[7], (byte[]) r[8], (long[]) r[9]);
    }

    /**
     * Intel-syntax text of the first instruction in the range (for diagnostics); "(bad)" if none.
     *
     * @throws IndexOutOfBoundsException if the range is not inside {@code code}
     */
    public String format(byte[] code, int offset, int length, long address) {
        Objects.checkFromIndexSize(offset, length, code.length);
        return NativeDecoder.format(code, offset, length, address);
    }

    /** Loads the library on first use; the outcome (null = loaded) is fixed for the JVM's life. */
    private static final class Library {
        static final DecoderException FAILURE = loadOnce();

        private static DecoderException loadOnce() {
            URL url = Decoder.class.getResource(LIBRARY_RESOURCE);
            if (url == null) {
                return new DecoderException("native decoder " + LIBRARY_RESOURCE
                        + " is not on the classpath: build elf-rewriter with `mvn compile`"
                        + " (needs gcc, make and libzydis-dev)");
            }
            try {
                Path file;
                if ("file".equals(url.getProtocol())) {
                    file = Path.of(url.toURI());
                } else {
                    // Inside a jar: System.load needs a real file.
                    file = Files.createTempFile("portapp-x86-", ".so");
                    file.toFile().deleteOnExit();
                    try (InputStream in = url.openStream()) {
                        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                System.load(file.toAbsolutePath().toString());
                return null;
            } catch (IOException | URISyntaxException e) {
                return new DecoderException("cannot extract native decoder " + url + ": " + e, e);
            } catch (UnsatisfiedLinkError e) {
                return new DecoderException("cannot load native decoder " + url
                        + " (is Zydis 4 installed? Debian: libzydis4): " + e.getMessage(), e);
            }
        }
    }
}
