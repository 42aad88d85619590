package org.portapp.platform.linuxu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.OutputFile;
import org.portapp.rewrite.RewriteResult;
import org.portapp.x86.Decoder;

/**
 * Builds the real linuxu platform and runs real programs on it, comparing
 * against the same programs run natively: Debian's busybox-static (a static
 * non-PIE glibc binary) unrewritten (every syscall through Syscall User
 * Dispatch) and rewritten, and a musl static-pie probe program.
 */
class LinuxuPlatformTest {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    @TempDir
    static Path tmp;
    static LinuxuPlatform platform;
    static Path loader;

    record Result(int code, String out, String err) {
    }

    static Path repoRoot() {
        String prop = System.getProperty("portapp.root");
        Path p = prop != null ? Path.of(prop) : Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("platforms/linuxu"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("repository root not found (set -Dportapp.root)");
        }
        return p;
    }

    @BeforeAll
    static void build() {
        platform = LinuxuPlatform.at(repoRoot());
        loader = platform.ensureBuilt(tmp.resolve("build"));
    }

    static Result run(List<String> cmd, String stdin, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(env);
            Process p = pb.start();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the program did not read its stdin: fine
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                s.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static List<String> plus(List<String> a, List<String> b) {
        List<String> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    /** argv (argv[0] first) natively and under the loader; asserts same stdout and exit code. */
    static Result assertSameAsNative(Path image, Path exe, List<String> argv, String stdin,
                                     Map<Path, Path> execMap, Map<String, String> env) {
        List<String> nativeCmd = plus(List.of(exe.toString()), argv.subList(1, argv.size()));
        Result n = run(nativeCmd, stdin, env);
        Result u = run(platform.command(image, exe, argv, false, execMap), stdin, env);
        assertEquals(n.out(), u.out(), "stdout differs from native; loader stderr:\n" + u.err());
        assertEquals(n.code(), u.code(), "exit code differs from native; loader stderr:\n" + u.err());
        return u;
    }

    static List<String> bb(String... args) {
        return plus(List.of(BUSYBOX.toString()), List.of(args));
    }

    static final String SCRIPT = "echo hello; ls /; readlink /proc/self/exe; cat /proc/self/comm; "
            + "/bin/busybox cat /proc/self/comm; /bin/busybox echo via-exec; exit 7";

    @Test
    void unrewrittenBusyboxShellMatchesNative() {
        Result r = assertSameAsNative(BUSYBOX, BUSYBOX, bb("sh", "-c", SCRIPT), "", Map.of(), Map.of());
        assertEquals(7, r.code());
        assertTrue(r.out().startsWith("hello\n"), r.out());
        assertTrue(r.out().endsWith("via-exec\n"), r.out());
    }

    @Test
    void unrewrittenBusyboxCatSeqAndPipe() {
        String text = "line one\nline two\n\u00e9t\u00e9\n";
        Result cat = assertSameAsNative(BUSYBOX, BUSYBOX, bb("cat"), text, Map.of(), Map.of());
        assertEquals(text, cat.out());
        Result seq = assertSameAsNative(BUSYBOX, BUSYBOX, bb("seq", "1", "10"), "", Map.of(), Map.of());
        assertEquals("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", seq.out());
        Result pipe = assertSameAsNative(BUSYBOX, BUSYBOX, bb("sh", "-c", "seq 1 100 | wc -l"), "", Map.of(),
                Map.of());
        assertEquals("100", pipe.out().strip());
    }

    /** execve of a "#!" script whose interpreter the loader can run: started
     * under the loader like the kernel would (interp, its one argument, script). */
    @Test
    void shebangScriptsMatchNative() throws IOException {
        Path s1 = tmp.resolve("s1.sh");
        Files.writeString(s1, "#!/bin/busybox sh\necho from-script \"$0\" \"$@\"; readlink /proc/self/exe\n");
        Path s2 = tmp.resolve("s2.sh");
        Files.writeString(s2, "#! /bin/busybox   sh -x  \necho two\n");
        s1.toFile().setExecutable(true);
        s2.toFile().setExecutable(true);
        String script = s1 + " a 'b c'; echo rc=$?; " + s2 + "; echo rc=$?";
        Result r = assertSameAsNative(BUSYBOX, BUSYBOX, bb("sh", "-c", script), "", Map.of(), Map.of());
        assertTrue(r.out().startsWith("from-script " + s1 + " a b c\n"), r.out());
        assertTrue(r.out().endsWith("rc=127\n"), r.out());   // busybox has no applet "sh -x"
    }

    /** SIGSYS is the fallback path's own signal; one sent by kill must still
     * behave as the app set it up: default (dies), handler, ignored. */
    @Test
    void sigsysFromKillBehavesAsNative() {
        for (String c : List.of("kill -SYS $$; echo not-here", "trap 'echo got-sys' SYS; kill -SYS $$; echo after",
                "trap '' SYS; kill -SYS $$; echo ignored")) {
            assertSameAsNative(BUSYBOX, BUSYBOX, bb("sh", "-c", c), "", Map.of(), Map.of());
        }
        assertEquals(128 + 31, run(platform.command(BUSYBOX, BUSYBOX, bb("sh", "-c", "kill -SYS $$"), false,
                Map.of()), "", Map.of()).code());
    }

    @Test
    void appSeesItsExePathNotTheLoader() {
        Path fake = Path.of("/opt/somewhere/busybox");
        Result r = run(platform.command(BUSYBOX, fake, bb("readlink", "/proc/self/exe"), false, Map.of()), "",
                Map.of());
        assertEquals(0, r.code(), r.err());
        assertEquals(fake + "\n", r.out());
    }

    @Test
    void traceShowsSyscallsAndFallbackCount() {
        Result r = run(platform.command(BUSYBOX, BUSYBOX, bb("echo", "traced"), true, Map.of()), "", Map.of());
        assertEquals(0, r.code(), r.err());
        assertEquals("traced\n", r.out());
        assertTrue(r.err().contains("write(0x1, "), r.err());
        assertTrue(r.err().matches("(?s).*exit_group\\(0\\); [1-9][0-9]* syscalls took the SUD fallback path.*"),
                r.err());

        // The trace stays on the loader's stderr when the app redirects its own.
        Path errFile = tmp.resolve("child-stderr.txt");
        Result redirected = run(platform.command(BUSYBOX, BUSYBOX,
                bb("sh", "-c", "/bin/busybox echo child 2>" + errFile + "; cat " + errFile), true, Map.of()), "",
                Map.of());
        assertEquals(0, redirected.code(), redirected.err());
        assertEquals("child\n", redirected.out());
        assertEquals(3, redirected.err().lines().filter(l -> l.contains(" loaded at bias ")).count(),
                redirected.err());
    }

    @Test
    void loaderErrorsAreOneLineAndExit127() {
        Result missing = run(List.of(loader.toString(), tmp.resolve("nope").toString()), "", Map.of());
        assertEquals(127, missing.code());
        assertTrue(missing.err().startsWith("port-app: linuxu: "), missing.err());
        assertEquals(1, missing.err().lines().count(), missing.err());

        // A dynamically linked program runs (its PT_INTERP is loaded too) ...
        Path dynamic = Path.of("/bin/true");
        assumeTrue(readInterp(dynamic), "/bin/true is not dynamically linked here");
        Result dyn = run(List.of(loader.toString(), dynamic.toString()), "", Map.of());
        assertEquals(0, dyn.code(), dyn.err());
        // ... and one whose interpreter is missing is refused in one line naming it
        byte[] b;
        try {
            b = Files.readAllBytes(dynamic.toRealPath());
            String s = new String(b, StandardCharsets.ISO_8859_1);
            int at = s.indexOf("/lib64/ld-linux-x86-64.so.2");
            assumeTrue(at > 0, "unexpected PT_INTERP");
            byte[] gone = "/nowhere/ld-linux-x86-64.so".getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(gone, 0, b, at, gone.length);
            Path noInterp = tmp.resolve("no-interp");
            Files.write(noInterp, b);
            Result r = run(List.of(loader.toString(), noInterp.toString()), "", Map.of());
            assertEquals(127, r.code());
            assertEquals("port-app: linuxu: " + noInterp + ": cannot open its interpreter /nowhere/ld-linux-x86-64.so "
                    + "(error 2)\n", r.err());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean readInterp(Path p) {
        try {
            byte[] b = Files.readAllBytes(p.toRealPath());
            return new String(b, 0, Math.min(b.length, 4096), StandardCharsets.ISO_8859_1).contains("ld-linux");
        } catch (IOException e) {
            return false;
        }
    }

    static Path probe;

    /** Debian's musl-gcc specs do not handle -static-pie (they pick Scrt1.o and
     * link libc.so): name the self-relocating rcrt1.o and force static libs. */
    static synchronized Path probe() throws IOException {
        if (probe == null) {
            Path src = repoRoot().resolve("port-app/src/test/resources/org/portapp/platform/linuxu/probe.c");
            Path exe = tmp.resolve("probe");
            String m = "/usr/lib/x86_64-linux-musl/";
            Result cc = run(List.of("musl-gcc", "-fPIE", "-static-pie", "-nostartfiles", "-Wl,-Bstatic",
                    "-Wl,--no-dynamic-linker", "-O2", "-Wall", "-Wextra", "-Werror", "-o", exe.toString(),
                    m + "rcrt1.o", m + "crti.o", src.toString(), m + "crtn.o"), "", Map.of());
            assertEquals(0, cc.code(), cc.err());
            assertEquals(3, Files.readAllBytes(exe)[16], "expected ET_DYN (static-pie)");
            probe = exe;
        }
        return probe;
    }

    static void assertProbeMatchesNative(Path image, Path exe) {
        Map<String, String> env = Map.of("PROBE_VAR", "from-env");
        Result ok = assertSameAsNative(image, exe, List.of(exe.toString(), "a", "b c"), "", Map.of(), env);
        assertEquals(0, ok.code());
        assertTrue(ok.out().contains("threads=2,4,6,8\n"), ok.out());
        assertTrue(ok.out().contains("efault=7/7\n"), ok.out());
        assertTrue(ok.out().contains("loader-range munmap=0 mprotect=ENOMEM madvise=ENOMEM\n"), ok.out());
        assertTrue(ok.out().contains("detached-thread-exited=yes\n"), ok.out());
        assertTrue(ok.out().contains("brk-grew=yes shrink=yes\n"), ok.out());
        assertTrue(ok.out().contains("signal=delivered\n"), ok.out());
        assertTrue(ok.out().contains("altstack=set handler-on-altstack=yes\n"), ok.out());
        assertTrue(ok.out().contains("fork-child-exit=42\n"), ok.out());
        assertTrue(ok.out().contains("exec-ok\nvfork-exec-exit=0\n"), ok.out());
        assertTrue(ok.out().contains("spawn-ok\nspawn-exit=0\n"), ok.out());
        Result fail = assertSameAsNative(image, exe, List.of(exe.toString(), "fail"), "", Map.of(), env);
        assertEquals(5, fail.code());
    }

    @Test
    void muslStaticPieProbeMatchesNative() throws IOException {
        assertProbeMatchesNative(probe(), probe());
    }

    /** glibc creates threads with clone3 (musl with clone): both special paths. */
    @Test
    void glibcStaticProbeRewrittenAndNotMatchesNative() throws IOException {
        Path src = repoRoot().resolve("port-app/src/test/resources/org/portapp/platform/linuxu/probe.c");
        Path exe = tmp.resolve("probe-glibc");
        Result cc = run(List.of("gcc", "-static", "-pthread", "-O2", "-Wall", "-Wextra", "-o", exe.toString(),
                src.toString()), "", Map.of());
        assertEquals(0, cc.code(), cc.err());
        assertProbeMatchesNative(exe, exe);
        RewriteResult rw = Analysis.of(exe, Decoder.load()).rewrite();
        Path image = tmp.resolve("probe-glibc.rewritten");
        OutputFile.write(image, rw.output(), true);
        assertProbeMatchesNative(image, exe);
    }

    /** Threads through the special clone entry, signals through the special
     * rt_sigreturn entry, run-time-number sites through shim_entry_generic. */
    @Test
    void rewrittenMuslProbeMatchesNative() throws IOException {
        RewriteResult rw = Analysis.of(probe(), Decoder.load()).rewrite();
        assertTrue(rw.rewritten() > 0, "nothing rewritten");
        Path image = tmp.resolve("probe.rewritten");
        OutputFile.write(image, rw.output(), true);
        assertProbeMatchesNative(image, probe());
        Result traced = run(platform.command(image, probe(), List.of("probe"), true, Map.of()), "", Map.of());
        assertEquals(0, traced.code(), traced.err());
        assertTrue(traced.err().contains("exit_group(0); " + (rw.leftAsSyscall() == 0 ? "0 " : "")),
                traced.err());
    }

    @Test
    void rewrittenBusyboxMatchesNative() {
        RewriteResult rw = Analysis.of(BUSYBOX, Decoder.load()).rewrite();
        assertTrue(rw.slots() > 0 && rw.rewritten() > 0, "nothing rewritten");
        Path image = tmp.resolve("busybox.rewritten");
        OutputFile.write(image, rw.output(), true);
        Map<Path, Path> map = Map.of(BUSYBOX, image);

        Result sh = assertSameAsNative(image, BUSYBOX, bb("sh", "-c", SCRIPT), "", map, Map.of());
        assertEquals(7, sh.code());
        Result pipe = assertSameAsNative(image, BUSYBOX, bb("sh", "-c", "seq 1 100 | wc -l"), "", map, Map.of());
        assertEquals("100", pipe.out().strip());
        Result cat = assertSameAsNative(image, BUSYBOX, bb("cat"), "abc\n", map, Map.of());
        assertEquals("abc\n", cat.out());
        Result sig = assertSameAsNative(image, BUSYBOX, bb("sh", "-c",
                "trap 'echo usr1' USR1; trap 'echo sys' SYS; kill -USR1 $$; kill -SYS $$; echo after"), "", map,
                Map.of());
        assertEquals("usr1\nsys\nafter\n", sig.out());

        Result traced = run(platform.command(image, BUSYBOX, bb("echo", "x"), true, map), "", Map.of());
        assertTrue(traced.err().contains(rw.slots() + " slots"), traced.err());
        // Every site the rewriter patched now bypasses the fallback path.
        assertTrue(traced.err().contains("; 0 syscalls took the SUD fallback path") || rw.leftAsSyscall() > 0,
                traced.err());
    }

    @Test
    void buildIsCachedByContent() throws IOException {
        FileTime before = Files.getLastModifiedTime(loader);
        Path again = platform.ensureBuilt(tmp.resolve("build"));
        assertEquals(loader, again);
        assertEquals(before, Files.getLastModifiedTime(again));
    }

    @Test
    void commandShape() {
        Path img = Path.of("/x/img");
        List<String> cmd = platform.command(img, Path.of("/x/exe"), List.of("exe", "-v"), true,
                Map.of(Path.of("/bin/a"), Path.of("/c/a")));
        assertEquals(List.of(loader.toString(), "--fresh-signals", "--trace", "--exe-path", "/x/exe", "--map",
                "/bin/a=/c/a", "--", "/x/img", "exe", "-v"), cmd);
        assertEquals(List.of(loader.toString(), "--parent-pid", "42", "--fresh-signals"),
                LinuxuPlatform.tiedTo(cmd, 42).subList(0, 4));
        assertThrows(LinuxuException.class, () -> platform.command(img, img, List.of(), false,
                Map.of(Path.of("/a=b"), img)));
    }
}
