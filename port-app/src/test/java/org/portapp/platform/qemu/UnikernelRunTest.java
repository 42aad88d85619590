package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.cli.Main;

/**
 * {@code port-app run} and {@code build} on the unikernel, booted for real under QEMU TCG:
 * Debian's static busybox and a small glibc program compiled here. The first test pays for
 * rewriting busybox and building the kernel (both cached); each boot then takes about a second.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("qemu")
class UnikernelRunTest {
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    private static Path crashApp;
    private static Path probeGlibc;
    private static Path probeMusl;

    record Run(int code, String out, String err, byte[] outBytes) {
        Run(int code, String out, String err) {
            this(code, out, err, out.getBytes(StandardCharsets.UTF_8));
        }

        String describe() {
            return "exit " + code + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    /** A static glibc program with symbols: NULL dereference in crash(), or in a forked child on request. */
    @BeforeAll
    static void compileTestApp(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("crash.c");
        Files.writeString(src, """
                #include <errno.h>
                #include <stdio.h>
                #include <string.h>
                #include <sys/wait.h>
                #include <unistd.h>
                __attribute__((noinline)) static int crash(volatile int *p) { return *p; }
                __attribute__((noinline)) int deref_null(void) { return crash(0) + 1; }
                int main(int argc, char **argv) {
                    if (argc > 1 && strcmp(argv[1], "fork") == 0) {
                        pid_t p = fork();
                        if (p == 0)
                            _exit(deref_null());
                        int st = 0;
                        if (p < 0 || waitpid(p, &st, 0) != p) {
                            printf("fork/wait: %s\\n", strerror(errno));
                            return 1;
                        }
                        printf("child: %s %d\\n", WIFSIGNALED(st) ? "killed by signal" : "exited",
                               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                        return 0;
                    }
                    printf("about to crash\\n");
                    fflush(stdout);
                    return deref_null();
                }
                """);
        crashApp = dir.resolve("crash");
        Process cc = new ProcessBuilder("gcc", "-static", "-O2", "-g", "-fno-omit-frame-pointer", "-o",
                crashApp.toString(), src.toString()).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), () -> "gcc failed:\n" + out);
    }

    /** The module probe (resources/.../sysprobe.c) as a static glibc binary and a musl static-pie. */
    @BeforeAll
    static void compileProbe(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("sysprobe.c");
        try (InputStream in = UnikernelRunTest.class.getResourceAsStream("sysprobe.c")) {
            Files.write(src, in.readAllBytes());
        }
        probeGlibc = dir.resolve("sysprobe-glibc");
        compile(List.of("gcc", "-static", "-O2", "-mno-red-zone", "-Wall", "-Wextra", "-Werror", "-o",
                probeGlibc.toString(),
                src.toString()));
        // Debian's musl-gcc specs do not do -static-pie: name rcrt1.o and force static libraries.
        probeMusl = dir.resolve("sysprobe-musl");
        String m = "/usr/lib/x86_64-linux-musl/";
        compile(List.of("musl-gcc", "-fPIE", "-static-pie", "-nostartfiles", "-Wl,-Bstatic",
                "-Wl,--no-dynamic-linker", "-O2", "-mno-red-zone", "-Wall", "-Wextra", "-Werror", "-o",
                probeMusl.toString(),
                m + "rcrt1.o", m + "crti.o", src.toString(), m + "crtn.o"));
        assertEquals(3, Files.readAllBytes(probeMusl)[16], "expected ET_DYN (static-pie)");
    }

    static void compile(List<String> cmd) throws Exception {
        Process cc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), () -> String.join(" ", cmd) + " failed:\n" + out);
    }

    private static String nativeOutput(Path exe, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(exe.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), () -> "native run failed:\n" + out);
        return out;
    }

    /** Runs the CLI in-process with the given stdin and captures stdout and stderr. */
    static Run cli(String stdin, String... args) {
        return cli(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    static synchronized Run cli(byte[] stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    out.toByteArray());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    static Run run(String platform, String... rest) {
        List<String> args = new ArrayList<>(List.of("run", "--platform", platform));
        args.addAll(List.of(rest));
        return cli("", args.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void busyboxEchoesAndExitsWithItsCode(String platform) {
        Run r = run(platform, BUSYBOX.toString(), "--", "sh", "-c", "echo hello; exit 3");
        assertEquals("hello\n", r.out(), r::describe);
        assertEquals(3, r.code(), r::describe);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void lsListsTheGuestRoot(String platform) {
        Run r = run(platform, BUSYBOX.toString(), "--", "ls", "/");
        assertEquals(0, r.code(), r::describe);
        List<String> names = List.of(r.out().trim().split("\\s+"));
        assertTrue(names.contains("bin") && names.contains("dev") && names.contains("proc"), r::describe);
    }

    @Test
    void stdoutAndStderrStaySeparateAndExitCodesAbove127Survive() {
        Run r = run("qemu-pc", BUSYBOX.toString(), "--", "sh", "-c", "echo out; echo err >&2; echo out2; exit 200");
        assertEquals("out\nout2\n", r.out(), r::describe);
        assertTrue(r.err().contains("err\n"), r::describe);
        assertTrue(!r.err().contains("[kernel]"), () -> "the kernel log must stay hidden\n" + r.describe());
        assertEquals(200, r.code(), r::describe);
    }

    @Test
    void stdinReachesTheApp() {
        Run r = cli("line one\n", "run", BUSYBOX.toString(), "--", "sh", "-c", "read x; echo \"got [$x]\"");
        assertEquals("got [line one]\n", r.out(), r::describe);
        assertEquals(0, r.code(), r::describe);
    }

    /**
     * Every byte value, 0xff (the line's escape byte) included, crosses stdin and stdout unchanged.
     * 70 KB, enough for many reads that find the (polled) line empty: each such read used to sleep
     * the wait queue's full 5 ms, so under host load the stream crawled (a few hundred bytes a
     * second) past any timeout; devfs's console read now looks again after 0.5 ms.
     */
    @Test
    void binaryDataCrossesStdinAndStdoutUnchanged() {
        byte[] data = new byte[70000];
        new java.util.Random(7).nextBytes(data);
        for (int i = 0; i < 256; i++) {
            data[i] = (byte) i;
        }
        Run r = cli(data, "run", BUSYBOX.toString(), "--", "cat");
        assertEquals(0, r.code(), r::describe);
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, r.outBytes(), r::describe);
    }

    @Test
    void envAndFilesReachTheGuest(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("in.txt");
        Files.writeString(data, "from the host\n");
        Run r = run("qemu-microvm", "--env", "GREETING=hi there", "--file", data + ":/data/in.txt",
                BUSYBOX.toString(), "--", "sh", "-c", "echo \"$GREETING\" $HOME; read line < /data/in.txt; echo \"$line\"");
        // HOME is root's home in the image's /etc/passwd (the host's copy here).
        String home = org.portapp.image.AppEnvironment.imagePasswd(List.of(), Path.of("/etc"))
                .flatMap(p -> org.portapp.image.AppEnvironment.homeOf(p, 0)).orElse("/");
        assertEquals("hi there " + home + "\nfrom the host\n", r.out(), r::describe);
        assertEquals(0, r.code(), r::describe);
    }

    @Test
    void nullDereferenceGivesAFaultReportNamingTheFunction() {
        Run r = run("qemu-pc", crashApp.toString());
        assertEquals("about to crash\n", r.out(), r::describe);
        assertEquals(128 + 11, r.code(), () -> "SIGSEGV's status expected\n" + r.describe());
        String e = r.err();
        assertTrue(e.contains("*** APP FAULT: page fault (#PF, vector 14)"), r::describe);
        assertTrue(e.contains("CR2 0x0000000000000000"), r::describe);
        assertTrue(e.matches("(?s).*\\nRIP 0x[0-9a-f]{16} <crash[.a-z0-9]*\\+0x0>\\n.*"), r::describe);
        assertTrue(e.matches("(?s).*  #\\d 0x[0-9a-f]{16} <deref_null\\+0x[0-9a-f]+>.*"), r::describe);
        assertTrue(e.matches("(?s).*  #\\d 0x[0-9a-f]{16} <main\\+0x[0-9a-f]+>.*"), r::describe);
        assertTrue(e.contains("RAX 0x") && e.contains("R15 0x"), r::describe);
    }

    /** A fault in a forked child kills that process alone: its parent reaps SIGSEGV and goes on (issue 9). */
    @Test
    void aForkedChildsFaultKillsOnlyTheChild() {
        Run r = run("qemu-microvm", crashApp.toString(), "--", "fork");
        assertEquals("child: killed by signal 11\n", r.out(), r::describe);
        assertEquals(0, r.code(), r::describe);
        assertTrue(!r.err().contains("not available in the unikernel"), r::describe);
    }

    /** mm, time, sysinfo and proc answer like Linux: static glibc on pc, musl static-pie on microvm. */
    @Test
    void moduleProbeMatchesNativeGlibc() throws Exception {
        Run r = run("qemu-pc", probeGlibc.toString());
        assertEquals(0, r.code(), r::describe);
        assertEquals(nativeOutput(probeGlibc), r.out(), r::describe);
        assertTrue(r.out().contains("mremap grow: ok, kept 7 7, tail 0\n"), r::describe);
    }

    /** Unrewritten: every syscall, the probe's raw one with its red zone too, takes the LSTAR entry. */
    @Test
    void moduleProbeMatchesNativeThroughTheLstarEntry() throws Exception {
        Run r = run("qemu-pc", "--no-rewrite", probeGlibc.toString());
        assertEquals(0, r.code(), r::describe);
        assertEquals(nativeOutput(probeGlibc), r.out(), r::describe);
        assertTrue(r.out().contains("red zone across a raw syscall: 0 of 16 words changed\n"), r::describe);
    }

    @Test
    void moduleProbeMatchesNativeMuslStaticPie() throws Exception {
        Run r = run("qemu-microvm", probeMusl.toString());
        assertEquals(0, r.code(), r::describe);
        assertEquals(nativeOutput(probeMusl), r.out(), r::describe);
    }

    /**
     * A complete footprint (every site's number bounded) selects the modules for it by default,
     * as --known-footprint does; the app still runs as natively.
     */
    @Test
    void completeFootprintSelectsFewerModulesByDefault(@TempDir Path out) throws Exception {
        Run dflt = cli("", "build", probeGlibc.toString(), "-o", out.resolve("default").toString());
        Run known = cli("", "build", "--known-footprint", probeGlibc.toString(), "-o", out.resolve("known").toString());
        assertEquals(0, dflt.code(), dflt::describe);
        assertEquals(0, known.code(), known::describe);
        assertTrue(dflt.out().contains(", every site bounded: modules for these only\n"), dflt::describe);
        List<String> modules = modules(dflt.out());
        assertEquals(modules(known.out()), modules, known::describe);
        assertTrue(modules.containsAll(List.of("core", "proc", "mm", "time", "sysinfo")), dflt::describe);
        int every = QemuPlatform.at(Path.of(System.getProperty("portapp.root", "..")).toAbsolutePath().normalize())
                .modules().modules().size();
        assertTrue(!modules.contains("pipe") && modules.size() < every, dflt::describe);
        Run r = run("qemu-pc", probeGlibc.toString());
        assertEquals(nativeOutput(probeGlibc), r.out(), r::describe);
    }

    private static List<String> modules(String buildOutput) {
        for (String line : buildOutput.split("\n")) {
            if (line.startsWith("modules: ")) {
                return List.of(line.substring("modules: ".length()).trim().split(" "));
            }
        }
        throw new AssertionError("no modules line in:\n" + buildOutput);
    }

    @Test
    void writableAndExecutableMemoryIsRefused() {
        Run r = run("qemu-pc", probeGlibc.toString(), "--", "wx");
        assertEquals("mprotect rwx: EACCES\nmmap rwx: EACCES\n", r.out(), r::describe);
        assertTrue(r.err().contains("port-app: refusing a writable and executable mapping (W^X)\n"), r::describe);
    }

    @Test
    void traceSyscallsPrintsOneLinePerSyscallOnStderr() {
        Run r = run("qemu-pc", "--trace-syscalls", BUSYBOX.toString(), "--", "true");
        assertEquals(0, r.code(), r::describe);
        assertEquals("", r.out(), r::describe);
        assertTrue(r.err().matches("(?s).*\\nbrk\\(0, [^\\n]*\\) = 0x[0-9a-f]+\\n.*"), r::describe);
        assertTrue(r.err().contains("\nexit_group(0, "), r::describe);
    }

    @Test
    void unrewrittenAppRunsThroughTheLstarEntry() {
        Run r = run("qemu-pc", "--no-rewrite", "--kernel-log", BUSYBOX.toString(), "--", "echo", "via", "lstar");
        assertEquals("via lstar\n", r.out(), r::describe);
        assertEquals(0, r.code(), r::describe);
        assertTrue(r.err().matches("(?s).*\\[kernel\\] syscalls through LSTAR: [1-9]\\d*\\n.*"), r::describe);
    }

    @Test
    void buildWritesABootableImageAndLaunchScript(@TempDir Path out) throws Exception {
        Run b = cli("", "build", BUSYBOX.toString(), "-o", out.toString(), "--", "sh", "-c", "echo built; exit 5");
        assertEquals(0, b.code(), b::describe);
        assertTrue(b.out().matches("(?s).*\\nmodules: core .*proc.*\\n.*"), b::describe);
        // glibc's set*id broadcast reads its number from memory: every module kept, the site named
        assertTrue(b.out().matches("(?s)(.*\\n)?footprint: \\d+ distinct syscalls \\+ \\d+ site\\(s\\) whose number is "
                + "unbounded, first busybox 0x[0-9a-f]+ in \\S+: [^\\n]*every unikernel module kept.*"), b::describe);
        assertTrue(b.out().matches("(?s).*\\nkernel: .*, \\d+ bytes \\(\\d+ KiB stripped, \\d+ KiB loaded in memory\\)\\n"
                + "kernel size by part .*\\n  core +\\d+ bytes +\\d+\\.\\d%\\n.*"), b::describe);
        for (String f : List.of("kernel.elf", "initrd.cpio", "cmdline.txt", "run.sh")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " missing\n" + b.describe());
        }
        Run r = launchScript(out);
        assertEquals(5, r.code(), r::describe);
        assertTrue(r.out().contains("built\n"), r::describe);
    }

    /** Runs the run.sh that build wrote into dir, stdin empty: its exit code and console. */
    static Run launchScript(Path dir) throws Exception {
        Process p = new ProcessBuilder("sh", dir.resolve("run.sh").toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).start();
        byte[] console = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), new String(console, StandardCharsets.UTF_8), "", console);
    }

    @Test
    void firecrackerBuildWritesAVmConfig(@TempDir Path out) throws Exception {
        Run b = cli("", "build", "--platform", "firecracker", BUSYBOX.toString(), "-o", out.toString());
        assertEquals(0, b.code(), b::describe);
        String json = Files.readString(out.resolve("firecracker.json"));
        assertTrue(json.contains("\"kernel_image_path\": \"kernel.elf\""), json);
        assertTrue(json.contains("\"initrd_path\": \"initrd.cpio\""), json);
        assertTrue(json.contains("portapp.exe=/bin/busybox"), json);
    }

    @Test
    void dynamicallyLinkedShellRuns() {
        Run r = run("qemu-pc", "/bin/sh", "--", "-c", "echo hello; exit 3");
        assertEquals("hello\n", r.out(), r::describe);
        assertEquals(3, r.code(), r::describe);
    }

    @Test
    void nonExecutableIsAUserError(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not an ELF file, long enough to be read as one if nothing checked it at all\n");
        Run r = run("qemu-pc", text.toString());
        assertEquals(1, r.code(), r::describe);
        assertTrue(r.err().contains("not an ELF file"), r::describe);
    }

    @Test
    void badPlatformIsAUserError() {
        Run r = run("vax", BUSYBOX.toString());
        assertEquals(1, r.code(), r::describe);
        assertTrue(r.err().contains("unknown platform 'vax' (run takes qemu-pc, qemu-microvm or linuxu)"),
                r::describe);
    }
}
