package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Debian's nginx-light, unmodified, on the unikernel behind {@code -p}: virtio-net, lwIP
 * and the net module end to end. A 1 MiB file comes back byte-identical, a missing path
 * is a 404, two requests on one connection both get answers (keep-alive), and 32
 * connections at once for 3 s (wrk) see no socket error, timeout or non-2xx answer.
 */
@Tag("qemu")
class NginxOnQemuTest {
    @TempDir
    Path tmp;

    static final String CONF = """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log stderr;
            events { worker_connections 256; }
            http {
                access_log off;
                sendfile on;
                keepalive_timeout 65;
                server {
                    listen 8080;
                    root /srv/www;
                }
            }
            """;

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void servesAFileA404AndKeepsConnectionsAlive(String platform) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx-light is not installed");
        Path site = Files.createDirectories(tmp.resolve("site"));
        byte[] big = new byte[1 << 20];
        new Random(8).nextBytes(big);
        Files.write(site.resolve("big.bin"), big);
        Files.writeString(site.resolve("index.html"), "hello from the unikernel\n");
        Nginx n = start(platform, site, CONF);
        Process p = n.process();
        int port = n.port();
        Path log = n.log();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            waitUntilServing(http, base + "/index.html", p, log);

            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + "/big.bin"))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(big, r.body(), "the 1 MiB file, byte for byte");

            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "/missing"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());

            // Two requests, one connection: the second is answered on the same socket.
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(20000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                String req = "GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n";
                for (int i = 0; i < 2; i++) {
                    out.write(req.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String resp = readResponse(in);
                    assertTrue(resp.startsWith("HTTP/1.1 200"), resp);
                    assertTrue(resp.endsWith("hello from the unikernel\n"), resp);
                }
            }

            // 32 connections opened at once (wrk): every one is served, none times out. Before
            // QEMU's forwarded port had a real listen backlog, a few of them waited for the
            // host's SYN retransmissions (docs/networking.md, "Under load").
            if (LoadClients.installed("wrk")) {
                assertTrue(LoadClients.listenBacklog(port) != 1, "the forwarded port listens with a backlog of 1");
                LoadClients.wrk(base + "/index.html", 3);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /**
     * nginx's normal model: a master process and two workers (fork, setuid to nobody, socketpair
     * channels passed to the workers with SCM_RIGHTS, SIGCHLD), each serving on the listening
     * socket they inherited.
     */
    @org.junit.jupiter.api.Test
    void aMasterAndTwoWorkersServe() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nginx")), "nginx-light is not installed");
        Path site = Files.createDirectories(tmp.resolve("site"));
        Files.writeString(site.resolve("index.html"), "hello from a worker\n");
        Nginx n = start("qemu-pc", site, CONF
                .replace("master_process off;", "master_process on;")
                .replace("worker_processes 1;", "worker_processes 2;")
                .replace("error_log stderr;", "error_log stderr notice;"));
        Process p = n.process();
        int port = n.port();
        Path log = n.log();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;
            waitUntilServing(http, base + "/index.html", p, log);
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/index.html"))
                        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("hello from a worker\n", r.body());
            }
            String out = read(log);
            assertEquals(2, out.split("start worker process ", -1).length - 1, out);
            assertTrue(!out.contains("exited with"), out);
            // The master passes each worker's channel to the others with SCM_RIGHTS; without
            // it nginx logs "recvmsg() returned too small ancillary data".
            assertTrue(!out.contains("ancillary data"), out);
            assertTrue(!out.contains("[alert]"), out);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    /** nginx running under port-app, on a free host port forwarded to the guest's 8080. */
    record Nginx(Process process, int port, Path log) {
    }

    /** Starts nginx with configuration {@code conf}, serving {@code site} at /srv/www. */
    private Nginx start(String platform, Path site, String conf) throws IOException {
        Path confFile = Files.writeString(tmp.resolve("nginx.conf"), conf);
        // nginx's compiled-in temp directories and the pid file's directory.
        Path varlib = Files.createDirectories(tmp.resolve("varlib"));
        Path run = Files.createDirectories(tmp.resolve("run"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = tmp.resolve("port-app.log");
        Process p = new ProcessBuilder(ThreadsSignalsOnQemuTest.root().resolve("bin/port-app").toString(), "run",
                "--platform", platform, "-p", "127.0.0.1:" + port + ":8080",
                "--file", confFile + ":/etc/nginx/nginx.conf", "--dir", site + ":/srv/www",
                "--dir", varlib + ":/var/lib/nginx", "--dir", run + ":/run",
                "/usr/sbin/nginx", "--", "-c", "/etc/nginx/nginx.conf", "-g", "pid /run/nginx.pid;")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Nginx(p, port, log);
    }

    private static void waitUntilServing(HttpClient http, String url, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);   // a first build of the kernel
        while (System.nanoTime() < deadline) {
            assertTrue(p.isAlive(), () -> "port-app ended:\n" + read(log));
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(500);
        }
        throw new AssertionError("nginx never answered:\n" + read(log));
    }

    /** One response with a Content-Length body: headers and body as text. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.US_ASCII);
        int len = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                len = Integer.parseInt(line.substring(15).strip());
            }
        }
        return h + new String(in.readNBytes(len), StandardCharsets.US_ASCII);
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
