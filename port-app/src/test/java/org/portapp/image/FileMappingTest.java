package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The one HOST:GUEST parser every platform uses: GUEST starts at the last ':' followed by '/'. */
class FileMappingTest {

    @Test
    void hostMayContainColons() {
        FileMapping m = FileMapping.parse("a:b.txt:/c");
        assertEquals(Path.of("a:b.txt").toAbsolutePath().normalize(), m.host());
        assertEquals("/c", m.guest());
        FileMapping abs = FileMapping.parse("/srv/x:y/z:/data/in");
        assertEquals(Path.of("/srv/x:y/z"), abs.host());
        assertEquals("/data/in", abs.guest());
    }

    @Test
    void guestMayContainAColonNotFollowedBySlash() {
        FileMapping m = FileMapping.parse("/h:/g:x");
        assertEquals(Path.of("/h"), m.host());
        assertEquals("/g:x", m.guest());
    }

    @Test
    void plainMappingIsNormalized() {
        FileMapping m = FileMapping.parse("/tmp/./site/:/srv//www/");
        assertEquals(Path.of("/tmp/site"), m.host());
        assertEquals("/srv/www", m.guest());
    }

    @Test
    void refusesWhatIsNotHostColonAbsoluteGuest() {
        for (String bad : new String[] {"nocolon", "/x:relative", "/x:/", ":/c", "a:b.txt"}) {
            ImageException e = assertThrows(ImageException.class, () -> FileMapping.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad) || e.getMessage().contains("root"), e.getMessage());
        }
    }
}
