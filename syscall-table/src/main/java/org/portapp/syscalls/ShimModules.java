package org.portapp.syscalls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The POSIX shim modules found under {@code posix-shim/}, validated against the
 * syscall table. Immutable.
 *
 * <p>Manifest format ({@code module.conf}): one {@code key value...} per line,
 * {@code #} starts a comment, and {@code provides}, {@code stubs}, {@code needs}
 * may repeat (their values accumulate). Keys: {@code module} (must equal the
 * folder name), {@code provides}, {@code stubs}, {@code needs}, {@code init}
 * (a C function {@code void f(void)}), {@code order} (integer, ascending),
 * {@code platforms} (the platforms a build may select the module for, from
 * {@link #PLATFORMS}; without it, {@code core} is on all and any other module
 * is kernel-only, see {@link ShimModule#availableOn}).
 *
 * <p>Init order: a module always comes after the modules it needs; otherwise
 * by {@code order}, then by name.
 */
public final class ShimModules {
    /** File name of a module manifest inside its folder. */
    public static final String MANIFEST = "module.conf";
    /** Init order of a module whose manifest has no {@code order} line. */
    public static final int DEFAULT_ORDER = 100;
    /** Platform name of the Linux-process platform (platforms/linuxu). */
    public static final String PLATFORM_LINUXU = "linuxu";
    /** Platform name of the unikernel (platforms/x86_64 + platforms/qemu, every VMM). */
    public static final String PLATFORM_QEMU = "qemu";
    /** The values a {@code platforms} line may hold. */
    public static final Set<String> PLATFORMS = Set.of(PLATFORM_LINUXU, PLATFORM_QEMU);

    private static final Pattern C_IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern MODULE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final SyscallTable table;
    private final List<ShimModule> initOrder;
    private final Map<String, ShimModule> byName;
    /** syscall name -> module that provides or stubs it. */
    private final Map<String, ShimModule> handler;

    private ShimModules(SyscallTable table, List<ShimModule> initOrder) {
        this.table = table;
        this.initOrder = List.copyOf(initOrder);
        Map<String, ShimModule> names = new HashMap<>();
        Map<String, ShimModule> handlers = new HashMap<>();
        for (ShimModule m : initOrder) {
            names.put(m.name(), m);
            for (String s : m.handles()) {
                handlers.put(s, m);
            }
        }
        this.byName = Map.copyOf(names);
        this.handler = Map.copyOf(handlers);
    }

    /**
     * Reads {@code <dir>/module.conf} of every folder under {@code posixShimDir}
     * (folders without one are not modules) and validates them together.
     */
    public static ShimModules scan(Path posixShimDir, SyscallTable table) {
        if (!Files.isDirectory(posixShimDir)) {
            throw new SyscallTableException("shim directory " + posixShimDir + " does not exist or is not a directory");
        }
        List<Path> manifests;
        try (Stream<Path> dirs = Files.list(posixShimDir)) {
            manifests = dirs.filter(Files::isDirectory)
                    .map(d -> d.resolve(MANIFEST))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new SyscallTableException("cannot list shim directory " + posixShimDir + ": " + e.getMessage(), e);
        }
        List<Parsed> parsed = new ArrayList<>();
        for (Path manifest : manifests) {
            parsed.add(parse(manifest, table));
        }
        return validate(parsed, table);
    }

    // ---- parsing -------------------------------------------------------------

    /** Where a value came from, for error messages. */
    private record Loc(Path file, int line) {
        @Override
        public String toString() {
            return file + ":" + line;
        }
    }

    /** A manifest as read, with the location of every value that is checked later. */
    private record Parsed(ShimModule module, Map<String, Loc> handled, Map<String, Loc> needs) {
    }

    private static Parsed parse(Path manifest, SyscallTable table) {
        List<String> lines;
        try {
            lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SyscallTableException("cannot read " + manifest + ": " + e.getMessage(), e);
        }
        Path dir = manifest.getParent();
        String folder = dir.getFileName().toString();
        String name = null;
        String init = null;
        Integer order = null;
        Set<String> platforms = null;
        List<String> provides = new ArrayList<>();
        List<String> stubs = new ArrayList<>();
        Map<String, Loc> handled = new LinkedHashMap<>();
        Map<String, Loc> needs = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Loc loc = new Loc(manifest, i + 1);
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] words = line.split("\\s+");
            String key = words[0];
            List<String> values = Arrays.asList(words).subList(1, words.length);
            switch (key) {
                case "module" -> {
                    single(loc, key, values, name != null);
                    name = values.get(0);
                    if (!name.equals(folder)) {
                        throw new SyscallTableException(loc + ": module name '" + name
                                + "' must equal its folder name '" + folder + "'");
                    }
                }
                case "provides", "stubs" -> {
                    nonEmpty(loc, key, values);
                    for (String s : values) {
                        if (table.byName(s).isEmpty()) {
                            throw new SyscallTableException(loc + ": unknown syscall '" + s + "' in '" + key
                                    + "' (not in the x86_64 syscall table)");
                        }
                        Loc prev = handled.putIfAbsent(s, loc);
                        if (prev != null) {
                            throw new SyscallTableException(loc + ": syscall '" + s
                                    + "' is listed twice in this module (first at line " + prev.line() + ")");
                        }
                        (key.equals("provides") ? provides : stubs).add(s);
                    }
                }
                case "needs" -> {
                    nonEmpty(loc, key, values);
                    for (String n : values) {
                        if (!MODULE_NAME.matcher(n).matches()) {
                            throw new SyscallTableException(loc + ": '" + n + "' is not a valid module name");
                        }
                        needs.putIfAbsent(n, loc);
                    }
                }
                case "init" -> {
                    single(loc, key, values, init != null);
                    init = values.get(0);
                    if (!C_IDENT.matcher(init).matches()) {
                        throw new SyscallTableException(loc + ": init function '" + init + "' is not a C identifier");
                    }
                }
                case "order" -> {
                    single(loc, key, values, order != null);
                    try {
                        order = Integer.parseInt(values.get(0));
                    } catch (NumberFormatException e) {
                        throw new SyscallTableException(loc + ": order '" + values.get(0) + "' is not an integer");
                    }
                }
                case "platforms" -> {
                    if (platforms != null) {
                        throw new SyscallTableException(loc + ": 'platforms' given twice");
                    }
                    nonEmpty(loc, key, values);
                    platforms = new LinkedHashSet<>();
                    for (String v : values) {
                        if (!PLATFORMS.contains(v)) {
                            throw new SyscallTableException(loc + ": unknown platform '" + v + "' (expected one of "
                                    + String.join(", ", new java.util.TreeSet<>(PLATFORMS)) + ")");
                        }
                        platforms.add(v);
                    }
                }
                default -> throw new SyscallTableException(loc + ": unknown key '" + key
                        + "' (expected module, provides, stubs, needs, init, order or platforms)");
            }
        }
        if (name == null) {
            throw new SyscallTableException(manifest + ": no 'module " + folder + "' line");
        }
        ShimModule m = new ShimModule(name, dir, provides, stubs, new ArrayList<>(needs.keySet()),
                Optional.ofNullable(init), order == null ? DEFAULT_ORDER : order,
                platforms == null ? Set.of() : platforms);
        return new Parsed(m, handled, needs);
    }

    private static void single(Loc loc, String key, List<String> values, boolean seen) {
        if (seen) {
            throw new SyscallTableException(loc + ": '" + key + "' given twice (it takes a single value)");
        }
        if (values.size() != 1) {
            throw new SyscallTableException(loc + ": '" + key + "' takes exactly one value, got " + values.size());
        }
    }

    private static void nonEmpty(Loc loc, String key, List<String> values) {
        if (values.isEmpty()) {
            throw new SyscallTableException(loc + ": '" + key + "' needs at least one value");
        }
    }

    // ---- validation across modules --------------------------------------------

    private static ShimModules validate(List<Parsed> parsed, SyscallTable table) {
        Map<String, Parsed> byName = new LinkedHashMap<>();
        Map<String, Parsed> owner = new HashMap<>();
        for (Parsed p : parsed) {
            byName.put(p.module().name(), p);
            for (Map.Entry<String, Loc> e : p.handled().entrySet()) {
                Parsed prev = owner.putIfAbsent(e.getKey(), p);
                if (prev != null) {
                    throw new SyscallTableException(e.getValue() + ": syscall '" + e.getKey()
                            + "' is already answered by module '" + prev.module().name() + "' ("
                            + prev.handled().get(e.getKey()) + "); a syscall belongs to one module");
                }
            }
        }
        for (Parsed p : parsed) {
            for (Map.Entry<String, Loc> e : p.needs().entrySet()) {
                if (!byName.containsKey(e.getKey())) {
                    throw new SyscallTableException(e.getValue() + ": module '" + p.module().name()
                            + "' needs unknown module '" + e.getKey() + "'");
                }
            }
        }
        checkCycles(byName);
        return new ShimModules(table, initOrder(byName));
    }

    private static void checkCycles(Map<String, Parsed> byName) {
        // Depth-first search; a module met again while still on the path closes a cycle.
        Set<String> done = new HashSet<>();
        for (String start : byName.keySet()) {
            findCycle(start, byName, new ArrayList<>(), done);
        }
    }

    private static void findCycle(String name, Map<String, Parsed> byName, List<String> path, Set<String> done) {
        if (done.contains(name)) {
            return;
        }
        int at = path.indexOf(name);
        if (at >= 0) {
            List<String> cycle = new ArrayList<>(path.subList(at, path.size()));
            cycle.add(name);
            String last = path.get(path.size() - 1);
            Loc loc = byName.get(last).needs().get(name);
            throw new SyscallTableException(loc + ": dependency cycle between modules: " + String.join(" -> ", cycle));
        }
        path.add(name);
        for (String dep : byName.get(name).needs().keySet()) {
            findCycle(dep, byName, path, done);
        }
        path.remove(path.size() - 1);
        done.add(name);
    }

    /** Topological order (dependencies first), ties broken by (order, name). */
    private static List<ShimModule> initOrder(Map<String, Parsed> byName) {
        Comparator<ShimModule> cmp = Comparator.comparingInt(ShimModule::order).thenComparing(ShimModule::name);
        Map<String, Integer> pending = new HashMap<>();
        Map<String, List<String>> dependents = new HashMap<>();
        for (Parsed p : byName.values()) {
            pending.put(p.module().name(), p.module().needs().size());
            for (String dep : p.module().needs()) {
                dependents.computeIfAbsent(dep, k -> new ArrayList<>()).add(p.module().name());
            }
        }
        PriorityQueue<ShimModule> ready = new PriorityQueue<>(cmp);
        for (Parsed p : byName.values()) {
            if (p.module().needs().isEmpty()) {
                ready.add(p.module());
            }
        }
        List<ShimModule> out = new ArrayList<>();
        while (!ready.isEmpty()) {
            ShimModule m = ready.poll();
            out.add(m);
            for (String d : dependents.getOrDefault(m.name(), List.of())) {
                if (pending.merge(d, -1, Integer::sum) == 0) {
                    ready.add(byName.get(d).module());
                }
            }
        }
        return out;
    }

    /**
     * The modules a build for {@code platform} may select ({@link ShimModule#availableOn}),
     * as a set of their own: {@link #resolve} on it never picks a module of another platform.
     *
     * @throws SyscallTableException if the platform is unknown, or an available module
     *         needs one that is not available there
     */
    public ShimModules forPlatform(String platform) {
        if (!PLATFORMS.contains(platform)) {
            throw new SyscallTableException("unknown platform '" + platform + "' (expected one of "
                    + String.join(", ", new java.util.TreeSet<>(PLATFORMS)) + ")");
        }
        List<ShimModule> kept = initOrder.stream().filter(m -> m.availableOn(platform)).toList();
        Set<String> names = new HashSet<>();
        kept.forEach(m -> names.add(m.name()));
        for (ShimModule m : kept) {
            for (String dep : m.needs()) {
                if (!names.contains(dep)) {
                    throw new SyscallTableException(m.manifest() + ": module '" + m.name() + "' is available on "
                            + platform + " but needs '" + dep + "', which is not");
                }
            }
        }
        return new ShimModules(table, kept);
    }

    // ---- queries ----------------------------------------------------------------

    public SyscallTable table() {
        return table;
    }

    /** Every module, in init order. */
    public List<ShimModule> modules() {
        return initOrder;
    }

    public Optional<ShimModule> module(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The module that provides or stubs this syscall, if any. */
    public Optional<ShimModule> handler(Syscall syscall) {
        return Optional.ofNullable(handler.get(syscall.name()));
    }

    /** Provided, stubbed or missing, from the manifests only. */
    public SyscallStatus status(Syscall syscall) {
        ShimModule m = handler.get(syscall.name());
        if (m == null) {
            return SyscallStatus.MISSING;
        }
        return m.provides().contains(syscall.name()) ? SyscallStatus.PROVIDED : SyscallStatus.STUBBED;
    }

    /**
     * The modules needed for a set of names, each a syscall name or a module name
     * (a name that is both means both): the modules that provide or stub the
     * wanted syscalls, the wanted modules, and everything they need,
     * transitively, in init order. Syscalls that no module answers add nothing
     * (ask {@link #status} to report them). A name that is neither a syscall nor
     * a module is an error.
     */
    public List<ShimModule> resolve(Set<String> wanted) {
        Set<String> roots = new LinkedHashSet<>();
        for (String w : wanted) {
            Optional<Syscall> s = table.byName(w);
            boolean isModule = byName.containsKey(w);
            if (s.isEmpty() && !isModule) {
                throw new SyscallTableException("'" + w + "' is neither a syscall nor a shim module");
            }
            if (isModule) {
                roots.add(w);
            }
            s.flatMap(this::handler).ifPresent(m -> roots.add(m.name()));
        }
        Set<String> closure = new HashSet<>();
        List<String> todo = new ArrayList<>(roots);
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            if (closure.add(n)) {
                todo.addAll(byName.get(n).needs());
            }
        }
        return initOrder.stream().filter(m -> closure.contains(m.name())).toList();
    }

    /** {@link #resolve} for syscalls given by number (e.g. an app's footprint). */
    public List<ShimModule> resolveNumbers(Collection<Integer> numbers) {
        Set<String> names = new LinkedHashSet<>();
        for (int nr : numbers) {
            table.byNumber(nr).ifPresent(s -> names.add(s.name()));
        }
        return resolve(names);
    }
}
