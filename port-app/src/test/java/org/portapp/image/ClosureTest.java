package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The closure against ld.so's own answer (ldd) on Debian binaries, and on small built ones. */
class ClosureTest {
    @TempDir
    Path tmp;

    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    /** ldd's "name => path" lines, plus the interpreter line. */
    static Map<String, String> ldd(Path exe) throws Exception {
        Map<String, String> m = new TreeMap<>();
        Pattern arrow = Pattern.compile("^\\s*(\\S+) => (/\\S+) \\(");
        Pattern interp = Pattern.compile("^\\s*(/\\S+) \\(");
        for (String line : run(List.of("ldd", exe.toString())).split("\n")) {
            Matcher a = arrow.matcher(line);
            Matcher i = interp.matcher(line);
            if (a.find()) {
                m.put(a.group(1), a.group(2));
            } else if (i.find()) {
                m.put("(interp)", i.group(1));
            }
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/bin/ls", "/usr/bin/sort", "/usr/bin/sqlite3", "/usr/bin/python3.11",
        "/usr/bin/ssh", "/usr/sbin/nginx"})
    void sameObjectsAndPathsAsLdso(String path) throws Exception {
        Path exe = Path.of(path);
        assertTrue(Files.isRegularFile(exe), path + " is not installed: run bin/setup");
        Closure c = Closure.of(exe);
        Map<String, String> mine = new TreeMap<>();
        for (Closure.LoadedObject o : c.objects()) {
            switch (o.kind()) {
                case EXECUTABLE -> assertEquals(path, o.guestPath());
                case INTERPRETER -> mine.put("(interp)", o.guestPath());
                case LIBRARY -> mine.put(o.guestPath().substring(o.guestPath().lastIndexOf('/') + 1),
                        o.guestPath());
            }
            assertTrue(Files.isRegularFile(o.hostFile()), o.hostFile().toString());
            assertTrue(o.hostFile().equals(o.hostFile().toRealPath()), "host file is canonical: " + o.hostFile());
        }
        Map<String, String> expected = ldd(exe);
        // ldd may list ld.so once more by its soname path when libc needs it; the closure keeps one object
        Path interpReal = Path.of(mine.get("(interp)")).toRealPath();
        expected.entrySet().removeIf(e -> !e.getKey().equals("(interp)")
                && Path.of(e.getValue()).toAbsolutePath().normalize().equals(interpReal));
        assertEquals(expected, mine, "closure of " + path + " vs ldd");
        assertEquals(c.objects().size(), c.objects().stream().map(Closure.LoadedObject::hostFile).distinct().count(),
                "each file once");
    }

    @Test
    void aliasesAreCanonicalPathsAndFilesMapsEveryName() {
        Closure c = Closure.of(Path.of("/bin/ls"));
        Closure.LoadedObject ld = c.interpreter().orElseThrow();
        assertEquals("/lib64/ld-linux-x86-64.so.2", ld.guestPath());
        for (String alias : ld.aliases()) {
            assertEquals(ld.hostFile().toString(), alias, "on the host's own root, the alias is the real path");
        }
        Map<String, Path> files = c.files();
        assertEquals(ld.hostFile(), files.get("/lib64/ld-linux-x86-64.so.2"));
        assertTrue(files.containsKey("/bin/ls"));
    }

    @Test
    void staticBinaryIsAloneInItsClosure() {
        assertTrue(Files.isRegularFile(Path.of("/bin/busybox")), "busybox-static is not installed: run bin/setup");
        Closure c = Closure.of(Path.of("/bin/busybox"));
        assertEquals(1, c.objects().size());
        assertTrue(c.interpreter().isEmpty());
    }

