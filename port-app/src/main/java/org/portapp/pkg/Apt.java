package org.portapp.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian packages fetched with the host's {@code apt-get}, but with a configuration and state
 * of port-app's own under {@code dir} (normally {@code CACHE/pkg/apt}): the host's sources
 * (copied from {@code /etc/apt/sources.list} and {@code sources.list.d}), an empty dpkg status
 * (so every package of a closure counts as not installed and is downloaded), private package
 * lists and a private archive of .deb files. Nothing needs root and the system's apt state
 * ({@code /var/lib/apt}, {@code /var/cache/apt}, {@code /var/lib/dpkg}) is never written.
 *
 * <p>Integrity: apt verifies each index's signature (the sources' {@code Signed-By} keys, or
 * the host's trusted keys) and each downloaded .deb's hash against the signed index; {@link
 * #fetch} checks every .deb's SHA256 against the index once more, also when it comes from the
 * cache ({@code --offline}).
 */
public final class Apt {
    /** Package lists older than this are refreshed before a fetch (unless offline). */
    static final Duration LISTS_MAX_AGE = Duration.ofHours(24);

    private static final Pattern INST = Pattern.compile("^Inst (\\S+) \\((\\S+) .*\\[(\\S+)\\]\\)", Pattern.MULTILINE);

    private final Path dir;
    private final boolean offline;
    private final Consumer<String> progress;
    private final Consumer<String> warnings;
    private final List<String> extraOptions;

    /**
     * @param dir          the private apt directory
     * @param offline      use only what the cache holds: no index update, no download
     * @param progress     where apt's progress lines go (downloads)
     * @param warnings     where a failed refresh of the lists is said (the cached lists are then used)
     * @param extraOptions further {@code -o} settings passed to every apt call (tests)
     */
    public Apt(Path dir, boolean offline, Consumer<String> progress, Consumer<String> warnings,
               List<String> extraOptions) {
        this.dir = dir.toAbsolutePath().normalize();
        this.offline = offline;
        this.progress = progress;
        this.warnings = warnings;
        this.extraOptions = List.copyOf(extraOptions);
    }

    /** One .deb of a closure: the package, its version and architecture, and its verified file. */
    public record Deb(String name, String version, String arch, Path file) {
        /** {@code name_version_arch}, what identifies the file's content. */
        public String id() {
            return name + "_" + version + "_" + arch;
        }
    }

    /** The archive of downloaded .debs. */
    public Path archives() {
        return dir.resolve("cache/archives");
    }

    /** Whether package lists have been fetched into the private state. */
    public boolean hasLists() {
        Path lists = dir.resolve("state/lists");
        if (!Files.isDirectory(lists)) {
            return false;
        }
        try (Stream<Path> s = Files.list(lists)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith("_Packages")
                    || p.getFileName().toString().contains("_Packages."));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The .debs of {@code packages} and their whole Depends/Pre-Depends closure (Recommends
     * left out), downloaded into the private archive unless already there, each checked
     * against the signed index.
     *
     * @throws PkgException if apt cannot find a package, a download fails, or (offline) a .deb is not cached
     */
    public List<Deb> fetch(List<String> packages) {
        return locked(() -> fetchLocked(packages));
    }

    private List<Deb> fetchLocked(List<String> packages) {
        Map<String, String[]> closure = resolved(packages);
        List<String> get = new ArrayList<>(List.of("apt-get", "-q", "-y", "--download-only", "install"));
        if (offline) {
            get.add(2, "--no-download");
        }
        get.addAll(packages);
        aptStreaming(get, "download " + String.join(" ", packages));
        // Each file checked against the index's SHA256 (apt did on download; the cache may be older).
        List<String> show = new ArrayList<>(List.of("apt-cache", "show", "--no-all-versions"));
        closure.forEach((n, v) -> show.add(n + "=" + v[0]));
        Map<String, String> sha = new LinkedHashMap<>();
        for (String stanza : apt(show, "read the index").split("\n\n")) {
            String name = field(stanza, "Package");
            String hash = field(stanza, "SHA256");
            if (name != null && hash != null) {
                sha.putIfAbsent(name, hash);
            }
        }
        List<Deb> out = new ArrayList<>();
        for (Map.Entry<String, String[]> e : closure.entrySet()) {
            String name = e.getKey();
            String version = e.getValue()[0];
            String arch = e.getValue()[1];
            Path file = archives().resolve(name + "_" + version.replace(":", "%3a") + "_" + arch + ".deb");
            if (!Files.isRegularFile(file)) {
                throw new PkgException(name + " " + version + ": not in the package cache " + archives()
                        + (offline ? " (run once without --offline to fetch it)" : ""));
            }
            String want = sha.get(name);
            if (want == null) {
                throw new PkgException(name + " " + version + ": no SHA256 in the package index");
            }
            String got = sha256(file);
            if (!got.equalsIgnoreCase(want)) {
                throw new PkgException(file + ": SHA256 " + got + " differs from the signed index's " + want);
            }
            out.add(new Deb(name, version, arch, file));
        }
        return out;
    }

    /** A package of a closure as apt resolves it: name, version, architecture. */
    public record Resolved(String name, String version, String arch) {
    }

    /**
     * The Depends/Pre-Depends closure of {@code packages} as apt resolves it against an empty
     * status (every package it would install), without downloading any .deb.
     *
     * @throws PkgException if apt cannot find a package or resolve the closure
     */
    public List<Resolved> resolve(List<String> packages) {
        List<Resolved> out = new ArrayList<>();
        locked(() -> resolved(packages)).forEach((n, v) -> out.add(new Resolved(n, v[0], v[1])));
        return out;
    }

    private Map<String, String[]> resolved(List<String> packages) {
        prepare();
        refreshLists();
        List<String> sim = new ArrayList<>(List.of("apt-get", "-s", "-q", "install"));
        sim.addAll(packages);
        String plan = apt(sim, "resolve " + String.join(" ", packages));
        Map<String, String[]> closure = new LinkedHashMap<>();
        Matcher m = INST.matcher(plan);
        while (m.find()) {
            closure.put(m.group(1), new String[] {m.group(2), m.group(3)});
        }
        if (closure.isEmpty()) {
            throw new PkgException("apt resolved nothing for " + String.join(" ", packages));
        }
        return closure;
    }

    /**
     * The candidate version and one-line description of each of {@code packages} that the
     * lists know, from the private lists only (no network); empty if none were fetched yet.
     */
    public Map<String, String[]> candidates(List<String> packages) {
        Map<String, String[]> out = new LinkedHashMap<>();
        if (!hasLists() || packages.isEmpty()) {
            return out;
        }
        List<String> show = new ArrayList<>(List.of("apt-cache", "show", "--no-all-versions"));
        show.addAll(packages);
        Result r = locked(() -> {
            prepare();
            return exec(show);
        });
        for (String stanza : r.out().split("\n\n")) {
            String name = field(stanza, "Package");
            if (name != null) {
                out.putIfAbsent(name, new String[] {field(stanza, "Version"), field(stanza, "Description")});
            }
        }
        return out;
    }

    /**
     * Runs {@code work} holding {@code dir/lock} exclusively: apt runs here with its own locking
     * off (Debug::NoLocking, its lock files would be the system's), so two port-app processes
     * must not update the lists or the archive at once.
     */
    private <T> T locked(java.util.function.Supplier<T> work) {
        try {
            Files.createDirectories(dir);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                 java.nio.channels.FileLock l = ch.lock()) {
                return work.get();
            }
        } catch (IOException e) {
            throw new PkgException(dir.resolve("lock") + ": cannot lock the private apt state: " + e.getMessage(), e);
        }
    }

    private static String field(String stanza, String key) {
        for (String line : stanza.split("\n")) {
            if (line.startsWith(key + ": ")) {
                return line.substring(key.length() + 2).strip();
            }
        }
        return null;
    }

    /** The private directories and files, and the host's sources copied in (refreshed each time). */
    private void prepare() {
        try {
            for (String d : List.of("etc/sources.list.d", "etc/preferences.d", "state/lists/partial",
                    "cache/archives/partial")) {
                Files.createDirectories(dir.resolve(d));
            }
            Path status = dir.resolve("state/status");
            if (!Files.exists(status)) {
                Files.createFile(status);
            }
            Path list = dir.resolve("etc/sources.list");
            Path hostList = Path.of("/etc/apt/sources.list");
            if (Files.isRegularFile(hostList)) {
                Files.copy(hostList, list, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.writeString(list, "");
            }
            Path parts = dir.resolve("etc/sources.list.d");
            try (Stream<Path> s = Files.list(parts)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Path hostParts = Path.of("/etc/apt/sources.list.d");
            if (Files.isDirectory(hostParts)) {
                try (Stream<Path> s = Files.list(hostParts)) {
                    for (Path p : s.filter(Apt::isSourceFile).toList()) {
                        Files.copy(p, parts.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        } catch (IOException e) {
            throw new PkgException(dir + ": cannot set up the private apt directory: " + e.getMessage(), e);
        }
    }

    /** What apt itself reads from sources.list.d: {@code *.list} and {@code *.sources}. */
    private static boolean isSourceFile(Path p) {
        String n = p.getFileName().toString();
        return Files.isRegularFile(p) && (n.endsWith(".list") || n.endsWith(".sources"));
    }

    private void refreshLists() {
        if (offline) {
            if (!hasLists()) {
                throw new PkgException("--offline: no package lists in the cache " + dir
                        + " (run once without --offline)");
            }
            return;
        }
        Path stamp = dir.resolve("state/updated");
        try {
            if (hasLists() && Files.isRegularFile(stamp)
                    && Files.getLastModifiedTime(stamp).toInstant().isAfter(Instant.now().minus(LISTS_MAX_AGE))) {
                return;
            }
            String out = aptStreaming(List.of("apt-get", "-q", "update"), "update the package lists");
            // apt-get update exits 0 when a source cannot be reached ("W: Failed to fetch"): with
            // lists from before, go on with those (said once); without any, nothing can be resolved
            String failed = out.lines().filter(l -> l.startsWith("W: Failed to fetch")).findFirst().orElse(null);
            if (failed == null) {
                Files.writeString(stamp, Instant.now() + "\n");
            } else if (hasLists()) {
                warnings.accept("port-app: could not refresh the package lists, using the cached ones: "
                        + failed.substring(3).replaceAll("\\s+", " "));
            } else {
                throw new PkgException("apt could not update the package lists: " + failed.substring(3)
                        .replaceAll("\\s+", " "));
            }
        } catch (IOException e) {
            throw new PkgException(stamp + ": " + e.getMessage(), e);
        }
    }

    /** The private configuration every call gets. */
    List<String> options() {
        List<String> o = new ArrayList<>();
        for (String s : List.of("Dir::Etc::SourceList=" + dir.resolve("etc/sources.list"),
                "Dir::Etc::SourceParts=" + dir.resolve("etc/sources.list.d"),
                "Dir::Etc::Preferences=" + dir.resolve("etc/preferences"),
                "Dir::Etc::PreferencesParts=" + dir.resolve("etc/preferences.d"),
                "Dir::State=" + dir.resolve("state"),
                "Dir::State::status=" + dir.resolve("state/status"),
                "Dir::Cache=" + dir.resolve("cache"),
                "Debug::NoLocking=1",
                "APT::Install-Recommends=false",
                "APT::Install-Suggests=false",
                "APT::Architecture=amd64",
                // root would otherwise hand downloads to _apt, which cannot write a private directory
                "APT::Sandbox::User=" + System.getProperty("user.name"))) {
            o.add("-o");
            o.add(s);
        }
        extraOptions.forEach(x -> {
            o.add("-o");
            o.add(x);
        });
        return o;
    }

    private record Result(int code, String out, String err) {
    }

    private Result exec(List<String> cmd) {
        List<String> full = new ArrayList<>();
        full.add(cmd.get(0));
        full.addAll(options());
        full.addAll(cmd.subList(1, cmd.size()));
        ProcessBuilder pb = new ProcessBuilder(full);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            var err = readAsync(p.getErrorStream());
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            return new Result(code, out, err.get());
        } catch (IOException e) {
            throw new PkgException(cmd.get(0) + ": cannot run (is apt installed?): " + e.getMessage(), e);
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            Thread.currentThread().interrupt();
            throw new PkgException(cmd.get(0) + ": interrupted", e);
        }
    }

    private static java.util.concurrent.Future<String> readAsync(InputStream in) {
        java.util.concurrent.FutureTask<String> t = new java.util.concurrent.FutureTask<>(
                () -> new String(in.readAllBytes(), StandardCharsets.UTF_8));
        Thread th = new Thread(t, "apt-stderr");
        th.setDaemon(true);
        th.start();
        return t;
    }

    /** Runs an apt command and returns its output, or fails with apt's first error line. */
    private String apt(List<String> cmd, String what) {
        Result r = exec(cmd);
        if (r.code() != 0 || r.err().contains("E: ")) {
            throw new PkgException("apt could not " + what + ": " + firstError(r.err() + "\n" + r.out()));
        }
        return r.out();
    }

    /** As {@link #apt} with apt's progress lines ("Get:", "Hit:") passed on as they come; returns its output. */
    private String aptStreaming(List<String> cmd, String what) {
        List<String> full = new ArrayList<>();
        full.add(cmd.get(0));
        full.addAll(options());
        full.addAll(cmd.subList(1, cmd.size()));
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        StringBuilder all = new StringBuilder();
        int code;
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    all.append(line).append('\n');
                    if (line.startsWith("Get:") || line.startsWith("Fetched ") || line.startsWith("Hit:")) {
                        progress.accept("apt: " + line);
                    }
                }
            }
            code = p.waitFor();
        } catch (IOException e) {
            throw new PkgException(cmd.get(0) + ": cannot run (is apt installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PkgException(cmd.get(0) + ": interrupted", e);
        }
        if (code != 0 || all.toString().contains("\nE: ") || all.toString().startsWith("E: ")) {
            throw new PkgException("apt could not " + what + ": " + firstError(all.toString()));
        }
        return all.toString();
    }

    private static String firstError(String text) {
        for (String line : text.split("\n")) {
            if (line.startsWith("E: ")) {
                return line.substring(3).strip();
            }
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("W: ")) {
                return line.substring(3).strip();
            }
        }
        String t = text.strip();
        return t.isEmpty() ? "failed" : t.split("\n")[0];
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new PkgException(file + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
