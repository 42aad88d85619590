package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Debian's redis-server, unmodified, on the unikernel: BGSAVE forks a child that writes the
 * dump through a --mount (virtio-9p) while the parent keeps serving, and a second run of redis
 * on the same directory loads the key back; and 50 clients connecting at once (redis-benchmark)
 * all get through, on qemu-pc and qemu-microvm.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
@Tag("qemu")
class RedisOnQemuTest {
    @TempDir
    Path tmp;

    @Test
    void bgsaveWritesADumpThatTheNextRunLoads() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "redis-server is not installed");
        Path data = Files.createDirectories(tmp.resolve("data"));
        int port = freePort();
        Process first = start(data, port, tmp.resolve("first.log"));
        try {
            assertEquals("+OK", command(port, first, tmp.resolve("first.log"), "SET", "portapp", "survives"));
            assertEquals("+Background saving started", command(port, first, tmp.resolve("first.log"), "BGSAVE"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(data.resolve("dump.rdb")) && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(Files.exists(data.resolve("dump.rdb")), () -> read(tmp.resolve("first.log")));
            // The child reports back; the parent reaps it.
            while (!read(tmp.resolve("first.log")).contains("Background saving terminated with success")
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(read(tmp.resolve("first.log")).contains("Background saving terminated with success"),
                    () -> read(tmp.resolve("first.log")));
        } finally {
            stop(first);
        }
        int port2 = freePort();
        Process second = start(data, port2, tmp.resolve("second.log"));
        try {
            assertEquals("$8 survives", command(port2, second, tmp.resolve("second.log"), "GET", "portapp"));
        } finally {
            stop(second);
        }
    }

    /**
     * redis-benchmark's default 50 clients, not pipelined, all connecting at once: every one
     * gets through and the run completes. Before QEMU's forwarded port had a real listen
     * backlog (ListenBacklog) a dozen of them sat in the host's SYN retransmission backoff
     * and the run stalled on its last requests for a minute (docs/networking.md).
     */
    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void fiftyClientsAtOnceAllGetThrough(String platform) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-server")), "redis-server is not installed");
        assumeTrue(LoadClients.installed("redis-benchmark"), "redis-tools is not installed");
        Path data = Files.createDirectories(tmp.resolve("data"));
        int port = freePort();
        Path log = tmp.resolve(platform + ".log");
        Process p = start(platform, data, port, log);
        try {
            assertEquals("+PONG", command(port, p, log, "PING"));
            assertTrue(LoadClients.listenBacklog(port) != 1, "the forwarded port listens with a backlog of 1");
            String out = LoadClients.run(List.of("/usr/bin/redis-benchmark", "-p", Integer.toString(port),
                    "-c", "50", "-n", "10000", "-q", "-t", "set,get"), 40);
            assertTrue(out.contains("SET: ") && out.contains("GET: ") && !out.contains("rror"), out);
        } finally {
            stop(p);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Process start(Path data, int port, Path log) throws IOException {
        return start("qemu-pc", data, port, log);
    }

    private static Process start(String platform, Path data, int port, Path log) throws IOException {
        return new ProcessBuilder(ThreadsSignalsOnQemuTest.root().resolve("bin/port-app").toString(), "run",
                "--platform", platform, "-p", "127.0.0.1:" + port + ":6379", "--mount", data + ":/data",
                "/usr/bin/redis-server", "--", "--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no",
                "--save", "", "--appendonly", "no", "--dir", "/data", "--daemonize", "no")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    /** One RESP command, once redis answers (it may still be booting); its reply on one line. */
    private static String command(int port, Process p, Path log, String... words) throws Exception {
        StringBuilder req = new StringBuilder("*" + words.length + "\r\n");
        for (String w : words) {
            req.append('$').append(w.length()).append("\r\n").append(w).append("\r\n");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);   // a first build of the kernel
        while (true) {
            assertTrue(p.isAlive(), () -> "port-app ended:\n" + read(log));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(20000);
                OutputStream out = s.getOutputStream();
                out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                String first = line(in);
                return first.startsWith("$") && !first.equals("$-1") ? first + " " + line(in) : first;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("redis never answered:\n" + read(log), e);
                }
                Thread.sleep(500);
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        if (c < 0 && b.isEmpty()) {
            throw new IOException("connection closed");
        }
        return b.toString();
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
