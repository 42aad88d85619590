package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code port-app run} says after a run about programs the app could not execve. */
class MissingProgramsTest {
    private static QemuLaunch.Result withLog(String log) {
        return new QemuLaunch.Result(127, new ExitStatus(ExitStatus.Kind.APP_EXIT, 127), log, 0);
    }

    @Test
    void eachMissingPathOnceInLogOrder() {
        QemuLaunch.Result r = withLog("[kernel] app /bin/sh: entry 0x401000\n"
                + "[kernel] execve /usr/bin/foo: not in the image\n"
                + "[kernel] execve ./rel/bar: not in the image\n"
                + "[kernel] execve /usr/bin/foo: not in the image\n");
        assertEquals(List.of("/usr/bin/foo", "./rel/bar"), r.missingPrograms());
    }

    @Test
    void aPathSearchMissIsNotReported() {
        // sh looks for ls along PATH: /usr/local/bin/ls is missing, /bin/ls is in the image.
        QemuLaunch.Result r = withLog("[kernel] execve /usr/local/bin/ls: not in the image\n"
                + "[kernel] execve /usr/bin/gcc: not in the image\n");
        assertEquals(List.of("port-app: the app tried to run /usr/bin/gcc, which is not in the image "
                        + "(add it with --file, or --exec-closure)"),
                r.missingProgramMessages(List.of("/bin/ls", "/bin/sh")));
    }

    @Test
    void noMissingProgramsNoLines() {
        QemuLaunch.Result r = withLog("[kernel] app killed by signal 9\nexecve /x: not in the image\n");
        assertEquals(List.of(), r.missingPrograms());
    }

    @Test
    void initrdFileNamesAreTheRegularFiles() {
        byte[] initrd = new Cpio().file("/bin/sh", new byte[] {1, 2, 3}, 0755)
                .file("/etc/passwd", new byte[5], 0644).directory("/tmp").toBytes();
        assertEquals(List.of("/bin/sh", "/etc/passwd"), Cpio.fileNames(initrd));
    }
}
