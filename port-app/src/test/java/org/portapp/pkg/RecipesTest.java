package org.portapp.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.syscalls.ShimModules;
import org.portapp.syscalls.SyscallTable;

/** The shipped recipes, and the one-line errors of bad recipe files. */
class RecipesTest {
    @TempDir
    Path tmp;

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(p.resolve("recipes"))) {
            p = p.getParent();
        }
        return p;
    }

    @Test
    void theTenShippedRecipesAreValid() {
        Recipes r = Recipes.load(repo().resolve("recipes"), List.of());
        assertTrue(r.byName().keySet().containsAll(List.of("nginx", "redis", "sqlite3", "python3", "nodejs", "php",
                "ruby", "postgresql", "bash", "curl")), r.byName().keySet()::toString);
        for (Recipe x : r.byName().values()) {
            assertTrue(x.executable().startsWith("/"), x.name());
            assertFalse(x.test().expect().isEmpty(), x.name());
        }
        Recipe nginx = r.get("nginx");
        assertEquals(List.of("network"), nginx.needs());
        assertTrue(nginx.files().get(0).content().contains("daemon off;"));
        assertEquals(List.of(80), nginx.ports());
    }

    @Test
    void statusFollowsWhatTheUnikernelHas() throws Exception {
        Recipes r = Recipes.load(repo().resolve("recipes"), List.of());
        ShimModules modules = ShimModules.scan(repo().resolve("posix-shim"), SyscallTable.load());
        PlatformSupport s = PlatformSupport.of("qemu-pc", modules);
        assertEquals("ready", s.status(r.get("sqlite3")));
        // processes come from posix-shim/process (fork, execve); without it postgresql cannot run
        assertEquals("ready", s.status(r.get("postgresql")));
        ShimModules noProcess = ShimModules.scan(withoutModule("process"), SyscallTable.load());
        assertTrue(PlatformSupport.of("qemu-pc", noProcess).unmet(r.get("postgresql")).stream()
                .anyMatch(u -> u.startsWith("needs processes: ")));
        boolean socket = modules.forPlatform(ShimModules.PLATFORM_QEMU).modules().stream()
                .anyMatch(m -> m.provides().contains("socket"));
        assertEquals(socket ? "ready" : "needs network", s.status(r.get("nginx")));
    }

    /** A copy of posix-shim's manifests without one module. */
    private Path withoutModule(String name) throws Exception {
        Path shim = Files.createDirectories(tmp.resolve("shim"));
        try (var dirs = Files.list(repo().resolve("posix-shim"))) {
            for (Path d : dirs.filter(x -> Files.isRegularFile(x.resolve("module.conf"))).toList()) {
                if (!d.getFileName().toString().equals(name)) {
                    Path c = Files.createDirectories(shim.resolve(d.getFileName()));
                    Files.copy(d.resolve("module.conf"), c.resolve("module.conf"));
                }
            }
        }
        return shim;
    }

    @Test
    void setupStepsUserAndProgramsAreRead() throws Exception {
        Recipe pg = Recipes.load(repo().resolve("recipes"), List.of()).get("postgresql");
        assertEquals("postgres", pg.user());
        assertEquals(1, pg.setup().size());
        assertEquals("/var/lib/postgresql/data/PG_VERSION", pg.setup().get(0).unless());
        assertEquals("/usr/lib/postgresql/15/bin/initdb", pg.setup().get(0).run().get(0));
        String rel = bad("rel.yaml", "name: x\npackages: [a]\nexecutable: /x\nsetup: [{run: [initdb]}]\n"
                + "test: {expect: y}\n").getMessage();
        assertTrue(rel.endsWith("setup: each step's run needs a program's absolute path first"), rel);
        String user = bad("user.yaml", "name: x\npackages: [a]\nexecutable: /x\nuser: 'Bad User'\n"
                + "test: {expect: y}\n").getMessage();
        assertTrue(user.endsWith("user: 'Bad User' is not a user name"), user);
        String key = bad("key.yaml", "name: x\npackages: [a]\nexecutable: /x\nsetup: [{run: [/x], if: /y}]\n"
                + "test: {expect: y}\n").getMessage();
        assertTrue(key.contains("Unrecognized field \"if\""), key);
    }

    private PkgException bad(String name, String text) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, text);
        PkgException e = assertThrows(PkgException.class, () -> Recipes.read(f));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        return e;
    }

    @Test
    void badFilesAreOneLineErrors() throws Exception {
        String syntax = bad("syntax.yaml", "name: x\npackages: [sqlite3\nexecutable: /usr/bin/sqlite3\n").getMessage();
        assertTrue(syntax.contains("syntax.yaml:3:11: YAML syntax error"), syntax);
        String typo = bad("typo.yaml", "name: x\npackages: [a]\nexecutabel: /x\n").getMessage();
        assertTrue(typo.contains("typo.yaml: Unrecognized field \"executabel\""), typo);
        String needs = bad("needs.yaml", "name: x\npackages: [a]\nexecutable: /x\nneeds: [gpu]\ntest: {expect: y}\n")
                .getMessage();
        assertTrue(needs.endsWith("needs: unknown capability 'gpu' (known: network, processes)"), needs);
        String noTest = bad("notest.yaml", "name: x\npackages: [a]\nexecutable: /x\n").getMessage();
        assertTrue(noTest.endsWith("a smoke test with 'expect' is required"), noTest);
        String type = bad("type.yaml", "name: x\npackages: [a]\nexecutable: /x\nmemory: lots\ntest: {expect: y}\n")
                .getMessage();
        assertTrue(type.contains(":4:9: "), type);
    }

    @Test
    void userRecipesWinAndUnknownNamesListTheKnownOnes() throws Exception {
        Path mine = tmp.resolve("mine.yaml");
        Files.writeString(mine, "name: sqlite3\ndescription: mine\npackages: [sqlite3]\nexecutable: /usr/bin/sqlite3\n"
                + "test: {args: [':memory:', 'select 3'], expect: '3'}\n");
        Recipes r = Recipes.load(repo().resolve("recipes"), List.of(mine));
        assertEquals("mine", r.get("sqlite3").description());
        PkgException e = assertThrows(PkgException.class, () -> r.get("nosuch"));
        assertTrue(e.getMessage().startsWith("no recipe 'nosuch' (known: bash, curl, "), e.getMessage());
    }
}
