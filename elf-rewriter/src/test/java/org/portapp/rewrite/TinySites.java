package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.portapp.elf.ElfFile;
import org.portapp.elf.Symbol;
import org.portapp.x86.Decoder;

/**
 * Test-only: the tiny static executable of {@code tiny-sites.S} (one syscall site per
 * situation the rewriter handles), assembled with gcc, checked to run natively, and
 * analysed. {@link #fn} gives each function's address range by symbol.
 */
record TinySites(Path file, ElfFile elf, Analysis analysis, Map<String, Symbol> functions) {

    /** Native exit status of tiny-sites.S. */
    static final int EXIT_STATUS = 42;

    static TinySites build(Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("tiny-sites.S");
        try (InputStream in = TinySites.class.getResourceAsStream("/tiny-sites.S")) {
            Files.copy(in, src);
        }
        Path exe = dir.resolve("tiny-sites");
        Run cc = run(List.of("gcc", "-nostdlib", "-static", "-no-pie", "-o", exe.toString(), src.toString()));
        assertEquals(0, cc.exit(), "gcc failed: " + cc.output());
        assertEquals(EXIT_STATUS, run(List.of(exe.toString())).exit(), "tiny-sites runs natively");
        ElfFile elf = ElfFile.read(exe);
        Map<String, Symbol> functions = new TreeMap<>();
        for (Symbol s : elf.symbols()) {
            if (s.isFunction()) {
                functions.put(s.name(), s);
            }
        }
        return new TinySites(exe, elf, Analysis.of(elf, Decoder.load()), functions);
    }

    Symbol fn(String name) {
        Symbol s = functions.get(name);
        if (s == null) {
            throw new AssertionError("no function " + name + " in tiny-sites (have " + functions.keySet() + ")");
        }
        return s;
    }

    /** The sites inside function {@code name}, in address order. */
    List<SyscallSite> sitesIn(String name) {
        Symbol s = fn(name);
        return analysis.sites().stream()
                .filter(x -> x.address() >= s.st_value() && x.address() < s.st_value() + s.st_size())
                .sorted(java.util.Comparator.comparingLong(SyscallSite::address))
                .toList();
    }

    /** The only site inside function {@code name}. */
    SyscallSite siteIn(String name) {
        List<SyscallSite> l = sitesIn(name);
        assertEquals(1, l.size(), "sites in " + name + ": " + l);
        return l.get(0);
    }

    /** The rewriter's output for this program, parsed, with what it did to each site. */
    record Rewritten(TinySites tiny, RewriteResult result, ElfFile out) {
        SiteOutcome outcome(SyscallSite s) {
            return result.outcomes().stream().filter(o -> o.site().equals(s)).findFirst()
                    .orElseThrow(() -> new AssertionError("no outcome for " + s));
        }

        /** The outcome of the only site in function {@code name}. */
        SiteOutcome outcomeIn(String name) {
            return outcome(tiny.siteIn(name));
        }
    }

    Rewritten rewrite() {
        RewriteResult r = analysis.rewrite();
        return new Rewritten(this, r, ElfFile.parse(file + " (rewritten)", r.output()));
    }

    record Run(int exit, String output) {
    }

    static Run run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Run(p.exitValue(), out);
    }
}
