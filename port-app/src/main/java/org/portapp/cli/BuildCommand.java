package org.portapp.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.portapp.cache.CacheDir;
import org.portapp.image.HostMount;
import org.portapp.image.Progress;
import org.portapp.platform.qemu.ListenBacklog;
import org.portapp.platform.qemu.Machine;
import org.portapp.platform.qemu.Network;
import org.portapp.platform.qemu.QemuMounts;
import org.portapp.platform.qemu.QemuPlatform;
import org.portapp.platform.qemu.UnikernelApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code port-app build}: a unikernel image specialized for one app, ready to boot. */
@Command(name = "build", mixinStandardHelpOptions = true,
        header = "Build a unikernel specialized for a binary: kernel, initrd, launch script.",
        description = {"Rewrites BIN, selects the POSIX shim modules its syscall footprint needs",
            "(plus their dependencies), links them with the kernel (LTO, --gc-sections)",
            "and writes to DIR: kernel.elf (PVH: QEMU pc and microvm, Firecracker),",
            "initrd.cpio (the app at its path), cmdline.txt, and run.sh (QEMU) or",
            "firecracker.json + run.sh (Firecracker). Prints the chosen modules and the",
            "kernel's size. run.sh prints the console as plain text (stdout, stderr and",
            "the kernel log in one stream) and exits with the app's exit code."})
