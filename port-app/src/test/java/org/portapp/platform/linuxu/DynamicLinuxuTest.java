package org.portapp.platform.linuxu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.Image;
import org.portapp.platform.linuxu.LinuxuPlatform.RootMode;

/**
 * Debian's dynamically linked binaries, every object rewritten (executable, ld.so, each
 * library), run on linuxu from their image, against the same binaries run natively: stdout,
 * stderr and exit code byte-identical.
 */
class DynamicLinuxuTest {
    @TempDir
    static Path tmp;
    static LinuxuPlatform platform;
    static Path data;

    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        platform = LinuxuPlatform.at(LinuxuPlatformTest.repoRoot());
        platform.ensureBuilt(tmp.resolve("build"));
        data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("fruits.txt"), "pear\napple\nfig\napple\nbanana\nKiwi\n10\n9\n");
        Files.createDirectories(data.resolve("sub"));
        Files.writeString(data.resolve("sub/n.txt"), "x".repeat(5000));
        Files.createSymbolicLink(data.resolve("link"), Path.of("fruits.txt"));
        FileTime t = FileTime.fromMillis(1_600_000_000_000L);
        for (Path p : List.of(data.resolve("fruits.txt"), data.resolve("sub/n.txt"), data.resolve("sub"))) {
            Files.setLastModifiedTime(p, t);
        }
    }

    static Image image(String exe, List<FileMapping> extra) {
        return Image.build(tmp.resolve("cache"), Closure.of(Path.of(exe)), extra, true, s -> { });
    }

    static Result run(List<String> cmd, String stdin) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(data.toFile());
            pb.environment().put("LC_ALL", "C");
            pb.environment().put("TZ", "UTC");
            Process p = pb.start();
            CompletableFuture<byte[]> out = drain(p.getInputStream());
            CompletableFuture<byte[]> err = drain(p.getErrorStream());
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the program did not read all its input: fine
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static CompletableFuture<byte[]> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                s.transferTo(b);
                return b.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static List<String> argv(String exe, String... args) {
        List<String> a = new ArrayList<>();
        a.add(exe);
        a.addAll(List.of(args));
        return a;
    }

    /** Runs natively and on linuxu (rewritten, from its image); asserts identical results. */
    static Result same(Image im, String stdin, String exe, String... args) {
        Result expected = run(argv(exe, args), stdin);
        Result actual = run(platform.command(im, argv(exe, args), false, RootMode.OVERLAY), stdin);
        String what = String.join(" ", argv(exe, args));
        assertEquals(expected.text(), actual.text(), "stdout of " + what);
        assertEquals(expected.err(), actual.err(), "stderr of " + what);
        assertEquals(expected.code(), actual.code(), "exit code of " + what);
        return actual;
    }

    /**
     * Like {@link #same}, for a listing of the host's live directories (/ holds /tmp, whose
     * mtime and link count move whenever anything on the machine makes a temporary directory):
     * a difference must show up in three attempts in a row to count.
     */
    static void sameUnlessTheHostChanged(Image im, String exe, String... args) {
        for (int attempt = 1; ; attempt++) {
            try {
                same(im, "", exe, args);
                return;
            } catch (AssertionError e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** --trace of one run: the syscall lines and the loader's notes. */
    static String trace(Image im, String exe, String... args) {
        Result r = run(platform.command(im, argv(exe, args), true, RootMode.OVERLAY), "");
        assertEquals(0, r.code(), r.err());
        return r.err();
    }

    static int fallbacks(String trace) {
        Matcher m = Pattern.compile("(\\d+) syscalls took the SUD fallback path").matcher(trace);
        assertTrue(m.find(), trace);
        return Integer.parseInt(m.group(1));
    }

    @Test
    void lsLongListingsAsNatively() {
        Image im = image("/bin/ls", List.of());
        same(im, "", "/bin/ls", "-la", data.toString());
        same(im, "", "/bin/ls", "-la", "/usr");
        sameUnlessTheHostChanged(im, "/bin/ls", "-la", "/");
        same(im, "", "/bin/ls", "-l", "/nonexistent-dir");   // error message and exit code 2
        // ld.so is a file in the image, a symlink on the host: lstat and readlink see the host's link
        same(im, "", "/bin/ls", "-l", "/lib64/ld-linux-x86-64.so.2", "/bin");
        // every object came from the image, rewritten: ld.so and libc's slots filled, no fallback
        String t = trace(im, "/bin/ls", "-la", "/");
        assertTrue(t.contains("interpreter " + im.root() + "/lib64/ld-linux-x86-64.so.2 loaded"), t);
        assertTrue(Pattern.compile("\\d+ slots filled at 0x[0-9a-f]+ \\(mapping of fd \\d+\\)").matcher(t).find(),
                "libc's slots filled when ld.so mapped it: " + t);
        assertEquals(0, fallbacks(t), "no syscall took the fallback path");
    }

    @Test
    void sortAndSha256sum() throws IOException {
        Image sort = image("/usr/bin/sort", List.of());
        same(sort, "", "/usr/bin/sort", "fruits.txt");
        same(sort, "", "/usr/bin/sort", "-r", "-n", "fruits.txt");
        same(sort, "b\na\nc\n", "/usr/bin/sort");
        same(sort, "", "/usr/bin/sort", "missing.txt");
        Path big = data.resolve("big.bin");
        byte[] b = new byte[3_000_000];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + (i >> 7));
        }
        Files.write(big, b);
        Image sha = image("/usr/bin/sha256sum", List.of(new FileMapping(big, "/data/big.bin")));
        same(sha, "", "/usr/bin/sha256sum", "fruits.txt", "big.bin", "sub/n.txt");
        // the file added to the image is read from it at its guest path
        Result r = run(platform.command(sha, argv("/usr/bin/sha256sum", "/data/big.bin"), false, RootMode.OVERLAY), "");
        Result n = run(argv("/usr/bin/sha256sum", big.toString()), "");
        assertEquals(n.text().split(" ")[0], r.text().split(" ")[0], r.err());
        assertEquals(0, fallbacks(trace(sha, "/usr/bin/sha256sum", "fruits.txt")));
    }

    @Test
    void strictRootSeesOnlyTheImage() {
        Image sha = image("/usr/bin/sha256sum", List.of());
        Result overlay = run(platform.command(sha, argv("/usr/bin/sha256sum", "/etc/hostname"), false,
                RootMode.OVERLAY), "");
        assumeTrue(Files.isRegularFile(Path.of("/etc/hostname")));
        assertEquals(0, overlay.code(), overlay.err());
        Result strict = run(platform.command(sha, argv("/usr/bin/sha256sum", "/etc/hostname", "/etc/passwd"), false,
                RootMode.STRICT), "");
        assertEquals(1, strict.code(), strict.err());
        assertEquals("/usr/bin/sha256sum: /etc/hostname: No such file or directory\n", strict.err());
        assertTrue(strict.text().endsWith("  /etc/passwd\n"), "the image's /etc/passwd: " + strict.text());
    }

    @Test
    void sqlite3RunsAScriptByteIdentical() throws IOException {
        assertTrue(Files.isRegularFile(Path.of("/usr/bin/sqlite3")), "sqlite3 is not installed: run bin/setup");
        Image im = image("/usr/bin/sqlite3", List.of());
        String script = """
                create table t(id integer primary key, grp text, v integer);
                begin;
                with recursive c(x) as (select 1 union all select x + 1 from c where x < 10000)
                  insert into t(grp, v) select 'g' || (x % 13), (x * 7919) % 10007 from c;
                commit;
                create table names(grp text primary key, name text);
                insert into names values ('g0', 'zero'), ('g1', 'one'), ('g2', 'two'), ('g12', 'twelve');
                select count(*), sum(v), min(v), max(v), avg(v) from t;
                select grp, count(*), sum(v) from t group by grp order by grp;
                select n.name, count(*), total(t.v) from t join names n on n.grp = t.grp group by n.name order by 1;
                select typeof(x), x from (select 1.5 as x union all select 'text' union all select null);
                """;
        Files.writeString(data.resolve("script.sql"), script);
        Files.deleteIfExists(data.resolve("native.db"));
        Files.deleteIfExists(data.resolve("linuxu.db"));
        Result expected = run(List.of("/usr/bin/sqlite3", "native.db"), script);
        Result actual = run(platform.command(im, List.of("/usr/bin/sqlite3", "linuxu.db"), false, RootMode.OVERLAY),
                script);
        assertEquals(expected.text(), actual.text());
        assertEquals(expected.err(), actual.err());
        assertEquals(0, actual.code());
        assertTrue(actual.text().startsWith("10000|"), actual.text());
        same(im, "", "/usr/bin/sqlite3", "-batch", ":memory:", ".read script.sql");
    }

    @Test
    void python3WithThreadsByteIdentical() {
        assertTrue(Files.isRegularFile(Path.of("/usr/bin/python3")), "python3 is not installed: run bin/setup");
        Image im = image("/usr/bin/python3", List.of());
        String code = """
                import json, hashlib, threading, re
                out = [None] * 4
                lock = threading.Lock()
                done = []
                def work(i):
                    h = hashlib.sha256()
                    for k in range(3000):
                        h.update(json.dumps({"i": i, "k": k, "s": "x" * (k % 17)}).encode())
                    words = re.findall(r"[a-z]+\\d", " ".join("w%d" % (n * i) for n in range(500)))
                    out[i] = {"i": i, "sha": h.hexdigest(), "words": len(words)}
                    with lock:
                        done.append(i)
                ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
                for t in ts: t.start()
                for t in ts: t.join()
                print(json.dumps(out, sort_keys=True))
                print(sorted(done), threading.active_count())
                """;
        Result r = same(im, "", "/usr/bin/python3", "-c", code);
        assertTrue(r.text().contains("\"sha\""), r.text());
        same(im, "", "/usr/bin/python3", "-c", "import sys; print(sys.argv, sys.executable); sys.exit(3)");
    }

    @Test
    void dynamicallyLinkedThreadsTwentyTimes() throws Exception {
        Path out = tmp.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-s", "-C", LinuxuPlatformTest.repoRoot().resolve("test-apps")
                .toString(), "dyn", "OUT=" + out).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), log);
        Path exe = out.resolve("dyn/dyn_threads");
        Image im = image(exe.toString(), List.of());
        assertTrue(im.closure().interpreter().isPresent(), "dynamically linked");
        Result first = null;
        for (int i = 0; i < 20; i++) {
            Result r = same(im, "", exe.toString());
            assertEquals(0, r.code());
            if (first != null) {
                assertEquals(first.text(), r.text(), "run " + i);
            }
            first = r;
        }
        assertTrue(first.text().contains("jobs 16000 (expected 16000)"), first.text());
        assertFalse(first.text().contains("FAIL"), first.text());
    }

    /**
     * A plugin the app dlopens after start-up, added to the image as a file: rewritten, and
     * its slot table filled when ld.so maps it (its own raw syscall instruction then reaches
     * the shim through the slot, not the fallback).
     */
    @Test
    void dlopenedPluginIsRewrittenAndItsSlotsFilled() throws Exception {
        Path src = tmp.resolve("plugin.c");
        Files.writeString(src, """
                long plugin_getpid(void) {
                    long r;
                    __asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
                    return r;
                }
                """);
        Path plugin = tmp.resolve("libplugin.so");
        Path app = tmp.resolve("plugin-host");
        Path appSrc = tmp.resolve("plugin-host.c");
        Files.writeString(appSrc, """
                #include <dlfcn.h>
                #include <stdio.h>
                #include <unistd.h>
                int main(int argc, char **argv) {
                    void *h = dlopen(argv[1], RTLD_NOW);
                    if (!h) { printf("dlopen: %s\\n", dlerror()); return 1; }
                    long (*f)(void) = (long (*)(void))dlsym(h, "plugin_getpid");
                    printf("plugin's getpid is the process's: %s\\n", f && f() == getpid() ? "yes" : "no");
                    return dlclose(h);
                }
                """);
        for (List<String> cmd : List.of(
                List.of("gcc", "-O2", "-shared", "-fPIC", "-o", plugin.toString(), src.toString()),
                List.of("gcc", "-O2", "-o", app.toString(), appSrc.toString(), "-ldl"))) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), log);
        }
        Image im = image(app.toString(), List.of(new FileMapping(plugin, "/plugins/libplugin.so")));
        Result expected = run(List.of(app.toString(), plugin.toString()), "");
        assertEquals("plugin's getpid is the process's: yes\n", expected.text(), expected.err());
        Result actual = run(platform.command(im, List.of(app.toString(), "/plugins/libplugin.so"), true,
                RootMode.OVERLAY), "");
        assertEquals(expected.text(), actual.text(), actual.err());
        assertEquals(0, actual.code(), actual.err());
        long filled = actual.err().lines().filter(l -> l.contains(" slots filled at ")).count();
        assertEquals(2, filled, "libc's and the plugin's tables: " + actual.err());
        assertEquals(0, fallbacks(actual.err()), "the plugin's syscall went through its slot");
    }
}
