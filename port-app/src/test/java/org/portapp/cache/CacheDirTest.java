package org.portapp.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheDirTest {
    @TempDir
    Path tmp;

    @Test
    void sizesTakeBinarySuffixes() {
        assertEquals(1536, CacheDir.parseSize("1536"));
        assertEquals(2048, CacheDir.parseSize("2K"));
        assertEquals(500L << 20, CacheDir.parseSize("500M"));
        assertEquals(500L << 20, CacheDir.parseSize("500MiB"));
        assertEquals(2L << 30, CacheDir.parseSize("2g"));
        assertEquals(3L << 29, CacheDir.parseSize("1.5G"));
        assertThrows(CacheException.class, () -> CacheDir.parseSize("-1"));
        assertThrows(CacheException.class, () -> CacheDir.parseSize("12X"));
        assertEquals("512 B", CacheDir.human(512));
        assertEquals("1.5 KiB", CacheDir.human(1536));
        assertEquals("2.0 GiB", CacheDir.human(2L << 30));
    }

    /** A file hard-linked from an image counts once in the total and is freed with its last link. */
    @Test
    void hardLinksAreCountedOnceAndFreedWithTheLastLink() throws Exception {
        Path obj = Files.createDirectories(tmp.resolve("rewritten/aa"));
        Files.write(obj.resolve("libc.so.6"), new byte[4000]);
        Path img = Files.createDirectories(tmp.resolve("images/bb/root/lib"));
        Files.createLink(img.resolve("libc.so.6"), obj.resolve("libc.so.6"));
        Files.write(tmp.resolve("images/bb/complete"), new byte[100]);
        CacheDir c = CacheDir.at(tmp);
        assertEquals(4100, c.totalBytes());
        assertEquals(2000, c.entries().stream().filter(e -> e.kind() == CacheDir.Kind.REWRITTEN)
                .mapToLong(CacheDir.Entry::bytes).sum());
        Instant old = Instant.now().minus(Duration.ofHours(1));
        Files.setLastModifiedTime(obj, FileTime.from(old.minusSeconds(60)));
        Files.setLastModifiedTime(tmp.resolve("images/bb"), FileTime.from(old));
        // Deleting the object (least recently used) frees nothing: the image still links it.
        CacheDir.Pruned p = c.prune(4050, Duration.ZERO);
        assertEquals(new CacheDir.Pruned(2, 4100, 0), p);
        assertEquals(0, c.totalBytes());
    }
}
