package org.portapp.platform;

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
 * <p>Three builds cover everything: the linuxu loader with every module linuxu may select,
 * the unikernel with every kernel module (without LTO: the same sources with the same
 * warnings, in a fraction of the time), and the self-test kernel of
 * {@code platforms/x86_64}. They go through the platforms' own build code, cached by
 * content, so an unchanged tree costs only the hashing.
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
            LinuxuPlatform.at(root).ensureBuilt(buildDir);
            QemuPlatform qemu = QemuPlatform.at(root);
            qemu.ensureBuilt(qemu.modules().modules(), buildDir, false);
            // make's own dependency files (-MMD) keep this one incremental.
            CachedBuild.run(List.of("make", "-s", "-C", root.resolve("platforms/x86_64").toString(),
                    "OUT=" + buildDir.resolve("x86_64-selftest")), "building the x86_64 self-test kernel");
        } catch (LinuxuException | QemuException e) {
            fail(e.getMessage(), ""); // the message ends with make's output
        } catch (CachedBuild.Failure e) {
            fail("x86_64: " + e.getMessage(), e.output());
        } catch (java.io.IOException e) {
            fail("cannot build in " + buildDir + ": " + e.getMessage(), "");
        }
    }

    private static void fail(String message, String output) {
        System.err.print(output);
        System.err.println("compile check: " + message);
        System.exit(1);
    }
}
