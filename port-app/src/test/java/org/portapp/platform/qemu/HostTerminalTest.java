package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The probe's answer and the {@code portapp.tty} word (platforms/qemu/loader.c parses it). */
class HostTerminalTest {
    @Test
    void parsesTheProbesAnswer() {
        assertEquals(new HostTerminal(7, 50, 132), HostTerminal.parse("012 50 132\n"));
        assertEquals(new HostTerminal(4, 24, 80), HostTerminal.parse("2 24 80\n"));
        assertEquals(new HostTerminal(1, 0, 0), HostTerminal.parse("0 \n"));   // stty failed
        assertEquals(HostTerminal.NONE, HostTerminal.parse(" \n"));
        assertEquals(HostTerminal.NONE, HostTerminal.parse("garbage"));
        assertEquals(new HostTerminal(2, 0, 0), HostTerminal.parse("1 99999 80\n"));   // no such size
    }

    @Test
    void wordNamesTheTerminalFdsAndTheSize() {
        assertEquals("portapp.tty=012:50x132", new HostTerminal(7, 50, 132).word());
        assertEquals("portapp.tty=2", new HostTerminal(4, 0, 0).word());
        assertEquals("", HostTerminal.NONE.word());
        assertTrue(new HostTerminal(5, 0, 0).isTerminal(2));
        assertFalse(new HostTerminal(5, 0, 0).isTerminal(1));
        assertThrows(IllegalArgumentException.class, () -> new HostTerminal(8, 0, 0));
    }

    @Test
    void theCommandLineCarriesItOnlyWhenAnFdIsATerminal() {
        KernelCommandLine cl = new KernelCommandLine("/bin/jq", List.of("jq"), List.of(), "/", false, 0);
        assertEquals("portapp.exe=/bin/jq portapp.arg=jq", cl.encode());
        assertEquals("portapp.exe=/bin/jq portapp.arg=jq portapp.tty=01:24x80",
                cl.withTerminal(new HostTerminal(3, 24, 80)).encode());
    }

    @Test
    void detectSeesPipesInATestRun() {
        // surefire reads the test JVM's stdout and stderr through pipes (its stdin is not checked:
        // it may be inherited from whoever started Maven).
        HostTerminal t = HostTerminal.detect();
        assertFalse(t.isTerminal(1));
        assertFalse(t.isTerminal(2));
    }
}
