package org.portapp.platform.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gives QEMU's forwarded host ports a real listen backlog. libslirp 4.7 (QEMU 7.2's user
 * network) listens on each {@code hostfwd} port with a backlog of 1, so a client that opens
 * tens of connections at once (redis-benchmark, wrk) overflows the host kernel's accept
 * queue: the kernel drops those SYNs and handshake ACKs and the clients stall until their
 * retransmissions, seconds later. QEMU runs with {@code libportapp-listen.so}
 * (port-app/src/main/native/listen.c) preloaded, which raises every backlog QEMU asks for
 * to SOMAXCONN. Without the library (not built) QEMU runs as before.
 */
public final class ListenBacklog {
    /** The library, relative to the installation root (bin/port-app's -Dportapp.root). */
    static final String LIBRARY = "port-app/target/native/libportapp-listen.so";

    private ListenBacklog() {
    }

    /** The built library, if this installation has one. */
    public static Optional<Path> library() {
        String root = System.getProperty("portapp.root");
        if (root == null || root.isBlank()) {
            return Optional.empty();
        }
        Path lib = Path.of(root).toAbsolutePath().resolve(LIBRARY);
        return Files.isRegularFile(lib) ? Optional.of(lib) : Optional.empty();
    }

    /** Adds the library to {@code env}'s LD_PRELOAD when {@code command} forwards host ports. */
    static void apply(List<String> command, Map<String, String> env) {
        if (command.stream().noneMatch(a -> a.contains(",hostfwd="))) {
            return;
        }
        Optional<Path> found = library();
        if (found.isEmpty()) {
            return;
        }
        Path lib = found.get();
        String old = env.get("LD_PRELOAD");
        env.put("LD_PRELOAD", old == null || old.isBlank() ? lib.toString() : lib + ":" + old);
    }
}
