package org.portapp.x86;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The helper also loads when it sits inside a jar (it is then extracted to a temp file). */
class LibraryLoadingTest {

    @Test
    void loadsFromInsideAJar(@TempDir Path tmp) throws Exception {
        Path jar = tmp.resolve("native.jar");
        try (InputStream lib = Decoder.class.getResourceAsStream(Decoder.LIBRARY_RESOURCE);
             OutputStream out = Files.newOutputStream(jar);
             JarOutputStream j = new JarOutputStream(out)) {
            assertNotNull(lib, "the build puts the helper on the test classpath");
            j.putNextEntry(new JarEntry(Decoder.LIBRARY_RESOURCE.substring(1)));
            lib.transferTo(j);
            j.closeEntry();
        }
        URL classes = Decoder.class.getProtectionDomain().getCodeSource().getLocation();
        // DecoderException extends PortAppError, which comes from syscall-table.
        URL errors = org.portapp.PortAppError.class.getProtectionDomain().getCodeSource().getLocation();
        // The jar comes first, so the resource is found there; the platform loader as parent
        // makes this loader define its own copy of org.portapp.x86 and load the helper afresh.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL(), classes, errors},
                ClassLoader.getPlatformClassLoader())) {
            Class<?> decoderClass = loader.loadClass(Decoder.class.getName());
            assertEquals("jar", loader.getResource(Decoder.LIBRARY_RESOURCE.substring(1)).getProtocol());
            Object decoder = decoderClass.getMethod("load").invoke(null);
            Method format = decoderClass.getMethod("format", byte[].class, int.class, int.class, long.class);
            byte[] code = {0x0f, 0x05};
            assertEquals("syscall", format.invoke(decoder, code, 0, 2, 0L));
        }
    }
}
