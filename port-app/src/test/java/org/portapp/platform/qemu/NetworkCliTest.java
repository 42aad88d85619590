package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/** {@code -p} and {@code --net} on the command line: errors before anything is built, and what run and build do with them. */
class NetworkCliTest {
    private static final String BUSYBOX = "/bin/busybox";

    /** One line on stderr, exit 1, nothing on stdout. */
    private static void assertOneLineError(Run r, String expected) {
        assertEquals(1, r.code(), r::describe);
        assertEquals("", r.out(), r::describe);
        assertEquals("port-app: error: " + expected + "\n", r.err(), r::describe);
    }

    @Test
    void malformedPortIsAOneLineError() {
        assertOneLineError(UnikernelRunTest.run("qemu-pc", "-p", "80:garbage", BUSYBOX, "--", "true"),
                "-p 80:garbage: expected " + PortForward.SYNTAX);
        assertOneLineError(UnikernelRunTest.cli("", "build", "-o", "/nonexistent/never", "-p", "1.2.3.4:80",
                BUSYBOX), "-p 1.2.3.4:80: expected " + PortForward.SYNTAX);
        assertOneLineError(UnikernelRunTest.run("qemu-microvm", "--net", "bridge", BUSYBOX),
                "--net bridge: expected user or none");
    }

