package org.portapp.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.portapp.cache.CacheDir;
import org.portapp.image.AppEnvironment;
import org.portapp.image.Closure;
import org.portapp.image.FileMapping;
import org.portapp.image.HostMount;
import org.portapp.image.Image;
import org.portapp.image.Progress;
import org.portapp.platform.HostSignals;
import org.portapp.platform.linuxu.LinuxuPlatform;
import org.portapp.platform.qemu.HostTerminal;
import org.portapp.platform.qemu.Machine;
import org.portapp.platform.qemu.Network;
import org.portapp.platform.qemu.QemuLaunch;
import org.portapp.platform.qemu.QemuMounts;
import org.portapp.platform.qemu.QemuPlatform;
import org.portapp.platform.qemu.UnikernelApp;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code port-app run}: rewrite (cached) and run a binary on a platform. */
@Command(name = "run", mixinStandardHelpOptions = true,
        header = "Run a binary as its own unikernel under QEMU, or as a Linux process.",
        description = {"Rewrites BIN (cached by content hash) and runs it: booted as its own",
            "unikernel under QEMU (qemu-pc, qemu-microvm) or as a Linux process (linuxu).",
            "The app's stdout, stderr and stdin are the command's own, unchanged, and the",
            "exit code is the app's (128+N if a signal N or a fault killed it; 125 if the",
            "unikernel panicked; 123 if the guest ran out of memory: raise -m, the message",
            "names a lower bound). port-app's own messages go to stderr.",
            "Signals: INT, TERM, QUIT, HUP, USR1, USR2 and WINCH sent to port-app are passed",
            "to the app on every platform (QUIT only when bin/port-app started port-app:",
            "its launcher takes it from the JVM); under QEMU the third INT, TERM or HUP ends",
            "the VM. port-app and the app end together. A death by a signal N exits",
            "128+N. With a terminal as stdin, the unikernel edits lines and echoes as a Linux",
            "terminal does, and Ctrl-C is SIGINT for the app."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--platform", defaultValue = "qemu-pc", paramLabel = "PLATFORM",
            description = "Where to run: qemu-pc, qemu-microvm (the unikernel under QEMU) or linuxu "
                    + "(a Linux process). Default: ${DEFAULT-VALUE}.")
    String platform;

    @Mixin
    AppOptions app;

    @Option(names = "--trace-syscalls", description = "Print one strace-like line per syscall to stderr.")
    boolean trace;

    @Option(names = "--kernel-log", description = "Show the unikernel's own log on stderr.")
    boolean kernelLog;

    @Option(names = "--no-rewrite", description = "Run the binary unrewritten: every syscall then goes through "
            + "the fallback path (the LSTAR entry on the unikernel, Syscall User Dispatch on linuxu).")
    boolean noRewrite;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        Progress progress = main.progress();
        try {
            return run(progress);
        } finally {
            progress.clear(); // an error's message starts on a line of its own
        }
    }

    private int run(Progress progress) throws Exception {
        CacheDir cache = CacheDir.at(Main.cacheDir());
        if (platform.equals("linuxu")) {
            app.refuseNetworkOptions();
            ProcessBuilder pb = linuxuProcess(app, trace, noRewrite, progress);
            pruned(cache, progress);
            try (AutoCloseable inUse = cache.inUse()) {
                // Started and waited for by this thread: the loader's parent-death signal
                // fires when the thread that started it ends (LinuxuPlatform.tiedTo).
                try (HostSignals forwarding = HostSignals.forwarding()) {
                    Process p = pb.inheritIO().start();
                    forwarding.attach(p);
                    return p.waitFor(); // 128+N when a signal killed it
                }
            }
        }
        if (java.util.Arrays.stream(Machine.values()).noneMatch(m -> m.cliName().equals(platform))) {
            throw new PortAppException("unknown platform '" + platform + "' (run takes qemu-pc, qemu-microvm "
                    + "or linuxu)");
        }
        Machine machine = Machine.byCliName(platform);
        if (!machine.isQemu()) {
            throw new PortAppException("'run' boots under QEMU (qemu-pc, qemu-microvm) or runs on linuxu; for "
                    + machine.cliName() + " use 'port-app build --platform " + machine.cliName() + "'");
        }
        int memory = app.memoryMiB();
        List<HostMount> mounts = app.hostMounts();    // a bad --mount fails before anything is built
        app.network(false); // -p and --net checked before the (slow) build
        UnikernelApp im = app.unikernel(trace, noRewrite, progress);
        Network network = app.network(Network.appUsesSockets(im));
        return boot(im, machine, memory, kernelLog, progress, network, mounts, !app.noAslr);
    }

    /**
     * Boots a prepared app under QEMU with this process's stdin, stdout and stderr, and returns
     * its exit code ({@code run}, and {@code pkg run} for a recipe).
     */
    static int boot(UnikernelApp im, Machine machine, int memory, boolean kernelLog, Progress progress,
                    Network network, List<HostMount> mounts, boolean aslr) throws Exception {
        return boot(im, machine, memory, kernelLog, progress, network, mounts, aslr, "");
    }

    /** As above, with {@code kernelWords} (" portapp.user=..." for a recipe) added to the kernel command line. */
    static int boot(UnikernelApp im, Machine machine, int memory, boolean kernelLog, Progress progress,
                    Network network, List<HostMount> mounts, boolean aslr, String kernelWords) throws Exception {
        CacheDir cache = CacheDir.at(Main.cacheDir());
        im.packageData().forEach(progress::detail); // what build prints, for run -v
        pruned(cache, progress);
        Path initrd = Files.createTempFile("port-app-initrd", ".cpio");
        try {
            Files.write(initrd, im.initrd());
            HostTerminal tty = HostTerminal.detect();
            List<String> cmd = new ArrayList<>(QemuPlatform.qemuCommand(machine, im.kernel().path(), initrd,
                    im.cmdline().withTerminal(tty).withAslr(aslr).encode() + QemuMounts.kernelWords(mounts)
                            + network.kernelWords(machine) + kernelWords,
                    memory, network));
            cmd.addAll(QemuMounts.qemuArgs(machine, mounts));
            System.out.flush();
            try (AutoCloseable inUse = cache.inUse()) {
                QemuLaunch.Result r = QemuLaunch.run(cmd, System.in, System.out, System.err, kernelLog, tty);
                if (!r.missingPrograms().isEmpty()) {
                    System.out.flush();
                    r.missingProgramMessages(org.portapp.platform.qemu.Cpio.fileNames(im.initrd()))
                            .forEach(System.err::println);
                }
                return r.exitCode();
            }
        } finally {
            try {
                Files.deleteIfExists(initrd);
            } catch (IOException ignored) {
                // a temporary file
            }
        }
    }

    /** Keeps the cache under its limit now that this run may have added to it (see {@link CacheDir}). */
    static void pruned(CacheDir cache, Progress progress) {
        CacheDir.Pruned p = cache.pruneAfterUse();
        if (p != null && p.entries() > 0) {
            progress.detail("port-app: cache over its limit: removed " + p.entries() + " least recently used entries ("
                    + CacheDir.human(p.freedBytes()) + ")");
        }
    }

    /**
     * The host process that runs the app on linuxu: resolves its closure (PT_INTERP and
     * DT_NEEDED, for a dynamically linked binary), rewrites every object (cached) into an image
     * root, builds the platform if needed, and runs it with paths resolved in the image first,
     * with exactly the app's environment and in its working directory.
     */
    static ProcessBuilder linuxuProcess(AppOptions app, boolean trace, boolean noRewrite, Progress progress) {
        if (!app.hostMounts().isEmpty()) {
            throw new PortAppException("--mount: not on linuxu (the app there sees the host's files already: use "
                    + "the host path; the loader maps lookups into the image, not the calls that create names); "
                    + "it works on qemu-pc and qemu-microvm");
        }
        Path exe = app.program();
        String workdir = app.workdir();
        // The overlay root serves the host's directories, so the working directory is the host's.
        if (!Files.isDirectory(Path.of(workdir))) {
            throw new PortAppException("--workdir " + workdir + ": no such directory (on linuxu the app sees "
                    + "the host's directories)");
        }
        AppEnvironment env = app.environment();
        List<FileMapping> files = app.fileMappings();
        Image image = Image.build(Main.cacheDir(), Closure.of(exe), files, !noRewrite, progress);
        LinuxuPlatform linuxu = LinuxuPlatform.at(Main.root());
        linuxu.ensureBuilt(Main.cacheDir().resolve("platforms"), progress);
        List<String> argv = new ArrayList<>();
        argv.add(app.binary.toString());
        argv.addAll(app.args);
        // The loader gets the environment as options, which keep its order (a process
        // environment set through ProcessBuilder does not), and nothing of port-app's own.
        ProcessBuilder pb = new ProcessBuilder(LinuxuPlatform.tiedTo(linuxu.command(image, argv, workdir,
                env.entries(), trace, LinuxuPlatform.RootMode.OVERLAY), ProcessHandle.current().pid()));
        pb.environment().clear();
        pb.environment().putAll(env.variables());
        return pb;
    }
}
