package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.elf.ElfFile;

/** The image directory built for /bin/ls: what is in it, rewritten, cached, and the user's files. */
class ImageTest {
    @TempDir
    Path tmp;

    static boolean rewritten(Path p) {
        ElfFile e = ElfFile.read(p);
        return e.programHeaders().stream().anyMatch(h -> h.p_type() == 4 && h.p_filesz() >= 20
                && new String(e.bytesAt(h.p_offset() + 12, 7), StandardCharsets.ISO_8859_1).equals("PortApp"));
    }

    @Test
    void everyObjectRewrittenAtEachGuestPathWithEtcAndNoSymlinks() throws IOException {
        List<String> progress = new ArrayList<>();
        Closure c = Closure.of(Path.of("/bin/ls"));
        Image im = Image.build(tmp.resolve("cache"), c, List.of(), true, progress::add);
        assertEquals("/bin/ls", im.executable());
        assertEquals(im.root().resolve("bin/ls"), im.executableFile());
        for (Closure.LoadedObject o : c.objects()) {
            List<String> names = new ArrayList<>(o.aliases());
            names.add(o.guestPath());
            for (String g : names) {
                Path f = im.hostPath(g);
                assertTrue(Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS), g);
                assertTrue(rewritten(f), g + " carries the PortApp note");
                assertEquals(f, im.files().get(g));
            }
        }
        for (String name : List.of("passwd", "group", "nsswitch.conf", "hosts", "resolv.conf")) {
            assertTrue(Files.isRegularFile(im.hostPath("/etc/" + name)), name);
        }
        assertArrayEquals(Files.readAllBytes(Path.of("/etc/passwd")), Files.readAllBytes(im.hostPath("/etc/passwd")),
                "the host's passwd");
        try (Stream<Path> s = Files.walk(im.root())) {
            assertFalse(s.anyMatch(Files::isSymbolicLink), "no symlinks in the image");
        }
        int rewrites = (int) progress.stream().filter(l -> l.startsWith("port-app: rewriting ")).count();
        assertEquals(c.objects().size(), rewrites, "each object rewritten once: " + progress);

        // the same closure again: the same image, nothing rewritten
        progress.clear();
        Image again = Image.build(tmp.resolve("cache"), c, List.of(), true, progress::add);
        assertEquals(im.root(), again.root());
        assertEquals(List.of(), progress);
    }

    @Test
    void userFilesAndDirectoriesWinOverEtcDefaults() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("site/conf"));
        Files.writeString(dir.resolve("app.conf"), "port 80\n");
        Files.writeString(tmp.resolve("site/index.html"), "<p>hi</p>\n");
        Path hosts = Files.writeString(tmp.resolve("myhosts"), "10.0.0.1 db\n");
        Closure c = Closure.of(Path.of("/bin/ls"));
        Image im = Image.build(tmp.resolve("cache"), c, List.of(FileMapping.parse(tmp.resolve("site") + ":/srv/www"),
                new FileMapping(hosts, "/etc/hosts")), false, s -> { });
        assertEquals("port 80\n", Files.readString(im.hostPath("/srv/www/conf/app.conf")));
        assertEquals("<p>hi</p>\n", Files.readString(im.hostPath("/srv/www/index.html")));
        assertEquals("10.0.0.1 db\n", Files.readString(im.hostPath("/etc/hosts")));
        assertFalse(rewritten(im.executableFile()), "rewrite=false puts the objects in as they are");
        // a changed user file is a different image
        Files.writeString(dir.resolve("app.conf"), "port 8080\n");
        Image changed = Image.build(tmp.resolve("cache"), c, List.of(FileMapping.parse(tmp.resolve("site") + ":/srv/www"),
                new FileMapping(hosts, "/etc/hosts")), false, s -> { });
        assertFalse(changed.root().equals(im.root()));
        assertEquals("port 8080\n", Files.readString(changed.hostPath("/srv/www/conf/app.conf")));
    }

    @Test
    void badMappingsAreNamed() {
        assertThrows(ImageException.class, () -> FileMapping.parse("nocolon"));
        assertThrows(ImageException.class, () -> FileMapping.parse("/x:relative"));
        assertThrows(ImageException.class, () -> FileMapping.parse("/x:/"));
        ImageException e = assertThrows(ImageException.class, () -> Image.build(tmp.resolve("cache"),
                Closure.of(Path.of("/bin/ls")), List.of(new FileMapping(tmp.resolve("absent"), "/a")), false, s -> { }));
        assertTrue(e.getMessage().contains("absent: no such file or directory (for /a)"), e.getMessage());
    }
}
