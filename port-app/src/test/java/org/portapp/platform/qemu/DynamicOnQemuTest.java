package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/**
 * Debian's dynamically linked binaries booted on the unikernel (real TCG boots): the
 * executable, ld.so and every library rewritten and placed in the initrd, ld.so loaded by
 * the kernel, the libraries' slot tables filled by mm when ld.so maps them. Each output is
 * compared byte for byte with the same binary run natively.
 */
@Tag("qemu")
class DynamicOnQemuTest {
    @TempDir
    Path tmp;

    private static final String SQL = """
            CREATE TABLE t(id INTEGER PRIMARY KEY, g INTEGER, v TEXT);
            BEGIN;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<10000)
              INSERT INTO t SELECT x, x%7, 'v'||x FROM c;
            COMMIT;
            SELECT count(*), sum(id), avg(g), max(v) FROM t;
            SELECT g, count(*), sum(id) FROM t GROUP BY g ORDER BY g;
            CREATE TABLE names(g INTEGER, name TEXT);
            INSERT INTO names VALUES (0,'zero'),(1,'one'),(2,'two'),(3,'three');
            SELECT n.name, count(*), min(t.id) FROM t JOIN names n ON n.g = t.g GROUP BY n.name ORDER BY n.name;
            """;

    private static final String PYTHON = """
            import json, hashlib, threading, re
            res = [None] * 4
            lock = threading.Lock()
            done = []
            def work(i):
                h = hashlib.sha256(("item%d" % i).encode()).hexdigest()
                res[i] = {"i": i, "sha": h, "runs": re.findall(r"[a-f]{2,}", h)}
                with lock:
                    done.append(i)
            ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
            for t in ts: t.start()
            for t in ts: t.join()
            print(json.dumps(res, sort_keys=True))
            print(sorted(done), threading.active_count())
            """;

    private static String nativeRun(String stdin, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed natively:\n" + out);
        return out;
    }

    private static Run unikernel(String stdin, String platform, String... rest) {
        List<String> args = new ArrayList<>(List.of("run", "--platform", platform));
        args.addAll(List.of(rest));
        return UnikernelRunTest.cli(stdin, args.toArray(String[]::new));
    }

