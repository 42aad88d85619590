package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.portapp.elf.ElfFile;
import org.portapp.elf.Relocation;
import org.portapp.elf.Symbol;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;

/**
 * How an object uses the functions it reaches by name through its GOT: the calls it makes to
 * each (a direct call or jump to the function's PLT stub, or {@code call}/{@code jmp
 * [rip+GOT slot]}), and whether it also uses one's address as data (a GOT load, an absolute
 * data relocation naming it), which lets it be called through a pointer with any arguments.
 */
final class Imports {
    /** What the object does with one name: its calls ({range index, insn index}) and a first use as data. */
    record Uses(List<long[]> calls, Long addressTaken) {
    }

    private static final Uses NONE = new Uses(List.of(), null);
    private static final byte[] ENDBR64 = {(byte) 0xf3, 0x0f, 0x1e, (byte) 0xfa};

    private final Map<String, Uses> byName;
    private final Long unknownPltCall;

    private Imports(Map<String, Uses> byName, Long unknownPltCall) {
        this.byName = byName;
        this.unknownPltCall = unknownPltCall;
    }

    Uses uses(String name) {
        return byName.getOrDefault(name, NONE);
    }

    /**
     * The address of a direct call or jump into a PLT section that lands on no stub this
     * class recognises (null when there is none): it might call any name, so no name's calls
     * are known completely.
     */
    Long unknownPltCall() {
        return unknownPltCall;
    }

    static Imports of(Disassembly dis) {
        ElfFile elf = dis.elf();
        List<Symbol> dynsym = elf.dynamicSymbols();
        Map<Long, String> gotSlots = new HashMap<>();
        Map<String, List<long[]>> calls = new HashMap<>();
        Map<String, Long> taken = new HashMap<>();
        java.util.Set<Long> localSlots = new java.util.HashSet<>(); // ifunc'd local functions' GOT slots
        for (Relocation r : elf.dynamicRelocations()) {
            if (r.type() == Relocation.R_X86_64_IRELATIVE) {
                localSlots.add(r.r_offset());
            }
            if (r.symbol() <= 0 || r.symbol() >= dynsym.size()) {
                continue;
            }
            String name = dynsym.get(r.symbol()).name();
            switch (r.type()) {
                case Relocation.R_X86_64_GLOB_DAT, Relocation.R_X86_64_JUMP_SLOT -> gotSlots.put(r.r_offset(), name);
                // Any other relocation naming a symbol stores its address (or an offset from it) as data.
                default -> taken.putIfAbsent(name, r.r_offset());
            }
        }
        byte[] bytes = elf.bytes();
        Map<Long, String> stubs = new HashMap<>();
        List<CodeRange> ranges = dis.ranges();
        for (int ri = 0; ri < ranges.size(); ri++) {
            CodeRange r = ranges.get(ri);
            DecodedCode c = r.code();
            boolean plt = r.name().startsWith(".plt");
            for (int i = 0; i < c.count(); i++) {
                if (!c.ripRelative(i) || c.dispOffset(i) < 0) {
                    continue;
                }
                long o = r.fileOffset() + (c.address(i) - r.vaddr()) + c.dispOffset(i);
                long target = c.address(i) + c.length(i) + Disassembly.le32(bytes, o);
                String name = gotSlots.get(target);
                InsnKind k = c.kind(i);
                if (name == null && localSlots.contains(target) && k == InsnKind.JMP_INDIRECT && plt) {
                    name = ""; // a stub for a local ifunc'd function: calls no import
                }
                if (name == null) {
                    continue;
                }
                if (k == InsnKind.JMP_INDIRECT && plt) {
                    // A PLT stub: callers reach it by a direct call to its first byte
                    // (an endbr64 in front of the jump, in .plt.sec, belongs to it).
                    long a = c.address(i);
                    stubs.put(a, name);
                    if (i > 0 && c.address(i - 1) == a - 4 && c.length(i - 1) == 4
                            && java.util.Arrays.equals(elf.bytesAt(r.fileOffset() + (a - 4 - r.vaddr()), 4), ENDBR64)) {
                        stubs.put(a - 4, name);
                    }
                } else if (k == InsnKind.CALL_INDIRECT || k == InsnKind.JMP_INDIRECT) {
                    calls.computeIfAbsent(name, x -> new ArrayList<>()).add(new long[] {ri, i});
                } else {
                    taken.putIfAbsent(name, c.address(i));
                }
            }
        }
        Long unknown = null;
        for (int ri = 0; ri < ranges.size(); ri++) {
            DecodedCode c = ranges.get(ri).code();
            if (ranges.get(ri).name().startsWith(".plt")) {
                continue; // stubs jumping to PLT0
            }
            for (int i = 0; i < c.count(); i++) {
                InsnKind k = c.kind(i);
                if (k == InsnKind.CALL || k == InsnKind.JMP) {
                    long t = c.branchTarget(i);
                    String name = stubs.get(t);
                    if (name != null && !name.isEmpty()) {
                        calls.computeIfAbsent(name, x -> new ArrayList<>()).add(new long[] {ri, i});
                    } else if (name == null && unknown == null && inPlt(ranges, t)) {
                        unknown = c.address(i);
                    }
                }
            }
        }
        Map<String, Uses> byName = new HashMap<>();
        for (String name : gotSlots.values()) {
            byName.put(name, new Uses(List.copyOf(calls.getOrDefault(name, List.of())), taken.get(name)));
        }
        taken.forEach((name, at) -> byName.putIfAbsent(name, new Uses(List.of(), at)));
        return new Imports(byName, unknown);
    }

    private static boolean inPlt(List<CodeRange> ranges, long address) {
        for (CodeRange r : ranges) {
            if (r.name().startsWith(".plt") && r.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
