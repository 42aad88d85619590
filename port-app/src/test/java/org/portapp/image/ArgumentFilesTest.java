package org.portapp.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArgumentFilesTest {
    @TempDir
    Path cwd;

    @Test
    void filesNamedByArgumentsGoWhereTheAppWillOpenThem() throws Exception {
        Files.writeString(cwd.resolve("data.txt"), "x");
        Files.createDirectories(cwd.resolve("sub"));
        Files.writeString(cwd.resolve("sub/in.json"), "{}");
        Path abs = Files.writeString(cwd.resolve("abs.bin"), "y");
        List<FileMapping> f = ArgumentFiles.of(
                List.of("-c", "data.txt", "--level=9", "sub/in.json", abs.toString(), "missing.txt", "sub", "data.txt"),
                "/work", cwd, Set.of());
        assertEquals(List.of(new FileMapping(cwd.resolve("data.txt"), "/work/data.txt"),
                new FileMapping(cwd.resolve("sub/in.json"), "/work/sub/in.json"),
                new FileMapping(abs, abs.toString())), f);
    }

    @Test
    void theKernelsOwnTreesAreNotCopied() {
        assertEquals(List.of(), ArgumentFiles.of(List.of("/proc/self/status", "/sys/devices/system/cpu/online",
                "/dev/null"), "/", cwd, Set.of()));
    }

    @Test
    void pathsTheImageHasAlreadyAreLeftAlone() throws Exception {
        Path exe = Files.writeString(cwd.resolve("app"), "elf");
        assertEquals(List.of(), ArgumentFiles.of(List.of(exe.toString()), "/", cwd, Set.of(exe.toString())));
    }
}