    @Test
    void systemDirsComeFromLdSoConfThenDefaults() throws IOException {
        Path root = tmp.resolve("sys");
        Files.createDirectories(root.resolve("etc/ld.so.conf.d"));
        Files.writeString(root.resolve("etc/ld.so.conf"), "include /etc/ld.so.conf.d/*.conf\n/opt/first\n");
        Files.writeString(root.resolve("etc/ld.so.conf.d/b.conf"), "# comment\n/opt/b/\n");
        Files.writeString(root.resolve("etc/ld.so.conf.d/a.conf"), "/opt/a\n/lib/x86_64-linux-gnu\n");
        Files.writeString(root.resolve("etc/ld.so.conf.d/ignored.txt"), "/opt/never\n");
        Path exe = Files.createDirectories(root.resolve("bin")).resolve("true");
        Files.copy(Path.of("/bin/true"), exe);
        ImageException e = assertThrows(ImageException.class, () -> Closure.of(root, "/bin/true"));
        assertTrue(e.getMessage().contains("PT_INTERP of /bin/true"), e.getMessage());
        // Put an interpreter in: now libc.so.6 is the missing one, and the message says who needs it
        Path ld = Files.createDirectories(root.resolve("lib64")).resolve("ld-linux-x86-64.so.2");
        Files.copy(Path.of("/lib64/ld-linux-x86-64.so.2"), ld);
        e = assertThrows(ImageException.class, () -> Closure.of(root, "/bin/true"));
        assertTrue(e.getMessage().startsWith("libc.so.6, needed by /bin/true, not found in " + root
                + " (searched /opt/a, /lib/x86_64-linux-gnu, /opt/b, /opt/first, /usr/lib/x86_64-linux-gnu, "
                + "/lib64, /lib, /usr/lib)"), e.getMessage());
        // libc in /opt/b, reached through a symlink: found at the path ld.so asks for
        Files.createDirectories(root.resolve("opt/b"));
        Files.createDirectories(root.resolve("real"));
        Files.copy(Path.of("/lib/x86_64-linux-gnu/libc.so.6"), root.resolve("real/libc-2.36.so"));
        Files.createSymbolicLink(root.resolve("opt/b/libc.so.6"), Path.of("/real/libc-2.36.so"));
        Closure c = Closure.of(root, "/bin/true");
        Closure.LoadedObject libc = c.libraries().get(0);
        assertEquals("/opt/b/libc.so.6", libc.guestPath());
        assertEquals(List.of("/real/libc-2.36.so"), libc.aliases());
        assertEquals(root.resolve("real/libc-2.36.so"), libc.hostFile());
        assertEquals("/bin/true", libc.neededBy());
        assertEquals(1, c.libraries().size(), "libc's own DT_NEEDED ld-linux-x86-64.so.2 is the interpreter");
    }

    /** Builds lib{name}.so from C source with extra link flags. */
    Path lib(Path dir, String name, String src, String... flags) throws Exception {
        Path c = tmp.resolve(name + ".c");
        Files.writeString(c, src);
        Path out = Files.createDirectories(dir).resolve("lib" + name + ".so");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-o", out.toString(), c.toString(),
                "-Wl,-soname,lib" + name + ".so"));
        cmd.addAll(List.of(flags));
        run(cmd);
        return out;
    }

    Path exe(Path dir, String src, String... flags) throws Exception {
        Path c = tmp.resolve("main.c");
        Files.writeString(c, src);
        Path out = Files.createDirectories(dir).resolve("app");
        List<String> cmd = new ArrayList<>(List.of("gcc", "-o", out.toString(), c.toString()));
        cmd.addAll(List.of(flags));
        run(cmd);
        return out;
    }

    @Test
    void rpathIsInheritedRunpathIsNotAndOriginIsTheObjectsDirectory() throws Exception {
        Path a = tmp.resolve("a/lib");
        Path b = tmp.resolve("b/lib");
        lib(b, "baz", "int baz(void) { return 3; }\n");
        lib(a, "bar", "int baz(void); int bar(void) { return baz() + 1; }\n", "-L" + b, "-lbaz");
        String main = "int bar(void); int main(void) { return bar(); }\n";
        // RPATH on the executable: used for its own needs AND for libbar's (inherited)
        Path withRpath = exe(tmp.resolve("r/bin"), main, "-L" + a, "-L" + b, "-lbar",
                "-Wl,--disable-new-dtags", "-Wl,-rpath," + a + ":" + b);
        Closure c = Closure.of(withRpath);
        assertEquals(List.of(a + "/libbar.so", "/lib/x86_64-linux-gnu/libc.so.6", b + "/libbaz.so"),
                c.libraries().stream().map(Closure.LoadedObject::guestPath).toList());
        assertEquals(a + "/libbar.so", c.libraries().get(2).neededBy());
        // RUNPATH on the executable: libbar's own needs do not see it, as with ld.so
        Path withRunpath = exe(tmp.resolve("n/bin"), main, "-L" + a, "-L" + b, "-lbar",
                "-Wl,--enable-new-dtags", "-Wl,-rpath," + a + ":" + b);
        ImageException e = assertThrows(ImageException.class, () -> Closure.of(withRunpath));
        assertTrue(e.getMessage().startsWith("libbaz.so, needed by " + a + "/libbar.so, not found"), e.getMessage());
        // $ORIGIN: relative to the executable's directory
        Path withOrigin = exe(tmp.resolve("o/bin"), main, "-L" + a, "-L" + b, "-lbar",
                "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../../a/lib:$ORIGIN/../../b/lib");
        assertEquals(a + "/libbar.so", Closure.of(withOrigin).libraries().get(0).guestPath());
    }
}
