package org.portapp.platform.qemu;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The host's ends of the unikernel's virtio console (platforms/x86_64/virtio_console.h): a
 * virtio-serial device with two ports, each a Unix socket port-app listens on and QEMU
 * connects to at its start. Port 1 ({@code io}) carries the app's stdin to the guest and its
 * stdout and stderr back, multiplexed as on the serial line ({@link ConsoleDemux}); port 2
 * ({@code ctl}) carries port-app's control codes ({@link GuestInput}), so unread input never
 * delays a signal. The kernel log, and the whole console of a VM without the device, stay on
 * the 16550. QEMU's virtserialport (unlike virtconsole) holds the guest's output while the
 * host does not read, and takes the host's input only into buffers the guest gave it: no loss
 * in either direction.
 */
final class VirtioConsole implements AutoCloseable {
    /** The environment variable that selects the console: {@code serial} for the 16550 alone. */
    static final String SELECT_ENV = "PORT_APP_CONSOLE";

    private final Path dir;
    private final ServerSocketChannel io;
    private final ServerSocketChannel ctl;

    private VirtioConsole(Path dir, ServerSocketChannel io, ServerSocketChannel ctl) {
        this.dir = dir;
        this.io = io;
        this.ctl = ctl;
    }

    /** The two connected ports. */
    record Ports(SocketChannel io, SocketChannel ctl) {
        /** A stream that writes to {@code ch} (not {@code Channels.newOutputStream}, whose writes
         * wait for a blocked read of the same channel). */
        static OutputStream output(SocketChannel ch) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer bb = ByteBuffer.wrap(b, off, len);
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                }
            };
        }
    }

    /**
     * Whether a run of {@code command} gets the virtio console: a QEMU pc or microvm, unless
     * {@code env} selects the serial line ({@value #SELECT_ENV}{@code =serial}, for comparison;
     * any other value but {@code virtio} is an error).
     */
    static boolean wanted(List<String> command, Map<String, String> env) {
        String sel = env.getOrDefault(SELECT_ENV, "virtio");
        if (!sel.equals("virtio") && !sel.equals("serial")) {
            throw new QemuException(SELECT_ENV + "=" + sel + ": the console is 'virtio' (the default) or 'serial'");
        }
        return sel.equals("virtio") && machine(command) != null;
    }

    /** QEMU's machine in {@code command} (pc or microvm), or null. */
    static String machine(List<String> command) {
        int i = command.indexOf("-M");
        if (i < 0 || i + 1 >= command.size()) {
            return null;
        }
        String m = command.get(i + 1).split(",", 2)[0];
        return m.equals("pc") || m.equals("microvm") ? m : null;
    }

    /** Listens on two new sockets in a private temporary directory. */
    static VirtioConsole open() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("port-app-console");
            ServerSocketChannel io = listen(dir.resolve("io"));
            ServerSocketChannel ctl = listen(dir.resolve("ctl"));
            return new VirtioConsole(dir, io, ctl);
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new QemuException("cannot create the console's sockets: " + e.getMessage());
        }
    }

    private static ServerSocketChannel listen(Path path) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        s.configureBlocking(false);
        return s;
    }

    /** QEMU's arguments for the device and its ports on {@code machine} (pc or microvm). */
    List<String> qemuArgs(String machine) {
        String bus = machine.equals("microvm") ? "virtio-serial-device" : "virtio-serial-pci";
        return List.of(
                "-chardev", "socket,id=pa-io,path=" + dir.resolve("io"),
                "-chardev", "socket,id=pa-ctl,path=" + dir.resolve("ctl"),
                // Three port ids (0 unused: QEMU keeps it for virtconsole): 8 queues, not 64.
                "-device", bus + ",id=pa-serial,max_ports=3",
                "-device", "virtserialport,bus=pa-serial.0,nr=1,chardev=pa-io,name=org.portapp.io",
                "-device", "virtserialport,bus=pa-serial.0,nr=2,chardev=pa-ctl,name=org.portapp.ctl");
    }

    /**
     * Waits for QEMU to connect both ports (it does so while it starts, before the guest
     * runs); null when QEMU ended first (its error is then on its stderr).
     */
    Ports accept(Process qemu) {
        SocketChannel a = null;
        SocketChannel b = null;
        try {
            while (a == null || b == null) {
                if (a == null) {
                    a = io.accept();
                }
                if (b == null) {
                    b = ctl.accept();
                }
                if (a == null || b == null) {
                    if (!qemu.isAlive()) {
                        closeQuietly(a);
                        closeQuietly(b);
                        return null;
                    }
                    Thread.sleep(2);
                }
            }
            a.configureBlocking(true);
            b.configureBlocking(true);
            return new Ports(a, b);
        } catch (IOException e) {
            closeQuietly(a);
            closeQuietly(b);
            throw new QemuException("QEMU's console connection failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(a);
            closeQuietly(b);
            throw new QemuException("interrupted while QEMU started");
        }
    }

    @Override
    public void close() {
        closeQuietly(io);
        closeQuietly(ctl);
        deleteQuietly(dir);
    }

    static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve("io"));
            Files.deleteIfExists(dir.resolve("ctl"));
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temporary directory
        }
    }
}
