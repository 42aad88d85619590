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
        return start(List.of(), args);
    }

    /** The launcher bin/port-app runs in front of the JVM (port-app/src/main/native/launch.c). */
    static Path launcher() {
        Path l = Main.root().resolve("port-app/target/native/portapp-launch");
        assertTrue(Files.isExecutable(l), l + " not built (mvn compile builds it)");
        return l;
    }

    /** port-app as bin/port-app runs it: its pid is the launcher's, the JVM the launcher's child. */
    static PortApp launched(String... args) throws IOException {
        return start(List.of(launcher().toString()), args);
    }

    private static PortApp start(List<String> before, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(before);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"),
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
        signalsToPortAppReachTheApp("linuxu", false, "TERM", 15);
    }

    /** The unikernel takes them from the console's control codes (platforms/qemu/tty.c). */
    @Test
    @Tag("qemu")
    void signalsToPortAppReachTheAppOnQemu() throws Exception {
        signalsToPortAppReachTheApp("qemu-pc", false, "TERM", 15);
    }

    /**
     * sigstate catches USR1 and HUP; {@code last}'s default ends it with 128+{@code lastNumber},
     * nothing left behind. {@code launched}: port-app started as bin/port-app starts it.
     */
    private void signalsToPortAppReachTheApp(String platform, boolean launched, String last, int lastNumber)
            throws Exception {
        String marker = "sigmark-fwd-" + platform + "-" + launched + "-" + ProcessHandle.current().pid();
        String[] args = {"run", "--platform", platform, sigstate.toString(), "wait", marker};
        PortApp pa = launched ? launched(args) : start(args);
        assertEquals("blocked: -", pa.line());
        assertEquals("ignored: -", pa.line());
        assertEquals("ready", pa.line());
        kill(pa.process().pid(), "USR1");
        assertEquals("caught 10", pa.line());
        kill(pa.process().pid(), "HUP");
        assertEquals("caught 1", pa.line());
        kill(pa.process().pid(), last);
        assertEquals(128 + lastNumber, exitCode(pa), pa::stderr);
        assertEquals(null, pa.line());
        assertFalse(pa.stderr().contains("panic"), pa.stderr());
        awaitGone(marker);
    }

    @Test
    void theAppDiesWithAKilledPortAppOnLinuxu() throws Exception {
        theAppDiesWithAKilledPortApp("linuxu", false);
    }

    /** QEMU dies with port-app through PR_SET_PDEATHSIG: port-app has no say in a SIGKILL. */
    @Test
    @Tag("qemu")
    void qemuDiesWithAKilledPortApp() throws Exception {
        theAppDiesWithAKilledPortApp("qemu-pc", false);
    }

    /**
     * SIGKILL of port-app: QEMU and the linuxu loader die with the JVM (PR_SET_PDEATHSIG);
     * {@code launched}: of the launcher, the JVM dies with it, then the rest.
     */
    private void theAppDiesWithAKilledPortApp(String platform, boolean launched) throws Exception {
        String marker = "sigmark-kill-" + platform + "-" + launched + "-" + ProcessHandle.current().pid();
        String[] args = {"run", "--platform", platform, sigstate.toString(), "wait", marker};
        PortApp pa = launched ? launched(args) : start(args);
        pa.line();
        pa.line();
        assertEquals("ready", pa.line());
        assertTrue(running(marker));
        List<ProcessHandle> all = pa.process().toHandle().descendants().toList();
        try {
            kill(pa.process().pid(), "KILL");
            pa.process().waitFor();
            awaitGone(marker);
            for (ProcessHandle h : all) {
                for (int i = 0; i < 100 && h.isAlive(); i++) {
                    Thread.sleep(50);
                }
                assertFalse(h.isAlive(), () -> h.info().commandLine().orElse("?") + " outlived port-app");
            }
        } finally {
            all.forEach(ProcessHandle::destroyForcibly); // no orphan left by a failure
        }
    }

    /** nginx (Debian's) on linuxu in the foreground on a free port, answering. */
    static PortApp nginx(String marker) throws Exception {
        return nginx(marker, false);
    }

    /** As {@link #nginx(String)}, started through the launcher when {@code launched}. */
    static PortApp nginx(String marker, boolean launched) throws Exception {
        Path prefix = Files.createDirectories(work.resolve(marker));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(prefix.resolve("nginx.conf"), "error_log stderr notice;\npid " + prefix + "/nginx.pid;\n"
                + "events { worker_connections 16; }\nhttp { access_log off; server { listen 127.0.0.1:" + port
                + "; location / { return 200 \"ok\\n\"; } } }\n");
        String[] args = {"run", "--platform", "linuxu", "/usr/sbin/nginx", "--", "-e", "stderr", "-p",
            prefix.toString(), "-c", prefix.resolve("nginx.conf").toString(), "-g", "daemon off; master_process off;"};
        PortApp pa = launched ? launched(args) : start(args);
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

    /**
     * port-app's exit code once it ends, within a minute; if it does not, it and everything it
     * started are killed (no orphan left by a failure) and the test fails.
     */
    static int exitCode(PortApp pa) throws Exception {
        if (!pa.process().waitFor(60, TimeUnit.SECONDS)) {
            pa.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            pa.process().destroyForcibly();
            throw new AssertionError("port-app did not end: " + pa.stderr());
        }
        return pa.process().exitValue();
    }

    /**
     * The must-show of issue 12: nginx stops gracefully on a {@code kill -QUIT} of port-app
     * (as bin/port-app starts it), with the status native nginx has (0), and so on TERM.
     */
    @Test
    void nginxStopsOnQuitOfLaunchedPortApp() throws Exception {
        PortApp pa = nginx("nginx-launched-quit", true);
        kill(pa.process().pid(), "QUIT");
        assertEquals(0, exitCode(pa), pa::stderr);
        assertTrue(pa.stderr().contains("signal 3 (SIGQUIT) received"), pa.stderr());

        PortApp term = nginx("nginx-launched-term", true);
        kill(term.process().pid(), "TERM");
        assertEquals(0, exitCode(term), term::stderr);
        assertTrue(term.stderr().contains("signal 15 (SIGTERM) received"), term.stderr());
        assertFalse(running(work.resolve("nginx-launched-term").toString()));
    }

    @Test
    void launchedPortAppPassesEverySignalOnLinuxu() throws Exception {
        signalsToPortAppReachTheApp("linuxu", true, "QUIT", 3);
    }

    /** QUIT reaches the unikernel too: the launcher's pipe, then a console control code. */
    @Test
    @Tag("qemu")
    void launchedPortAppPassesEverySignalOnQemu() throws Exception {
        signalsToPortAppReachTheApp("qemu-pc", true, "QUIT", 3);
    }

    /**
     * A signal that comes before the app runs (port-app still starting, rewriting, building)
     * acts as its default would on the app: QUIT ends the run with 128+3 at once, where the
     * JVM alone would print a thread dump and carry on.
     */
    @Test
    void quitBeforeTheAppRunsEndsTheRun() throws Exception {
        String marker = "sigmark-early-" + ProcessHandle.current().pid();
        PortApp pa = launched("run", "--platform", "linuxu", sigstate.toString(), "wait", marker);
        kill(pa.process().pid(), "QUIT");
        assertEquals(128 + 3, exitCode(pa), pa::stderr);
        awaitGone(marker);
    }

    @Test
    void theAppDiesWithAKilledLauncherOnLinuxu() throws Exception {
        theAppDiesWithAKilledPortApp("linuxu", true);
    }

    @Test
    @Tag("qemu")
    void qemuDiesWithAKilledLauncher() throws Exception {
        theAppDiesWithAKilledPortApp("qemu-pc", true);
    }
}
