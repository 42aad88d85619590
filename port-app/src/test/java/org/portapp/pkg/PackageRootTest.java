package org.portapp.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.Closure;
import org.portapp.image.Dpkg;
import org.portapp.image.FileMapping;
import org.portapp.image.ImageException;
import org.portapp.image.PackageData;

/**
 * Unpacking .debs into a recipe's root and resolving an app there instead of the host's /:
 * .debs built here with dpkg-deb from a program and a library compiled here (neither exists on
 * the host), so the closure can only be found in the root.
 */
class PackageRootTest {
    @TempDir
    Path tmp;

    private static void exec(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    /** A .deb named {@code name} holding {@code files} (guest path to host file) and {@code links}. */
    private Apt.Deb deb(String name, String depends, Map<String, Path> files, Map<String, String> links)
            throws IOException, InterruptedException {
        Path tree = tmp.resolve("tree-" + name);
        Files.createDirectories(tree.resolve("DEBIAN"));
        Files.writeString(tree.resolve("DEBIAN/control"), "Package: " + name + "\nVersion: 1.0-1\n"
                + "Architecture: amd64\nMaintainer: port-app tests <t@example.org>\n"
                + (depends.isEmpty() ? "" : "Depends: " + depends + "\n") + "Description: test package\n");
        for (Map.Entry<String, Path> f : files.entrySet()) {
            Path t = tree.resolve(f.getKey().substring(1));
            Files.createDirectories(t.getParent());
            Files.copy(f.getValue(), t);
        }
        for (Map.Entry<String, String> l : links.entrySet()) {
            Path t = tree.resolve(l.getKey().substring(1));
            Files.createDirectories(t.getParent());
            Files.createSymbolicLink(t, Path.of(l.getValue()));
        }
        Path out = tmp.resolve(name + "_1.0-1_amd64.deb");
        exec(tmp, "dpkg-deb", "--root-owner-group", "-Zgzip", "-b", tree.toString(), out.toString());
        return new Apt.Deb(name, "1.0-1", "amd64", out);
    }

    private Path write(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    /** libpkgtest.so.1 and pkgtest-app (needing it), compiled here; plus a data package. */
    private List<Apt.Deb> debs(boolean withLibc) throws Exception {
        write("lib.c", "int pkgtest_answer(void) { return 42; }\n");
        write("app.c", "#include <stdio.h>\nint pkgtest_answer(void);\n"
                + "int main(void) { printf(\"%d\\n\", pkgtest_answer()); return 0; }\n");
        exec(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,libpkgtest.so.1", "-o", "libpkgtest.so.1", "lib.c");
        exec(tmp, "gcc", "-o", "pkgtest-app", "app.c", "-L.", "-l:libpkgtest.so.1");
        Path conf = write("pkgtest.conf", "answer = 42\n");
        List<Apt.Deb> debs = new ArrayList<>();
        debs.add(deb("pkgtest", "libpkgtest1, pkgtest-data", Map.of("/usr/bin/pkgtest-app",
                tmp.resolve("pkgtest-app")), Map.of()));
        debs.add(deb("libpkgtest1", "libc6", Map.of("/usr/lib/x86_64-linux-gnu/libpkgtest.so.1",
                tmp.resolve("libpkgtest.so.1")), Map.of()));
        // a data package whose link is absolute: it must resolve inside the root, not on the host
        debs.add(deb("pkgtest-data", "", Map.of("/etc/pkgtest/pkgtest.conf", conf),
                Map.of("/usr/share/pkgtest/pkgtest.conf", "/etc/pkgtest/pkgtest.conf")));
        if (withLibc) {
            Path libc = Closure.of(Path.of("/bin/true")).libraries().stream()
                    .filter(o -> o.guestPath().endsWith("/libc.so.6")).findFirst().orElseThrow().hostFile();
            Path ld = Closure.of(Path.of("/bin/true")).interpreter().orElseThrow().hostFile();
            debs.add(deb("libc6", "", Map.of("/lib/x86_64-linux-gnu/libc.so.6", libc,
                    "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", ld),
                    Map.of("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")));
        }
        return debs;
    }

    @Test
    void unpacksWithItsOwnDpkgDatabase() throws Exception {
        List<Apt.Deb> debs = debs(true);
        PackageRoot pr = PackageRoot.of(tmp.resolve("cache"), "pkgtest", debs, s -> { });
        assertTrue(Files.isRegularFile(pr.root().resolve("usr/bin/pkgtest-app")));
        assertTrue(Files.isSymbolicLink(pr.root().resolve("lib64/ld-linux-x86-64.so.2")));
        assertEquals(List.of("libc6_1.0-1_amd64", "libpkgtest1_1.0-1_amd64", "pkgtest-data_1.0-1_amd64",
                "pkgtest_1.0-1_amd64"), pr.packages());
        Dpkg dpkg = pr.dpkg();
        assertEquals("pkgtest", dpkg.ownerOf("/usr/bin/pkgtest-app").orElseThrow());
        // /lib/... listed by the package, found under usrmerge's other spelling too
        assertEquals("libc6", dpkg.ownerOf("/usr/lib/x86_64-linux-gnu/libc.so.6").orElseThrow());
        assertTrue(dpkg.files("pkgtest-data").contains("/usr/share/pkgtest/pkgtest.conf"), dpkg.files("pkgtest-data")::toString);
        assertEquals(List.of("libpkgtest1", "pkgtest-data"), dpkg.dependsOf("pkgtest"));
        // a second call finds the cached root
        PackageRoot again = PackageRoot.of(tmp.resolve("cache"), "pkgtest", debs, s -> {
            throw new AssertionError("unpacked again: " + s);
        });
        assertEquals(pr.dir(), again.dir());
    }

    @Test
    void closureAndPackageDataComeFromTheRoot() throws Exception {
        PackageRoot pr = PackageRoot.of(tmp.resolve("cache"), "pkgtest", debs(true), s -> { });
        Closure c = Closure.of(pr.root(), "/usr/bin/pkgtest-app");
        Map<String, Path> files = c.files();
        assertEquals(pr.root().resolve("usr/lib/x86_64-linux-gnu/libpkgtest.so.1"),
                files.get("/usr/lib/x86_64-linux-gnu/libpkgtest.so.1"));
        assertTrue(files.get("/lib/x86_64-linux-gnu/libc.so.6").startsWith(pr.root()), files::toString);
        // PT_INTERP /lib64/ld-linux-x86-64.so.2 is an absolute link: followed inside the root
        assertTrue(c.interpreter().orElseThrow().hostFile().startsWith(pr.root()));
        Map<String, FileMapping> data = PackageData.of(pr.dpkg(), pr.root().resolve("usr/bin/pkgtest-app"), c, null,
                Set.of()).files().stream().collect(Collectors.toMap(FileMapping::guest, f -> f));
        assertEquals(pr.root().resolve("etc/pkgtest/pkgtest.conf"), data.get("/usr/share/pkgtest/pkgtest.conf").host());
        assertTrue(data.containsKey("/etc/pkgtest/pkgtest.conf"), data.keySet()::toString);
        assertFalse(data.keySet().stream().anyMatch(k -> k.startsWith("/usr/share/doc")), data.keySet()::toString);
    }

    @Test
    void aRootWithoutLibcDoesNotBorrowTheHosts() throws Exception {
        PackageRoot pr = PackageRoot.of(tmp.resolve("cache"), "nolibc", debs(false), s -> { });
        ImageException e = assertThrows(ImageException.class, () -> Closure.of(pr.root(), "/usr/bin/pkgtest-app"));
        assertTrue(e.getMessage().contains("/lib64/ld-linux-x86-64.so.2") && e.getMessage().contains(pr.root().toString()),
                e.getMessage());
    }

    @Test
    void aBrokenDebIsAOneLineError() throws Exception {
        Path bad = write("bad_1_amd64.deb", "not an ar archive\n");
        PkgException e = assertThrows(PkgException.class, () -> PackageRoot.of(tmp.resolve("cache"), "bad",
                List.of(new Apt.Deb("bad", "1", "amd64", bad)), s -> { }));
        assertTrue(e.getMessage().startsWith(bad + ": dpkg-deb failed: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("cache/pkg-roots").resolve("bad")));
    }
}
