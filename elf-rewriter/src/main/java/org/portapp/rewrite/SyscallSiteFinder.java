package org.portapp.rewrite;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;
import org.portapp.x86.Reg;
import org.portapp.x86.ValueOp;

/**
 * Finds every {@code syscall} instruction and what its number can be.
 *
 * <p>Within a function (the span between consecutive known function starts) a forward
 * data-flow analysis tracks, for each of the 16 general registers, either a small set of
 * constants, or "the value this register had when the function was entered", or nothing.
 * A block reachable from outside the function, or only through an indirect jump, starts
 * with every register unknown, so what is proven is sound.
 *
 * <p>A site whose number is the entry value of an argument register (libc's
 * {@code syscall()}, musl's cancellation path, small wrappers) is then resolved across
 * calls: the values that register holds at every direct call of the function, followed
 * up to {@link #MAX_DEPTH} callers deep. This is only done for functions whose address is
 * never taken (no {@code lea}/immediate/data word/relocation names them), because an
 * indirect caller could pass anything.
 */
public final class SyscallSiteFinder {
    /** Registers a SysV call may change (the callee's result and scratch registers). */
    private static final int CALL_CLOBBERED = bit(Reg.RAX) | bit(Reg.RCX) | bit(Reg.RDX) | bit(Reg.RSI)
            | bit(Reg.RDI) | bit(Reg.R8) | bit(Reg.R9) | bit(Reg.R10) | bit(Reg.R11);
    private static final int SYSCALL_CLOBBERED = bit(Reg.RAX) | bit(Reg.RCX) | bit(Reg.R11);
    /** Highest value accepted as a syscall number (the kernel rejects larger ones anyway). */
    private static final long MAX_NR = 4095;
    /** Most constants a register may hold before it counts as unknown. */
    private static final int MAX_SET = 8;
    /** How many callers deep an argument register is followed. */
    private static final int MAX_DEPTH = 4;
    /** Most distinct numbers one site may resolve to across its callers. */
    private static final int MAX_NUMBERS = 64;

    private final Disassembly dis;
    private Set<Long> addressTaken;
    private Symbols symbols;
    private final Map<Long, Boolean> noReturn = new HashMap<>();
    /** How many calls deep a function that never returns may end by calling another such function. */
    private static final int NORETURN_DEPTH = 4;
    private Imports imports;
    private Map<Long, List<long[]>> callersOf; // function start -> {range index, insn index}
    private final Map<List<Long>, Function> functions = new HashMap<>();

    public SyscallSiteFinder(Disassembly dis) {
        this.dis = dis;
    }

    private static int bit(Reg r) {
        return 1 << r.ordinal();
    }

    public List<SyscallSite> find() {
        List<SyscallSite> sites = new ArrayList<>();
        List<CodeRange> ranges = dis.ranges();
        for (int ri = 0; ri < ranges.size(); ri++) {
            CodeRange range = ranges.get(ri);
            DecodedCode c = range.code();
            for (int i = 0; i < c.count(); i++) {
                if (c.kind(i) != InsnKind.SYSCALL) {
                    continue;
                }
                Function f = functionAt(ri, i);
                Value rax = f.valueBefore(i - f.first, Reg.RAX.ordinal());
                NumberBound b = boundOf(f, rax, Reg.RAX.ordinal(), c.address(i), MAX_DEPTH, new HashSet<>());
                sites.add(SyscallSite.of(c.address(i), range, i, symbols().describe(c.address(i)), b));
            }
        }
        return sites;
    }

