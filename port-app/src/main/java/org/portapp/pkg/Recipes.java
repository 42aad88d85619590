package org.portapp.pkg;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The recipes known to a run: every {@code *.yaml} of the recipes folder, plus the user's own
 * files ({@code --recipe FILE}), which win over a shipped recipe of the same name. Read with
 * Jackson's YAML data format; an unknown key is an error (a typo must not be ignored).
 *
 * @param byName recipe name to recipe, sorted by name
 */
public record Recipes(Map<String, Recipe> byName) {
    public Recipes {
        byName = java.util.Collections.unmodifiableMap(new TreeMap<>(byName));
    }

    /** The file as written: everything optional but checked by {@link Recipe#validated}. */
    private record RecipeFile(String name, String description, List<String> packages, List<String> runtime,
                              String executable,
                              List<String> flags, List<String> args, Map<String, String> env, List<Recipe.ConfigFile> files,
                              List<Integer> ports, List<String> mounts, Integer memory, List<String> needs,
                              TestFile test, List<String> programs, List<Recipe.SetupStep> setup, String user) {
    }

    private record TestFile(List<String> args, String stdin, String expect, List<String> host, Integer timeout) {
    }

    /**
     * The recipes of {@code dir} (every {@code *.yaml}) and then {@code extra} files.
     *
     * @throws PkgException naming the file, line and column of the first bad recipe
     */
    public static Recipes load(Path dir, List<Path> extra) {
        Map<String, Recipe> out = new TreeMap<>();
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new PkgException(dir + ": cannot list the recipes: " + e.getMessage(), e);
            }
        }
        for (Path f : files) {
            Recipe r = read(f);
            String base = f.getFileName().toString().replaceFirst("\\.yaml$", "");
            if (!r.name().equals(base)) {
                throw new PkgException(f + ": name '" + r.name() + "' differs from the file's name '" + base + "'");
            }
            out.put(r.name(), r);
        }
        for (Path f : extra) {
            Recipe r = read(f);
            out.put(r.name(), r);
        }
        return new Recipes(out);
    }

    /** The recipe called {@code name}, or an error listing the known ones. */
    public Recipe get(String name) {
        Recipe r = byName.get(name);
        if (r == null) {
            throw new PkgException("no recipe '" + name + "' (known: " + String.join(", ", byName.keySet())
                    + "; add your own with --recipe FILE)");
        }
        return r;
    }

    public Optional<Recipe> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * One recipe file.
     *
     * @throws PkgException with the file, line and column on a YAML or schema error
     */
    public static Recipe read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new PkgException(file + ": no such recipe file");
        }
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        RecipeFile f;
        try {
            f = yaml.readValue(file.toFile(), RecipeFile.class);
        } catch (JsonProcessingException e) {
            org.yaml.snakeyaml.error.MarkedYAMLException y = null;
            for (Throwable c = e; c != null && y == null; c = c.getCause()) {
                y = c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m ? m : null;
            }
            if (y != null && y.getProblemMark() != null) {
                // SnakeYAML says what it was parsing and what it found there, at the problem's mark
                String what = (y.getContext() == null ? "" : y.getContext() + ": ") + y.getProblem();
                throw new PkgException(file + ":" + (y.getProblemMark().getLine() + 1) + ":"
                        + (y.getProblemMark().getColumn() + 1) + ": YAML syntax error " + oneLine(what), e);
            }
            // an unknown key is reported where the parser went on after it: its name says enough
            JsonLocation l = e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException ? null
                    : e.getLocation();
            String at = l == null ? "" : ":" + l.getLineNr() + ":" + l.getColumnNr();
            throw new PkgException(file + at + ": " + oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new PkgException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (f == null) {
            throw new PkgException(file + ": empty recipe");
        }
        TestFile t = f.test();
        Recipe.SmokeTest test = t == null ? null : new Recipe.SmokeTest(orEmpty(t.args()),
                t.stdin() == null ? "" : t.stdin(), t.expect(), orEmpty(t.host()),
                t.timeout() == null ? 120 : t.timeout());
        return new Recipe(f.name(), f.description() == null ? "" : f.description(), orEmpty(f.packages()),
                orEmpty(f.runtime()), f.executable(), orEmpty(f.flags()), orEmpty(f.args()), f.env() == null ? Map.of() : f.env(), orEmpty(f.files()),
                orEmpty(f.ports()), orEmpty(f.mounts()), f.memory() == null ? 128 : f.memory(), orEmpty(f.needs()),
                test, file, orEmpty(f.programs()), orEmpty(f.setup()), f.user()).validated();
    }

    private static <T> List<T> orEmpty(List<T> l) {
        return l == null ? List.of() : l;
    }

    /** Jackson's and SnakeYAML's messages span lines (a snippet, the known fields): the first line, tidied. */
    private static String oneLine(String m) {
        if (m == null) {
            return "invalid recipe";
        }
        String first = m.strip().split("\n", 2)[0].strip();
        return first.replaceAll("\\(class org\\.portapp\\.pkg\\.Recipes\\$\\w+\\)", "").replaceAll("\\s+", " ")
                .replace(" ,", ",");
    }
}
