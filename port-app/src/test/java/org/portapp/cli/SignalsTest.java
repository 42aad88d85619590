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
 * gives, signals to port-app reach the app on linuxu and on the unikernel, and no app or
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
        signalsToPortAppReachTheApp("linuxu");
    }

    /** The unikernel takes them from the console's control codes (platforms/qemu/tty.c). */
    @Test
    @Tag("qemu")
    void signalsToPortAppReachTheAppOnQemu() throws Exception {
        signalsToPortAppReachTheApp("qemu-pc");
    }

    private void signalsToPortAppReachTheApp(String platform) throws Exception {
        String marker = "sigmark-fwd-" + platform + "-" + ProcessHandle.current().pid();
        PortApp pa = start("run", "--platform", platform, sigstate.toString(), "wait", marker);
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
        assertFalse(pa.stderr().contains("panic"), pa.stderr());
        awaitGone(marker);
    }

    @Test
    void theAppDiesWithAKilledPortAppOnLinuxu() throws Exception {
        theAppDiesWithAKilledPortApp("linuxu");
    }

    /** QEMU dies with port-app through PR_SET_PDEATHSIG: port-app has no say in a SIGKILL. */
    @Test
    @Tag("qemu")
    void qemuDiesWithAKilledPortApp() throws Exception {
        theAppDiesWithAKilledPortApp("qemu-pc");
    }

    private void theAppDiesWithAKilledPortApp(String platform) throws Exception {
        String marker = "sigmark-kill-" + platform + "-" + ProcessHandle.current().pid();
        PortApp pa = start("run", "--platform", platform, sigstate.toString(), "wait", marker);
        pa.line();
        pa.line();
        assertEquals("ready", pa.line());
        assertTrue(running(marker));
        List<ProcessHandle> app = pa.process().toHandle().descendants().toList();
        try {
            kill(pa.process().pid(), "KILL");
            pa.process().waitFor();
            awaitGone(marker);
        } finally {
            app.forEach(ProcessHandle::destroyForcibly); // no orphan left by a failure
        }
    }

    /** nginx (Debian's) on linuxu in the foreground on a free port, answering. */
    static PortApp nginx(String marker) throws Exception {
        Path prefix = Files.createDirectories(work.resolve(marker));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(prefix.resolve("nginx.conf"), "error_log stderr notice;\npid " + prefix + "/nginx.pid;\n"
                + "events { worker_connections 16; }\nhttp { access_log off; server { listen 127.0.0.1:" + port
                + "; location / { return 200 \"ok\\n\"; } } }\n");
        PortApp pa = start("run", "--platform", "linuxu", "/usr/sbin/nginx", "--", "-e", "stderr", "-p",
                prefix.toString(), "-c", prefix.resolve("nginx.conf").toString(), "-g",
                "daemon off; master_process off;");
        for (int i = 0; ; i++) {
            try (java.net.Socket c = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
                return pa;
            } catch (IOException notYet) {
                assertTrue(i < 600 && pa.process().isAlive(), () -> "nginx does not answer: " + pa.stderr());
                Thread.sleep(100);
            }
        }
    }

    @Test
    void nginxStopsOnQuitAndOnTermOfPortApp() throws Exception {
        // SIGQUIT to the app itself (the JVM keeps SIGQUIT: port-app cannot forward it);
        // it used to stay blocked, inherited from the JVM, and nginx ignored it.
        PortApp pa = nginx("nginx-quit");
        List<ProcessHandle> app = pa.process().toHandle().children().toList();
        assertEquals(1, app.size());
        kill(app.get(0).pid(), "QUIT");
        assertEquals(0, pa.process().waitFor(), pa::stderr);
        assertTrue(pa.stderr().contains("signal 3 (SIGQUIT) received"), pa.stderr());

        PortApp term = nginx("nginx-term");
        kill(term.process().pid(), "TERM");
        assertEquals(0, term.process().waitFor(), term::stderr);
        assertTrue(term.stderr().contains("signal 15 (SIGTERM) received"), term.stderr());
    }
}