    @Test
    void takenHostPortIsAOneLineErrorBeforeTheBoot() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            long t0 = System.nanoTime();
            Run r = UnikernelRunTest.run("qemu-pc", "-p", port + ":8080", BUSYBOX, "--", "true");
            assertOneLineError(r, "-p 127.0.0.1:" + port + ":8080/tcp: host port 127.0.0.1:" + port
                    + "/tcp is already in use");
            // Checked before the image is built, let alone booted.
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "took too long: not checked first");
        }
    }

    @Test
    void linuxuRefusesNetworkOptions() {
        assertOneLineError(UnikernelRunTest.run("linuxu", "-p", "8080:80", BUSYBOX, "--", "true"),
                "-p: on linuxu the app uses the host's network directly (it binds the host's ports itself); "
                        + "-p, --net and --ip are for the unikernel platforms");
        assertOneLineError(UnikernelRunTest.run("linuxu", "--net", "none", BUSYBOX, "--", "true"),
                "--net: on linuxu the app uses the host's network directly (it binds the host's ports itself); "
                        + "-p, --net and --ip are for the unikernel platforms");
        assertOneLineError(UnikernelRunTest.run("linuxu", "--ip", "10.0.2.20/24", BUSYBOX, "--", "true"),
                "--ip: on linuxu the app uses the host's network directly (it binds the host's ports itself); "
                        + "-p, --net and --ip are for the unikernel platforms");
    }

    @Test
    void badStaticAddressesAreOneLineErrors() {
        for (String bad : new String[] {"10.0.2.20", "10.0.2.300/24", "10.0.2.20/33", "10.0.2.20/24,gw", "x"}) {
            assertOneLineError(UnikernelRunTest.run("qemu-pc", "--ip", bad, BUSYBOX, "--", "true"),
                    "--ip " + bad + ": expected ADDR/PREFIX[,GATEWAY] with IPv4 addresses and a prefix of 0-32, "
                            + "e.g. 10.0.2.20/24,10.0.2.2");
        }
        assertOneLineError(UnikernelRunTest.run("qemu-pc", "--net", "none", "--ip", "10.0.2.20/24", BUSYBOX, "--",
                "true"), "--ip 10.0.2.20/24: --net none has no network device to give the address to (leave out "
                + "--net none, or use --net user)");
    }

    @Test
    void forwardsGoToTheStaticAddress() {
        Network n = Network.choose(null, java.util.List.of("18080:8080"), "10.0.2.20/24,10.0.2.2", false);
        assertEquals(java.util.List.of("-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:18080-10.0.2.20:8080",
                "-device", "virtio-net-pci,netdev=net0,romfile="), n.qemuArgs(Machine.QEMU_PC));
        assertEquals(" portapp.ip=10.0.2.20/24,10.0.2.2", n.kernelWords(Machine.QEMU_PC));
        assertEquals("", Network.choose(null, java.util.List.of("18080:8080"), false).kernelWords(Machine.QEMU_PC));
    }

    /** --ip gives the guest's device that address and mask instead of DHCP's 10.0.2.15. */
    @Tag("qemu")
    @Test
    void staticAddressReachesTheGuest() {
        Run r = UnikernelRunTest.run("qemu-pc", "--ip", "10.0.2.20/25,10.0.2.2", BUSYBOX, "--", "ifconfig", "eth0");
        assertEquals(0, r.code(), r::describe);
        assertTrue(r.out().contains("inet addr:10.0.2.20 "), r::describe);
        assertTrue(r.out().contains("Mask:255.255.255.128"), r::describe);
    }

    @Test
    void firecrackerRefusesPortForwards(@TempDir Path out) {
        Run r = UnikernelRunTest.cli("", "build", "--platform", "firecracker", "-p", "8080:80", "-o",
                out.toString(), BUSYBOX);
        assertEquals(1, r.code(), r::describe);
        assertTrue(r.err().startsWith("port-app: error: -p 8080:80: Firecracker has no user-mode network"), r::describe);
        assertFalse(r.err().strip().contains("\n"), r::describe);
    }

    /** QEMU accepts the network options run passes: the app boots with the device and forward. */
    @Tag("qemu")
    @Test
    void runWithAForwardBootsOnBothMachines() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        for (String platform : new String[] {"qemu-pc", "qemu-microvm"}) {
            Run r = UnikernelRunTest.run(platform, "-p", port + ":80", BUSYBOX, "--", "echo", "networked");
            assertEquals("networked\n", r.out(), r::describe);
            assertEquals(0, r.code(), r::describe);
        }
    }

    @Tag("qemu")
    @Test
    void buildWritesTheNetworkIntoTheLaunchScriptAndItBoots(@TempDir Path out) throws Exception {
        Run b = UnikernelRunTest.cli("", "build", "--platform", "qemu-microvm", "-p", "0.0.0.0:18099:80/udp",
                "-o", out.toString(), BUSYBOX, "--", "echo", "built");
        assertEquals(0, b.code(), b::describe);
        String script = Files.readString(out.resolve("run.sh"));
        assertTrue(script.contains(" -M microvm,acpi=off "), script);
        assertTrue(script.contains(" -netdev user,id=net0,hostfwd=udp:0.0.0.0:18099-:80 -device "
                + "virtio-net-device,netdev=net0\n"), script);
        assertTrue(script.contains("#   host 0.0.0.0:18099/udp -> guest port 80\n"), script);
        Run r = UnikernelRunTest.launchScript(out);
        assertEquals(0, r.code(), r::describe);
        assertTrue(r.out().contains("built\n"), r::describe);
    }

    @Tag("qemu")
    @Test
    void firecrackerBuildWritesATapInterface(@TempDir Path out) throws Exception {
        Run b = UnikernelRunTest.cli("", "build", "--platform", "firecracker", "--net", "user", "-o", out.toString(),
                BUSYBOX);
        assertEquals(0, b.code(), b::describe);
        String json = Files.readString(out.resolve("firecracker.json"));
        assertTrue(json.contains("\"network-interfaces\": [{\"iface_id\": \"net0\", \"guest_mac\": "
                + "\"52:54:00:12:34:56\", \"host_dev_name\": \"tap0\"}],"), json);
        assertTrue(json.contains(" portapp.ip=172.16.0.2/30,172.16.0.1\""), json);
        assertTrue(Files.readString(out.resolve("run.sh")).contains("ip tuntap add tap0 mode tap"));
        Run none = UnikernelRunTest.cli("", "build", "--platform", "firecracker", "--net", "none", "-o",
                out.toString(), BUSYBOX);
        assertEquals(0, none.code(), none::describe);
        assertTrue(Files.readString(out.resolve("firecracker.json")).contains("\"network-interfaces\": [],"));
    }

    private static boolean hasModule(Run build, String module) {
        return build.out().lines().anyMatch(l -> l.startsWith("modules: ")
                && (" " + l.substring(9) + " ").contains(" " + module + " "));
    }

    /**
     * The drivers cost only an app whose kernel has the net module: without it, the kernel
     * has no PCI, I/O APIC or virtio code at all (the probe in kmain is compiled out and
     * --gc-sections drops the rest).
     */
    @Tag("qemu")
    @Test
    void virtioIsLinkedOnlyWithTheNetModule(@TempDir Path out) throws Exception {
        Run b = UnikernelRunTest.cli("", "build", "-o", out.toString(), BUSYBOX);
        assertEquals(0, b.code(), b::describe);
        boolean net = hasModule(b, "net");
        boolean p9 = hasModule(b, "9pfs");   // virtio-9p (--mount) uses the same transport
        Process nm = new ProcessBuilder("nm", out.resolve("kernel.elf").toString()).redirectErrorStream(true).start();
        java.util.List<String> driverSymbols = new String(nm.getInputStream().readAllBytes()).lines()
                .filter(l -> !l.contains(" W ")) // LTO's per-file debug anchors, not code
                .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .filter(sym -> sym.startsWith("virtio_") || sym.equals("pci_scan") || sym.equals("irq_attach"))
                .toList();
        assertEquals(0, nm.waitFor());
        if (net) {
            // LTO may inline virtio_net_init itself; the transport stays
            assertTrue(driverSymbols.stream().anyMatch(sym -> sym.startsWith("virtio_")), driverSymbols::toString);
        } else if (p9) {
            assertTrue(driverSymbols.stream().noneMatch(sym -> sym.startsWith("virtio_net")), driverSymbols::toString);
        } else {
            assertEquals(java.util.List.of(), driverSymbols, b::describe);
        }
    }
}
