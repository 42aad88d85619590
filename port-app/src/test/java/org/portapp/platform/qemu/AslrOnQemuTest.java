package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/**
 * Load-base randomization on the unikernel (issue 10): a static-pie program (test-apps/where)
 * is placed at a random base on every boot, as Linux places it, and at one fixed base with
 * {@code --no-aslr}.
 */
@Tag("qemu")
class AslrOnQemuTest {
    @TempDir
    static Path out;
    static Path where;

    @BeforeAll
    static void build() throws Exception {
        Process make = new ProcessBuilder("make", "-C", ThreadsSignalsOnQemuTest.root().resolve("test-apps").toString(), "OUT=" + out,
                out + "/pie/where").redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), log);
        where = out.resolve("pie/where");
    }

    private static String main(String... flags) {
        String[] args = new String[flags.length + 1];
        System.arraycopy(flags, 0, args, 0, flags.length);
        args[flags.length] = where.toString();
        Run r = UnikernelRunTest.run("qemu-pc", args);
        assertEquals(0, r.code(), r::describe);
        assertTrue(r.out().matches("main 0x[0-9a-f]+\n"), r::describe);
        return r.out();
    }

    @Test
    void twoBootsPlaceAStaticPieAppApart() {
        assertNotEquals(main(), main());
    }

    @Test
    void noAslrPlacesItAtOneBase() {
        assertEquals(main("--no-aslr"), main("--no-aslr"));
    }
}
