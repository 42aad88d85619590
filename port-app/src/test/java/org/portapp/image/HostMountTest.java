package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostMountTest {
    @Test
    void splitsAtTheLastColonBeforeASlashAndReadsRo(@TempDir Path dir) throws Exception {
        Path odd = Files.createDirectories(dir.resolve("a:b"));
        HostMount m = HostMount.parse(odd + ":/data/../srv:ro").requireDirectory();
        assertEquals(odd, m.host());
        assertEquals("/srv", m.guest());
        assertTrue(m.readOnly());
        HostMount rw = HostMount.parse(dir + ":/data");
        assertFalse(rw.readOnly());
        assertEquals("/data", rw.guest());
    }

    @Test
    void badSpecsAndMissingDirectoriesAreOneLineErrors(@TempDir Path dir) throws Exception {
        assertEquals("--mount " + dir + ": expected HOSTDIR:GUESTDIR[:ro] (GUESTDIR an absolute path)",
                assertThrows(ImageException.class, () -> HostMount.parse(dir.toString())).getMessage());
        assertTrue(assertThrows(ImageException.class, () -> HostMount.parse(dir + ":data")).getMessage()
                .startsWith("--mount " + dir + ":data: expected"));
        assertTrue(assertThrows(ImageException.class, () -> HostMount.parse(dir + ":/")).getMessage()
                .contains("cannot mount over /"));
        Path missing = dir.resolve("gone");
        assertEquals("--mount " + missing + ":/d: no such directory: " + missing,
                assertThrows(ImageException.class, () -> HostMount.parse(missing + ":/d").requireDirectory())
                        .getMessage());
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertTrue(assertThrows(ImageException.class, () -> HostMount.parse(file + ":/d:ro").requireDirectory())
                .getMessage().contains("not a directory"));
    }
}
