package org.portapp.platform.qemu;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.portapp.syscalls.Syscall;
import org.portapp.syscalls.SyscallTable;

/**
 * The guest's network: {@code --net user} (a virtio-net device on QEMU's user-mode network,
 * slirp: the guest is 10.0.2.15/24, the host's gateway 10.0.2.2, DNS 10.0.2.3; {@code -p}
 * forwards host ports in) or {@code --net none} (no device at all, as before networking
 * existed: the kernel then finds nothing to drive and an app's connect fails with
 * ENETUNREACH). The device is virtio-net-pci on pc and virtio-net-device (virtio-mmio) on
 * microvm; the kernel looks for it only when its image has the net module.
 *
 * @param mode     user or none
 * @param forwards the {@code -p} rules (none with {@code --net none})
 * @param staticIp {@code --ip}: the guest's address instead of DHCP, or null
 */
public record Network(Mode mode, List<PortForward> forwards, StaticIp staticIp) {
    /** No network device. */
    public static final Network NONE = new Network(Mode.NONE, List.of());

    /** A network whose guest takes its address from DHCP. */
    public Network(Mode mode, List<PortForward> forwards) {
        this(mode, forwards, null);
    }

    /** The netdev id the device and the backend share on QEMU's command line. */
    static final String NETDEV_ID = "net0";

    /**
     * Firecracker's guest MAC (QEMU's default, so logs read the same), its tap device, and
     * the guest's address and gateway on it (Firecracker's getting-started network: the
     * host side is 172.16.0.1/30), given to the kernel as portapp.ip= since no DHCP server
     * sits behind a tap.
     */
    static final String FIRECRACKER_MAC = "52:54:00:12:34:56";
    public static final String FIRECRACKER_TAP = "tap0";
    public static final String FIRECRACKER_GUEST_IP = "172.16.0.2/30,172.16.0.1";

    /**
     * Calls that only an app using IP networking makes: any of them in the footprint turns
     * the network on by default. socketpair is left out: it only makes AF_UNIX pairs.
     */
    static final List<String> SOCKET_CALLS = List.of("socket", "connect", "bind", "listen", "accept", "accept4",
            "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "getsockname",
            "getpeername", "setsockopt", "getsockopt");

    /** {@code --net}'s values. */
    public enum Mode {
        USER, NONE;

