package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Host load generators (Debian's wrk and redis-benchmark) against a forwarded port, for
 * the concurrency cases of NginxOnQemuTest and RedisOnQemuTest: many connections opened
 * at once, each must be served, none may wait for a retransmission.
 */
final class LoadClients {
    private LoadClients() {
    }

    static boolean installed(String program) {
        return Files.isExecutable(Path.of("/usr/bin", program));
    }

    /** Runs {@code cmd} to its end within {@code limitSeconds}; its output (stdout and stderr). */
    static String run(List<String> cmd, int limitSeconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        reader.start();
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            reader.join();
            fail(cmd.get(0) + " did not finish within " + limitSeconds + " s (clients stalled):\n"
                    + out.toString(StandardCharsets.UTF_8).replace('\r', '\n'));
        }
        reader.join();
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + ":\n" + text);
        return text;
    }

    /**
     * {@code wrk -t2 -c32 -dNs URL}: asserts it made requests, reported no socket errors
     * (connect, read, write, timeout) and no non-2xx answers; returns requests/s.
     */
    static double wrk(String url, int seconds) throws Exception {
        String out = run(List.of("/usr/bin/wrk", "-t2", "-c32", "-d" + seconds + "s", url), seconds + 60);
        assertTrue(!out.contains("Socket errors") && !out.contains("Non-2xx"), out);
        Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        double rps = Double.parseDouble(m.group(1));
        assertTrue(rps > 0, out);
        return rps;
    }

    /**
     * The listen backlog the host kernel holds for the forwarded port (ss's Send-Q of the
     * listening socket), or -1 without ss.
     */
    static int listenBacklog(int port) throws Exception {
        if (!Files.isExecutable(Path.of("/usr/bin/ss")) && !Files.isExecutable(Path.of("/bin/ss"))) {
            return -1;
        }
        String out = run(List.of("ss", "-ltnH", "sport = :" + port), 30);
        Matcher m = Pattern.compile("LISTEN\\s+\\d+\\s+(\\d+)").matcher(out);
        assertTrue(m.find(), "no listening socket on port " + port + ":\n" + out);
        return Integer.parseInt(m.group(1));
    }
}
