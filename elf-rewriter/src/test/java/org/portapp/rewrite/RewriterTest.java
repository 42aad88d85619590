package org.portapp.rewrite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.elf.ProgramHeader;
import org.portapp.elf.SectionHeader;

/**
 * What the rewriter makes of tiny-sites.S: which sites are patched with which window,
 * which stay and why, the slot table and note, the new segments, and the patched code and
 * trampolines as objdump decodes them.
 */
class RewriterTest {
    private static final Pattern INSN = Pattern.compile("(?m)^[ \\t]*([0-9a-f]+):[ \\t]+(\\S+)[ \\t]*(.*)$");

    @TempDir
    static Path tmp;
    static TinySites.Rewritten rw;
    static Path outFile;

    @BeforeAll
    static void rewrite() throws Exception {
        rw = TinySites.build(tmp).rewrite();
        outFile = tmp.resolve("tiny-sites.rewritten");
        Files.write(outFile, rw.result().output());
    }

    static long fn(String name) {
        return rw.tiny().fn(name).st_value();
    }

    static void assertPatched(SyscallSite s, long windowStart, int windowLength) {
        SiteOutcome o = rw.outcome(s);
        assertTrue(o.rewritten(), "site 0x" + Long.toHexString(s.address()) + " left: " + o.reason());
        assertEquals(windowStart, o.windowStart(), "window start of 0x" + Long.toHexString(s.address()));
        assertEquals(windowLength, o.windowLength(), "window length of 0x" + Long.toHexString(s.address()));
    }

    @Test
    void exitSiteAtTheEndOfAFunctionTakesTheMovBeforeIt() {
        SyscallSite s = rw.tiny().siteIn("_start");
        assertPatched(s, s.address() - 5, 7);
        assertEquals(fn("f_copy"), s.address() + 2, "the window ends where the next function starts");
    }

    @Test
    void numberInAnotherRegisterDisplacesBothMoves() {
        assertPatched(rw.tiny().siteIn("f_copy"), fn("f_copy"), 9);
    }

    @Test
    void adjacentSitesGetDisjointWindows() {
        List<SyscallSite> l = rw.tiny().sitesIn("f_adjacent");
        assertPatched(l.get(0), fn("f_adjacent"), 7);
        assertPatched(l.get(1), fn("f_adjacent") + 7, 7);
    }

    @Test
    void aBranchTargetOnTheSyscallStartsTheWindowThere() {
        SyscallSite s = rw.tiny().siteIn("f_loop");
        assertTrue(rw.tiny().analysis().disassembly().isBranchTarget(s.address()));
        assertPatched(s, s.address(), 5); // syscall + mov %rax,%rdx; the mov $39 before it stays
    }

    @Test
    void branchTargetsOnBothSidesLeaveTheSite() {
        SiteOutcome o = rw.outcome(rw.tiny().siteIn("f_pinned"));
        assertFalse(o.rewritten());
        assertEquals("jump targets on both sides of the syscall", o.reason());
    }

    @Test
    void runTimeNumbersGoThroughAGenericSlot() {
        assertPatched(rw.tiny().siteIn("f_wrapper"), fn("f_wrapper"), 5);
        assertPatched(rw.tiny().siteIn("f_unknown"), fn("f_unknown"), 5);
    }

    @Test
    void tooLittleRoomBeforeTheNextFunctionLeavesTheSite() {
        SiteOutcome o = rw.outcome(rw.tiny().siteIn("f_tiny"));
        assertFalse(o.rewritten());
        assertTrue(o.reason().startsWith("no run of whole, relocatable instructions"), o.reason());
    }

    @Test
    void noteAndSlotTable() {
        assertEquals(7, rw.result().rewritten());
        assertEquals(2, rw.result().leftAsSyscall());
        PortAppNote note = PortAppNote.of(rw.out()).orElseThrow();
        assertEquals(7, note.sitesRewritten());
        assertEquals(2, note.sitesLeft());
        // -2: f_wrapper ({39, 102}, each with a slot of its own); -1: f_unknown; then the known numbers.
        assertArrayEquals(new int[] {Rewriter.GENERIC_BOUNDED, Rewriter.GENERIC_UNBOUNDED, 39, 60, 102},
                note.slotNumbers());
        assertEquals(5, note.nslots());
        assertEquals(5, rw.result().slots());
        long at = rw.out().vaddrToOffset(note.slotsVaddr()).orElseThrow();
        assertArrayEquals(new byte[8 * 5], rw.out().bytesAt(at, 8 * 5), "targets are zero until a loader fills them");
        SectionHeader slots = rw.out().section(".portapp.slots").orElseThrow();
        assertEquals(note.slotsVaddr(), slots.sh_addr());
        assertEquals(12 * 5, slots.sh_size());
    }

