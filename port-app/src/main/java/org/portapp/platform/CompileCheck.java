package org.portapp.platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.portapp.platform.linuxu.LinuxuException;
import org.portapp.platform.linuxu.LinuxuPlatform;
import org.portapp.platform.qemu.QemuException;
import org.portapp.platform.qemu.QemuPlatform;

/**
 * Compiles every C and assembly file of the shim and of both platforms, so that a C error
 * fails the Maven build (port-app's pom runs this in {@code process-classes}, before
 * {@code package} and {@code test}) instead of the first run or boot that needs the file.
 *
 * <p>Three builds cover everything: the self-test kernel of {@code platforms/x86_64}, the
 * linuxu loader with every module linuxu may select, and the unikernel with every kernel
 * module (without LTO: the same sources with the same warnings, in a fraction of the
 * time). They go through the platforms' own build code, cached by content (the self-test
 * kernel by make), so an unchanged tree costs only the hashing.
 *
 * <p>Usage: {@code CompileCheck <repository root> <build directory>}; exit status 1 with
 * the compiler's output on stderr when a build fails.
 */
public final class CompileCheck {
    private CompileCheck() {
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: CompileCheck <repository root> <build directory>");
            System.exit(2);
        }
        Path root = Path.of(args[0]).toAbsolutePath().normalize();
        Path buildDir = Path.of(args[1]).toAbsolutePath().normalize();
        try {
            check(root, buildDir);
        } catch (LinuxuException | QemuException e) {
            fail(e.getMessage(), ""); // the message ends with make's output
        } catch (CachedBuild.Failure e) {
            fail("x86_64: " + e.getMessage(), e.output());
        } catch (IOException e) {
            fail("cannot build in " + buildDir + ": " + e.getMessage(), "");
        }
    }

    /**
     * Builds the three products of the repository at {@code root} under {@code buildDir}:
     * the x86_64 self-test kernel, the linuxu loader, the unikernel.
     *
     * @throws CachedBuild.Failure if the x86_64 self-test kernel does not build
     * @throws LinuxuException     if the linuxu loader does not build (with make's output)
     * @throws QemuException       if the unikernel does not build (with make's output)
     */
    public static void check(Path root, Path buildDir) throws IOException {
        // Smallest first, so the common error shows soonest. make's own dependency files
        // (-MMD) keep this one incremental.
        CachedBuild.run(List.of("make", "-s", "-C", root.resolve("platforms/x86_64").toString(),
                "OUT=" + buildDir.resolve("x86_64-selftest")), "building the x86_64 self-test kernel");
        LinuxuPlatform.at(root).ensureBuilt(buildDir);
        QemuPlatform qemu = QemuPlatform.at(root);
        qemu.ensureBuilt(qemu.modules().modules(), buildDir, false);
    }

    private static void fail(String message, String output) {
        System.err.print(output);
        System.err.println("compile check: " + message);
        System.exit(1);
    }
}
