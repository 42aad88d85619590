package org.portapp.cli;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.portapp.cache.CacheDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code port-app cache}: what the cache holds, and trimming it. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        header = "Show or trim the cache of rewritten objects, images and platform builds.",
        description = {"Without a subcommand, lists what is cached (as 'cache list').",
            "The cache is $PORT_APP_CACHE, else $XDG_CACHE_HOME/port-app,",
            "else ~/.cache/port-app. After a run or build adds to it, it is",
            "pruned to $PORT_APP_CACHE_MAX (default 2G), least recently used first.",
            "Nothing used in the last 10 minutes is pruned, and nothing at all",
            "while a run is going on (runs hold a shared lock on in-use.lock)."},
        subcommands = {CacheCommand.ListCommand.class, CacheCommand.PruneCommand.class,
            CacheCommand.ClearCommand.class})
final class CacheCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return new ListCommand().call();
    }

    /** {@code cache list}: per kind, the entries and their disk use; the total. */
    @Command(name = "list", mixinStandardHelpOptions = true, header = "List what is cached and its size.",
            description = {"Sizes are disk use: images hard-link the rewritten objects, so each file counts",
                "once in the total, and shared files count in part towards each kind."})
    static final class ListCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            CacheDir cache = CacheDir.at(Main.cacheDir());
            List<CacheDir.Entry> entries = cache.entries();
            Map<CacheDir.Kind, long[]> byKind = new EnumMap<>(CacheDir.Kind.class);
            for (CacheDir.Kind k : CacheDir.Kind.values()) {
                byKind.put(k, new long[2]);
            }
            for (CacheDir.Entry e : entries) {
                long[] t = byKind.get(e.kind());
                t[0]++;
                t[1] += e.bytes();
            }
            System.out.println("cache: " + cache.root());
            byKind.forEach((k, t) -> System.out.printf("%-18s %6d  %10s%n", k.label(), t[0], CacheDir.human(t[1])));
            System.out.printf("%-18s %6d  %10s%n", "total", entries.size(), CacheDir.human(cache.totalBytes()));
            return 0;
        }
    }

    /** {@code cache prune}: least recently used entries deleted down to a size. */
    @Command(name = "prune", mixinStandardHelpOptions = true,
            header = "Delete the least recently used entries until the cache fits a size.",
            description = {"Entries used in the last 10 minutes are kept (a run may be starting with them);",
                "fails while a run is using the cache."})
    static final class PruneCommand implements Callable<Integer> {
        @Option(names = "--max-size", paramLabel = "SIZE", defaultValue = "2G",
                description = "The size to trim to: bytes, or with a K, M or G suffix. Default: ${DEFAULT-VALUE}.")
        String maxSize;

        @Override
        public Integer call() {
            long max = CacheDir.parseSize(maxSize);
            report(CacheDir.at(Main.cacheDir()).prune(max, CacheDir.GRACE));
            return 0;
        }
    }

    /** {@code cache clear}: everything deleted. */
    @Command(name = "clear", mixinStandardHelpOptions = true, header = "Delete everything cached.",
            description = "Fails while a run is using the cache.")
    static final class ClearCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            report(CacheDir.at(Main.cacheDir()).prune(0, Duration.ZERO));
            return 0;
        }
    }

    private static void report(CacheDir.Pruned p) {
        System.out.printf("removed %d entries (%s freed); the cache holds %s%n", p.entries(),
                CacheDir.human(p.freedBytes()), CacheDir.human(p.remainingBytes()));
    }
}