    /**
     * What {@code v}, the value of register {@code reg} at {@code where} in {@code f}, can be
     * as a syscall number: its constants, or (for an entry value) the values the register
     * holds at every call of {@code f}, followed {@code depth} callers deep.
     */
    private NumberBound boundOf(Function f, Value v, int reg, long where, int depth, Set<Long> visiting) {
        if (v.constants != null) {
            Set<Integer> out = new TreeSet<>();
            for (long k : v.constants) {
                if (k < 0 || k > MAX_NR) {
                    return NumberBound.unbounded(String.format("%s holds %d in %s, not a syscall number",
                            regName(reg), k, symbols().describe(where)));
                }
                out.add((int) k);
            }
            return NumberBound.of(out);
        }
        String fn = symbols().describe(f.start);
        if (v.entryReg < 0) {
            return NumberBound.unbounded(String.format("%s is computed or loaded from memory in %s", regName(reg),
                    symbols().describe(where)));
        }
        String arg = regName(v.entryReg) + " of " + fn;
        if (!dis.functionStarts().contains(f.start)) {
            return NumberBound.unbounded("the number is " + arg + ", which is not a known function start");
        }
        if (depth == 0) {
            return NumberBound.unbounded("the number is " + arg + ", passed more than " + MAX_DEPTH
                    + " calls deep");
        }
        if (!visiting.add(f.start)) {
            return NumberBound.unbounded("the number is " + arg + ", passed around a recursive call");
        }
        try {
            if (addressTaken().contains(f.start)) {
                return NumberBound.unbounded("the number is " + arg + ", whose address is taken"
                        + " (it may be called through a pointer)");
            }
            NumberBound out = NumberBound.of(Set.of());
            for (String name : symbols().exportsAt(f.start)) {
                out = out.union(NumberBound.export(new ExportedArg(name, Reg.values()[v.entryReg])));
            }
            List<long[]> callers = callersOf().get(f.start);
            if ((callers == null || callers.isEmpty()) && out.exports().isEmpty()) {
                return NumberBound.unbounded("the number is " + arg + ", which has no direct caller");
            }
            for (long[] call : callers == null ? List.<long[]>of() : callers) {
                out = out.union(argumentAt((int) call[0], (int) call[1], v.entryReg, depth - 1, visiting));
                if (out.unbounded()) {
                    return out;
                }
                if (out.numbers().size() > MAX_NUMBERS) {
                    return NumberBound.unbounded("the number is " + arg + ", which its callers give more than "
                            + MAX_NUMBERS + " values");
                }
            }
            return out;
        } finally {
            visiting.remove(f.start);
        }
    }

    /** The bound of register {@code reg} just before instruction {@code index} of range {@code rangeIndex}. */
    private NumberBound argumentAt(int rangeIndex, int index, int reg, int depth, Set<Long> visiting) {
        Function g = functionAt(rangeIndex, index);
        Value at = g.valueBefore(index - g.first, reg);
        return boundOf(g, at, reg, dis.ranges().get(rangeIndex).code().address(index), depth, visiting);
    }

    /**
     * The syscall numbers register {@code reg} may hold at every call this object makes to
     * the imported function {@code name} (through its PLT stub or GOT slot), followed
     * {@link #MAX_DEPTH} callers deep; unbounded when the object also uses the function's
     * address as data. Empty when the object never calls it.
     */
    public NumberBound argumentAtImportCalls(String name, Reg reg) {
        Imports.Uses uses = imports().uses(name);
        if (imports().unknownPltCall() != null) {
            return NumberBound.unbounded("the call into the PLT at " + symbols().describe(imports().unknownPltCall())
                    + " lands on no stub this analysis recognises (it may call " + name + "())");
        }
        if (uses.addressTaken() != null) {
            return NumberBound.unbounded("the address of " + name + "() is taken at "
                    + symbols().describe(uses.addressTaken()) + " (it may be called through a pointer)");
        }
        NumberBound out = NumberBound.of(Set.of());
        for (long[] call : uses.calls()) {
            out = out.union(argumentAt((int) call[0], (int) call[1], reg.ordinal(), MAX_DEPTH, new HashSet<>()));
            if (out.unbounded()) {
                return out;
            }
        }
        return out;
    }

    /**
     * Whether the function starting at {@code start} never returns to its caller: its span (up
     * to the next known start) has no {@code ret}, no indirect jump, no branch leaving it, and
     * cannot fall off its end (the last instruction that is not padding is a trap, a jump
     * within it, or a call to a function that never returns either). Exceptions and
     * {@code longjmp} leave through landing pads and setjmp sites, never through the call's
     * next instruction.
     */
    private boolean noReturn(long start, int depth) {
        Boolean known = noReturn.get(start);
        if (known != null) {
            return known;
        }
        if (depth == 0 || !dis.functionStarts().contains(start)) {
            return false;
        }
        noReturn.put(start, false); // a recursive call returns, as far as we know
        boolean result = false;
        java.util.Optional<CodeRange> r = dis.rangeOf(start);
        if (r.isPresent()) {
            DecodedCode c = r.get().code();
            int first = c.indexAt(start);
            Long next = dis.functionStarts().higher(start);
            long end = next == null || next > r.get().end() ? r.get().end() : next;
            if (first >= 0) {
                result = true;
                int lastReal = -1;
                byte[] bytes = dis.elf().bytes();
                for (int i = first; i < c.count() && c.address(i) < end && result; i++) {
                    InsnKind k = c.kind(i);
                    if (k == InsnKind.RET || k == InsnKind.JMP_INDIRECT || k == InsnKind.INVALID) {
                        result = false;
                    } else if ((k == InsnKind.JMP || k == InsnKind.JCC)
                            && (c.branchTarget(i) < start || c.branchTarget(i) >= end)) {
                        result = false;
                    }
                    if (!isPadding(bytes, c, i)) {
                        lastReal = i;
                    }
                }
                if (result) {
                    InsnKind k = lastReal < 0 ? InsnKind.OTHER : c.kind(lastReal);
                    result = k == InsnKind.TRAP || k == InsnKind.JMP
                            || (k == InsnKind.CALL && noReturn(c.branchTarget(lastReal), depth - 1));
                }
            }
        }
        noReturn.put(start, result);
        return result;
    }

