package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.AppEnvironment;
import picocli.CommandLine;

/**
 * {@code --env}, {@code --env-file}, {@code -w} and PATH lookup as a user meets them: the app
 * sees the same documented environment and working directory on linuxu and the unikernel.
 */
class EnvironmentTest {
    @TempDir
    static Path tmp;
    static Path passwd;
    static Path envFile;

    @BeforeAll
    static void files() throws Exception {
        // root's home in the image differs from the host's HOME, so "--env HOME" is visible.
        passwd = tmp.resolve("passwd");
        Files.writeString(passwd, "root:x:0:0:root:/home/imageroot:/bin/sh\n");
        envFile = tmp.resolve("app.env");
        Files.writeString(envFile, "# settings for the app\n\nFROMFILE=a b\nFOO=from-file\n");
    }

    /** The options of the Must-show case, with the image's passwd and an env file. */
    private static List<String> options(String platform) {
        return List.of("run", "--platform", platform, "--file", passwd + ":/etc/passwd", "--env-file",
                envFile.toString(), "--env", "FOO=1", "--env", "HOME", "-w", "/tmp");
    }

    private static List<String> with(List<String> options, String... rest) {
        List<String> out = new ArrayList<>(options);
        out.addAll(List.of(rest));
        return out;
    }

    /** What the app must see: the documented default, the file's settings, then --env's. */
    private static List<String> expectedEnv(String... settings) {
        List<String> s = new ArrayList<>(List.of("FROMFILE=a b", "FOO=from-file"));
        s.addAll(List.of(settings));
        return AppEnvironment.build(AppEnvironment.Host.current(),
                Optional.of("root:x:0:0:root:/home/imageroot:/bin/sh\n".getBytes(StandardCharsets.UTF_8)), s)
                .entries();
    }

    /** Runs {@code port-app run --platform linuxu ...} as the CLI would, capturing the app's output. */
    private static CliRunner.Result linuxu(List<String> args) throws Exception {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        Process p = RunCommand.linuxuProcess(run.app, false, false, org.portapp.image.Progress.none())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new CliRunner.Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                new String(err, StandardCharsets.UTF_8));
    }

    private static String appStdout(CliRunner.Result r) {
        assertEquals(0, r.exitCode(), r.stderr());
        return r.stdout();
    }

    @Test
    void linuxuAppGetsExactlyTheDocumentedEnvironmentAndWorkdir() throws Exception {
        String env = appStdout(linuxu(with(options("linuxu"), "/bin/busybox", "--", "env")));
        assertEquals(String.join("\n", expectedEnv("FOO=1", "HOME")) + "\n", env);
        assertTrue(env.contains("HOME=" + System.getenv("HOME") + "\n"), "--env HOME takes the host's: " + env);
        // A shell started in /tmp: its builtins see the directory and the variables.
        String sh = appStdout(linuxu(with(options("linuxu"), "/bin/busybox", "--", "sh", "-c", "pwd; echo $FOO")));
        assertEquals("/tmp\n1\n", sh);
    }

    @Test
    void linuxuWorkdirMissingIsAnErrorBeforeTheAppStarts() {
        CliRunner.Result r = CliRunner.run("run", "--platform", "linuxu", "-w", "/no/such/dir", "/bin/busybox",
                "--", "pwd");
        assertEquals(1, r.exitCode());
        assertTrue(r.stderr().contains("--workdir /no/such/dir: no such directory"), r.stderr());
        CliRunner.Result rel = CliRunner.run("run", "--platform", "linuxu", "-w", "tmp", "/bin/busybox");
        assertEquals(1, rel.exitCode());
        assertTrue(rel.stderr().contains("--workdir tmp: must be an absolute path"), rel.stderr());
    }

    @Test
    @Tag("qemu")
    void unikernelMatchesLinuxuOnEveryMachine() throws Exception {
        String script = "export -p; pwd; cd ..; pwd";
        String onLinuxu = appStdout(linuxu(with(options("linuxu"), "/bin/busybox", "--", "sh", "-c", script)));
        assertTrue(onLinuxu.contains("export FOO='1'\n") && onLinuxu.contains("export FROMFILE='a b'\n")
                && onLinuxu.endsWith("/tmp\n/\n"), onLinuxu);
        for (String machine : List.of("qemu-pc", "qemu-microvm")) {
            CliRunner.Result r = CliRunner.run(with(options(machine), "/bin/busybox", "--", "sh", "-c", script)
                    .toArray(String[]::new));
            assertEquals(onLinuxu, appStdout(r), machine);
        }
        // busybox env prints the environment exactly, in order.
        CliRunner.Result env = CliRunner.run(with(options("qemu-pc"), "/bin/busybox", "--", "env")
                .toArray(String[]::new));
        assertEquals(String.join("\n", expectedEnv("FOO=1", "HOME")) + "\n", appStdout(env));
    }

    @Test
    @Tag("qemu")
    void unikernelWorkdirMissingFromTheImageIsReportedByTheKernel() {
        CliRunner.Result r = CliRunner.run("run", "--platform", "qemu-pc", "-w", "/no/such/dir", "/bin/busybox",
                "--", "pwd");
        assertEquals(127, r.exitCode(), r.stderr());
        assertEquals("", r.stdout());
        assertTrue(r.stderr().contains("port-app: --workdir /no/such/dir: no such directory in the image"),
                r.stderr());
        assertFalse(r.stderr().contains("panic"), r.stderr());
    }

    @Test
    void programNamesAreLookedUpOnPathAsAShellDoes() throws Exception {
        Path dir1 = Files.createDirectories(tmp.resolve("bin1"));
        Path dir2 = Files.createDirectories(tmp.resolve("bin2"));
        Files.writeString(dir1.resolve("tool"), "not executable");
        Path exec = dir2.resolve("tool");
        Files.copy(Path.of("/bin/busybox"), exec);
        assertEquals(exec, Inputs.program(Path.of("tool"), "/nonexistent:" + dir1 + ":" + dir2));
        PortAppException e = assertThrows(PortAppException.class,
                () -> Inputs.program(Path.of("tool"), "/nonexistent:" + dir1));
        assertTrue(e.getMessage().startsWith("tool: not found on PATH (searched /nonexistent:" + dir1 + ")"),
                e.getMessage());
        // A name with a '/' is a path, never searched.
        assertThrows(PortAppException.class, () -> Inputs.program(Path.of("./tool"), dir2.toString()));
    }

    @Test
    void everyCommandTakingBinFindsItOnPath() throws Exception {
        Path out = tmp.resolve("true.rw");
        CliRunner.Result r = CliRunner.run("rewrite", "true", "-o", out.toString());
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().matches("(?s)/\\S*/true -> .*"), r.stdout());
        for (String cmd : List.of("analyze", "rewrite", "run", "build")) {
            List<String> args = new ArrayList<>(List.of(cmd, "no-such-program-xyz"));
            if (cmd.equals("rewrite") || cmd.equals("build")) {
                args.addAll(List.of("-o", tmp.resolve("o-" + cmd).toString()));
            }
            CliRunner.Result miss = CliRunner.run(args.toArray(String[]::new));
            assertEquals(1, miss.exitCode(), cmd + ": " + miss.stderr());
            assertTrue(miss.stderr().startsWith("port-app: error: no-such-program-xyz: not found on PATH (searched "),
                    cmd + ": " + miss.stderr());
        }
    }
}
