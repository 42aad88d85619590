package org.portapp.platform.qemu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One boot of a PVH kernel under QEMU (TCG) with the command lines written
 * down in platforms/x86_64/README.md: the serial console on stdout, the
 * isa-debug-exit device for the exit status, -no-reboot so that a kernel
 * panic (a triple fault) ends QEMU with status 0.
 */
record QemuBoot(String machine, Path kernel, String append, Path initrd, Path stdin, Duration timeout,
                List<String> devices) {

    /** A boot with no initrd and no console input. */
    QemuBoot(String machine, Path kernel, String append, Duration timeout) {
        this(machine, kernel, append, null, null, timeout);
    }

    /** A boot with no extra devices. */
    QemuBoot(String machine, Path kernel, String append, Path initrd, Path stdin, Duration timeout) {
        this(machine, kernel, append, initrd, stdin, timeout, List.of());
    }

    /** What a boot produced: QEMU's exit status, the console output, QEMU's stderr, wall time. */
    record Result(int status, String console, String stderr, Duration elapsed) {
        /** Decoded per the README's exit convention. */
        ExitStatus exit() {
            return ExitStatus.decode(status, console);
        }
    }

    /** Thrown when QEMU cannot be started or runs past its timeout. */
    static final class QemuBootException extends RuntimeException {
        QemuBootException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    List<String> command() {
        List<String> cmd = new ArrayList<>(List.of(
                "qemu-system-x86_64", "-M", machine, "-cpu", "max", "-m", "64",
                "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
                "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-kernel", kernel.toString()));
        if (append != null && !append.isEmpty()) {
            cmd.add("-append");
            cmd.add(append);
        }
        if (initrd != null) {
            cmd.add("-initrd");
            cmd.add(initrd.toString());
        }
        cmd.addAll(devices);
        return cmd;
    }

    Result run() {
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("qemu-console", ".txt");
            err = Files.createTempFile("qemu-stderr", ".txt");
            ProcessBuilder pb = new ProcessBuilder(command())
                    .redirectInput(ProcessBuilder.Redirect.from((stdin != null ? stdin : Path.of("/dev/null")).toFile()))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new QemuBootException("QEMU " + machine + " (" + append + ") did not finish within "
                        + timeout.toSeconds() + " s; console so far:\n" + Files.readString(out), null);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            return new Result(p.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8).replace("\r\n", "\n"),
                    Files.readString(err, StandardCharsets.UTF_8), elapsed);
        } catch (IOException e) {
            throw new QemuBootException("cannot run " + String.join(" ", command()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QemuBootException("interrupted while waiting for QEMU", e);
        } finally {
            try {
                if (out != null) Files.deleteIfExists(out);
                if (err != null) Files.deleteIfExists(err);
            } catch (IOException ignored) {
                // temp files: nothing to do
            }
        }
    }
}