final class BuildCommand implements Callable<Integer> {
    @Option(names = "--platform", defaultValue = "qemu-pc", paramLabel = "PLATFORM",
            description = "qemu-pc, qemu-microvm or firecracker. Default: ${DEFAULT-VALUE}.")
    String platform;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Mixin
    AppOptions app;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws IOException {
        Machine machine = Machine.byCliName(platform);
        int memory = app.memoryMiB();
        List<HostMount> mounts = app.hostMounts();
        if (!mounts.isEmpty() && !machine.isQemu()) {
            throw new PortAppException("--mount: " + machine.cliName() + " has no 9P file sharing (virtio-9p); "
                    + "use --platform qemu-pc or qemu-microvm, or put the files in the image with --dir");
        }
        if (machine == Machine.FIRECRACKER && !app.publish.isEmpty()) {
            throw new PortAppException("-p " + app.publish.get(0) + ": Firecracker has no user-mode network to "
                    + "forward ports through; its guest sits on the tap device " + Network.FIRECRACKER_TAP + " (--net user), "
                    + "which you route or DNAT to yourself (docs/virtio.md)");
        }
        Network.choose(app.net, app.publish, app.ip, false); // -p, --net and --ip checked before the (slow) build
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new PortAppException(out + ": exists and is not a directory");
        }
        Progress progress = main.progress();
        UnikernelApp im;
        try {
            im = app.unikernel(false, false, progress);
        } finally {
            progress.clear();
        }
        RunCommand.pruned(CacheDir.at(Main.cacheDir()), progress);
        // Host ports are checked when run.sh starts QEMU (QEMU's own message), not now.
        Network network = Network.choose(app.net, app.publish, app.ip, Network.appUsesSockets(im));
        write(im, machine, memory, out, app.binary.toString(), network, mounts, !app.noAslr);
        return 0;
    }

    /**
     * Writes a prepared app's kernel, initrd, command line and launch script to {@code out}
     * and says what it wrote ({@code build}, and {@code pkg build} for a recipe).
     */
    static void write(UnikernelApp im, Machine machine, int memory, Path out, String appName, Network network,
                      List<HostMount> mounts, boolean aslr) throws IOException {
        write(im, machine, memory, out, appName, network, mounts, aslr, "");
    }

    /** As above, with {@code kernelWords} (" portapp.user=..." for a recipe) added to the kernel command line. */
    static void write(UnikernelApp im, Machine machine, int memory, Path out, String appName, Network network,
                      List<HostMount> mounts, boolean aslr, String kernelWords) throws IOException {
        Files.createDirectories(out);
        Path kernel = out.resolve(QemuPlatform.KERNEL);
        Files.copy(im.kernel().path(), kernel, StandardCopyOption.REPLACE_EXISTING);
        Files.write(out.resolve("initrd.cpio"), im.initrd());
        // The launch scripts ask for plain console output: a person reads it directly.
        String append = im.cmdline().withAslr(aslr).encode() + QemuMounts.kernelWords(mounts) + kernelWords + " portapp.console=plain"
                + network.kernelWords(machine);
        Files.writeString(out.resolve("cmdline.txt"), append + "\n", StandardCharsets.UTF_8);
        Path script = out.resolve("run.sh");
        if (machine.isQemu()) {
            List<String> q = new ArrayList<>(QemuPlatform.qemuCommand(machine, Path.of("$DIR/kernel.elf"),
                    Path.of("$DIR/initrd.cpio"), "$(cat \"$DIR/cmdline.txt\")$TTY", memory, network));
            q.addAll(QemuMounts.qemuArgs(machine, mounts));   // the host directories by absolute path
            StringBuilder cmd = new StringBuilder();
            // QEMU's forwarded ports listen with a backlog of 1 unless the library
            // raises it (ListenBacklog): the script carries its own copy.
            Optional<Path> backlog = network.forwards().isEmpty() ? Optional.empty() : ListenBacklog.library();
            if (backlog.isPresent()) {
                Files.copy(backlog.get(), out.resolve(LISTEN_LIBRARY), StandardCopyOption.REPLACE_EXISTING);
                cmd.append("LD_PRELOAD=\"$DIR/" + LISTEN_LIBRARY + "${LD_PRELOAD:+:$LD_PRELOAD}\"");
            }
            for (String w : q) {
                cmd.append(cmd.length() == 0 ? "" : " ").append(w.startsWith("$") ? "\"" + w + "\"" : shellWord(w));
            }
            Files.writeString(script, "#!/bin/sh\n"
                    + "# Boots " + appName + " as a unikernel on QEMU " + machine.qemuMachine()
                    + " (written by port-app build).\n"
                    + "# Exit status: the app's (QEMU's isa-debug-exit gives ((code << 1) | 1) & 0xff);\n"
                    + "# 125 when the kernel panicked (QEMU status 0).\n"
                    + networkComment(network)
                    + "DIR=$(cd \"$(dirname \"$0\")\" && pwd)\n"
                    + TERMINAL_PROBE
                    + cmd + "\n"
                    + "s=$?\n"
                    + "if [ $s -eq 0 ]; then exit 125; fi\n"
                    + "exit $((s >> 1))\n", StandardCharsets.UTF_8);
        } else {
            Files.writeString(out.resolve("firecracker.json"), firecrackerConfig(memory, append, network),
                    StandardCharsets.UTF_8);
            Files.writeString(script, "#!/bin/sh\n"
                    + "# Boots " + appName + " as a unikernel on Firecracker (written by port-app build).\n"
                    + "# Firecracker has no isa-debug-exit: the app's exit code is the last\n"
                    + "# \"[kernel] exit N\" line of the console.\n"
                    + (network.enabled() ? "# Network: the guest is " + Network.FIRECRACKER_GUEST_IP + " on the host's tap device "
                            + Network.FIRECRACKER_TAP + ", which must exist first:\n"
                            + "#   ip tuntap add " + Network.FIRECRACKER_TAP + " mode tap && ip addr add 172.16.0.1/30 dev "
                            + Network.FIRECRACKER_TAP + " && ip link set " + Network.FIRECRACKER_TAP + " up\n" : "")
                    + "DIR=$(cd \"$(dirname \"$0\")\" && pwd)\n"
                    + "cd \"$DIR\" && exec firecracker --no-api --config-file firecracker.json\n",
                    StandardCharsets.UTF_8);
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        im.describe(System.out);
        System.out.println("wrote " + out.resolve(QemuPlatform.KERNEL) + ", initrd.cpio, cmdline.txt, run.sh"
                + (machine.isQemu() ? "" : ", firecracker.json"));
    }

    /** The copy of {@link ListenBacklog}'s library next to a run.sh that forwards ports. */
    private static final String LISTEN_LIBRARY = "libportapp-listen.so";

    /**
     * Shell lines that set TTY to the kernel command-line word naming which of the script's
     * fds 0-2 are terminals and their size (portapp.tty, as {@code port-app run} adds it through
     * HostTerminal), or to nothing: the app sees a terminal only where the script has one.
     */
    private static final String TERMINAL_PROBE = """
            TTY=
            for fd in 0 1 2; do [ -t $fd ] && TTY="$TTY$fd"; done
            if [ -n "$TTY" ]; then
                size=$(stty size <&$(echo "$TTY" | cut -c1) 2>/dev/null)
                rows=${size%% *} cols=${size##* }
                if [ "$rows" -gt 0 ] 2>/dev/null && [ "$cols" -gt 0 ] 2>/dev/null; then
                    TTY=" portapp.tty=$TTY:${rows}x$cols"
                else
                    TTY=" portapp.tty=$TTY"
                fi
            fi
            """;

    /** w as one shell word: as is when it is plain, else single-quoted (a mount's host path). */
    static String shellWord(String w) {
        if (w.matches("[A-Za-z0-9_@%+=:,./-]+")) {
            return w;
        }
        return "'" + w.replace("'", "'\\''") + "'";
    }

    /** run.sh's lines saying what network the VM gets (QEMU refuses a taken host port itself). */
    private static String networkComment(Network network) {
        if (!network.enabled()) {
            return "# Network: none (--net none, or the app makes no socket calls).\n";
        }
        StringBuilder sb = new StringBuilder("# Network: QEMU user mode (guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3)");
        network.forwards().forEach(f -> sb.append("\n#   host ").append(f.hostAddress()).append(':').append(f.hostPort())
                .append('/').append(f.protocol().name().toLowerCase(java.util.Locale.ROOT))
                .append(" -> guest port ").append(f.guestPort()));
        return sb.append("\n").toString();
    }

    private static String firecrackerConfig(int memory, String append, Network network) {
        return "{\n"
                + "  \"boot-source\": {\n"
                + "    \"kernel_image_path\": \"kernel.elf\",\n"
                + "    \"initrd_path\": \"initrd.cpio\",\n"
                + "    \"boot_args\": " + Json.render(append) + "\n"
                + "  },\n"
                + "  \"drives\": [],\n"
                + "  \"network-interfaces\": " + network.firecrackerInterfaces() + ",\n"
                + "  \"machine-config\": {\"vcpu_count\": 1, \"mem_size_mib\": " + memory + "}\n"
                + "}\n";
    }
}
