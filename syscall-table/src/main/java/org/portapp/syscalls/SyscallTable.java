package org.portapp.syscalls;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Linux x86_64 syscall table (plus port-app's extension numbers), read from
 * the data file {@code syscalls.tsv} next to this class. Immutable.
 */
public final class SyscallTable {
    /** Classpath location of the data file. */
    public static final String RESOURCE = "/org/portapp/syscalls/syscalls.tsv";

    static final int MAX_ARGS = 6;
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern DECL = Pattern.compile("(.*?)\\s*([A-Za-z_][A-Za-z0-9_]*)");

    private final List<Syscall> all;
    private final Map<Integer, Syscall> byNumber;
    private final Map<String, Syscall> byName;

    private SyscallTable(List<Syscall> all) {
        this.all = List.copyOf(all);
        Map<Integer, Syscall> nrs = new HashMap<>();
        Map<String, Syscall> names = new HashMap<>();
        for (Syscall s : this.all) {
            nrs.put(s.nr(), s);
            names.put(s.name(), s);
        }
        this.byNumber = Map.copyOf(nrs);
        this.byName = Map.copyOf(names);
    }

    /** Loads the table shipped with this library. */
    public static SyscallTable load() {
        InputStream in = SyscallTable.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new SyscallTableException("syscall table resource " + RESOURCE + " is missing from the classpath");
        }
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return parse(r, "syscalls.tsv");
        } catch (IOException e) {
            throw new SyscallTableException("cannot read syscall table " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses a table in the {@code syscalls.tsv} format.
     *
     * @param source name used in error messages
     */
    public static SyscallTable parse(Reader reader, String source) {
        TreeMap<Integer, Syscall> rows = new TreeMap<>();
        Map<String, Integer> names = new HashMap<>();
        BufferedReader br = new BufferedReader(reader);
        int lineNo = 0;
        try {
            for (String line; (line = br.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank() || line.stripLeading().startsWith("#")) {
                    continue;
                }
                String where = source + ":" + lineNo + ": ";
                String[] cols = line.split("\t", -1);
                if (cols.length < 3) {
                    throw new SyscallTableException(where + "expected 'nr<TAB>name<TAB>argc[<TAB>arg...]', got '" + line + "'");
                }
                int nr = parseInt(cols[0].strip(), where, "syscall number");
                if (nr < 0) {
                    throw new SyscallTableException(where + "negative syscall number " + nr);
                }
                String name = cols[1].strip();
                if (!IDENT.matcher(name).matches()) {
                    throw new SyscallTableException(where + "'" + name + "' is not a valid syscall name");
                }
                int argc = parseInt(cols[2].strip(), where, "argument count");
                if (argc < 0 || argc > MAX_ARGS) {
                    throw new SyscallTableException(where + name + ": argument count " + argc + " is outside 0.." + MAX_ARGS);
                }
                if (cols.length - 3 != argc) {
                    throw new SyscallTableException(where + name + ": argument count says " + argc
                            + " but the line has " + (cols.length - 3) + " argument column(s)");
                }
                List<Argument> args = new ArrayList<>(argc);
                for (int i = 3; i < cols.length; i++) {
                    args.add(parseArgument(cols[i], where + name + ": argument " + (i - 2) + ": "));
                }
                if (rows.containsKey(nr)) {
                    throw new SyscallTableException(where + "number " + nr + " is already used by " + rows.get(nr).name());
                }
                Integer other = names.putIfAbsent(name, nr);
                if (other != null) {
                    throw new SyscallTableException(where + "name " + name + " is already used by number " + other);
                }
                rows.put(nr, new Syscall(nr, name, args));
            }
        } catch (IOException e) {
            throw new SyscallTableException("cannot read " + source + ": " + e.getMessage(), e);
        }
        if (rows.isEmpty()) {
            throw new SyscallTableException(source + ": the syscall table is empty");
        }
        return new SyscallTable(new ArrayList<>(rows.values()));
    }

    private static Argument parseArgument(String col, String where) {
        String decl = col.strip().replaceAll("\\s+", " ");
        Matcher m = DECL.matcher(decl);
        if (!m.matches() || m.group(1).isEmpty()) {
            throw new SyscallTableException(where + "'" + col + "' is not a 'type name' declaration");
        }
        String type = m.group(1).strip();
        return new Argument(type, m.group(2));
    }

    private static int parseInt(String s, String where, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new SyscallTableException(where + what + " '" + s + "' is not a number");
        }
    }

    public Optional<Syscall> byNumber(int nr) {
        return Optional.ofNullable(byNumber.get(nr));
    }

    public Optional<Syscall> byName(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The syscall with that name, or an exception naming it. */
    public Syscall require(String name) {
        return byName(name).orElseThrow(() -> new SyscallTableException("unknown syscall '" + name + "'"));
    }

    /** Every syscall, ascending by number. */
    public List<Syscall> all() {
        return all;
    }

    /** The highest number in the table (including extensions). */
    public int maxNumber() {
        return all.get(all.size() - 1).nr();
    }

    public int size() {
        return all.size();
    }

    @Override
    public String toString() {
        return "SyscallTable[" + all.size() + " syscalls, max " + maxNumber() + "]";
    }
}
