package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals and lifetime of {@code port-app run}, run as a separate JVM (as bin/port-app
 * runs it) so the test can signal it: the app starts with the signal state a shell's exec
 * gives, signals to port-app reach the app (linuxu) or end QEMU with 128+N, and no app or
 * QEMU outlives port-app. The app is test-apps/sigstate.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SignalsTest {
    @TempDir
    static Path work;
    static Path sigstate;

    @BeforeAll
    static void build() throws Exception {
        Path out = work.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-C", Main.root().resolve("test-apps").toString(),
                "OUT=" + out, out + "/glibc/sigstate").redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), log);
        sigstate = out.resolve("glibc/sigstate");
    }

    /** port-app in its own JVM, stdout readable line by line, stderr to a file. */
    record PortApp(Process process, BufferedReader out, Path err) {
        String line() throws IOException {
            return out.readLine();
        }

        String stderr() {
            try {
                return Files.readString(err);
            } catch (IOException e) {
                return "(stderr unreadable: " + e + ")";
            }
        }
    }

    static PortApp start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Dportapp.root=" + Main.root(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(work, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        return new PortApp(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                err);
    }

    static void kill(long pid, String signal) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor());
    }

    /** Whether a process with {@code marker} on its command line is alive (pgrep -f). */
    static boolean running(String marker) throws Exception {
        return new ProcessBuilder("pgrep", "-f", marker).start().waitFor() == 0;
    }

    static void awaitGone(String marker) throws Exception {
        for (int i = 0; i < 100 && running(marker); i++) {
            Thread.sleep(50);
        }
        assertFalse(running(marker), "a process with " + marker + " outlived port-app");
    }

    @Test
    void theAppStartsWithNoSignalBlockedOrIgnored() throws Exception {
        // Natively from this JVM the app inherits the JVM's blocked SIGQUIT (the bug fixed):
        Process nat = new ProcessBuilder(sigstate.toString()).start();
        String natOut = new String(nat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, nat.waitFor());
        assertTrue(natOut.startsWith("blocked: 3"), natOut);

        PortApp pa = start("run", "--platform", "linuxu", sigstate.toString());
        assertEquals("blocked: -", pa.line());
        assertEquals("ignored: -", pa.line());
        assertEquals(0, pa.process().waitFor(), pa::toString);
    }

    @Test
    void signalsToPortAppReachTheAppOnLinuxu() throws Exception {
        String marker = "sigmark-fwd-" + ProcessHandle.current().pid();
        PortApp pa = start("run", "--platform", "linuxu", sigstate.toString(), "wait", marker);
        assertEquals("blocked: -", pa.line());
        assertEquals("ignored: -", pa.line());
        assertEquals("ready", pa.line());
        kill(pa.process().pid(), "USR1");
        assertEquals("caught 10", pa.line());
        kill(pa.process().pid(), "HUP");
        assertEquals("caught 1", pa.line());
        kill(pa.process().pid(), "TERM");
        assertEquals(128 + 15, pa.process().waitFor(), pa::stderr);
        assertEquals(null, pa.line());
        awaitGone(marker);
    }

    @Test
    void theAppDiesWithAKilledPortApp() throws Exception {
        String marker = "sigmark-kill-" + ProcessHandle.current().pid();
        PortApp pa = start("run", "--platform", "linuxu", sigstate.toString(), "wait", marker);
        pa.line();
        pa.line();
        assertEquals("ready", pa.line());
        assertTrue(running(marker));
        kill(pa.process().pid(), "KILL");
        pa.process().waitFor();
        awaitGone(marker);
    }

    @Test
    @Tag("qemu")
    void termEndsQemuWith143() throws Exception {
        PortApp pa = start("run", "--platform", "qemu-pc", sigstate.toString(), "wait");
        assertEquals("blocked: -", pa.line());
        assertEquals("ignored: -", pa.line());
        assertEquals("ready", pa.line());
        List<ProcessHandle> qemu = pa.process().toHandle().descendants().toList();
        assertTrue(qemu.stream().anyMatch(h -> h.info().command().orElse("").contains("qemu-system")),
                "QEMU runs under port-app");
        kill(pa.process().pid(), "TERM");
        assertEquals(128 + 15, pa.process().waitFor(), pa::stderr);
        assertFalse(pa.stderr().contains("panic"), pa.stderr());
        for (ProcessHandle h : qemu) {
            h.onExit().get(10, TimeUnit.SECONDS);
        }
    }
}
