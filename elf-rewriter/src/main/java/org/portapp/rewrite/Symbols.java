package org.portapp.rewrite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.portapp.elf.Symbol;

/**
 * Names for code addresses (to say where a site is) and the functions an object exports
 * (which other objects may call with any arguments).
 */
final class Symbols {
    private static final int STB_GLOBAL = 1;
    private static final int STB_WEAK = 2;
    private static final int STV_HIDDEN = 2;
    private static final int STV_INTERNAL = 1;

    private final NavigableMap<Long, Symbol> byAddress;
    private final Map<Long, List<String>> exports;
    private final java.util.NavigableSet<Long> starts;

    private Symbols(NavigableMap<Long, Symbol> byAddress, Map<Long, List<String>> exports,
                    java.util.NavigableSet<Long> starts) {
        this.byAddress = byAddress;
        this.exports = exports;
        this.starts = starts;
    }

    static Symbols of(Disassembly dis) {
        NavigableMap<Long, Symbol> byAddress = new TreeMap<>();
        Map<Long, List<String>> exports = new HashMap<>();
        for (Symbol s : dis.elf().symbols()) {
            if (!s.isFunction() || s.name().isEmpty()) {
                continue;
            }
            // Prefer the public name (a .dynsym entry, or a name without leading underscores).
            Symbol old = byAddress.get(s.st_value());
            if (old == null || rank(s) < rank(old)) {
                byAddress.put(s.st_value(), s);
            }
            int bind = s.st_info() >>> 4;
            int vis = s.st_other() & 3;
            if (s.dynamic() && (bind == STB_GLOBAL || bind == STB_WEAK) && vis != STV_HIDDEN && vis != STV_INTERNAL) {
                List<String> names = exports.computeIfAbsent(s.st_value(), k -> new ArrayList<>());
                if (!names.contains(s.name())) {
                    names.add(s.name());
                }
            }
        }
        return new Symbols(byAddress, exports, dis.functionStarts());
    }

    private static int rank(Symbol s) {
        return (s.dynamic() ? 0 : 2) + (s.name().startsWith("_") ? 1 : 0);
    }

    /**
     * "name+0x12" or "name" when a function symbol covers the address; else "sub_4bb7f0+0x38"
     * after the function start (an .eh_frame FDE) it follows.
     */
    String describe(long address) {
        Map.Entry<Long, Symbol> e = byAddress.floorEntry(address);
        Long start = starts.floor(address);
        if (e == null || (e.getValue().st_size() > 0 && address >= e.getKey() + e.getValue().st_size())
                || (e.getValue().st_size() == 0 && address != e.getKey())
                || (start != null && start > e.getKey())) {
            if (start == null) {
                return "0x" + Long.toHexString(address);
            }
            return "sub_" + Long.toHexString(start) + (address == start ? "" : "+0x" + Long.toHexString(address - start));
        }
        long off = address - e.getKey();
        return e.getValue().name() + (off == 0 ? "" : "+0x" + Long.toHexString(off));
    }

    /** The names under which the function at {@code start} is exported (empty if it is not). */
    List<String> exportsAt(long start) {
        return exports.getOrDefault(start, List.of());
    }
}
