package org.portapp.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.portapp.cache.CacheDir;
import org.portapp.rewrite.Analysis;
import org.portapp.rewrite.ClosureFootprint;
import org.portapp.x86.Decoder;

/**
 * The whole-process footprint ({@link ClosureFootprint}) of a set of original ELF objects,
 * reduced to what a build needs: the numbers, and one line per site whose number stays
 * unbounded. Cached under {@code cache/footprints}, keyed by every object's path, size and
 * modification time and by the rewriter's build (the analysis of python's 70 extension
 * modules takes seconds; the answer is a few hundred bytes).
 *
 * @param numbers   every number a bounded site can make
 * @param unbounded "libc.so.6 0x101827 in syscall+0x17: why", one per unbounded site
 */
public record ProcessFootprint(Set<Integer> numbers, List<String> unbounded) {
    public ProcessFootprint {
        numbers = Set.copyOf(numbers);
        unbounded = List.copyOf(unbounded);
    }

    /** Whether every site is bounded: {@link #numbers} is every syscall the process can make. */
    public boolean complete() {
        return unbounded.isEmpty();
    }

    /** Computes it from the analyses of {@code objects}. */
    public static ProcessFootprint of(ClosureFootprint f) {
        List<String> lines = new ArrayList<>();
        for (ClosureFootprint.Unbounded u : f.unbounded()) {
            lines.add(String.format("%s 0x%x in %s: %s", Path.of(u.object()).getFileName(), u.site().address(),
                    u.site().function(), u.reason()));
        }
        return new ProcessFootprint(f.numbers(), lines);
    }

    /** The footprint of {@code objects} (original, not rewritten, files), cached under {@code cacheRoot}. */
    public static ProcessFootprint of(Path cacheRoot, List<Path> objects) {
        StringBuilder id = new StringBuilder();
        for (Path p : objects) {
            try {
                id.append(p.toAbsolutePath()).append('\0').append(Files.size(p)).append('\0')
                        .append(Files.getLastModifiedTime(p).toMillis()).append('\n');
            } catch (IOException e) {
                throw new ImageException(p + ": cannot read: " + e.getMessage(), e);
            }
        }
        String key = RewriteCache.sha256(id.toString().getBytes(StandardCharsets.UTF_8), RewriteCache.rewriterIdentity());
        Path file = cacheRoot.resolve("footprints").resolve(key.substring(0, 32));
        if (Files.isRegularFile(file)) {
            try {
                ProcessFootprint cached = decode(Files.readAllLines(file, StandardCharsets.UTF_8));
                CacheDir.touch(file.getParent());
                return cached;
            } catch (IOException | RuntimeException e) {
                // unreadable or from an older format: compute it again
            }
        }
        Decoder decoder = Decoder.load();
        List<ClosureFootprint.Member> members = new ArrayList<>();
        for (Path p : objects) {
            members.add(new ClosureFootprint.Member(p.toString(), Analysis.of(p, decoder)));
        }
        ProcessFootprint f = of(ClosureFootprint.of(members));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "fp", ".tmp");
            Files.write(tmp, f.encode(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // a cache that cannot be written only costs the analysis next time
        }
        return f;
    }

    private List<String> encode() {
        List<String> lines = new ArrayList<>();
        lines.add("numbers " + String.join(" ", new TreeSet<>(numbers).stream().map(String::valueOf).toList()));
        unbounded.forEach(u -> lines.add("unbounded " + u));
        return lines;
    }

    private static ProcessFootprint decode(List<String> lines) {
        Set<Integer> nrs = new TreeSet<>();
        List<String> unbounded = new ArrayList<>();
        if (lines.isEmpty() || !lines.get(0).startsWith("numbers")) {
            throw new IllegalArgumentException("not a footprint");
        }
        for (String w : lines.get(0).substring("numbers".length()).trim().split(" ")) {
            if (!w.isEmpty()) {
                nrs.add(Integer.parseInt(w));
            }
        }
        for (String l : lines.subList(1, lines.size())) {
            unbounded.add(l.substring("unbounded ".length()));
        }
        return new ProcessFootprint(nrs, unbounded);
    }
}
