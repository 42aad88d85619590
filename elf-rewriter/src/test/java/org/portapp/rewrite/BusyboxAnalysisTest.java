package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.portapp.x86.Decoder;

/** Syscall sites of Debian's busybox-static, checked against objdump. */
class BusyboxAnalysisTest {
    static final Path BUSYBOX = Path.of("/bin/busybox");

    static Set<Long> objdumpSyscalls(Path file) throws Exception {
        Process p = new ProcessBuilder("objdump", "-d", "--no-show-raw-insn", file.toString())
                .redirectErrorStream(true).start();
        Set<Long> out = new TreeSet<>();
        Pattern line = Pattern.compile("^\\s*([0-9a-f]+):\\s+syscall\\s*$");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String s; (s = r.readLine()) != null; ) {
                Matcher m = line.matcher(s);
                if (m.matches()) {
                    out.add(Long.parseLong(m.group(1), 16));
                }
            }
        }
        assertEquals(0, p.waitFor());
        return out;
    }

    @Test
    void findsExactlyTheSyscallsObjdumpFindsAndResolvesAtLeast95Percent() throws Exception {
        long t0 = System.nanoTime();
        Analysis a = Analysis.of(BUSYBOX, Decoder.load());
        long t1 = System.nanoTime();
        Set<Long> ours = new TreeSet<>();
        a.sites().forEach(s -> ours.add(s.address()));
        Set<Long> expected = objdumpSyscalls(BUSYBOX);
        assertEquals(expected, ours);
        double resolved = 100.0 * a.resolvedSites() / a.sites().size();
        System.out.printf("busybox: %d sites, %d resolved (%.1f%%), analysis %.0f ms%n", a.sites().size(),
                a.resolvedSites(), resolved, (t1 - t0) / 1e6);
        a.sites().stream().filter(s -> !s.resolved())
                .forEach(s -> System.out.printf("  unresolved: 0x%x%n", s.address()));
        assertTrue(resolved >= 95.0, "resolved " + resolved + "%");
    }
}
