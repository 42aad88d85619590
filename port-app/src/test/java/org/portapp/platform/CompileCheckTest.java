package org.portapp.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.platform.linuxu.LinuxuPlatform;
import org.portapp.platform.qemu.QemuException;

/**
 * The compile check that {@code mvn package} runs reaches C that only a boot used to
 * compile: an error in a kernel-only shim module, or in the x86_64 self-test kernel, fails
 * it with the compiler's message. Runs on a copy of posix-shim/ and platforms/.
 */
@Tag("slow")
class CompileCheckTest {
    static final String BROKEN = "\nint compile_check_probe(void) { return compile_check_undeclared; }\n";

    @TempDir
    Path tmp;

    static Path repoRoot() {
        return Path.of(System.getProperty("portapp.root", "..")).toAbsolutePath().normalize();
    }

    /** posix-shim/ and platforms/ of the repository, without build output. */
    static Path copyOfSources(Path to) throws IOException {
        Path root = repoRoot();
        for (String dir : List.of("posix-shim", "platforms")) {
            Path from = root.resolve(dir);
            try (Stream<Path> s = Files.walk(from)) {
                for (Path p : s.toList()) {
                    Path rel = from.relativize(p);
                    if (rel.toString().startsWith("build") || rel.toString().contains("/build")) {
                        continue;
                    }
                    Path target = to.resolve(dir).resolve(rel.toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target);
                    }
                }
            }
        }
        return to;
    }

    @Test
    void anErrorInTheSelfTestKernelOrAKernelOnlyModuleFailsTheCheck() throws Exception {
        Path root = copyOfSources(tmp.resolve("repo"));
        Path build = tmp.resolve("build");
        Path selftest = root.resolve("platforms/x86_64/selftest.c");
        String good = Files.readString(selftest);
        Files.writeString(selftest, BROKEN, StandardOpenOption.APPEND);
        CachedBuild.Failure f = assertThrows(CachedBuild.Failure.class, () -> CompileCheck.check(root, build));
        assertTrue(f.output().contains("selftest.c") && f.output().contains("compile_check_undeclared"), f.output());
        Files.writeString(selftest, good);

        Files.writeString(root.resolve("posix-shim/pipe/eventfd.c"), BROKEN, StandardOpenOption.APPEND);
        QemuException e = assertThrows(QemuException.class, () -> CompileCheck.check(root, build));
        assertTrue(e.getMessage().contains("eventfd.c") && e.getMessage().contains("compile_check_undeclared"),
                e.getMessage());
        try (Stream<Path> s = Files.list(build)) {
            assertEquals(1, s.filter(d -> Files.isExecutable(d.resolve(LinuxuPlatform.LOADER))).count(),
                    "the self-test kernel and the linuxu loader (which has no pipe module) built first");
        }
    }
}
