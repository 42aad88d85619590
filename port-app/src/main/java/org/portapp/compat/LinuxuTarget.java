package org.portapp.compat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.portapp.PortAppError;
import org.portapp.image.Closure;
import org.portapp.image.Image;
import org.portapp.image.Progress;
import org.portapp.platform.linuxu.LinuxuPlatform;

/**
 * port-app's Linux-process platform, as {@code port-app run --platform linuxu} runs an app:
 * the test's image (its closure, every object rewritten, cached by content) on the loader,
 * whose root overlays the host's, so TMPDIR and testcases/bin are the host's own.
 *
 * @param platform the loader, built ({@link #of})
 * @param cacheDir port-app's cache (rewritten objects, images)
 */
public record LinuxuTarget(LinuxuPlatform platform, Path cacheDir) implements Target {
    public static final String NAME = "linuxu";

    /** The platform of the installation at {@code root}, its loader built once (cached). */
    public static LinuxuTarget of(Path root, Path cacheDir, Progress progress) {
        LinuxuPlatform p = LinuxuPlatform.at(root);
        p.ensureBuilt(cacheDir.resolve("platforms"), progress);
        return new LinuxuTarget(p, cacheDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Execution run(Path binary, List<String> argv, Map<String, String> env, Path tmp, Duration timeout) {
        long t0 = System.nanoTime();
        List<String> cmd;
        try {
            Image image = Image.build(cacheDir, Closure.of(binary), List.of(), true, Progress.none());
            List<String> envList = new ArrayList<>();
            env.forEach((k, v) -> envList.add(k + "=" + v));
            cmd = LinuxuPlatform.tiedTo(platform.command(image, argv, tmp.toString(), envList, false,
                    LinuxuPlatform.RootMode.OVERLAY), ProcessHandle.current().pid());
        } catch (PortAppError e) {
            return Execution.failed(e.getMessage(), HostProcess.millisSince(t0));
        }
        // Started and waited for by this thread: the loader's parent-death signal fires when
        // the thread that started it ends (LinuxuPlatform.tiedTo).
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Execution e = HostProcess.run(pb, timeout);
        return new Execution(e.exitCode(), e.output(), e.kernelLog(), e.timedOut(), e.kernelFault(), e.error(),
                HostProcess.millisSince(t0));
    }
}
