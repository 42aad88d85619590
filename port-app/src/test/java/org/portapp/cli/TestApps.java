package org.portapp.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds test-apps/ (its Makefile) into a test's directory. */
final class TestApps {
    private TestApps() {
    }

    /** {@code make -C test-apps OUT=out targets...}; fails the test with make's output if it fails. */
    static Path build(Path out, String... targets) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("make", "-s", "-C", Main.root().resolve("test-apps").toString(),
                "OUT=" + out));
        cmd.addAll(List.of(targets));
        Process make = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(make.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(make.waitFor(300, TimeUnit.SECONDS) && make.exitValue() == 0, "make test-apps:\n" + log);
        return out;
    }
}
