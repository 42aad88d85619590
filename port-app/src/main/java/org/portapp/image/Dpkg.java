package org.portapp.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The dpkg database of a Debian system, read directly (no {@code dpkg-query}): which package
 * lists a path ({@code info/*.list}), what a package lists, and its {@code Depends} and
 * {@code Pre-Depends} ({@code status}). Package names are without their architecture
 * qualifier ({@code libc6}, not {@code libc6:amd64}), as dependencies name them.
 */
public final class Dpkg {
    /** Top-level directories usrmerge made into links to their /usr counterparts. */
    private static final List<String> MERGED = List.of("bin", "sbin", "lib", "lib32", "lib64", "libx32");

    private final Map<String, String> owner = new HashMap<>();
    private final Map<String, List<String>> lists = new LinkedHashMap<>();
    private final Map<String, List<String>> depends = new HashMap<>();

    private Dpkg() {
    }

    /** The host's database, {@code /var/lib/dpkg}; empty when the host is not a dpkg system. */
    public static Dpkg system() {
        return at(Path.of("/var/lib/dpkg"));
    }

    /**
     * The database under {@code admin} (dpkg's admin directory).
     *
     * @throws ImageException if it exists but cannot be read
     */
    public static Dpkg at(Path admin) {
        Dpkg d = new Dpkg();
        Path info = admin.resolve("info");
        if (!Files.isDirectory(info)) {
            return d;
        }
        try (Stream<Path> s = Files.list(info)) {
            for (Path list : s.filter(p -> p.getFileName().toString().endsWith(".list")).sorted().toList()) {
                String file = list.getFileName().toString();
                String name = file.substring(0, file.length() - ".list".length());
                int colon = name.indexOf(':');
                if (colon >= 0) {
                    name = name.substring(0, colon);
                }
                List<String> paths = Files.readAllLines(list, StandardCharsets.UTF_8);
                d.lists.computeIfAbsent(name, k -> new ArrayList<>()).addAll(paths);
                for (String p : paths) {
                    // the first package to list a directory is as good as any: lookups are for files
                    d.owner.putIfAbsent(p, name);
                }
            }
            Path status = admin.resolve("status");
            if (Files.isRegularFile(status)) {
                d.readStatus(Files.readString(status, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new ImageException(admin + ": cannot read the dpkg database: " + e.getMessage(), e);
        }
        return d;
    }

    private void readStatus(String text) {
        for (String stanza : text.split("\n\n")) {
            String pkg = null;
            boolean installed = false;
            List<String> deps = new ArrayList<>();
            for (String line : stanza.split("\n")) {
                if (line.startsWith("Package: ")) {
                    pkg = line.substring(9).trim();
                } else if (line.startsWith("Status: ")) {
                    installed = line.endsWith(" installed");
                } else if (line.startsWith("Depends: ") || line.startsWith("Pre-Depends: ")) {
                    for (String alt : line.substring(line.indexOf(':') + 1).split(",")) {
                        // of alternatives "a | b", the first one installed; names without version or arch
                        List<String> names = new ArrayList<>();
                        for (String a : alt.split("\\|")) {
                            names.add(a.trim().split("[\\s(:]", 2)[0]);
                        }
                        deps.add(String.join("|", names));
                    }
                }
            }
            if (pkg != null && installed) {
                depends.merge(pkg, deps, (a, b) -> {
                    List<String> all = new ArrayList<>(a);
                    all.addAll(b);
                    return all;
                });
            }
        }
    }

    /**
     * The package that lists {@code path}, looked up as written and under usrmerge's other
     * spelling ({@code /bin/x} for {@code /usr/bin/x} and back): a package lists the path it
     * ships, which the merged root may reach either way.
     */
    public Optional<String> ownerOf(String path) {
        for (String p : spellings(path)) {
            String o = owner.get(p);
            if (o != null) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /** {@code path} and its usrmerge counterpart, if it has one. */
    static List<String> spellings(String path) {
        for (String top : MERGED) {
            if (path.startsWith("/usr/" + top + "/")) {
                return List.of(path, path.substring(4));
            }
            if (path.startsWith("/" + top + "/")) {
                return List.of(path, "/usr" + path);
            }
        }
        return List.of(path);
    }

    /** The paths {@code pkg} lists (files, directories and links), empty if it is not installed. */
    public List<String> files(String pkg) {
        return List.copyOf(lists.getOrDefault(pkg, List.of()));
    }

    /** Whether {@code pkg} is installed (has a file list). */
    public boolean installed(String pkg) {
        return lists.containsKey(pkg);
    }

    /** The installed packages {@code pkg} depends on (Depends and Pre-Depends; first installed alternative). */
    public List<String> dependsOf(String pkg) {
        List<String> out = new ArrayList<>();
        for (String alt : depends.getOrDefault(pkg, List.of())) {
            for (String a : alt.split("\\|")) {
                if (installed(a)) {
                    out.add(a);
                    break;
                }
            }
        }
        return out;
    }
}
