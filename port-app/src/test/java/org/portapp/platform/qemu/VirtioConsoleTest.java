package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.cli.Main;

/**
 * The virtio console (platforms/x86_64/virtio_console.h, {@link VirtioConsole}): a megabyte
 * crosses stdin and stdout byte for byte on pc and microvm, the serial line still carries the
 * console when chosen, and a signal from the host is not held up by input the app leaves
 * unread.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VirtioConsoleTest {
    private static final String BUSYBOX = "/bin/busybox";

    @TempDir
    Path tmp;

    /** 1 MiB with every byte value, runs of 0xff (the escape byte) and random bytes. */
    private static byte[] megabyte() {
        byte[] data = new byte[1 << 20];
        new Random(10).nextBytes(data);
        for (int i = 0; i < 256; i++) {
            data[i] = (byte) i;
        }
        java.util.Arrays.fill(data, 4000, 4200, (byte) 0xff);   // across a 4 KiB buffer's end
        return data;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    @Tag("qemu")
    void aMegabyteCrossesStdinAndStdoutUnchanged(String platform) throws Exception {
        byte[] data = megabyte();
        UnikernelRunTest.Run cat = UnikernelRunTest.cli(data, "run", "--platform", platform, BUSYBOX, "--", "cat");
        assertEquals(0, cat.code(), cat::err);
        assertEquals(data.length, cat.outBytes().length, cat::err);
        assertEquals(sha256(data), sha256(cat.outBytes()));

        UnikernelRunTest.Run wc = UnikernelRunTest.cli(data, "run", "--platform", platform, BUSYBOX, "--", "wc", "-c");
        assertEquals(0, wc.code(), wc::err);
        assertEquals(data.length + "\n", wc.out(), wc::err);
    }

    /** The 16550 alone, as on Firecracker and in build's launch scripts (PORT_APP_CONSOLE=serial). */
    @Test
    @Tag("qemu")
    void theSerialLineStillCarriesTheConsole() throws Exception {
        byte[] data = new byte[3000];
        new Random(3).nextBytes(data);
        for (int i = 0; i < 256; i++) {
            data[i] = (byte) i;
        }
        Process p = portApp(Map.of(VirtioConsole.SELECT_ENV, "serial"), "run", "--kernel-log", BUSYBOX, "--",
                "sh", "-c", "cat; echo err >&2");
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(data);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String log = new String(err.get(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), log);
        assertArrayEquals(data, out.get());
        assertTrue(log.contains("err\n"), log);
        assertFalse(log.contains("console: virtio-console"), log);
    }

    /**
     * The issue-12 limitation gone: with a megabyte of stdin the app never reads queued in
     * front of it, a SIGUSR1 to port-app still reaches the app's handler (control codes have
     * their own port).
     */
    @Test
    @Tag("qemu")
    void aSignalOvertakesUnreadInput() throws Exception {
        Process p = portApp(Map.of(), "run", BUSYBOX, "--", "sh", "-c",
                "trap 'echo caught; exit 5' USR1; echo ready; while :; do sleep 0.1; done");
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        Thread feeder = new Thread(() -> {
            try (OutputStream in = p.getOutputStream()) {
                in.write(megabyte());
            } catch (IOException ignored) {
                // the run ended first: the input was never wanted
            }
        });
        feeder.setDaemon(true);
        feeder.start();
        try {
            assertEquals("ready", out.readLine());
            Thread.sleep(500);     // the input is in flight, unread
            assertEquals(0, new ProcessBuilder("kill", "-USR1", Long.toString(p.pid())).start().waitFor());
            assertEquals("caught", out.readLine());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(5, p.exitValue(), () -> new String(err.join(), StandardCharsets.UTF_8));
            assertNull(out.readLine());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theDeviceGoesOnQemuMachinesUnlessTheSerialLineIsChosen() {
        List<String> pc = List.of("qemu-system-x86_64", "-M", "pc", "-m", "64");
        List<String> microvm = List.of("qemu-system-x86_64", "-M", "microvm,acpi=off");
        assertEquals("pc", VirtioConsole.machine(pc));
        assertEquals("microvm", VirtioConsole.machine(microvm));
        assertNull(VirtioConsole.machine(List.of("firecracker")));
        assertTrue(VirtioConsole.wanted(pc, Map.of()));
        assertTrue(VirtioConsole.wanted(microvm, Map.of(VirtioConsole.SELECT_ENV, "virtio")));
        assertFalse(VirtioConsole.wanted(pc, Map.of(VirtioConsole.SELECT_ENV, "serial")));
        QemuException e = assertThrows(QemuException.class,
                () -> VirtioConsole.wanted(pc, Map.of(VirtioConsole.SELECT_ENV, "fast")));
        assertTrue(e.getMessage().contains("'virtio' (the default) or 'serial'"), e.getMessage());
        try (VirtioConsole c = VirtioConsole.open()) {
            String args = String.join(" ", c.qemuArgs("microvm"));
            assertTrue(args.contains("virtio-serial-device,id=pa-serial,max_ports=3"), args);
            assertTrue(args.contains("nr=1,chardev=pa-io") && args.contains("nr=2,chardev=pa-ctl"), args);
            assertTrue(String.join(" ", c.qemuArgs("pc")).contains("virtio-serial-pci"));
        }
    }

    @Test
    void controlCodesTakeTheirOwnStreamAndStdinKeepsItsEnd() throws Exception {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        ByteArrayOutputStream control = new ByteArrayOutputStream();
        GuestInput in = new GuestInput(data, control);
        in.data(new byte[] {'a', (byte) 0xff}, 0, 2);
        in.signal(10);
        in.endOfInput();
        assertArrayEquals(new byte[] {'a', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x04}, data.toByteArray());
        assertArrayEquals(new byte[] {(byte) 0xff, 's', 10}, control.toByteArray());
    }

    private static Process portApp(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Dportapp.root=" + ThreadsSignalsOnQemuTest.root(), "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static byte[] readAll(java.io.InputStream s) {
        try {
            return s.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