        static Mode parse(String s) {
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "user" -> USER;
                case "none" -> NONE;
                default -> throw new QemuException("--net " + s + ": expected user or none");
            };
        }
    }

    public Network {
        forwards = List.copyOf(forwards);
        if (mode == Mode.NONE && staticIp != null) {
            throw new QemuException("--ip " + staticIp.value() + ": --net none has no network device to give "
                    + "the address to (leave out --net none, or use --net user)");
        }
        if (mode == Mode.NONE && !forwards.isEmpty()) {
            throw new QemuException("-p " + forwards.get(0) + ": --net none has no network to forward into "
                    + "(leave out --net none, or use --net user)");
        }
        Set<String> seen = new HashSet<>();
        for (PortForward f : forwards) {
            if (!seen.add(f.protocol() + " " + f.hostPort())) {
                throw new QemuException("-p " + f + ": host port " + f.hostPort() + "/"
                        + f.protocol().name().toLowerCase(Locale.ROOT) + " is forwarded twice");
            }
        }
    }

    /**
     * The network for {@code --net} (null when not given) and the {@code -p} values: as asked,
     * else {@code user} when there are forwards or the app uses sockets ({@link #appUsesSockets}),
     * else none (an app that never uses the network boots as fast as without one).
     */
    public static Network choose(String net, List<String> publish, boolean appUsesSockets) {
        return choose(net, publish, null, appUsesSockets);
    }

    /** As {@link #choose(String, List, boolean)}, with {@code --ip} (null: DHCP), which implies {@code user}. */
    public static Network choose(String net, List<String> publish, String ip, boolean appUsesSockets) {
        List<PortForward> fwd = publish.stream().map(PortForward::parse).toList();
        StaticIp sip = ip == null ? null : StaticIp.parse(ip);
        Mode mode = net != null ? Mode.parse(net)
                : !fwd.isEmpty() || sip != null || appUsesSockets ? Mode.USER : Mode.NONE;
        return new Network(mode, fwd, sip);
    }

    /**
     * The kernel command line words for this network: {@code portapp.ip=} for a static
     * address (on Firecracker's tap, {@value #FIRECRACKER_GUEST_IP} unless {@code --ip} says),
     * with a leading space; empty for DHCP or no network.
     */
    public String kernelWords(Machine machine) {
        if (!enabled()) {
            return "";
        }
        if (staticIp != null) {
            return staticIp.kernelWord();
        }
        return machine == Machine.FIRECRACKER ? " portapp.ip=" + FIRECRACKER_GUEST_IP : ""; // no DHCP behind a tap
    }

    /** The shim module that holds the TCP/IP stack: without it in the kernel, a device is of no use. */
    static final String NET_MODULE = "net";

    /**
     * Whether the app would use a network: its footprint has socket calls and its kernel
     * has the {@value #NET_MODULE} module to serve them (which the footprint selects).
     */
    public static boolean appUsesSockets(UnikernelApp app) {
        return app.kernel().modules().contains(NET_MODULE) && usesSockets(app.footprint());
    }

    /** Whether the footprint's known syscall numbers include any of {@link #SOCKET_CALLS}. */
    public static boolean usesSockets(AppFootprint footprint) {
        SyscallTable table = SyscallTable.load();
        Set<Integer> socketNrs = new TreeSet<>();
        for (String name : SOCKET_CALLS) {
            table.byName(name).map(Syscall::nr).ifPresent(socketNrs::add);
        }
        return footprint.numbers().stream().anyMatch(socketNrs::contains);
    }

    public boolean enabled() {
        return mode == Mode.USER;
    }

    /** Refuses, before the boot, a forwarded host port that is taken ({@link PortForward#requireHostPortFree}). */
    public void requireHostPortsFree() {
        forwards.forEach(PortForward::requireHostPortFree);
    }

    /**
     * QEMU's options for this network on this machine: the user-mode backend with its
     * forwards, and the virtio-net device (on pc without its option ROM, which only
     * SeaBIOS's network boot would use and which costs boot time).
     */
    public List<String> qemuArgs(Machine machine) {
        if (!enabled()) {
            return List.of();
        }
        StringBuilder backend = new StringBuilder("user,id=" + NETDEV_ID);
        // slirp forwards to its DHCP address (10.0.2.15) unless told the guest's static one.
        forwards.forEach(f -> backend.append(",hostfwd=").append(staticIp == null ? f.hostfwd()
                : f.hostfwd().replace("-:", "-" + staticIp.address() + ":")));
        String device = switch (machine) {
            case QEMU_PC -> "virtio-net-pci,netdev=" + NETDEV_ID + ",romfile=";
            case QEMU_MICROVM -> "virtio-net-device,netdev=" + NETDEV_ID;
            case FIRECRACKER -> throw new QemuException("firecracker is not run through QEMU");
        };
        return List.of("-netdev", backend.toString(), "-device", device);
    }

    /**
     * The {@code network-interfaces} value of a Firecracker config: Firecracker has no
     * user-mode network, only a tap device on the host ({@value #FIRECRACKER_TAP}, which
     * the user creates and routes; docs/virtio.md), so {@code -p} has no meaning there.
     */
    public String firecrackerInterfaces() {
        if (!enabled()) {
            return "[]";
        }
        return "[{\"iface_id\": \"" + NETDEV_ID + "\", \"guest_mac\": \"" + FIRECRACKER_MAC
                + "\", \"host_dev_name\": \"" + FIRECRACKER_TAP + "\"}]";
    }
}
