package org.portapp.compat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a test killed at its limit leaves behind in its TMPDIR when LTP's cleanup did not run
 * (a test stopped before its library set its signal handlers dies at once): file systems
 * mounted there and loop devices backed by files there. Removed before the TMPDIR is, so the
 * next tests find free loop devices (LTP's tst_device wants one) and the host keeps no mounts.
 */
final class Leftovers {
    private Leftovers() {
    }

    /** Unmounts (lazily) what is mounted under {@code dir} and detaches loop devices backed there. */
    static void release(Path dir) {
        String prefix = dir.toAbsolutePath().normalize() + "/";
        List<String> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && unescape(f[1]).startsWith(prefix)) {
                    mounts.add(unescape(f[1]));
                }
            }
        } catch (IOException e) {
            return; // no /proc: nothing this can see
        }
        mounts.sort(Comparator.reverseOrder()); // inner mounts first
        mounts.forEach(m -> quietly("umount", "-l", m));
        String loops = quietly("losetup", "-a");
        for (String line : loops.lines().toList()) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.contains("(" + prefix)) {
                quietly("losetup", "-d", line.substring(0, colon));
            }
        }
    }

    /** /proc/mounts escapes space, tab, newline and backslash in octal. */
    static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    private static String quietly(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
