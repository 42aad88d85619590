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

    private Imports(Map<String, Uses> byName) {
        this.byName = byName;
    }

    Uses uses(String name) {
        return byName.getOrDefault(name, NONE);
    }

    static Imports of(Disassembly dis) {
        ElfFile elf = dis.elf();
        List<Symbol> dynsym = elf.dynamicSymbols();
        Map<Long, String> gotSlots = new HashMap<>();
        Map<String, List<long[]>> calls = new HashMap<>();
        Map<String, Long> taken = new HashMap<>();
        for (Relocation r : elf.dynamicRelocations()) {
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
                if (name == null) {
                    continue;
                }
                InsnKind k = c.kind(i);
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
        for (int ri = 0; ri < ranges.size(); ri++) {
            DecodedCode c = ranges.get(ri).code();
            for (int i = 0; i < c.count(); i++) {
                InsnKind k = c.kind(i);
                if (k == InsnKind.CALL || k == InsnKind.JMP) {
                    String name = stubs.get(c.branchTarget(i));
                    if (name != null && !ranges.get(ri).name().startsWith(".plt")) {
                        calls.computeIfAbsent(name, x -> new ArrayList<>()).add(new long[] {ri, i});
                    }
                }
            }
        }
        Map<String, Uses> byName = new HashMap<>();
        for (String name : gotSlots.values()) {
            byName.put(name, new Uses(List.copyOf(calls.getOrDefault(name, List.of())), taken.get(name)));
        }
        taken.forEach((name, at) -> byName.putIfAbsent(name, new Uses(List.of(), at)));
        return new Imports(byName);
    }
}