    private static void assume(String exe) {
        // bin/setup installs these packages: a missing one is a broken set-up, not a reason to skip.
        org.junit.jupiter.api.Assertions.assertTrue(Files.isExecutable(Path.of(exe)),
                exe + " is not installed: run bin/setup");
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    @Timeout(300)
    void sqlite3RunsAScriptAsNatively(String platform) throws Exception {
        assume("/usr/bin/sqlite3");
        String expected = nativeRun(SQL, "/usr/bin/sqlite3", "-batch");
        assertTrue(expected.startsWith("10000|50005000|"), expected);
        Run r = unikernel(SQL, platform, "/usr/bin/sqlite3", "--", "-batch");
        assertEquals(0, r.code(), r::describe);
        assertEquals(expected, r.out(), r::describe);
    }

    @Test
    @Timeout(300)
    void python3ThreadsHashlibJsonReAsNatively() throws Exception {
        assume("/usr/bin/python3");
        String expected = nativeRun("", "/usr/bin/python3", "-c", PYTHON);
        assertTrue(expected.endsWith("[0, 1, 2, 3] 1\n"), expected);
        Run r = unikernel("", "qemu-pc", "/usr/bin/python3", "--", "-c", PYTHON);
        assertEquals(0, r.code(), r::describe);
        assertEquals(expected, r.out(), r::describe);
    }

    @Test
    @Timeout(300)
    void coreutilsSortSha256sumAndLs() throws Exception {
        Path data = tmp.resolve("data");
        Files.createDirectories(data.resolve("sub"));
        Path words = data.resolve("words.txt");
        Files.writeString(words, "pear\napple\nfig\nbanana\napple\n");
        Files.writeString(data.resolve("sub/y"), "x\n");

        Run sha = unikernel("", "qemu-pc", "--file", words + ":/in/words.txt", "/usr/bin/sha256sum", "--",
                "/in/words.txt");
        assertEquals(0, sha.code(), sha::describe);
        assertEquals(nativeRun("", "/usr/bin/sha256sum", words.toString()).replace(words.toString(), "/in/words.txt"),
                sha.out(), sha::describe);

        String input = Files.readString(words);
        Run sort = unikernel(input, "qemu-pc", "/usr/bin/sort", "--", "-u");
        assertEquals(0, sort.code(), sort::describe);
        assertEquals(nativeRun(input, "/usr/bin/sort", "-u"), sort.out(), sort::describe);

        // ls -la: the host's times travel in the initrd; directories are 4096 bytes and sizes
        // count whole 4 KiB blocks, as on ext4.
        FileTime t = FileTime.fromMillis(1_600_000_000_000L);
        for (Path p : List.of(words, data.resolve("sub/y"), data.resolve("sub"), data)) {
            Files.setLastModifiedTime(p, t);
        }
        Run ls = unikernel("", "qemu-pc", "--dir", data + ":/data", "/usr/bin/ls", "--", "-la", "/data/sub",
                "/data");
        assertEquals(0, ls.code(), ls::describe);
        String expected = nativeRun("", "/usr/bin/ls", "-la", data.resolve("sub").toString(), data.toString())
                .replace(data.toString(), "/data");
        assertEquals(lsShape(expected), lsShape(ls.out()), ls::describe);
        if ((Long) Files.getAttribute(data.resolve("sub"), "size") == 4096) {   // ext4-like host: byte for byte
            Run sub = unikernel("", "qemu-pc", "--dir", data + ":/data", "/usr/bin/ls", "--", "-la", "/data/sub");
            assertEquals(nativeRun("", "/usr/bin/ls", "-la", data.resolve("sub").toString()), sub.out(),
                    sub::describe);
        }
    }

    /** ls -la lines without totals: mode, links, owner, group, size, time, name (".." is the host's tmp dir). */
    private static List<String> lsShape(String ls) {
        List<String> out = new ArrayList<>();
        for (String line : ls.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (line.startsWith("total") || f.length < 9) {
                out.add(line.startsWith("total") ? "total" : line);
                continue;
            }
            String name = f[f.length - 1];
            String size = f[4];
            // ".." is the host's temporary directory natively, the image's /data parent here
            out.add(name.equals("..") ? ".." : String.join(" ", f[0], f[1], f[2], f[3], size, f[5], f[6], f[7], name));
        }
        return out;
    }

    @Test
    @Timeout(600)
    void dynamicallyLinkedThreadsTwentyTimesAsNatively() throws Exception {
        Path out = tmp.resolve("test-apps");
        Process make = new ProcessBuilder("make", "-s", "-C", ThreadsSignalsOnQemuTest.root().resolve("test-apps")
                .toString(), "dyn", "OUT=" + out).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, make.waitFor(), log);
        Path exe = out.resolve("dyn/dyn_threads");
        String expected = nativeRun("", exe.toString());
        assertTrue(expected.contains("jobs 16000 (expected 16000)"), expected);
        // It dlopens libm.so.6 by name: not in its closure, found in its data and added (no flag).
        for (int i = 0; i < 20; i++) {
            Run r = unikernel("", "qemu-pc", exe.toString());
            assertEquals(0, r.code(), r::describe);
            assertEquals(expected, r.out(), "run " + i + "\n" + r.describe());
        }
    }

    /**
     * A plugin dlopen'ed after start-up whose own raw syscall instruction is rewritten: it
     * reaches the shim through its slot table, which mm filled when ld.so mapped it (an
     * unfilled table would send the call to address 0; nothing goes through LSTAR).
     */
    @Test
    @Timeout(300)
    void dlopenedPluginsSlotsAreFilledByMmap() throws Exception {
        Path src = tmp.resolve("plugin.c");
        Files.writeString(src, """
                long plugin_getpid(void) {
                    long r;
                    __asm__ volatile("syscall" : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
                    return r;
                }
                """);
        Path appSrc = tmp.resolve("host.c");
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
        Path plugin = tmp.resolve("libplugin.so");
        Path app = tmp.resolve("plugin-host");
        for (List<String> cmd : List.of(
                List.of("gcc", "-O2", "-shared", "-fPIC", "-o", plugin.toString(), src.toString()),
                List.of("gcc", "-O2", "-o", app.toString(), appSrc.toString(), "-ldl"))) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), log);
        }
        Run r = unikernel("", "qemu-pc", "--kernel-log", "--file", plugin + ":/plugins/libplugin.so",
                app.toString(), "--", "/plugins/libplugin.so");
        assertEquals("plugin's getpid is the process's: yes\n", r.out(), r::describe);
        assertEquals(0, r.code(), r::describe);
        assertTrue(r.err().contains("syscalls through LSTAR: 0\n"), r::describe);
        assertFalse(r.err().contains("APP FAULT"), r::describe);
    }
}
