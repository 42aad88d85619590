package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code --mount HOSTDIR:GUESTDIR[:ro]} on the unikernel, booted for real: the guest's
 * changes are the host directory's (checked on the host after the VM is gone), a file written
 * in one run is read in the next, {@code :ro} gives EROFS, fsync reaches the host (Tfsync),
 * and a bad mount is refused before anything boots.
 *
 * The busybox sequence runs one applet per boot: busybox's sh cannot fork on the unikernel, and
 * a boot per step shows on the way that every step's result outlives its VM.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Tag("qemu")
class StorageOnQemuTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static Path probe;

    @BeforeAll
    static void compileProbe(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("storageprobe.c");
        try (InputStream in = StorageOnQemuTest.class.getResourceAsStream("storageprobe.c")) {
            Files.write(src, in.readAllBytes());
        }
        probe = dir.resolve("storageprobe");
        UnikernelRunTest.compile(List.of("gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                probe.toString(), src.toString()));
    }

    private static UnikernelRunTest.Run runMounted(String platform, String mount, String... app) {
        List<String> args = new ArrayList<>(List.of("-q", "--mount", mount));
        args.addAll(List.of(app));
        return UnikernelRunTest.run(platform, args.toArray(String[]::new));
    }

    private record Native(int code, String out) {
    }

    private static Native runNative(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Native(p.waitFor(), out);
    }

    /** ls -l's date column differs between the guest's directory and its native copy (made later). */
    private static String withoutDates(String ls) {
        return ls.replaceAll("[A-Z][a-z]{2} +\\d+ +(\\d\\d:\\d\\d|\\d{4})", "DATE");
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void busyboxChangesMatchNativeAndStayOnTheHost(String platform, @TempDir Path tmp) throws Exception {
        Path guest = Files.createDirectories(tmp.resolve("guest"));
        Path copy = Files.createDirectories(tmp.resolve("native"));
        for (Path d : List.of(guest, copy)) {
            Files.writeString(d.resolve("pre"), "before\n");
        }
        List<List<String>> steps = List.of(
                List.of("sh", "-c", "echo hi > /data/f"),
                List.of("mkdir", "/data/d"),
                List.of("mv", "/data/f", "/data/d/g"),
                List.of("ls", "-ln", "/data/d"),
                List.of("cat", "/data/d/g"),
                List.of("rm", "/data/d/g"),
                List.of("rmdir", "/data/d"));
        for (List<String> step : steps) {
            List<String> app = new ArrayList<>(List.of(BUSYBOX.toString(), "--"));
            app.addAll(step);
            UnikernelRunTest.Run r = runMounted(platform, guest + ":/data", app.toArray(String[]::new));
            List<String> nat = new ArrayList<>(List.of(BUSYBOX.toString()));
            step.forEach(a -> nat.add(a.replace("/data", copy.toString())));
            Native n = runNative(nat);
            assertEquals(n.code(), r.code(), () -> step + ": " + r.describe());
            assertEquals(withoutDates(n.out()), withoutDates(r.out() + r.err()), () -> step + ": " + r.describe());
            assertEquals(names(copy), names(guest), () -> step + ": the host directory after the VM");
            if (step.get(0).equals("mv")) {
                assertEquals("hi\n", Files.readString(guest.resolve("d/g")), "the renamed file, on the host");
            }
        }
        assertEquals(List.of("", "pre"), names(guest));
    }

    @Test
    void aFileWrittenAndFsyncedInOneRunIsReadInTheNext(@TempDir Path dir) throws Exception {
        UnikernelRunTest.Run w = runMounted("qemu-pc", dir + ":/var/lib/app", probe.toString(), "--", "write",
                "/var/lib/app/kept", "survives a restart\n");
        assertEquals(0, w.code(), w::describe);
        assertEquals("wrote 19 fsync 0\n", w.out(), w::describe);
        assertEquals("survives a restart\n", Files.readString(dir.resolve("kept")));
        UnikernelRunTest.Run r = runMounted("qemu-microvm", dir + ":/srv", probe.toString(), "--", "cat",
                "/srv/kept");
        assertEquals(0, r.code(), r::describe);
        assertEquals("survives a restart\n", r.out(), r::describe);
    }

    @Test
    void aReadOnlyMountRefusesEveryChangeWithErofs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pre"), "untouched\n");
        Files.createDirectory(dir.resolve("sub"));
        UnikernelRunTest.Run r = runMounted("qemu-microvm", dir + ":/data:ro", probe.toString(), "--", "readonly",
                "/data");
        assertEquals(0, r.code(), r::describe);
        assertEquals("""
                open O_RDONLY: ok
                open O_WRONLY: EROFS
                truncate: EROFS
                chmod: EROFS
                unlink: EROFS
                rename: EROFS
                creat: EROFS
                mkdir: EROFS
                rmdir: EROFS
                symlink: EROFS
                access W_OK: EROFS
                statfs: ok
                ST_RDONLY: yes
                """, r.out(), r::describe);
        assertEquals("untouched\n", Files.readString(dir.resolve("pre")));
        assertEquals(List.of("", "pre", "sub"), names(dir));
    }

    @Test
    void buildWritesTheMountIntoItsLaunchScript(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("host data, odd"));
        Path out = tmp.resolve("out");
        UnikernelRunTest.Run b = UnikernelRunTest.cli("", "build", "-q", "--platform", "qemu-microvm", "-o",
                out.toString(), "--mount", data + ":/data", probe.toString(), "--", "write", "/data/from-build",
                "built\n");
        assertEquals(0, b.code(), b::describe);
        Process p = new ProcessBuilder("sh", out.resolve("run.sh").toString()).redirectErrorStream(true).start();
        String console = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), console);
        assertTrue(console.contains("wrote 6 fsync 0"), console);
        assertEquals("built\n", Files.readString(data.resolve("from-build")));
    }

    @Test
    void aMissingHostDirectoryIsOneLineBeforeAnythingBoots(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-dir");
        long t0 = System.nanoTime();
        UnikernelRunTest.Run r = runMounted("qemu-pc", missing + ":/data", BUSYBOX.toString(), "--", "true");
        assertEquals(1, r.code(), r::describe);
        assertEquals("", r.out(), r::describe);
        assertEquals("port-app: error: --mount " + missing + ":/data: no such directory: " + missing + "\n", r.err(),
                r::describe);
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "refused before rewriting or booting");
        UnikernelRunTest.Run bad = runMounted("qemu-microvm", dir + ":relative", BUSYBOX.toString(), "--", "true");
        assertEquals(1, bad.code(), bad::describe);
        assertEquals(1, bad.err().lines().count(), bad::describe);
        assertFalse(bad.err().contains("Exception"), bad::describe);
    }
}
