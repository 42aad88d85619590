package org.portapp.platform.qemu;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code -p [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]}: a host port that QEMU's user-mode
 * network forwards to a guest port (QEMU {@code hostfwd=}). HOSTADDR is an IPv4 address
 * (QEMU 7.2's hostfwd takes no IPv6 host address); without it the port is bound on
 * 127.0.0.1 only, so nothing outside the host reaches the app unless asked for.
 *
 * @param hostAddress the host address QEMU binds (dotted quad)
 * @param hostPort    1-65535
 * @param guestPort   1-65535
 * @param protocol    TCP unless {@code /udp}
 */
public record PortForward(String hostAddress, int hostPort, int guestPort, Protocol protocol) {
    /** The address a {@code -p} without HOSTADDR binds. */
    public static final String DEFAULT_HOST_ADDRESS = "127.0.0.1";

    static final String SYNTAX = "[HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. -p 8080:80 or "
            + "-p 0.0.0.0:5353:53/udp";

    private static final Pattern SPEC = Pattern.compile(
            "(?:(\\d{1,3}(?:\\.\\d{1,3}){3}):)?(\\d{1,5}):(\\d{1,5})(?:/(tcp|udp))?", Pattern.CASE_INSENSITIVE);

    /** The transport protocol forwarded. */
    public enum Protocol {
        TCP, UDP;

        String qemuName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PortForward {
        if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
            throw new QemuException("-p " + hostPort + ":" + guestPort + ": ports are 1-65535");
        }
    }

    /** Parses one {@code -p} value; a malformed one is a {@link QemuException} saying the syntax. */
    public static PortForward parse(String spec) {
        Matcher m = SPEC.matcher(spec.strip());
        if (!m.matches()) {
            throw new QemuException("-p " + spec + ": expected " + SYNTAX);
        }
        String addr = m.group(1) == null ? DEFAULT_HOST_ADDRESS : m.group(1);
        for (String octet : addr.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                throw new QemuException("-p " + spec + ": " + addr + " is not an IPv4 address");
            }
        }
        int host = Integer.parseInt(m.group(2));
        int guest = Integer.parseInt(m.group(3));
        if (host < 1 || host > 65535 || guest < 1 || guest > 65535) {
            throw new QemuException("-p " + spec + ": ports are 1-65535");
        }
        Protocol p = m.group(4) == null ? Protocol.TCP : Protocol.valueOf(m.group(4).toUpperCase(Locale.ROOT));
        return new PortForward(addr, host, guest, p);
    }

    /** The rule in QEMU's {@code -netdev user,hostfwd=} syntax: {@code tcp:127.0.0.1:8080-:80}. */
    public String hostfwd() {
        return protocol.qemuName() + ":" + hostAddress + ":" + hostPort + "-:" + guestPort;
    }

    /** As the user would write it, fully spelled out. */
    @Override
    public String toString() {
        return hostAddress + ":" + hostPort + ":" + guestPort + "/" + protocol.qemuName();
    }

    /**
     * Refuses, before anything boots, a host port another process holds: binds it as QEMU
     * will (TCP listen or UDP) and lets go at once. (A port taken in the instant between
     * this check and QEMU's start still fails, with QEMU's own message.)
     */
    public void requireHostPortFree() {
        InetSocketAddress at;
        try {
            at = new InetSocketAddress(InetAddress.getByName(hostAddress), hostPort);
        } catch (IOException e) {
            throw new QemuException("-p " + this + ": " + hostAddress + ": " + e.getMessage());
        }
        try {
            if (protocol == Protocol.TCP) {
                try (ServerSocket s = new ServerSocket()) {
                    s.bind(at);
                }
            } else {
                try (DatagramSocket s = new DatagramSocket(null)) {
                    s.bind(at);
                }
            }
        } catch (IOException e) {
            String why = e.getMessage() != null && e.getMessage().contains("in use")
                    ? "is already in use" : "cannot be bound (" + e.getMessage() + ")";
            throw new QemuException("-p " + this + ": host port " + hostAddress + ":" + hostPort + "/"
                    + protocol.qemuName() + " " + why);
        }
    }
}
