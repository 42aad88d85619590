package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuntimeFilesTest {
    @Test
    void theTerminalsDescriptionGoesWhereNcursesLooks() {
        // ncurses-base (Essential on Debian) ships xterm's description in /lib/terminfo.
        assumeTrue(Files.isRegularFile(Path.of("/lib/terminfo/x/xterm")), "no /lib/terminfo/x/xterm");
        List<FileMapping> f = RuntimeFiles.terminfo("xterm");
        assertEquals(List.of(new FileMapping(Path.of("/lib/terminfo/x/xterm"), "/lib/terminfo/x/xterm")), f);
    }

    @Test
    void noDescriptionForNoTermAnUnknownOneOrAPath() {
        assertTrue(RuntimeFiles.terminfo(null).isEmpty());
        assertTrue(RuntimeFiles.terminfo("no-such-terminal-type").isEmpty());
        assertTrue(RuntimeFiles.terminfo("../../etc/passwd").isEmpty());
        assertTrue(RuntimeFiles.terminfo("").isEmpty());
    }
}
