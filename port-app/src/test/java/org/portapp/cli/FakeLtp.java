package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small LTP installation made by the tests: runtest/syscalls (fake-ltp.runtest) and
 * testcases/bin/fake-ltp compiled from fake-ltp.c, which prints LTP-format lines and exits
 * with LTP's result bits, or hangs, crashes, forks, uses TMPDIR.
 */
final class FakeLtp {
    private FakeLtp() {
    }

    /** Makes the tree under {@code dir} and returns it. */
    static Path make(Path dir) throws IOException, InterruptedException {
        Path root = dir.resolve("ltp");
        Path bin = Files.createDirectories(root.resolve("testcases/bin"));
        Files.createDirectories(root.resolve("runtest"));
        Files.writeString(root.resolve("runtest/syscalls"), resource("fake-ltp.runtest"));
        Path src = dir.resolve("fake-ltp.c");
        Files.writeString(src, resource("fake-ltp.c"));
        Process cc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o",
                bin.resolve("fake-ltp").toString(), src.toString()).redirectErrorStream(true).start();
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, cc.waitFor(), () -> "gcc failed:\n" + out);
        return root;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = FakeLtp.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
