package org.portapp.rewrite;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.portapp.x86.DecodedCode;
import org.portapp.x86.InsnKind;
import org.portapp.x86.Reg;
import org.portapp.x86.ValueOp;

/**
 * Finds every {@code syscall} instruction and proves its number where it can: a forward
 * constant propagation of all 16 general registers over the control-flow graph of the
 * function that contains the site (function = the span between consecutive known
 * function starts). A block reachable from outside the function, or only through an
 * indirect jump, starts with every register unknown, so a proven number is sound.
 */
public final class SyscallSiteFinder {
    /** Registers a SysV call may change (the callee's result and scratch registers). */
    private static final int CALL_CLOBBERED = bit(Reg.RAX) | bit(Reg.RCX) | bit(Reg.RDX) | bit(Reg.RSI)
            | bit(Reg.RDI) | bit(Reg.R8) | bit(Reg.R9) | bit(Reg.R10) | bit(Reg.R11);
    private static final int SYSCALL_CLOBBERED = bit(Reg.RAX) | bit(Reg.RCX) | bit(Reg.R11);
    /** Highest value accepted as a syscall number (the kernel rejects larger ones anyway). */
    private static final long MAX_NR = 4095;

    private final Disassembly dis;

    public SyscallSiteFinder(Disassembly dis) {
        this.dis = dis;
    }

    private static int bit(Reg r) {
        return 1 << r.ordinal();
    }

    public List<SyscallSite> find() {
        List<SyscallSite> sites = new ArrayList<>();
        for (CodeRange range : dis.ranges()) {
            DecodedCode c = range.code();
            int i = 0;
            while (i < c.count()) {
                if (c.kind(i) != InsnKind.SYSCALL) {
                    i++;
                    continue;
                }
                long addr = c.address(i);
                Long fs = dis.functionStarts().floor(addr);
                long start = fs == null || fs < range.vaddr() ? range.vaddr() : fs;
                Long fe = dis.functionStarts().higher(addr);
                long end = fe == null || fe > range.end() ? range.end() : fe;
                int first = firstIndexAtOrAfter(c, start);
                int last = firstIndexAtOrAfter(c, end);
                int[] nrs = new Function(range, first, last).propagate();
                for (int j = first; j < last; j++) {
                    if (c.kind(j) == InsnKind.SYSCALL) {
                        sites.add(new SyscallSite(c.address(j), range, j, nrs[j - first]));
                    }
                }
                i = Math.max(last, i + 1);
            }
        }
        return sites;
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

    /** Register constants: {@code known} has a bit per register whose value is in {@code v}. */
    private static final class State {
        final long[] v = new long[16];
        int known;

        State copy() {
            State s = new State();
            System.arraycopy(v, 0, s.v, 0, 16);
            s.known = known;
            return s;
        }

        /** Meets {@code o} into this; returns true if this changed. */
        boolean meet(State o) {
            int k = known & o.known;
            for (int r = 0; r < 16; r++) {
                if ((k & (1 << r)) != 0 && v[r] != o.v[r]) {
                    k &= ~(1 << r);
                }
            }
            boolean changed = k != known;
            known = k;
            return changed;
        }
    }

    /** The instructions [first, last) of one function and their control-flow graph. */
    private final class Function {
        private final DecodedCode c;
        private final long start;
        private final long end;
        private final int first;
        private final int n;

        Function(CodeRange range, int first, int last) {
            this.c = range.code();
            this.first = first;
            this.n = last - first;
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

        int[] propagate() {
            int[] nrs = new int[n];
            Arrays.fill(nrs, SyscallSite.UNKNOWN);
            if (n == 0) {
                return nrs;
            }
            boolean[] leader = new boolean[n];
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
                if (endsBlock(k) && j + 1 < n) {
                    leader[j + 1] = true;
                }
            }
            State[] in = new State[n];
            Deque<Integer> work = new ArrayDeque<>();
            for (int j = 0; j < n; j++) {
                long a = c.address(first + j);
                boolean external = j == 0 || dis.functionStarts().contains(a)
                        || (dis.isBranchTarget(a) && !internallyTargeted[j]);
                if (leader[j] && external) {
                    in[j] = new State();
                    work.add(j);
                }
            }
            for (;;) {
                while (!work.isEmpty()) {
                    int b = work.poll();
                    State s = in[b].copy();
                    int j = b;
                    for (;; j++) {
                        transfer(first + j, s, null, 0);
                        if (endsBlock(c.kind(first + j)) || j + 1 >= n || leader[j + 1]) {
                            break;
                        }
                    }
                    for (int succ : successors(j)) {
                        if (in[succ] == null) {
                            in[succ] = s.copy();
                            work.add(succ);
                        } else if (in[succ].meet(s)) {
                            work.add(succ);
                        }
                    }
                }
                // Blocks reached only through indirect jumps: nothing is known at their start.
                boolean added = false;
                for (int j = 0; j < n; j++) {
                    if (leader[j] && in[j] == null) {
                        in[j] = new State();
                        work.add(j);
                        added = true;
                    }
                }
                if (!added) {
                    break;
                }
            }
            for (int b = 0; b < n; b++) {
                if (!leader[b]) {
                    continue;
                }
                State s = in[b].copy();
                for (int j = b;; j++) {
                    transfer(first + j, s, nrs, j);
                    if (endsBlock(c.kind(first + j)) || j + 1 >= n || leader[j + 1]) {
                        break;
                    }
                }
            }
            return nrs;
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
                default:
                    return fall >= 0 ? new int[] {fall} : new int[0];
            }
        }

        private void transfer(int i, State s, int[] nrs, int local) {
            InsnKind k = c.kind(i);
            if (k == InsnKind.SYSCALL) {
                if (nrs != null && (s.known & 1) != 0 && s.v[0] >= 0 && s.v[0] <= MAX_NR) {
                    nrs[local] = (int) s.v[0];
                }
                s.known &= ~SYSCALL_CLOBBERED;
                return;
            }
            if (k == InsnKind.CALL || k == InsnKind.CALL_INDIRECT) {
                s.known &= ~CALL_CLOBBERED;
                return;
            }
            ValueOp op = c.valueOp(i);
            int dst = c.valueDst(i);
            boolean haveValue = false;
            long value = 0;
            switch (op) {
                case MOV_IMM -> {
                    haveValue = true;
                    value = c.valueImm(i);
                }
                case ZERO -> haveValue = true;
                case MOV_REG -> {
                    int src = c.valueSrc(i);
                    // The copy may be 32-bit (zero-extending); only values that read the same either way are kept.
                    if (src >= 0 && (s.known & (1 << src)) != 0 && (s.v[src] >>> 32) == 0) {
                        haveValue = true;
                        value = s.v[src];
                    }
                }
                default -> { }
            }
            s.known &= ~c.regsWritten(i);
            if (dst >= 0 && dst < 16) {
                if (haveValue) {
                    s.v[dst] = value;
                    s.known |= 1 << dst;
                } else {
                    s.known &= ~(1 << dst);
                }
            }
        }
    }
}
