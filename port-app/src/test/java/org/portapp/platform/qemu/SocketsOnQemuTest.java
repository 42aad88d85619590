package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/**
 * Sockets on the unikernel (the net module: lwIP over the loopback interface, AF_UNIX in
 * the kernel), booted for real: Debian's python3 talking to itself over TCP on 127.0.0.1
 * (a server thread and a client), UDP and an AF_UNIX socketpair prints what it prints
 * natively; and opening and dropping 10,000 connections leaves the kernel's free memory
 * flat. test-apps/sockets (musl and glibc) is in the differential suite (cases.txt).
 */
@Tag("qemu")
class SocketsOnQemuTest {
    @TempDir
    Path tmp;

    static final String PYTHON = """
            import socket, threading, hashlib
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            srv.bind(("127.0.0.1", 0))
            srv.listen(8)
            port = srv.getsockname()[1]
            def serve():
                for _ in range(2):
                    c, addr = srv.accept()
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    data = b""
                    while True:
                        d = c.recv(65536)
                        if not d:
                            break
                        data += d
                    c.sendall(b"%d %s %s" % (len(data), hashlib.sha256(data).hexdigest()[:16].encode(),
                                             str(addr[0] == "127.0.0.1").encode()))
                    c.close()
            t = threading.Thread(target=serve)
            t.start()
            for size in (5, 3 << 20):
                cl = socket.create_connection(("127.0.0.1", port))
                same = cl.getpeername()[1] == port
                cl.sendall(bytes(i * 7 % 251 for i in range(size)))
                cl.shutdown(socket.SHUT_WR)
                reply = b""
                while True:
                    d = cl.recv(100)
                    if not d:
                        break
                    reply += d
                print("tcp", reply.decode(), same)
                cl.close()
            t.join()
            srv.close()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5)
            except ConnectionRefusedError as e:
                print("closed port:", type(e).__name__)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", 0))
            v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            v.sendto(b"ping", u.getsockname())
            msg, frm = u.recvfrom(100)
            print("udp", msg, frm[1] == v.getsockname()[1])
            a, b = socket.socketpair()
            a.sendall(b"over a socketpair")
            print("unix", b.recv(100), a.family == socket.AF_UNIX)
            a.close()
            print("unix eof", b.recv(100))
            print("localhost", sorted({ai[4][0] for ai in socket.getaddrinfo("localhost", 80, socket.AF_INET)}))
            """;

    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void pythonTalksToItselfAsNatively(String platform) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        String expected = nativeRun(python.toString(), "-c", PYTHON);
        Run r = UnikernelRunTest.cli("", "run", "--platform", platform, python.toString(), "--", "-c", PYTHON);
        assertEquals(0, r.code(), r::describe);
        assertEquals(expected, r.out(), r::describe);
        assertTrue(expected.contains("tcp 3145728 "), expected);
    }

    /**
     * Without a network device ({@code --net none}) the stack runs with loopback only: a
     * connect to any other address fails with ENETUNREACH, never a panic, and loopback
     * still works after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void noDeviceMeansNetworkUnreachable(String platform) {
        String script = """
                import socket, errno
                for kind, addr in ((socket.SOCK_STREAM, ("10.0.2.2", 80)), (socket.SOCK_DGRAM, ("8.8.8.8", 53))):
                    s = socket.socket(socket.AF_INET, kind)
                    try:
                        s.connect(addr)
                        print("connected?")
                    except OSError as e:
                        print(kind.name, errno.errorcode[e.errno])
                l = socket.create_server(("127.0.0.1", 0))
                c = socket.create_connection(l.getsockname())
                print("loopback still works:", l.accept()[1] == c.getsockname())
                """;
        Run r = UnikernelRunTest.cli("", "run", "--platform", platform, "--net", "none", "/usr/bin/python3", "--",
                "-c", script);
        assertEquals(0, r.code(), r::describe);
        assertEquals("SOCK_STREAM ENETUNREACH\nSOCK_DGRAM ENETUNREACH\nloopback still works: True\n", r.out(),
                r::describe);
    }

    /** net_churn's two lines; free memory from one round of connections to the next. */
    private static final Pattern MEM = Pattern.compile(
            "memfree_kib before (\\d+) right_after (\\d+) after_time_wait (\\d+)");

    @Tag("slow")
    @ParameterizedTest
    @ValueSource(strings = {"qemu-pc", "qemu-microvm"})
    void tenThousandConnectionsLeaveMemoryFlat(String platform) throws Exception {
        Path churn = tmp.resolve("net_churn");
        Process cc = new ProcessBuilder("musl-gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-static",
                "-I" + ThreadsSignalsOnQemuTest.root().resolve("test-apps"), "-o", churn.toString(), ThreadsSignalsOnQemuTest.root().resolve("test-apps/net_churn.c").toString())
                .redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS) && cc.exitValue() == 0, log);
        Run r = UnikernelRunTest.cli("", "run", "--platform", platform, churn.toString(), "--", "10000", "5");
        assertEquals(0, r.code(), r::describe);
        System.out.println(platform + ": " + r.out().strip().replace('\n', ';'));
        Matcher m = MEM.matcher(r.out());
        assertTrue(m.find(), r::describe);
        long before = Long.parseLong(m.group(1));
        long after = Long.parseLong(m.group(3));
        // The heap keeps its high-water mark, which TIME_WAIT connections set and which
        // varies by a few hundred KiB with TCG's speed from one round to the next (measured:
        // 4 rounds of 10,000 after a warm-up: 123736, 123720, 123720, 123720 KiB). Every
        // object a connection has (pcb, sock, vnode, file, pbuf) is over 100 bytes, so a
        // leak of any of them loses at least 1 MiB over 10,000 connections.
        assertTrue(after >= before - 1024, "free memory fell from " + before + " to " + after + " KiB:\n"
                + r.describe());
    }

    private static String nativeRun(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed natively:\n" + out);
        return out;
    }
}
