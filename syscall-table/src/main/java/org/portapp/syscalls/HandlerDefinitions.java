package org.portapp.syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a module's syscall handlers are defined: every line of its {@code .c}
 * files that starts with {@code SHIM_SYSCALL(name)} (the macro of
 * {@code posix-shim/include/shim/shim.h}, always written at the start of a
 * line). Used to link docs/syscalls.md to the sources and to check that the
 * sources and the manifest agree.
 *
 * @param module      the module scanned
 * @param definitions the definitions found, in file then line order
 */
public record HandlerDefinitions(ShimModule module, List<Definition> definitions) {
    private static final Pattern DEFINITION = Pattern.compile("^SHIM_SYSCALL\\(\\s*(\\w+)\\s*\\)", Pattern.MULTILINE);

    /**
     * One {@code SHIM_SYSCALL(syscall)}.
     *
     * @param syscall the name in the macro
     * @param file    the source file
     * @param line    its line, from 1
     */
    public record Definition(String syscall, Path file, int line) {
        public Definition {
            Objects.requireNonNull(syscall, "syscall");
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String toString() {
            return file + ":" + line + ": SHIM_SYSCALL(" + syscall + ")";
        }
    }

    public HandlerDefinitions {
        Objects.requireNonNull(module, "module");
        definitions = List.copyOf(definitions);
    }

    /** Scans the {@code .c} files directly in the module's folder. */
    public static HandlerDefinitions scan(ShimModule module) {
        List<Definition> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(module.dir())) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".c") && Files.isRegularFile(p))
                    .sorted().toList()) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                Matcher m = DEFINITION.matcher(text);
                while (m.find()) {
                    int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
                    found.add(new Definition(m.group(1), f, line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sources of module '" + module.name() + "'", e);
        }
        return new HandlerDefinitions(module, found);
    }

    /** The definition of {@code syscall}, if the module's sources have one. */
    public Optional<Definition> of(String syscall) {
        return definitions.stream().filter(d -> d.syscall().equals(syscall)).findFirst();
    }

    /**
     * Disagreements between the sources and the manifest, one line each (empty when
     * they agree): a syscall the module answers without exactly one definition, or a
     * definition of a syscall the module does not answer.
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        Map<String, Integer> count = new HashMap<>();
        definitions.forEach(d -> count.merge(d.syscall(), 1, Integer::sum));
        Set<String> handles = new HashSet<>(module.handles());
        for (String s : module.handles()) {
            int n = count.getOrDefault(s, 0);
            if (n != 1) {
                out.add(module.manifest() + ": module '" + module.name() + "' answers '" + s + "' but its sources have "
                        + n + " SHIM_SYSCALL(" + s + ")");
            }
        }
        for (Definition d : definitions) {
            if (!handles.contains(d.syscall())) {
                out.add(d + ": '" + d.syscall() + "' is not in the provides or stubs of " + module.manifest());
            }
        }
        return out;
    }
}