    /** Whether this object reaches {@code name} through its GOT at all (calls it or takes its address). */
    public boolean imports(String name) {
        Imports.Uses u = imports().uses(name);
        return !u.calls().isEmpty() || u.addressTaken() != null;
    }

    private Symbols symbols() {
        if (symbols == null) {
            symbols = Symbols.of(dis);
        }
        return symbols;
    }

    private Imports imports() {
        if (imports == null) {
            imports = Imports.of(dis);
        }
        return imports;
    }

    private static String regName(int reg) {
        return Reg.values()[reg].name().toLowerCase();
    }

    private Function functionAt(int rangeIndex, int index) {
        CodeRange range = dis.ranges().get(rangeIndex);
        DecodedCode c = range.code();
        long addr = c.address(index);
        Long fs = dis.functionStarts().floor(addr);
        long start = fs == null || fs < range.vaddr() ? range.vaddr() : fs;
        Long fe = dis.functionStarts().higher(addr);
        long end = fe == null || fe > range.end() ? range.end() : fe;
        int first = firstIndexAtOrAfter(c, start);
        int last = firstIndexAtOrAfter(c, end);
        return functions.computeIfAbsent(List.of((long) rangeIndex, (long) first),
                k -> new Function(range, first, last));
    }

    /** Direct calls and jumps by target, computed on first use. */
    private Map<Long, List<long[]>> callersOf() {
        if (callersOf == null) {
            callersOf = new HashMap<>();
            List<CodeRange> ranges = dis.ranges();
            for (int ri = 0; ri < ranges.size(); ri++) {
                DecodedCode c = ranges.get(ri).code();
                for (int i = 0; i < c.count(); i++) {
                    InsnKind k = c.kind(i);
                    if (k == InsnKind.CALL || k == InsnKind.JMP) {
                        long t = c.branchTarget(i);
                        if (dis.functionStarts().contains(t)) {
                            callersOf.computeIfAbsent(t, x -> new ArrayList<>()).add(new long[] {ri, i});
                        }
                    }
                }
            }
        }
        return callersOf;
    }

    /**
     * Function starts whose address is used as data: an immediate or RIP-relative operand in
     * code, an 8-byte word in a loaded data section, or a relocation addend.
     */
    private Set<Long> addressTaken() {
        if (addressTaken == null) {
            addressTaken = new HashSet<>();
            Set<Long> starts = dis.functionStarts();
            byte[] bytes = dis.elf().bytes();
            for (CodeRange r : dis.ranges()) {
                DecodedCode c = r.code();
                for (int i = 0; i < c.count(); i++) {
                    if (c.valueOp(i) == ValueOp.MOV_IMM && starts.contains(c.valueImm(i))) {
                        addressTaken.add(c.valueImm(i));
                    }
                    if (c.ripRelative(i) && c.dispOffset(i) >= 0 && c.kind(i) != InsnKind.CALL
                            && c.kind(i) != InsnKind.JMP) {
                        long o = r.fileOffset() + (c.address(i) - r.vaddr()) + c.dispOffset(i);
                        long target = c.address(i) + c.length(i) + le(bytes, o, 4, true);
                        if (starts.contains(target)) {
                            addressTaken.add(target);
                        }
                    }
                    if (c.kind(i) == InsnKind.OTHER && !c.ripRelative(i) && c.dispOffset(i) >= 0) {
                        long o = r.fileOffset() + (c.address(i) - r.vaddr()) + c.dispOffset(i);
                        long abs = le(bytes, o, 4, true);
                        if (starts.contains(abs)) {
                            addressTaken.add(abs);
                        }
                    }
                }
            }
            for (org.portapp.elf.SectionHeader s : dis.elf().sections()) {
                // .dynsym lists exported functions by address: exporting one is not taking its
                // address (other objects' calls through the PLT are followed by ClosureFootprint).
                boolean data = (s.sh_flags() & org.portapp.elf.SectionHeader.SHF_ALLOC) != 0 && !s.isExecutable()
                        && s.hasFileBytes() && s.sh_type() != org.portapp.elf.SectionHeader.SHT_DYNSYM;
                boolean rela = s.sh_type() == org.portapp.elf.SectionHeader.SHT_RELA && s.sh_entsize() == 24;
                if (!data && !rela) {
                    continue;
                }
                long end = s.sh_offset() + s.sh_size();
                for (long o = s.sh_offset(); o + 8 <= end && o + 8 <= bytes.length; o += rela ? 24 : 8) {
                    long v = rela ? le(bytes, o + 16, 8, false) : le(bytes, o, 8, false);
                    if (starts.contains(v)) {
                        addressTaken.add(v);
                    }
                }
            }
        }
        return addressTaken;
    }

