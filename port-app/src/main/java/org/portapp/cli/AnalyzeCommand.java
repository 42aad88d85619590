package org.portapp.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.SyscallSite;
import org.portapp.x86.Decoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code port-app analyze}: the syscall footprint of a binary. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"Shows the syscalls a binary can make: every syscall instruction, the syscall number",
            "where it can be proven statically, and whether the POSIX shim provides it.",
            "Status: provided (a shim module implements it), stubbed (answered with a fixed result),",
            "missing (no module; on linuxu it is passed to the host, on the unikernel it returns ENOSYS)."})
final class AnalyzeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BIN", description = "The ELF executable or shared library.")
    Path binary;

    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    @Override
    public Integer call() {
        Inputs.existingFile(binary);
        Analysis a = Analysis.of(binary, Decoder.load());
        Inputs.SyscallKnowledge k = Inputs.SyscallKnowledge.load();
        Map<Integer, Integer> byNr = a.sitesByNumber();
        int unresolved = byNr.getOrDefault(SyscallSite.UNKNOWN, 0);
        PrintStream out = System.out;
        if (json) {
            List<Object> syscalls = new ArrayList<>();
            byNr.forEach((nr, n) -> {
                if (nr != SyscallSite.UNKNOWN) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("nr", nr);
                    m.put("name", k.name(nr));
                    m.put("sites", n);
                    m.put("status", k.status(nr));
                    syscalls.add(m);
                }
            });
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("file", binary.toString());
            root.put("type", a.elf().header().isExecutable() ? "exec" : "dyn");
            root.put("interpreter", a.elf().interpreter().orElse(null));
            root.put("instructions", a.disassembly().instructionCount());
            root.put("sites", a.sites().size());
            root.put("resolvedSites", a.resolvedSites());
            root.put("unresolvedSites", unresolved);
            root.put("syscalls", syscalls);
            out.print(Json.render(root));
            return 0;
        }
        long sites = a.sites().size();
        out.printf("%s: %s, %d instructions decoded%n", binary,
                a.elf().header().isExecutable() ? "ELF64 x86-64 executable (ET_EXEC)"
                        : "ELF64 x86-64 shared object or PIE (ET_DYN)", a.disassembly().instructionCount());
        out.printf("%d syscall sites, %d with a statically known number (%.1f%%), %d distinct syscalls%n",
                sites, a.resolvedSites(), sites == 0 ? 100.0 : 100.0 * a.resolvedSites() / sites,
                byNr.size() - (unresolved > 0 ? 1 : 0));
        out.printf("%5s  %-24s %6s  %s%n", "NR", "NAME", "SITES", "STATUS");
        byNr.forEach((nr, n) -> {
            if (nr != SyscallSite.UNKNOWN) {
                out.printf("%5d  %-24s %6d  %s%n", nr, k.name(nr), n, k.status(nr));
            }
        });
        if (unresolved > 0) {
            out.printf("%5s  %-24s %6d  %s%n", "?", "(number known at run time)", unresolved, "dispatched");
        }
        return 0;
    }
}
