package org.portapp.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.portapp.elf.ElfFile;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.Image;
import org.portapp.image.RuntimeFiles;
import org.portapp.rewrite.ClosureFootprint;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.SyscallSite;
import org.portapp.x86.Decoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code port-app analyze}: the syscall footprint of a binary and, if dynamic, of its libraries. */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        header = "Show the syscall footprint of a binary (and of its libraries).",
        description = {"Shows the syscalls a binary can make: every syscall instruction, the syscall number where it can be proven statically, and whether the POSIX shim provides it. For a dynamically linked executable the footprint covers ld.so and every library it loads (the DT_NEEDED closure, resolved as ld.so would).",
            "Status: provided (a shim module implements it), stubbed (answered with a fixed result), missing (no module; on linuxu it is passed to the host, on the unikernel it returns ENOSYS)."})
final class AnalyzeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BIN", description = "The ELF executable or shared library (a name without '/' is looked up on PATH).")
    Path binary;

    @Option(names = "--json", description = "Print the result as JSON on stdout.")
    boolean json;

    @Option(names = "--no-closure", description = "Analyze BIN alone, not the libraries it loads.")
    boolean noClosure;

    /** One analyzed object and where it came from. */
    private record Analyzed(String path, String role, Analysis analysis) {
    }

    @Override
    public Integer call() {
        binary = Inputs.program(binary);
        Decoder decoder = Decoder.load();
        ElfFile elf = ElfFile.read(binary);
        List<Analyzed> objects = new ArrayList<>();
        // A dynamically linked executable (not a library, even one with a PT_INTERP like libc.so.6).
        boolean library = elf.soname().isPresent();
        if (!noClosure && elf.interpreter().isPresent() && !library) {
            Path exe = binary.toAbsolutePath().normalize();
            Closure closure = Closure.of(exe);
            java.util.Set<Path> inClosure = new java.util.HashSet<>();
            for (Closure.LoadedObject o : closure.objects()) {
                objects.add(new Analyzed(o.guestPath(), o.kind().name().toLowerCase(),
                        Analysis.of(o.hostFile(), decoder)));
                inClosure.add(o.hostFile());
            }
            // What the process may also dlopen (extension modules, libraries named in its data):
            // their calls into libc count for the footprint as much as the closure's.
            List<FileMapping> runtime = new ArrayList<>(RuntimeFiles.of(exe));
            runtime.addAll(RuntimeFiles.dlopened(closure));
            for (Path p : Image.elfObjects(closure, runtime)) {
                if (!inClosure.contains(p)) {
                    objects.add(new Analyzed(p.toString(), "runtime", Analysis.of(p, decoder)));
                }
            }
        } else {
            objects.add(new Analyzed(binary.toString(), "executable", Analysis.of(elf, decoder)));
        }
        Inputs.SyscallKnowledge k = Inputs.SyscallKnowledge.load();
        Map<Integer, Integer> byNr = new TreeMap<>();
        Map<Integer, TreeSet<String>> objectsByNr = new TreeMap<>();
        long sites = 0;
        long resolved = 0;
        long bounded = 0;
        long instructions = 0;
        for (Analyzed o : objects) {
            Analysis a = o.analysis();
            instructions += a.disassembly().instructionCount();
            for (SyscallSite s : a.sites()) {
                sites++;
                resolved += s.resolved() ? 1 : 0;
                bounded += !s.resolved() && s.bounded() ? 1 : 0;
                byNr.merge(s.nr(), 1, Integer::sum);
                objectsByNr.computeIfAbsent(s.nr(), x -> new TreeSet<>()).add(o.path());
            }
        }
        int unresolved = byNr.getOrDefault(SyscallSite.UNKNOWN, 0);
        ClosureFootprint footprint = ClosureFootprint.of(objects.stream()
                .map(o -> new ClosureFootprint.Member(o.path(), o.analysis())).toList());
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
                    m.put("objects", List.copyOf(objectsByNr.get(nr)));
                    syscalls.add(m);
                }
            });
            List<Object> objs = new ArrayList<>();
            for (Analyzed o : objects) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("path", o.path());
                m.put("role", o.role());
                m.put("sites", o.analysis().sites().size());
                m.put("resolvedSites", o.analysis().resolvedSites());
                objs.add(m);
            }
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("file", binary.toString());
            root.put("type", elf.header().isExecutable() ? "exec" : "dyn");
            root.put("interpreter", elf.interpreter().orElse(null));
            root.put("instructions", instructions);
            root.put("sites", sites);
            root.put("resolvedSites", resolved);
            root.put("boundedSites", bounded);
            root.put("unresolvedSites", unresolved);
            root.put("boundedAcrossObjects", footprint.boundedAcrossObjects().size());
            root.put("complete", footprint.complete());
            root.put("footprint", List.copyOf(new TreeSet<>(footprint.numbers())));
            List<Object> unbounded = new ArrayList<>();
            for (ClosureFootprint.Unbounded u : footprint.unbounded()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("object", u.object());
                m.put("address", "0x" + Long.toHexString(u.site().address()));
                m.put("function", u.site().function());
                m.put("reason", u.reason());
                unbounded.add(m);
            }
            root.put("unboundedSites", unbounded);
            root.put("objects", objs);
            root.put("syscalls", syscalls);
            out.print(Json.render(root));
            return 0;
        }
        out.printf("%s: %s, %d object(s), %d instructions decoded%n", binary,
                elf.header().isExecutable() ? "ELF64 x86-64 executable (ET_EXEC)"
                        : "ELF64 x86-64 shared object or PIE (ET_DYN)", objects.size(), instructions);
        if (objects.size() > 1) {
            for (Analyzed o : objects) {
                out.printf("  %-11s %-56s %5d sites, %d proven%n", o.role(), o.path(),
                        o.analysis().sites().size(), o.analysis().resolvedSites());
            }
        }
        out.printf("%d syscall sites, %d with a statically known number (%.1f%%), %d distinct syscalls%n",
                sites, resolved, sites == 0 ? 100.0 : 100.0 * resolved / sites,
                byNr.size() - (unresolved > 0 ? 1 : 0));
        out.printf("%5s  %-24s %6s  %-9s %s%n", "NR", "NAME", "SITES", "STATUS", objects.size() > 1 ? "IN" : "");
        byNr.forEach((nr, n) -> {
            if (nr != SyscallSite.UNKNOWN) {
                out.printf("%5d  %-24s %6d  %-9s %s%n", nr, k.name(nr), n, k.status(nr),
                        objects.size() > 1 ? String.join(" ", shortNames(objectsByNr.get(nr))) : "");
            }
        });
        if (unresolved > 0) {
            out.printf("%5s  %-24s %6d  %s (%d of them bounded to a few numbers, %d by the other objects' calls)%n",
                    "?", "(number known at run time)", unresolved, "dispatched", bounded,
                    footprint.boundedAcrossObjects().size());
        }
        if (footprint.complete()) {
            out.printf("footprint: complete, %d distinct syscalls: every site's number is bounded%n",
                    footprint.numbers().size());
        } else {
            out.printf("footprint: incomplete: %d site(s) whose number is unbounded (a build keeps every module):%n",
                    footprint.unbounded().size());
            for (ClosureFootprint.Unbounded u : footprint.unbounded()) {
                out.printf("  %s 0x%x in %s: %s%n", shortNames(new TreeSet<>(List.of(u.object()))).get(0),
                        u.site().address(), u.site().function(), u.reason());
            }
        }
        return 0;
    }

    private static List<String> shortNames(TreeSet<String> paths) {
        return paths.stream().map(p -> p.substring(p.lastIndexOf('/') + 1)).toList();
    }
}
