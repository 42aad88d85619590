package org.portapp.rewrite.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real ELF files the fuzzer mutates: one of each kind the rewriter meets. A musl static
 * test-app and a glibc static-pie test-app (built from test-apps/ with its Makefile), Debian's
 * static busybox, a glibc dynamic PIE executable, libc.so.6 and ld.so. The weights give the
 * small files most cases: a mutant that survives parsing costs a whole analysis, about 4 ms
 * for /usr/bin/true, 12 ms for the musl test-app, 40 ms for ld.so, 130 ms for the static-pie,
 * 600 ms for libc.so.6 and 3.5 s for busybox (one core, loaded machine).
 */
public final class Seeds {
    private Seeds() {
    }

    /** Every kind, weighted so that 100,000 cases take about two hours on one core. */
    public static List<ElfFuzzer.Seed> standard(Path work) {
        return build(work, new int[] {40, 8, 35, 12, 1, 2});
    }

    /**
     * The test suite's mix: the files whose mutants take milliseconds (the musl test-app,
     * the dynamic executable, ld.so); the big ones only get the bench's long runs.
     */
    public static List<ElfFuzzer.Seed> quick(Path work) {
        return build(work, new int[] {35, 0, 60, 5, 0, 0});
    }

    private static List<ElfFuzzer.Seed> build(Path work, int[] weights) {
        if (weights[1] > 0) {
            make(repoRoot().resolve("test-apps"), work, "musl/files", "pie/where");
        } else {
            make(repoRoot().resolve("test-apps"), work, "musl/files");
        }
        String[] names = {"musl-static:files", "glibc-static-pie:where", "glibc-dynamic:/usr/bin/true", "ld.so",
            "busybox-static", "libc.so.6"};
        Path[] files = {work.resolve("musl/files"), work.resolve("pie/where"), Path.of("/usr/bin/true"),
            Path.of("/lib64/ld-linux-x86-64.so.2"), Path.of("/bin/busybox"), Path.of("/lib/x86_64-linux-gnu/libc.so.6")};
        List<ElfFuzzer.Seed> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (weights[i] > 0) {
                out.add(seed(names[i], files[i], weights[i]));
            }
        }
        return out;
    }

    static ElfFuzzer.Seed seed(String name, Path p, int weight) {
        try {
            return new ElfFuzzer.Seed(name, Files.readAllBytes(p), weight);
        } catch (IOException e) {
            throw new UncheckedIOException("seed " + p, e);
        }
    }

    /** Builds test-apps targets into {@code out} with the project's own Makefile. */
    static void make(Path apps, Path out, String... targets) {
        List<String> cmd = new ArrayList<>(List.of("make", "-s", "-C", apps.toString(), "OUT=" + out.toAbsolutePath()));
        for (String t : targets) {
            cmd.add(out.toAbsolutePath().resolve(t).toString());
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The checkout: -Dportapp.root, else the first directory up from here holding test-apps/Makefile. */
    static Path repoRoot() {
        String prop = System.getProperty("portapp.root");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("test-apps/Makefile"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find test-apps/Makefile above " + Path.of("").toAbsolutePath());
    }
}
