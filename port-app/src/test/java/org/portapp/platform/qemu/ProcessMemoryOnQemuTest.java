package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory side of processes on the unikernel (posix-shim/process, the platform's address
 * spaces): copy-on-write fork from a process with two threads, MAP_SHARED anonymous memory and
 * a process-shared semaphore across fork, vfork's shared memory (cowfork.c), glibc and musl,
 * against native; and a child that exhausts the guest's memory is killed while its parent, the
 * first process, goes on (oomchild.c at -m 64M).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@Tag("qemu")
class ProcessMemoryOnQemuTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void build() throws Exception {
        for (String name : new String[] {"cowfork.c", "oomchild.c"}) {
            try (InputStream in = ProcessMemoryOnQemuTest.class.getResourceAsStream(name)) {
                Files.write(dir.resolve(name), in.readAllBytes());
            }
        }
        for (String libc : new String[] {"glibc", "musl"}) {
            String cc = libc.equals("glibc") ? "gcc" : "musl-gcc";
            ThreadsSignalsOnQemuTest.compile(cc, dir.resolve("cowfork.c"), dir.resolve("cowfork-" + libc));
        }
        ThreadsSignalsOnQemuTest.compile("gcc", dir.resolve("oomchild.c"), dir.resolve("oomchild"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"cowfork-glibc, qemu-pc", "cowfork-musl, qemu-microvm"})
    void copyOnWriteAndSharedMemoryMatchNative(String name, String platform) throws Exception {
        String bin = dir.resolve(name).toString();
        ThreadsSignalsOnQemuTest.Run nat = ThreadsSignalsOnQemuTest.native_(bin);
        assertEquals(0, nat.code(), () -> "natively: " + nat.describe());
        assertTrue(nat.out().contains("parent's data intact: yes"), nat::describe);
        ThreadsSignalsOnQemuTest.Run uk = ThreadsSignalsOnQemuTest.qemu(platform, bin);
        assertEquals(nat.out(), uk.out(), uk::describe);
        assertEquals(0, uk.code(), uk::describe);
    }

    @Test
    void aChildOutOfMemoryIsKilledAndTheRunGoesOn() {
        ThreadsSignalsOnQemuTest.Run uk = ThreadsSignalsOnQemuTest.qemu("qemu-pc",
                dir.resolve("oomchild").toString(), "-m", "64M");
        assertEquals("hog killed\nparent alive\n", uk.out(), uk::describe);
        assertEquals(0, uk.code(), uk::describe);
    }
}
