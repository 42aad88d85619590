package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.portapp.syscalls.SyscallTable;

/** {@code -p} and {@code --net}: parsing, the taken-port check, and the QEMU options they become. */
class NetworkTest {
    @Test
    void portForwardDefaultsToLoopbackAndTcp() {
        PortForward f = PortForward.parse("18080:8080");
        assertEquals(new PortForward("127.0.0.1", 18080, 8080, PortForward.Protocol.TCP), f);
        assertEquals("tcp:127.0.0.1:18080-:8080", f.hostfwd());
    }

    @Test
    void portForwardTakesAnAddressAndUdp() {
        PortForward f = PortForward.parse("0.0.0.0:5353:53/udp");
        assertEquals(new PortForward("0.0.0.0", 5353, 53, PortForward.Protocol.UDP), f);
        assertEquals("udp:0.0.0.0:5353-:53", f.hostfwd());
        assertEquals(PortForward.Protocol.TCP, PortForward.parse("10.1.2.3:1:2/TCP").protocol());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "80", "80:", ":80", "a:80:80", "1.2.3:80:80", "80:80/sctp",
        "80:80:80:80", "0:80", "80:0", "65536:80", "80:99999", "256.0.0.1:80:80", "-1:80", "::1:80:80"})
    void malformedPortForwardIsOneLineNamingTheSyntax(String spec) {
        QemuException e = assertThrows(QemuException.class, () -> PortForward.parse(spec));
        assertTrue(e.getMessage().startsWith("-p " + spec + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void aTakenTcpPortIsRefused() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            PortForward f = PortForward.parse(taken.getLocalPort() + ":80");
            QemuException e = assertThrows(QemuException.class, f::requireHostPortFree);
            assertEquals("-p 127.0.0.1:" + taken.getLocalPort() + ":80/tcp: host port 127.0.0.1:"
                    + taken.getLocalPort() + "/tcp is already in use", e.getMessage());
        }
    }

    @Test
    void aTakenUdpPortIsRefusedAndAFreedOneIsNot() throws Exception {
        int port;
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            port = taken.getLocalPort();
            PortForward f = PortForward.parse(port + ":53/udp");
            assertThrows(QemuException.class, f::requireHostPortFree);
            // TCP on the same number is another port.
            PortForward.parse(port + ":53/tcp").requireHostPortFree();
        }
        PortForward.parse(port + ":53/udp").requireHostPortFree();
    }

    @Test
    void defaultIsUserWithForwardsOrSocketsElseNone() {
        assertEquals(Network.Mode.NONE, Network.choose(null, List.of(), false).mode());
        assertEquals(Network.Mode.USER, Network.choose(null, List.of(), true).mode());
        assertEquals(Network.Mode.USER, Network.choose(null, List.of("8080:80"), false).mode());
        assertEquals(Network.Mode.NONE, Network.choose("none", List.of(), true).mode());
        assertEquals(Network.Mode.USER, Network.choose("user", List.of(), false).mode());
    }

    @Test
    void contradictionsAreRefused() {
        QemuException none = assertThrows(QemuException.class, () -> Network.choose("none", List.of("1:2"), false));
        assertTrue(none.getMessage().contains("--net none"), none.getMessage());
        QemuException bad = assertThrows(QemuException.class, () -> Network.choose("tap", List.of(), false));
        assertEquals("--net tap: expected user or none", bad.getMessage());
        QemuException twice = assertThrows(QemuException.class,
                () -> Network.choose(null, List.of("8080:80", "0.0.0.0:8080:81"), false));
        assertTrue(twice.getMessage().contains("forwarded twice"), twice.getMessage());
        // The same number over UDP is another port.
        Network.choose(null, List.of("8080:80", "8080:80/udp"), false);
    }

    @Test
    void qemuCommandOnPcHasTheVirtioNetPciDeviceAndForwards() {
        Network n = Network.choose(null, List.of("18080:8080", "0.0.0.0:5353:53/udp"), false);
        List<String> cmd = QemuPlatform.qemuCommand(Machine.QEMU_PC, Path.of("k"), Path.of("i"), "a", 64, n);
        int at = cmd.indexOf("-netdev");
        assertEquals(List.of("-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:18080-:8080,hostfwd=udp:0.0.0.0:5353-:53",
                "-device", "virtio-net-pci,netdev=net0,romfile="), cmd.subList(at, at + 4));
        assertEquals("pc", cmd.get(cmd.indexOf("-M") + 1));
    }

    @Test
    void qemuCommandOnMicrovmUsesVirtioMmioWithoutAcpi() {
        List<String> cmd = QemuPlatform.qemuCommand(Machine.QEMU_MICROVM, Path.of("k"), null, "a", 64,
                Network.choose("user", List.of(), false));
        assertEquals("microvm,acpi=off", cmd.get(cmd.indexOf("-M") + 1));
        int at = cmd.indexOf("-netdev");
        assertEquals(List.of("-netdev", "user,id=net0", "-device", "virtio-net-device,netdev=net0"),
                cmd.subList(at, at + 4));
    }

    @Test
    void noNetworkAddsNoDevice() {
        List<String> cmd = QemuPlatform.qemuCommand(Machine.QEMU_PC, Path.of("k"), null, "a", 64, Network.NONE);
        assertFalse(cmd.contains("-netdev"), cmd.toString());
        assertFalse(String.join(" ", cmd).contains("virtio"), cmd.toString());
        assertEquals("[]", Network.NONE.firecrackerInterfaces());
    }

    @Test
    void firecrackerGetsATapInterface() {
        assertEquals("[{\"iface_id\": \"net0\", \"guest_mac\": \"52:54:00:12:34:56\", \"host_dev_name\": \"tap0\"}]",
                Network.choose("user", List.of(), false).firecrackerInterfaces());
    }

    @Test
    void socketCallsAreFoundInAFootprint() {
        SyscallTable t = SyscallTable.load();
        int socket = t.require("socket").nr();
        int write = t.require("write").nr();
        int socketpair = t.require("socketpair").nr();
        assertTrue(Network.usesSockets(new AppFootprint(Set.of(write, socket), false, 0, true)));
        assertFalse(Network.usesSockets(new AppFootprint(Set.of(write), false, 0, true)));
        assertFalse(Network.usesSockets(new AppFootprint(Set.of(write, socketpair), false, 0, true)),
                "socketpair makes AF_UNIX pairs only");
        for (String name : Network.SOCKET_CALLS) {
            assertTrue(t.byName(name).isPresent(), name + " is not in the syscall table");
        }
    }
}
