package org.portapp.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.OutputFile;
import org.portapp.rewrite.RewriteResult;
import org.portapp.rewrite.SiteOutcome;
import org.portapp.x86.Decoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code port-app rewrite}: writes the rewritten ELF. */
@Command(name = "rewrite", mixinStandardHelpOptions = true,
        header = "Write a copy of a binary whose syscalls call the POSIX shim directly.",
        description = {"Rewrites every syscall instruction of BIN that can be patched safely into a direct call into the POSIX shim, verifies the result (re-parse, re-disassemble, every byte outside the patches unchanged) and writes it to OUT. The input is never modified. Sites that cannot be patched safely stay `syscall` instructions and are reported; they still work through the fallback path (Syscall User Dispatch on linuxu, the LSTAR entry on the unikernel)."})
final class RewriteCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BIN", description = "The ELF executable or shared library (a name without '/' is looked up on PATH).")
    Path binary;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output file.")
    Path output;

    @Option(names = {"-f", "--force"}, description = "Overwrite OUT if it exists.")
    boolean force;

    @Option(names = "--json", description = "Print the report as JSON on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        binary = Inputs.program(binary);
        if (Files.exists(output) && Files.isSameFile(binary, output)) {
            throw new PortAppException(output + ": the output must not be the input file");
        }
        if (Files.isDirectory(output)) {
            throw new PortAppException(output + ": is a directory; give a file name for the output");
        }
        if (Files.exists(output) && !force) {
            throw new PortAppException(output + ": already exists (use --force to overwrite)");
        }
        Analysis a = Analysis.of(binary, Decoder.load());
        RewriteResult r = a.rewrite();
        OutputFile.write(output, r.output(), true);
        report(r, Inputs.SyscallKnowledge.load());
        return 0;
    }

    private void report(RewriteResult r, Inputs.SyscallKnowledge k) {
        Map<Integer, int[]> perNr = new TreeMap<>(); // nr -> {sites, rewritten}
        List<Object> left = new ArrayList<>();
        for (SiteOutcome o : r.outcomes()) {
            int[] c = perNr.computeIfAbsent(o.site().nr(), x -> new int[2]);
            c[0]++;
            if (o.rewritten()) {
                c[1]++;
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("address", "0x" + Long.toHexString(o.site().address()));
                m.put("nr", o.site().nr());
                m.put("reason", o.reason());
                left.add(m);
            }
        }
        PrintStream out = System.out;
        if (json) {
            List<Object> syscalls = new ArrayList<>();
            perNr.forEach((nr, c) -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("nr", nr);
                m.put("name", nr < 0 ? "(unknown)" : k.name(nr));
                m.put("sites", c[0]);
                m.put("rewritten", c[1]);
                m.put("leftAsSyscall", c[0] - c[1]);
                syscalls.add(m);
            });
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("input", binary.toString());
            root.put("output", output.toString());
            root.put("sites", r.outcomes().size());
            root.put("rewritten", r.rewritten());
            root.put("leftAsSyscall", r.leftAsSyscall());
            root.put("slots", r.slots());
            root.put("syscalls", syscalls);
            root.put("left", left);
            out.print(Json.render(root));
            return;
        }
        out.printf("%s -> %s: %d sites, %d rewritten, %d left as syscall%n", binary, output,
                r.outcomes().size(), r.rewritten(), r.leftAsSyscall());
        out.printf("%5s  %-24s %6s %9s %5s%n", "NR", "NAME", "SITES", "REWRITTEN", "LEFT");
        perNr.forEach((nr, c) -> out.printf("%5s  %-24s %6d %9d %5d%n", nr < 0 ? "?" : nr.toString(),
                nr < 0 ? "(number known at run time)" : k.name(nr), c[0], c[1], c[0] - c[1]));
        for (SiteOutcome o : r.outcomes()) {
            if (!o.rewritten()) {
                out.printf("left as syscall at 0x%x: %s%n", o.site().address(), o.reason());
            }
        }
    }
}
