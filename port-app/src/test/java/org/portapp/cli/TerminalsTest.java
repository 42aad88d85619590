package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Terminals as the host has them (issue 12): {@code port-app run} is started as its own
 * process, so that its fds 0-2 are real pipes or a real pseudo-terminal (util-linux
 * {@code script}), and each case is compared with the same command run natively. On the
 * unikernel, port-app tells the kernel which fds are terminals and their size; on linuxu the
 * ioctls go to the host.
 */
@Tag("qemu")
class TerminalsTest {
    @TempDir
    Path tmp;

    record Out(int exit, byte[] stdout, String stderr) {
        String text() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** The CLI as a command line: this JVM's java and class path. */
    private static List<String> portApp(String platform, String... rest) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Dportapp.root=" + Main.root(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run", "--platform", platform));
        cmd.addAll(List.of(rest));
        return cmd;
    }

    /** Runs {@code cmd} with stdin, stdout and stderr pipes. */
    private static Out run(List<String> cmd, byte[] stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        }
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), () -> "timed out: " + cmd);
        return new Out(p.exitValue(), out.get(), new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(InputStream s) {
        try {
            return s.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assume(String exe) {
        assumeTrue(Files.isExecutable(Path.of(exe)), exe + " not installed (bin/setup installs it)");
    }

    private static String sh(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String w : words) {
            b.append(b.length() == 0 ? "" : " ").append('\'').append(w.replace("'", "'\\''")).append('\'');
        }
        return b.toString();
    }

    private static void noTerminalCodes(Out o) {
        assertFalse(o.text().contains("\u001b"), () -> "escape codes in a pipe: " + o.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void jqDoesNotColourAPipe(String platform) throws Exception {
        assume("/usr/bin/jq");
        byte[] in = "{\"a\":[{\"x\":2,\"y\":\"ok\"}]}\n".getBytes(StandardCharsets.UTF_8);
        Out nat = run(List.of("/usr/bin/jq", ".a[0].y"), in);
        Out app = run(portApp(platform, "/usr/bin/jq", "--", ".a[0].y"), in);
        assertEquals(0, app.exit(), app.stderr());
        assertEquals("\"ok\"\n", nat.text());
        assertEquals(nat.text(), app.text());
        noTerminalCodes(app);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void xzWritesToAPipe(String platform) throws Exception {
        assume("/usr/bin/xz");
        Path file = tmp.resolve("nums.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            b.append(i).append(i % 7 == 0 ? " seven\n" : "\n");
        }
        Files.writeString(file, b);
        // no --file: an argument naming a host file puts it in the guest
        Out app = run(portApp(platform, "/usr/bin/xz", "--", "-c", file.toString()), new byte[0]);
        assertEquals(0, app.exit(), app.stderr());
        Path xz = tmp.resolve("nums.txt.xz");
        Files.write(xz, app.stdout());
        Out back = run(List.of("/usr/bin/xz", "-dc", xz.toString()), new byte[0]);
        assertEquals(0, back.exit(), back.stderr());
        assertArrayEquals(Files.readAllBytes(file), back.stdout());
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void bcPrintsOnlyTheResult(String platform) throws Exception {
        assume("/usr/bin/bc");
        byte[] in = "4*a(1)\n".getBytes(StandardCharsets.UTF_8);
        Out nat = run(List.of("/usr/bin/bc", "-l"), in);
        Out app = run(portApp(platform, "/usr/bin/bc", "--", "-l"), in);
        assertEquals(0, app.exit(), app.stderr());
        assertEquals("3.14159265358979323844\n", nat.text());
        assertEquals(nat.text(), app.text());
    }

    /** The fd probe: "ttyN" for each of fds 0-2 that is a terminal, then the size when stdin is one. */
    private static final String PROBE = "for f in 0 1 2; do [ -t $f ] && echo tty$f; done; "
            + "if [ -t 0 ]; then stty size; fi";

    /** The lines of {@code cmd} run in a 33x101 pseudo-terminal that are the probe's. */
    private static List<String> underTerminal(String cmd) throws Exception {
        // stdin stays open: at its end script types an end-of-file character, which a terminal
        // in raw mode (port-app's while QEMU runs) passes to the app as a byte.
        Out o = typed("33", "101", cmd, List.of());
        assertEquals(0, o.exit(), () -> o.text() + o.stderr());
        return Arrays.stream(o.text().split("\r?\n"))
                .filter(l -> l.matches("tty[0-2]|\\d+ \\d+")).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void aTerminalIsOneWithTheHostsSize(String platform) throws Exception {
        assume("/usr/bin/script");
        assume("/bin/busybox");
        List<String> guest = List.of("/bin/busybox", "--", "sh", "-c", PROBE);
        List<String> nat = underTerminal(sh(List.of("/bin/busybox", "sh", "-c", PROBE)));
        assertEquals(List.of("tty0", "tty1", "tty2", "33 101"), nat);
        List<String> app = underTerminal(sh(portApp(platform, guest.toArray(String[]::new))));
        assertEquals(nat, app);
        // Per fd: stdin from /dev/null and stdout into a pipe leave only stderr a terminal.
        String redirect = " </dev/null | cat";
        List<String> natMixed = underTerminal(sh(List.of("/bin/busybox", "sh", "-c", PROBE)) + redirect);
        assertEquals(List.of("tty2"), natMixed);
        assertEquals(natMixed, underTerminal(sh(portApp(platform, guest.toArray(String[]::new))) + redirect));
    }

    /**
     * Runs {@code shell} (a command line) in a pseudo-terminal ({@code script}, 24x80 unless
     * given) and types
     * each of {@code keys} once the output holds its prompt; the whole transcript, and the exit code.
     */
    private static Out typed(String shell, List<String[]> promptsAndKeys) throws Exception {
        return typed("24", "80", shell, promptsAndKeys);
    }

    private static Out typed(String rows, String cols, String shell, List<String[]> promptsAndKeys) throws Exception {
        // exec: the shell script runs would otherwise get a ^C too, and may die of it first
        Process p = new ProcessBuilder("/usr/bin/script", "-qec",
                "stty rows " + rows + " cols " + cols + "; exec " + shell, "/dev/null")
                .redirectErrorStream(true).start();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[4096];
            int n;
            try (InputStream s = p.getInputStream()) {
                while ((n = s.read(buf)) > 0) {
                    synchronized (seen) {
                        seen.write(buf, 0, n);
                    }
                }
            } catch (IOException ignored) {
                // script ended
            }
        });
        reader.start();
        try (OutputStream in = p.getOutputStream()) {
            int from = 0;
            for (String[] pk : promptsAndKeys) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                for (;;) {
                    String text;
                    synchronized (seen) {
                        text = seen.toString(StandardCharsets.UTF_8);
                    }
                    int at = text.indexOf(pk[0], from);
                    if (at >= 0) {
                        from = at + pk[0].length();
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline && p.isAlive(), () -> "no '" + pk[0] + "' in: " + text);
                    Thread.sleep(50);
                }
                Thread.sleep(300);       // the app is now reading (or computing): type
                in.write(pk[1].getBytes(StandardCharsets.UTF_8));
                in.flush();
            }
            assertTrue(p.waitFor(150, TimeUnit.SECONDS), () -> "timed out: " + shell);
        }
        reader.join();
        return new Out(p.exitValue(), seen.toByteArray(), "");
    }

    private static final String EDIT = "echo ready; read x; echo \"[$x]\"; read y; echo \"[$y]\"";

    /** Erase, kill and word erase, echo, CR to NL: the guest's line discipline as the host's pty does it. */
    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void linesAreEditedAndEchoedAsOnATerminal(String platform) throws Exception {
        assume("/usr/bin/script");
        assume("/bin/busybox");
        List<String[]> keys = List.of(new String[] {"ready", "abc\u007fd\r"},
                new String[] {"[abd]", "junk\u0015one two\u0017three\r"});
        Out nat = typed(sh(List.of("/bin/busybox", "sh", "-c", EDIT)), keys);
        Out app = typed(sh(portApp(platform, "/bin/busybox", "--", "sh", "-c", EDIT)), keys);
        assertEquals(0, nat.exit(), nat::text);
        assertTrue(nat.text().contains("[abd]") && nat.text().contains("[one three]"), nat::text);
        assertEquals(0, app.exit(), app::text);
        assertEquals(tail(nat.text(), "ready"), tail(app.text(), "ready"));
    }

    /** ^C is SIGINT for the app: a trap runs, and without one the app dies of it (130). */
    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "linuxu"})
    void ctrlCIsSigintForTheApp(String platform) throws Exception {
        assume("/usr/bin/script");
        assume("/bin/busybox");
        String trapped = "trap 'echo caught; exit 7' INT; echo ready; read x; echo not-interrupted";
        List<String[]> keys = List.<String[]>of(new String[] {"ready", "\u0003"});
        Out nat = typed(sh(List.of("/bin/busybox", "sh", "-c", trapped)), keys);
        Out app = typed(sh(portApp(platform, "/bin/busybox", "--", "sh", "-c", trapped)), keys);
        assertEquals(7, nat.exit(), () -> "native: " + nat.text());
        assertEquals(7, app.exit(), () -> platform + ": " + app.text());
        assertEquals(tail(nat.text(), "ready"), tail(app.text(), "ready"));
        String plain = "echo ready; read x; echo not-interrupted";
        assertEquals(130, typed(sh(portApp(platform, "/bin/busybox", "--", "sh", "-c", plain)), keys).exit());
    }

    /** The transcript after the first {@code marker}. */
    private static String tail(String text, String marker) {
        int at = text.indexOf(marker);
        return at < 0 ? text : text.substring(at);
    }
}
