package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The app's environment: docker run's rules, one builder for every platform. */
class AppEnvironmentTest {
    @TempDir
    Path tmp;

    private static final byte[] PASSWD = ("daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
            + "root:x:0:0:root:/home/admin:/bin/sh\n").getBytes(StandardCharsets.UTF_8);
    private static final Map<String, String> HOST = Map.of("TERM", "xterm-256color", "LANG", "de_DE.UTF-8",
            "LC_TIME", "C", "LC_ALL", "C.UTF-8", "HOME", "/host/home", "SECRET", "s", "PATH", "/host/bin");

    @Test
    void defaultIsMinimalAndTakesOnlyLocaleFromTheHost() {
        AppEnvironment e = AppEnvironment.build(new AppEnvironment.Host(HOST, false), Optional.of(PASSWD), List.of());
        assertEquals(List.of("PATH=" + AppEnvironment.DEFAULT_PATH, "HOME=/home/admin", "LANG=de_DE.UTF-8",
                "LC_ALL=C.UTF-8", "LC_TIME=C"), e.entries());
    }

    @Test
    void termOnlyWhenTheHostHasATerminal() {
        AppEnvironment e = AppEnvironment.build(new AppEnvironment.Host(HOST, true), Optional.empty(), List.of());
        assertEquals("xterm-256color", e.variables().get("TERM"));
        assertEquals("/", e.variables().get("HOME"), "no passwd in the image: /");
        AppEnvironment noTerm = AppEnvironment.build(new AppEnvironment.Host(Map.of(), true), Optional.empty(),
                List.of());
        assertEquals(List.of("PATH=" + AppEnvironment.DEFAULT_PATH, "HOME=/"), noTerm.entries());
    }

    @Test
    void settingsApplyInOrderAndBareNamesTakeTheHostsValue() {
        AppEnvironment e = AppEnvironment.build(new AppEnvironment.Host(HOST, false), Optional.of(PASSWD),
                List.of("FOO=1", "HOME", "NOT_ON_HOST", "FOO=2=3", "EMPTY=", "PATH=/x"));
        assertEquals(List.of("PATH=/x", "HOME=/host/home", "LANG=de_DE.UTF-8", "LC_ALL=C.UTF-8", "LC_TIME=C",
                "FOO=2=3", "EMPTY="), e.entries());
        assertThrows(ImageException.class, () -> AppEnvironment.build(new AppEnvironment.Host(HOST, false),
                Optional.empty(), List.of("=v")));
        ImageException ws = assertThrows(ImageException.class, () -> AppEnvironment.build(
                new AppEnvironment.Host(HOST, false), Optional.empty(), List.of("A B=1")));
        assertTrue(ws.getMessage().contains("'A B' contains whitespace"), ws.getMessage());
    }

    @Test
    void envFileInDockersFormat() throws Exception {
        Path f = tmp.resolve("app.env");
        Files.writeString(f, "# a comment\n\n   \nA=1\r\n  B=two words\nC\nQ=\"quoted\"\n#D=no\n");
        assertEquals(List.of("A=1", "B=two words", "C", "Q=\"quoted\""), AppEnvironment.readEnvFile(f));
        Files.writeString(f, "OK=1\nBAD NAME=2\n");
        ImageException bad = assertThrows(ImageException.class, () -> AppEnvironment.readEnvFile(f));
        assertTrue(bad.getMessage().startsWith("--env-file " + f + ", line 2: "), bad.getMessage());
        ImageException missing = assertThrows(ImageException.class,
                () -> AppEnvironment.readEnvFile(tmp.resolve("none.env")));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
    }

    @Test
    void homeComesFromThePasswdTheImageWillHold() throws Exception {
        assertEquals(Optional.of("/home/admin"), AppEnvironment.homeOf(PASSWD, 0));
        assertEquals(Optional.of("/usr/sbin"), AppEnvironment.homeOf(PASSWD, 1));
        assertEquals(Optional.empty(), AppEnvironment.homeOf(PASSWD, 1000));
        Path etc = Files.createDirectories(tmp.resolve("hostetc"));
        Files.writeString(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Path mine = tmp.resolve("passwd");
        Files.write(mine, PASSWD);
        Path tree = Files.createDirectories(tmp.resolve("tree/etc"));
        Files.writeString(tree.resolve("passwd"), "root:x:0:0::/from/dir:/bin/sh\n");
        assertEquals("/root", home(List.of(), etc));
        assertEquals("/home/admin", home(List.of(FileMapping.parse(mine + ":/etc/passwd")), etc));
        assertEquals("/from/dir", home(List.of(FileMapping.parse(mine + ":/etc/passwd"),
                FileMapping.parse(tmp.resolve("tree/etc") + ":/etc")), etc), "the last mapping wins");
        assertEquals("/root", home(List.of(FileMapping.parse(mine + ":/etc/passwd.bak")), etc));
    }

    private static String home(List<FileMapping> files, Path etc) {
        return AppEnvironment.homeOf(AppEnvironment.imagePasswd(files, etc).orElseThrow(), 0).orElseThrow();
    }
}
