package org.portapp.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.image.Closure;

/**
 * Fetching real packages from the host's Debian mirrors with a private apt state: the closure
 * comes down verified, the system's apt state is untouched, the cache then works offline
 * (proxy pointed at a closed port), and a tampered .deb or an unknown package is an error.
 */
@Tag("slow")
class AptFetchTest {
    @TempDir
    Path tmp;

    /** Path, size and modification time of everything under the system's apt directories. */
    private static TreeMap<String, String> snapshot() throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        for (Path d : List.of(Path.of("/var/lib/apt"), Path.of("/var/cache/apt"), Path.of("/var/lib/dpkg/status"))) {
            if (!Files.exists(d)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(d)) {
                for (Path p : s.toList()) {
                    out.put(p.toString(), Files.size(p) + "@" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS));
                }
            }
        }
        return out;
    }

    @Test
    void fetchesTheClosureVerifiedThenWorksOffline() throws Exception {
        TreeMap<String, String> before = snapshot();
        List<String> lines = new ArrayList<>();
        Apt apt = new Apt(tmp.resolve("apt"), false, lines::add, lines::add, List.of());
        List<Apt.Deb> debs = apt.fetch(List.of("sqlite3"));
        List<String> names = debs.stream().map(Apt.Deb::name).toList();
        assertTrue(names.containsAll(List.of("sqlite3", "libsqlite3-0", "libc6", "libreadline8")), names::toString);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("apt: Get:")), lines::toString);
        for (Apt.Deb d : debs) {
            assertTrue(d.file().startsWith(tmp.resolve("apt/cache/archives")), d.toString());
        }
        // a concurrent apt run by someone else could change these; port-app never does
        assertEquals(before, snapshot(), "the system's apt state changed");

        // Offline: every network access would fail through this proxy; the cache suffices.
        List<String> dead = List.of("Acquire::http::Proxy=http://127.0.0.1:9", "Acquire::https::Proxy=http://127.0.0.1:9");
        Apt offline = new Apt(tmp.resolve("apt"), true, s -> { }, s -> { }, dead);
        List<Apt.Deb> again = offline.fetch(List.of("sqlite3"));
        assertEquals(debs, again);
        PackageRoot pr = PackageRoot.of(tmp.resolve("cache"), "sqlite3", again, s -> { });
        Closure c = Closure.of(pr.root(), "/usr/bin/sqlite3");
        assertTrue(c.files().values().stream().allMatch(f -> f.startsWith(pr.root())), c.files()::toString);
        // online through the dead proxy with lists due for a refresh: said, and the cached ones used
        Files.delete(tmp.resolve("apt/state/updated"));
        List<String> warned = new ArrayList<>();
        assertEquals(debs, new Apt(tmp.resolve("apt"), false, s -> { }, warned::add, dead).fetch(List.of("sqlite3")));
        assertEquals(1, warned.size(), warned::toString);
        assertTrue(warned.get(0).startsWith("port-app: could not refresh the package lists, using the cached ones: "
                + "Failed to fetch http"), warned::toString);
        // and with no lists at all, an error with apt's one-line reason
        PkgException down = assertThrows(PkgException.class, () -> new Apt(tmp.resolve("apt2"), false, s -> { },
                s -> { }, dead).fetch(List.of("sqlite3")));
        assertTrue(down.getMessage().startsWith("apt could not update the package lists: Failed to fetch http"),
                down.getMessage());

        // not in the cache: offline names what is missing
        PkgException missing = assertThrows(PkgException.class, () -> offline.fetch(List.of("lz4")));
        assertTrue(missing.getMessage().startsWith("apt could not download lz4: "), missing.getMessage());

        // a .deb changed after download is refused: apt checks the cached file's size and hash
        // against the signed index before port-app's own SHA256 check gets to it
        Path f = debs.stream().filter(d -> d.name().equals("sqlite3")).findFirst().orElseThrow().file();
        Files.write(f, new byte[] {0}, StandardOpenOption.APPEND);
        PkgException tampered = assertThrows(PkgException.class, () -> offline.fetch(List.of("sqlite3")));
        assertTrue(tampered.getMessage().startsWith("apt could not download sqlite3: Unable to fetch some archives")
                || tampered.getMessage().contains("differs from the signed index"), tampered.getMessage());
    }

    @Test
    void anUnknownPackageIsAOneLineError() {
        Apt apt = new Apt(tmp.resolve("apt"), false, s -> { }, s -> { }, List.of());
        PkgException e = assertThrows(PkgException.class, () -> apt.resolve(List.of("no-such-package-port-app")));
        assertEquals("apt could not resolve no-such-package-port-app: Unable to locate package "
                + "no-such-package-port-app", e.getMessage());
        assertFalse(Files.exists(tmp.resolve("apt/cache/archives/no-such-package-port-app")));
    }
}