    private static long le(byte[] b, long o, int n, boolean signed) {
        if (o < 0 || o + n > b.length) {
            return 0;
        }
        long v = 0;
        for (int k = n - 1; k >= 0; k--) {
            v = v << 8 | (b[(int) o + k] & 0xff);
        }
        return signed && n == 4 ? (int) v : v;
    }

    /**
     * Whether instruction {@code i} is alignment filler: {@code int3}, {@code nop} or a
     * multi-byte {@code nop} ({@code 0f 1f /0}), with any operand-size or segment prefixes.
     */
    private boolean isPadding(byte[] bytes, DecodedCode c, int i) {
        CodeRange r = rangeContaining(c);
        int o = (int) (r.fileOffset() + (c.address(i) - r.vaddr()));
        int end = o + c.length(i);
        while (o < end && (bytes[o] == 0x66 || bytes[o] == 0x2e)) {
            o++;
        }
        if (o >= end) {
            return false;
        }
        int b0 = bytes[o] & 0xff;
        if (b0 == 0xcc || b0 == 0x90) {
            return o + 1 == end;
        }
        return b0 == 0x0f && o + 1 < end && (bytes[o + 1] & 0xff) == 0x1f;
    }

    private CodeRange rangeContaining(DecodedCode c) {
        for (CodeRange r : dis.ranges()) {
            if (r.code() == c) {
                return r;
            }
        }
        throw new IllegalStateException("decoded code of no range");
    }

    private static int firstIndexAtOrAfter(DecodedCode c, long address) {
        int lo = 0;
        int hi = c.count();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c.address(mid) < address) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** A register's abstract value: a set of constants, its value at function entry, or unknown. */
    private static final class Value {
        static final Value UNKNOWN = new Value(null, -1);
        final long[] constants; // sorted, non-null for a constant set
        final int entryReg;     // >= 0: the value register entryReg had at function entry

        private Value(long[] constants, int entryReg) {
            this.constants = constants;
            this.entryReg = entryReg;
        }

        static Value constant(long k) {
            return new Value(new long[] {k}, -1);
        }

        static Value entry(int reg) {
            return new Value(null, reg);
        }

        boolean known() {
            return constants != null || entryReg >= 0;
        }

        Value meet(Value o) {
            if (this == o) {
                return this;
            }
            if (constants != null && o.constants != null) {
                TreeSet<Long> u = new TreeSet<>();
                for (long k : constants) {
                    u.add(k);
                }
                for (long k : o.constants) {
                    u.add(k);
                }
                if (u.size() > MAX_SET) {
                    return UNKNOWN;
                }
                return u.size() == constants.length ? this
                        : new Value(u.stream().mapToLong(Long::longValue).toArray(), -1);
            }
            if (entryReg >= 0 && entryReg == o.entryReg) {
                return this;
            }
            return UNKNOWN;
        }

        boolean sameAs(Value o) {
            return entryReg == o.entryReg && Arrays.equals(constants, o.constants);
        }
    }

    /** All 16 registers. */
    private static final class State {
        final Value[] r = new Value[16];

        static State unknown() {
            State s = new State();
            Arrays.fill(s.r, Value.UNKNOWN);
            return s;
        }

        static State atEntry() {
            State s = new State();
            for (int i = 0; i < 16; i++) {
                s.r[i] = i == Reg.RSP.ordinal() ? Value.UNKNOWN : Value.entry(i);
            }
            return s;
        }

