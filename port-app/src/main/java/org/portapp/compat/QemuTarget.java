package org.portapp.compat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.portapp.PortAppError;
import org.portapp.image.ExecClosure;
import org.portapp.image.Progress;
import org.portapp.platform.qemu.ExitStatus;
import org.portapp.platform.qemu.Machine;
import org.portapp.platform.qemu.QemuLaunch;
import org.portapp.platform.qemu.QemuPlatform;
import org.portapp.platform.qemu.UnikernelApp;
import org.portapp.syscalls.ShimModule;

/**
 * The unikernel under QEMU, as {@code port-app run} boots an app, except that every test gets
 * the same kernel, built once with every module (a specialized kernel per test binary would be
 * one LTO link each). The test's TMPDIR is the ramfs's /tmp. Each test runs under busybox's
 * shell (pid 1), as LTP's runners run it, so the test is not the first process.
 *
 * @param machine   qemu-pc or qemu-microvm
 * @param root      the port-app installation
 * @param cacheDir  port-app's cache
 * @param modules   every unikernel module
 * @param memoryMiB guest memory
 */
public record QemuTarget(Machine machine, Path root, Path cacheDir, List<ShimModule> modules, int memoryMiB)
        implements Target {
    /** The shell each test runs under (Debian's static busybox, as bin/setup installs it). */
    static final Path SHELL = Path.of("/bin/busybox");

    /** The guest's writable directory (the ramfs root is writable; the kernel makes /tmp). */
    public static final String GUEST_TMP = "/tmp";

    public QemuTarget {
        modules = List.copyOf(modules);
    }

    /** The target for {@code machine}, its all-modules kernel built now (cached). */
    public static QemuTarget of(Machine machine, Path root, Path cacheDir, int memoryMiB, Progress progress) {
        QemuPlatform platform = QemuPlatform.at(root);
        List<ShimModule> all = platform.modules().modules();
        platform.ensureBuilt(all, cacheDir.resolve("platforms"), true, progress);
        return new QemuTarget(machine, root, cacheDir, all, memoryMiB);
    }

    @Override
    public String name() {
        return machine.cliName();
    }

    @Override
    public String tmpdir(Path hostTmp) {
        return GUEST_TMP;
    }

    @Override
    public Execution run(Path binary, List<String> argv, Map<String, String> env, Path tmp, Duration timeout) {
        long t0 = System.nanoTime();
        Path initrd = null;
        try {
            // The test runs as a child of a shell, as under LTP's own runners: its library takes
            // a parent of pid 1 for the sign that its main process died (heartbeat), and the
            // first process of the unikernel is pid 1. The test binary goes in rewritten.
            List<String> shell = new java.util.ArrayList<>(List.of("-c", "\"$0\" \"$@\"; exit $?",
                    binary.toString()));
            shell.addAll(argv.subList(1, argv.size()));
            UnikernelApp app = UnikernelApp.prepare(root, cacheDir, new UnikernelApp.Request(SHELL, "sh",
                    shell, env, GUEST_TMP, ExecClosure.of(binary), false, false, false, false),
                    Progress.none(), modules);
            initrd = Files.createTempFile(tmp, "initrd", ".cpio");
            Files.write(initrd, app.initrd());
            List<String> cmd = QemuPlatform.qemuCommand(machine, app.kernel().path(), initrd,
                    app.cmdline().encode(), memoryMiB);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            QemuLaunch.Result r;
            try (PrintStream both = new PrintStream(out, true, StandardCharsets.UTF_8)) {
                r = QemuLaunch.run(cmd, null, both, both, false, timeout);
            }
            long ms = HostProcess.millisSince(t0);
            String output = out.toString(StandardCharsets.UTF_8);
            return switch (r.status().kind()) {
                case TIMED_OUT -> new Execution(-1, output, r.kernelLog(), true, false, null, ms);
                case KERNEL_PANIC -> new Execution(r.exitCode(), output, r.kernelLog(), false, true, null, ms);
                case OUT_OF_MEMORY -> Execution.failed("the unikernel ran out of memory with -m " + memoryMiB, ms);
                default -> new Execution(r.exitCode(), output, r.kernelLog(), false, false, null, ms);
            };
        } catch (PortAppError e) {
            return Execution.failed(e.getMessage(), HostProcess.millisSince(t0));
        } catch (IOException e) {
            return Execution.failed("cannot write the initrd: " + e.getMessage(), HostProcess.millisSince(t0));
        } finally {
            if (initrd != null) {
                try {
                    Files.deleteIfExists(initrd);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }
}
