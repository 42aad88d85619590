package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code port-app pkg}: listing, one-line errors, and (slow, QEMU) a recipe run from its own packages. */
class PkgCliTest {
    @TempDir
    Path tmp;

    private static void oneLineError(CliRunner.Result r, String start) {
        assertEquals(1, r.exitCode(), r.toString());
        assertEquals(1, r.stderr().lines().filter(l -> l.startsWith("port-app: error: ")).count(), r.stderr());
        assertTrue(r.stderr().lines().anyMatch(l -> l.startsWith("port-app: error: " + start)), r.stderr());
        assertTrue(!r.stderr().contains("\tat "), "a stack trace: " + r.stderr());
    }

    @Test
    void listShowsEveryRecipeWithItsStatusOnEachPlatform() {
        CliRunner.Result r = CliRunner.run("pkg", "list");
        assertEquals(0, r.exitCode(), r.stderr());
        List<String> lines = r.stdout().lines().toList();
        assertTrue(lines.get(0).matches("NAME +VERSION +qemu-pc +qemu-microvm +DESCRIPTION"), lines.get(0));
        for (String name : List.of("bash", "curl", "nginx", "nodejs", "php", "postgresql", "python3", "redis", "ruby",
                "sqlite3")) {
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " ")), name + " missing: " + r.stdout());
        }
        String pg = lines.stream().filter(l -> l.startsWith("postgresql ")).findFirst().orElseThrow();
        assertTrue(pg.contains(" ready "), pg);
        String sqlite = lines.stream().filter(l -> l.startsWith("sqlite3 ")).findFirst().orElseThrow();
        assertTrue(sqlite.contains(" ready "), sqlite);
    }

    @Test
    void infoErrorsAreOneLine() throws Exception {
        oneLineError(CliRunner.run("pkg", "info", "nosuch"), "no recipe 'nosuch' (known: bash, curl");
        Path broken = tmp.resolve("broken.yaml");
        Files.writeString(broken, "name: broken\npackages: [sqlite3\nexecutable: /usr/bin/sqlite3\n");
        oneLineError(CliRunner.run("pkg", "info", "--recipe", broken.toString(), "broken"),
                broken + ":3:11: YAML syntax error");
    }

    @Test
    void runRefusesAPlatformItDoesNotBoot() {
        oneLineError(CliRunner.run("pkg", "run", "--platform", "linuxu", "sqlite3"),
                "pkg runs recipes on qemu-pc or qemu-microvm, not 'linuxu'");
    }

    @Test
    @Tag("slow")
    void aPackageAptCannotFindIsAOneLineError() throws Exception {
        Path ghost = tmp.resolve("ghost.yaml");
        Files.writeString(ghost, "name: ghost\npackages: [no-such-package-port-app]\nexecutable: /usr/bin/ghost\n"
                + "test: {expect: x}\n");
        oneLineError(CliRunner.run("pkg", "info", "--recipe", ghost.toString(), "ghost"),
                "apt could not resolve no-such-package-port-app: Unable to locate package no-such-package-port-app");
    }

    @Test
    @Tag("qemu")
    @Tag("slow")
    void sqlite3RunsFromItsOwnPackagesOnTheUnikernel() {
        CliRunner.Result r = CliRunner.run("-q", "pkg", "run", "sqlite3", "--", ":memory:", "select 1+1");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("2\n", r.stdout());
        // with the cache filled, the same run offline
        r = CliRunner.run("-q", "pkg", "run", "--offline", "sqlite3", "--", ":memory:", "select 6*7");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("42\n", r.stdout());
    }

    /**
     * PostgreSQL from its packages: initdb as the recipe's setup step, the postmaster as user
     * postgres, and psql on the host connecting three times (a backend forked for each): a
     * query, a table written, the table read back.
     */
    @Test
    @Tag("qemu")
    @Tag("slow")
    void postgresqlPassesItsSmokeTest() {
        CliRunner.Result r = CliRunner.run("-q", "pkg", "test", "postgresql");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("PASS postgresql"), r.stdout());
    }
}