        State copy() {
            State s = new State();
            System.arraycopy(r, 0, s.r, 0, 16);
            return s;
        }

        boolean meet(State o) {
            boolean changed = false;
            for (int i = 0; i < 16; i++) {
                Value m = r[i].meet(o.r[i]);
                if (!m.sameAs(r[i])) {
                    r[i] = m;
                    changed = true;
                }
            }
            return changed;
        }

        void clobber(int mask) {
            for (int i = 0; i < 16; i++) {
                if ((mask & (1 << i)) != 0) {
                    r[i] = Value.UNKNOWN;
                }
            }
        }
    }

    /** The instructions [first, last) of one function, its CFG and block entry states. */
    private final class Function {
        private final DecodedCode c;
        final long start;
        private final long end;
        final int first;
        private final int n;
        private boolean[] leader;
        private State[] in;

        Function(CodeRange range, int first, int last) {
            this.c = range.code();
            this.first = first;
            this.n = Math.max(0, last - first);
            this.start = n > 0 ? c.address(first) : 0;
            this.end = n > 0 ? c.address(last - 1) + c.length(last - 1) : 0;
        }

        private int localIndexOf(long target) {
            if (target < start || target >= end) {
                return -1;
            }
            int idx = c.indexAt(target);
            return idx < first || idx >= first + n ? -1 : idx - first;
        }

        private boolean endsBlock(InsnKind k) {
            return k == InsnKind.JMP || k == InsnKind.JCC || k == InsnKind.RET || k == InsnKind.JMP_INDIRECT
                    || k == InsnKind.TRAP || k == InsnKind.INVALID;
        }

        /** Whether local instruction {@code j} ends its block: a jump, return, trap, or call that never returns. */
        private boolean endsBlockAt(int j) {
            InsnKind k = c.kind(first + j);
            return endsBlock(k) || (k == InsnKind.CALL && noReturn(c.branchTarget(first + j), NORETURN_DEPTH));
        }

        /** The abstract value of {@code reg} just before local instruction {@code j}. */
        Value valueBefore(int j, int reg) {
            if (n == 0 || j < 0 || j >= n) {
                return Value.UNKNOWN;
            }
            solve();
            int b = j;
            while (!leader[b]) {
                b--;
            }
            State s = in[b].copy();
            for (int k = b; k < j; k++) {
                transfer(first + k, s);
            }
            return s.r[reg];
        }

        private void solve() {
            if (in != null) {
                return;
            }
            leader = new boolean[n];
            boolean[] internallyTargeted = new boolean[n];
            leader[0] = true;
            for (int j = 0; j < n; j++) {
                InsnKind k = c.kind(first + j);
                if (k == InsnKind.JMP || k == InsnKind.JCC) {
                    int t = localIndexOf(c.branchTarget(first + j));
                    if (t >= 0) {
                        leader[t] = true;
                        internallyTargeted[t] = true;
                    }
                }
                if (endsBlockAt(j) && j + 1 < n) {
                    leader[j + 1] = true;
                }
            }
            State[] st = new State[n];
            Deque<Integer> work = new ArrayDeque<>();
            boolean isFunctionStart = dis.functionStarts().contains(start);
            for (int j = 0; j < n; j++) {
                long a = c.address(first + j);
                boolean external = j == 0 || dis.functionStarts().contains(a)
                        || (dis.isBranchTarget(a) && !internallyTargeted[j]);
                if (leader[j] && external) {
                    // Only the function's own first instruction knows its entry values.
                    st[j] = j == 0 && isFunctionStart ? State.atEntry() : State.unknown();
                    work.add(j);
                }
            }
            for (;;) {
                while (!work.isEmpty()) {
                    int b = work.poll();
                    State s = st[b].copy();
                    int j = b;
                    for (;; j++) {
                        transfer(first + j, s);
                        if (endsBlockAt(j) || j + 1 >= n || leader[j + 1]) {
                            break;
                        }
                    }
                    for (int succ : successors(j)) {
                        if (st[succ] == null) {
                            st[succ] = s.copy();
                            work.add(succ);
                        } else if (st[succ].meet(s)) {
                            work.add(succ);
                        }
                    }
                }
                // Blocks reached only through indirect jumps: nothing is known at their start.
                // Alignment padding after an unconditional jump or return is reached by nothing
                // (no branch names it, and compilers point no function pointer or jump table at
                // it), so it brings no state into the block that follows it.
                boolean added = false;
                for (int j = 0; j < n; j++) {
                    if (leader[j] && st[j] == null && !paddingBlock(j)) {
                        st[j] = State.unknown();
                        work.add(j);
                        added = true;
                    }
                }
                if (!added) {
                    break;
                }
            }
            in = st;
        }

