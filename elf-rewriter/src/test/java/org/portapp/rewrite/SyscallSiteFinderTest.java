package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the site finder sees in tiny-sites.S: where the sites are and what their numbers are. */
class SyscallSiteFinderTest {
    @TempDir
    static Path tmp;
    static TinySites tiny;

    @BeforeAll
    static void build() throws Exception {
        tiny = TinySites.build(tmp);
    }

    @Test
    void findsEverySyscallInstructionObjdumpSees() throws Exception {
        TinySites.Run d = TinySites.run(List.of("objdump", "-d", "--no-show-raw-insn", tiny.file().toString()));
        assertEquals(0, d.exit(), d.output());
        Set<Long> expected = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\s*([0-9a-f]+):\\s+syscall\\s*$").matcher(d.output());
        while (m.find()) {
            expected.add(Long.parseLong(m.group(1), 16));
        }
        assertEquals(9, expected.size(), d.output());
        Set<Long> found = new TreeSet<>();
        tiny.analysis().sites().forEach(s -> found.add(s.address()));
        assertEquals(expected, found);
    }

    @Test
    void movEaxImmediateThenSyscall() {
        SyscallSite exit = tiny.siteIn("_start");
        assertEquals(60, exit.nr());
        assertEquals(Set.of(60), exit.numbers());
        assertEquals(tiny.fn("_start").st_value() + tiny.fn("_start").st_size() - 2, exit.address(),
                "the exit site is the last two bytes of _start");
    }

    @Test
    void numberCopiedFromAnotherRegister() {
        SyscallSite s = tiny.siteIn("f_copy");
        assertEquals(39, s.nr());
        assertTrue(s.resolved());
    }

    @Test
    void adjacentSitesKeepTheirOwnNumbers() {
        List<SyscallSite> l = tiny.sitesIn("f_adjacent");
        assertEquals(2, l.size());
        assertEquals(39, l.get(0).nr());
        assertEquals(102, l.get(1).nr());
    }

    @Test
    void aBranchBackToTheSyscallKeepsTheNumberWhenEveryPathAgrees() {
        assertEquals(39, tiny.siteIn("f_loop").nr());
        assertEquals(39, tiny.siteIn("f_pinned").nr());
    }

    @Test
    void argumentRegisterIsBoundedByTheDirectCallers() {
        SyscallSite s = tiny.siteIn("f_wrapper");
        assertEquals(SyscallSite.UNKNOWN, s.nr());
        assertFalse(s.resolved());
        assertTrue(s.bounded());
        assertEquals(Set.of(39, 102), s.numbers());
    }

    @Test
    void numberLoadedFromMemoryIsUnknownAndUnbounded() {
        for (String f : List.of("f_unknown", "f_tiny")) {
            SyscallSite s = tiny.siteIn(f);
            assertEquals(SyscallSite.UNKNOWN, s.nr(), f);
            assertFalse(s.bounded(), f);
            assertNull(s.numbers(), f);
        }
    }

    @Test
    void analysisCountsByNumber() {
        assertEquals(6, tiny.analysis().resolvedSites());
        assertEquals(java.util.Map.of(-1, 3, 39, 4, 60, 1, 102, 1), tiny.analysis().sitesByNumber());
    }
}
