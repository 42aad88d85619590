package org.portapp.rewrite;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.portapp.elf.ElfFile;
import org.portapp.x86.Decoder;

/** An ELF file's syscall sites, found and (where provable) numbered. */
public record Analysis(ElfFile elf, Disassembly disassembly, List<SyscallSite> sites) {

    public static Analysis of(Path path, Decoder decoder) {
        return of(ElfFile.read(path), decoder);
    }

    public static Analysis of(ElfFile elf, Decoder decoder) {
        Disassembly dis = Disassembly.of(elf, decoder);
        return new Analysis(elf, dis, List.copyOf(new SyscallSiteFinder(dis).find()));
    }

    public long resolvedSites() {
        return sites.stream().filter(SyscallSite::resolved).count();
    }

    /** Number of sites per syscall number ({@link SyscallSite#UNKNOWN} for unresolved ones). */
    public Map<Integer, Integer> sitesByNumber() {
        Map<Integer, Integer> m = new TreeMap<>();
        for (SyscallSite s : sites) {
            m.merge(s.nr(), 1, Integer::sum);
        }
        return m;
    }

    public RewriteResult rewrite() {
        return new Rewriter(disassembly, sites).rewrite();
    }
}