        /**
         * {@code mov r8, imm8} ({@code B0+r ib}, optionally with a REX prefix) into the low byte
         * of a register holding known constants: musl's {@code xor eax,eax; mov al,56}. Only
         * the low byte changes. Unknown for anything else (ah..bh, which the REX-less encodings
         * 4-7 name, included).
         */
        private Value lowByteMove(int i, State s, int dst) {
            if (dst < 0 || dst >= 16 || s.r[dst].constants == null) {
                return Value.UNKNOWN;
            }
            CodeRange r = rangeContaining(c);
            byte[] bytes = dis.elf().bytes();
            int o = (int) (r.fileOffset() + (c.address(i) - r.vaddr()));
            int len = c.length(i);
            boolean rex = len == 3 && (bytes[o] & 0xf0) == 0x40;
            int op = bytes[o + (rex ? 1 : 0)] & 0xff;
            if (!(len == 2 || rex) || op < 0xb0 || op > 0xb7) {
                return Value.UNKNOWN;
            }
            int reg = (op & 7) | (rex && (bytes[o] & 1) != 0 ? 8 : 0);
            if (reg != dst || (!rex && reg >= 4)) {
                return Value.UNKNOWN;
            }
            long imm = bytes[o + len - 1] & 0xffL;
            long[] out = Arrays.stream(s.r[dst].constants).map(k -> (k & ~0xffL) | imm).distinct().sorted().toArray();
            return new Value(out, -1);
        }

        /** Whether the block starting at local index {@code j} is only nops or int3 filling a gap. */
        private boolean paddingBlock(int j) {
            byte[] bytes = dis.elf().bytes();
            for (int k = j; k < n && (k == j || !leader[k]); k++) {
                if (!isPadding(bytes, c, first + k)) {
                    return false;
                }
            }
            return true;
        }

        private int[] successors(int j) {
            InsnKind k = c.kind(first + j);
            int fall = j + 1 < n ? j + 1 : -1;
            switch (k) {
                case JMP: {
                    int t = localIndexOf(c.branchTarget(first + j));
                    return t >= 0 ? new int[] {t} : new int[0];
                }
                case JCC: {
                    int t = localIndexOf(c.branchTarget(first + j));
                    if (t >= 0 && fall >= 0) {
                        return new int[] {t, fall};
                    }
                    return t >= 0 ? new int[] {t} : fall >= 0 ? new int[] {fall} : new int[0];
                }
                case RET, JMP_INDIRECT, TRAP, INVALID:
                    return new int[0];
                case CALL:
                    return fall >= 0 && !endsBlockAt(j) ? new int[] {fall} : new int[0];
                default:
                    return fall >= 0 ? new int[] {fall} : new int[0];
            }
        }

        private void transfer(int i, State s) {
            InsnKind k = c.kind(i);
            if (k == InsnKind.SYSCALL) {
                s.clobber(SYSCALL_CLOBBERED);
                return;
            }
            if (k == InsnKind.CALL || k == InsnKind.CALL_INDIRECT) {
                s.clobber(CALL_CLOBBERED);
                return;
            }
            ValueOp op = c.valueOp(i);
            int dst = c.valueDst(i);
            Value v = Value.UNKNOWN;
            switch (op) {
                case MOV_IMM -> v = Value.constant(c.valueImm(i));
                case ZERO -> v = Value.constant(0);
                case MOV_REG -> {
                    int src = c.valueSrc(i);
                    if (src >= 0 && src < 16) {
                        Value sv = s.r[src];
                        // The copy may be 32-bit (zero-extending): constants are kept only when
                        // they read the same either way; an entry value is kept because only
                        // small syscall numbers are ever derived from it.
                        boolean fits = sv.constants == null
                                || Arrays.stream(sv.constants).allMatch(x -> (x >>> 32) == 0);
                        v = fits ? sv : Value.UNKNOWN;
                    }
                }
                case UNKNOWN_WRITE -> v = lowByteMove(i, s, dst);
                default -> { }
            }
            s.clobber(c.regsWritten(i));
            if (dst >= 0 && dst < 16) {
                s.r[dst] = v.known() ? v : Value.UNKNOWN;
            }
        }
    }
}