    @Test
    void twoPageAlignedSegmentsAfterTheOriginalImage() {
        List<ProgramHeader> before = rw.tiny().elf().loadSegments();
        List<ProgramHeader> after = rw.out().loadSegments();
        assertEquals(before.size() + 2, after.size());
        assertEquals(before, after.subList(0, before.size()), "existing segments are unchanged");
        ProgramHeader x = after.get(before.size());
        ProgramHeader w = after.get(before.size() + 1);
        assertEquals(ProgramHeader.PF_R | ProgramHeader.PF_X, x.p_flags());
        assertEquals(ProgramHeader.PF_R | ProgramHeader.PF_W, w.p_flags());
        assertTrue(x.p_vaddr() >= rw.tiny().elf().loadEnd(), "segment X lies after the original image");
        assertTrue(w.p_vaddr() >= x.p_vaddr() + x.p_memsz(), "W after X");
        for (ProgramHeader p : List.of(x, w)) {
            assertEquals(0, p.p_vaddr() % 0x1000);
            assertEquals(0, p.p_offset() % 0x1000);
        }
        ProgramHeader first = before.get(0);
        assertEquals(first.p_vaddr() - first.p_offset(), x.p_vaddr() - x.p_offset(),
                "segment X keeps the first PT_LOAD's vaddr - offset");
        assertEquals(x.p_offset(), rw.out().header().e_phoff(), "the program headers open segment X");
        assertTrue(rw.out().programHeaders().stream().anyMatch(p -> p.p_type() == ProgramHeader.PT_NOTE
                && x.containsVaddr(p.p_vaddr())), "the PortApp note lies in segment X");
    }

    @Test
    void objdumpSeesJumpsToTrampolinesThatCallTheSlotsAndJumpBack() throws Exception {
        TinySites.Run d = TinySites.run(List.of("objdump", "-d", "--no-show-raw-insn", outFile.toString()));
        assertEquals(0, d.exit(), d.output());
        TreeMap<Long, String[]> insns = new TreeMap<>(); // address -> {mnemonic, operands}
        Matcher m = INSN.matcher(d.output());
        while (m.find()) {
            insns.put(Long.parseLong(m.group(1), 16), new String[] {m.group(2), m.group(3)});
        }
        // Only the two sites that were left still decode as syscall.
        TreeSet<Long> syscalls = new TreeSet<>();
        insns.forEach((a, i) -> {
            if (i[0].equals("syscall")) {
                syscalls.add(a);
            }
        });
        TinySites tiny = rw.tiny();
        assertEquals(new TreeSet<>(List.of(tiny.siteIn("f_pinned").address(), tiny.siteIn("f_tiny").address())),
                syscalls);

        SectionHeader text = rw.out().section(".portapp.text").orElseThrow();
        Map<Long, Long> slotOf = new TreeMap<>(); // trampoline -> slot it calls
        for (SiteOutcome o : rw.result().outcomes()) {
            if (!o.rewritten()) {
                continue;
            }
            String[] jmp = insns.get(o.windowStart());
            assertEquals("jmp", jmp[0], "patch at 0x" + Long.toHexString(o.windowStart()));
            long t = Long.parseLong(jmp[1].split("\\s+")[0], 16);
            assertTrue(t >= text.sh_addr() && t < text.sh_addr() + text.sh_size(), "jumps into .portapp.text");
            for (long a = o.windowStart() + 5; a < o.windowStart() + o.windowLength(); a++) {
                assertEquals("int3", insns.get(a)[0], "padding at 0x" + Long.toHexString(a));
            }
            // The trampoline: displaced instructions, lea, call *slot(%rip), lea, displaced, jmp back.
            List<Map.Entry<Long, String[]>> tr = insns.tailMap(t, true).entrySet().stream().limit(12).toList();
            int call = -1;
            int back = -1;
            for (int k = 0; k < tr.size() && back < 0; k++) {
                String[] i = tr.get(k).getValue();
                if (i[0].equals("call")) {
                    call = k;
                    Matcher slot = Pattern.compile("# ([0-9a-f]+)").matcher(i[1]);
                    assertTrue(slot.find(), "call through a RIP-relative slot: " + i[1]);
                    slotOf.put(t, Long.parseLong(slot.group(1), 16));
                } else if (i[0].equals("jmp")) {
                    back = k;
                    assertEquals(o.windowStart() + o.windowLength(), Long.parseLong(i[1].split("\\s+")[0], 16),
                            "trampoline 0x" + Long.toHexString(t) + " jumps back to the end of its window");
                }
            }
            assertTrue(call > 0 && back > call, "trampoline 0x" + Long.toHexString(t) + ": call at " + call
                    + ", jmp back at " + back);
            assertEquals("lea", tr.get(call - 1).getValue()[0]);
            assertTrue(tr.get(call - 1).getValue()[1].startsWith("-0x80(%rsp),%rsp"), "red zone skipped");
            assertEquals("lea", tr.get(call + 1).getValue()[0]);
            assertTrue(tr.get(call + 1).getValue()[1].startsWith("0x80(%rsp),%rsp"), "red zone restored");
        }
        // Each trampoline calls the slot of its site's number.
        PortAppNote note = PortAppNote.of(rw.out()).orElseThrow();
        for (SiteOutcome o : rw.result().outcomes()) {
            if (o.rewritten()) {
                long t = Long.parseLong(insns.get(o.windowStart())[1].split("\\s+")[0], 16);
                int nr = Rewriter.slotNumber(o.site());
                int index = java.util.Arrays.stream(note.slotNumbers()).boxed().toList().indexOf(nr);
                assertEquals(note.slotsVaddr() + 8L * index, slotOf.get(t),
                        "slot of site 0x" + Long.toHexString(o.site().address()) + " (nr " + nr + ")");
            }
        }
    }
}
