package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dpkg lookup and the package-data rule on the host's real dpkg database (bin/setup
 * installs perl and file), and on a small database written here for the parser's corners.
 */
class PackageDataTest {
    @TempDir
    Path tmp;

    private static final Dpkg DPKG = Dpkg.system();

    private static Map<String, FileMapping> data(String exe) {
        Path p = Path.of(exe);
        assertTrue(Files.isExecutable(p), exe + " is not installed: run bin/setup");
        return PackageData.of(DPKG, p, Closure.of(p), "C.UTF-8").files().stream()
                .collect(Collectors.toMap(FileMapping::guest, f -> f));
    }

    @Test
    void ownerUnderEitherUsrmergeSpelling() {
        assertEquals(Optional.of("perl-base"), DPKG.ownerOf("/usr/bin/perl"));
        assertEquals(Optional.of("perl-base"), DPKG.ownerOf("/bin/perl"));
        // libc6 lists /lib/..., the closure may name /usr/lib/...
        assertEquals(Optional.of("libc6"), DPKG.ownerOf("/lib/x86_64-linux-gnu/libc.so.6"));
        assertEquals(Optional.of("libc6"), DPKG.ownerOf("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        assertEquals(Optional.empty(), DPKG.ownerOf("/usr/bin/no-such-program-here"));
        assertEquals(List.of("/usr/share/x"), Dpkg.spellings("/usr/share/x"));
        assertEquals(List.of("/sbin/x", "/usr/sbin/x"), Dpkg.spellings("/sbin/x"));
    }

    @Test
    void dependsOnTheRealDatabase() {
        assertTrue(DPKG.dependsOf("file").contains("libmagic1"), DPKG.dependsOf("file")::toString);
        assertTrue(DPKG.dependsOf("libmagic1").containsAll(List.of("libmagic-mgc", "zlib1g")),
                DPKG.dependsOf("libmagic1")::toString);
    }

    @Test
    void fileGetsItsMagicDatabaseAndNoDocsOrElf() {
        Map<String, FileMapping> files = data("/usr/bin/file");
        // libmagic opens /usr/share/misc/magic.mgc, a link in libmagic-mgc (a Depends of libmagic1)
        assertTrue(files.containsKey("/usr/share/misc/magic.mgc"), files.keySet()::toString);
        assertTrue(files.containsKey("/usr/lib/file/magic.mgc"), files.keySet()::toString);
        assertTrue(files.containsKey("/etc/magic"), files.keySet()::toString);
        for (FileMapping f : files.values()) {
            assertFalse(f.guest().startsWith("/usr/share/doc/") || f.guest().startsWith("/usr/share/man/")
                    || f.guest().startsWith("/usr/share/lintian/"), f.guest());
            // libc6's gconv modules, libmagic.so: libraries the app did not ask for
            assertFalse(Image.isElfObject(f.host()), f.guest());
            assertTrue(Files.isRegularFile(f.host()), f.guest());
        }
    }

    @Test
    void perlGetsItsModulesAndXsPluginsButNoOtherPrograms() {
        Map<String, FileMapping> files = data("/usr/bin/perl");
        assertTrue(files.containsKey("/usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm"), files.keySet()::toString);
        String xs = "/usr/lib/x86_64-linux-gnu/perl-base/auto/POSIX/POSIX.so";
        assertTrue(files.containsKey(xs), files.keySet()::toString);
        assertTrue(Image.isElfObject(files.get(xs).host()));
        for (String g : files.keySet()) {
            assertFalse(g.contains("/bin/"), g); // perl5.36.0, the executable's twin
        }
    }

    @Test
    void summaryHasOneLinePerPackageThatAddsFiles() {
        Path p = Path.of("/usr/bin/file");
        PackageData d = PackageData.of(DPKG, p, Closure.of(p), null);
        List<String> s = d.summary();
        assertTrue(s.stream().anyMatch(l -> l.matches("package data: libmagic-mgc: \\d+ files, \\d+\\.\\d MiB")),
                s::toString);
        assertEquals(s.size(), d.packages().stream().filter(x -> !x.files().isEmpty()).count());
    }

    @Test
    void translationsOnlyForLang() {
        Set<String> de = PackageData.languages("de_DE.UTF-8");
        assertEquals(Set.of("de_DE", "de"), de);
        assertEquals(Set.of(), PackageData.languages("C.UTF-8"));
        assertTrue(PackageData.wanted("/usr/share/locale/de/LC_MESSAGES/x.mo", de));
        assertFalse(PackageData.wanted("/usr/share/locale/fr/LC_MESSAGES/x.mo", de));
        assertFalse(PackageData.wanted("/usr/share/locale/de/LC_MESSAGES/x.mo", Set.of()));
        assertTrue(PackageData.wanted("/usr/share/locale/locale.alias", Set.of()));
        assertFalse(PackageData.wanted("/usr/share/doc/file/copyright", de));
        assertTrue(PackageData.wanted("/usr/share/perl/5.36/strict.pm", Set.of()));
    }

    @Test
    void parsesListsAndStatusWithAlternativesAndArchQualifiers() throws Exception {
        Path info = Files.createDirectories(tmp.resolve("info"));
        Files.writeString(info.resolve("app.list"), "/.\n/usr/bin/app\n");
        Files.writeString(info.resolve("libx1:amd64.list"), "/.\n/usr/lib/x86_64-linux-gnu/libx.so.1\n");
        Files.writeString(info.resolve("x-data.list"), "/usr/share/x/a.dat\n");
        Files.writeString(tmp.resolve("status"), """
                Package: app
                Status: install ok installed
                Depends: missing-a | x-data (>= 1), libx1:any (= 2)
                Pre-Depends: libc6 (>= 2.34)

                Package: libx1
                Status: install ok installed
                Architecture: amd64

                Package: gone
                Status: deinstall ok config-files
                Depends: x-data
                """, StandardCharsets.UTF_8);
        Dpkg d = Dpkg.at(tmp);
        assertEquals(Optional.of("libx1"), d.ownerOf("/lib/x86_64-linux-gnu/libx.so.1"));
        assertEquals(Optional.of("app"), d.ownerOf("/bin/app"));
        assertEquals(List.of("x-data", "libx1"), d.dependsOf("app")); // libc6 has no list here
        assertEquals(List.of(), d.dependsOf("gone"));
        assertEquals(List.of("/usr/share/x/a.dat"), d.files("x-data"));
        assertEquals(Optional.empty(), Dpkg.at(tmp.resolve("nothing")).ownerOf("/usr/bin/app"));
    }
}
