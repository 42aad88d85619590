package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.portapp.platform.qemu.UnikernelRunTest.Run;

/**
 * Apps that read their Debian packages' data files at run time, booted on qemu-pc: perl's
 * POSIX module (perl-base's POSIX.pm and its XS plugin) and file's magic database (libmagic-mgc,
 * reached from libmagic1's Depends). Without the package data both fail.
 */
@Tag("qemu")
class PackageDataOnQemuTest {
    private static String nativeRun(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed natively:\n" + out);
        return out;
    }

    private static void assume(String exe) {
        // bin/setup installs perl and file: a missing one is a broken set-up, not a reason to skip
        assertTrue(Files.isExecutable(Path.of(exe)), exe + " is not installed: run bin/setup");
    }

    @Test
    @Timeout(300)
    void perlLoadsPosix() {
        assume("/usr/bin/perl");
        Run r = UnikernelRunTest.run("qemu-pc", "/usr/bin/perl", "--", "-MPOSIX", "-e",
                "print strftime(\"%Y\", gmtime(0)), \"\\n\"");
        assertEquals(0, r.code(), r::describe);
        assertEquals("1970\n", r.out(), r::describe);
    }

    @Test
    @Timeout(300)
    void fileNamesBusyboxAsNatively() throws Exception {
        assume("/usr/bin/file");
        // busybox is not part of file's image: the argument naming it puts it in the guest, as it is
        String expected = nativeRun("file", "/bin/busybox");
        Run r = UnikernelRunTest.run("qemu-pc", "file", "--", "/bin/busybox");
        assertEquals(0, r.code(), r::describe);
        assertEquals(expected, r.out(), r::describe);
    }
}
