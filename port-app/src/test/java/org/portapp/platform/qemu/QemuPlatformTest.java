package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real boots of the x86_64 platform base (platforms/x86_64, self-test kmain)
 * under QEMU TCG on -M pc and -M microvm.  Each boot takes well under a
 * second here; the timeout only guards against a hang.
 */
@Tag("qemu")
class QemuPlatformTest {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(30);
    private static Path kernel;

    @BeforeAll
    static void buildKernel(@TempDir Path out) throws Exception {
        Path root = Path.of(System.getProperty("portapp.root", "..")).toAbsolutePath().normalize();
        Path platform = root.resolve("platforms/x86_64");
        assertTrue(Files.isRegularFile(platform.resolve("Makefile")), "no Makefile in " + platform);
        Path log = out.resolve("make.log");
        Process make = new ProcessBuilder("make", "-s", "-C", platform.toString(), "OUT=" + out)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!make.waitFor(180, TimeUnit.SECONDS)) {
            make.destroyForcibly().waitFor();
            fail("make did not finish within 180 s");
        }
        assertEquals(0, make.exitValue(), () -> "make failed:\n" + read(log));
        kernel = out.resolve("kernel.elf");
        assertTrue(Files.isRegularFile(kernel), "make did not produce " + kernel);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static QemuBoot.Result boot(String machine, String append) {
        return new QemuBoot(machine, kernel, append, BOOT_TIMEOUT).run();
    }

    private static String describe(QemuBoot.Result r) {
        return "QEMU status " + r.status() + "\n--- console ---\n" + r.console() + "\n--- stderr ---\n" + r.stderr();
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void printsHelloAndExitsZero(String machine) {
        QemuBoot.Result r = boot(machine, "");
        assertTrue(r.console().contains("hello from port-app kernel\n"), () -> describe(r));
        assertEquals(1, r.status(), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
        assertTrue(r.console().contains("memmap: 0x0000000000100000-"), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void exitCode42ComesOutAsStatus85(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=exit:42");
        assertEquals(85, r.status(), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 42), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void exitCodeAbove127IsRecoveredFromTheExitLine(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=exit:200");
        assertEquals((200 << 1 | 1) & 0xff, r.status(), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 200), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void nullDereferenceGivesAFaultReport(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=null");
        String c = r.console();
        assertEquals(0, r.status(), () -> "a panic must end QEMU with status 0\n" + describe(r));
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, r.exit().kind(), () -> describe(r));
        assertTrue(c.contains("*** KERNEL FAULT: page fault (#PF, vector 14)"), () -> describe(r));
        assertTrue(c.contains("CR2 0x0000000000000000"), () -> describe(r));
        assertTrue(c.matches("(?s).*\\nRIP 0x[0-9a-f]{16} <deref\\+0x[0-9a-f]+>\\n.*"), () -> describe(r));
        assertTrue(c.matches("(?s).*\\nRSP 0x[0-9a-f]{16} RFLAGS 0x[0-9a-f]{16}.*"), () -> describe(r));
        for (String reg : new String[] {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R8 ", "R9 ",
                "R10", "R11", "R12", "R13", "R14", "R15"}) {
            assertTrue(c.contains(reg + " 0x"), () -> reg + " missing\n" + describe(r));
        }
        assertTrue(c.matches("(?s).*\\n  #1 0x[0-9a-f]{16} <selftest_null\\+0x[0-9a-f]+>.*"), () -> describe(r));
        assertTrue(c.matches("(?s).*\\n  #2 0x[0-9a-f]{16} <kmain\\+0x[0-9a-f]+>.*"), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void writingKernelTextFaults(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=wxtext");
        assertEquals(0, r.status(), () -> describe(r));
        assertTrue(r.console().contains("page fault (#PF, vector 14) error code 0x3 [protection violation, write]"),
                () -> describe(r));
    }

    /** Kernel hardening: data is not executable, rodata not writable (CR0.WP holds in ring 0). */
    @Test
    void kernelDataIsNotExecutableAndRodataNotWritable() {
        QemuBoot.Result x = boot("microvm", "selftest=nxdata");
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, x.exit().kind(), () -> describe(x));
        assertTrue(x.console().contains("error code 0x11 [protection violation, read, instruction fetch]"),
                () -> describe(x));
        QemuBoot.Result w = boot("microvm", "selftest=wxrodata");
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, w.exit().kind(), () -> describe(w));
        assertTrue(w.console().contains("error code 0x3 [protection violation, write]"), () -> describe(w));
    }

    /** The stack protector's global canary (RDRAND-seeded in boot.S) catches a smashed frame. */
    @Test
    void stackProtectorReportsASmashedCanary() {
        QemuBoot.Result r = boot("microvm", "selftest=canary");
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, r.exit().kind(), () -> describe(r));
        assertTrue(r.console().contains("*** KERNEL PANIC: stack smashing detected"), () -> describe(r));
        assertTrue(r.console().matches("(?s).*\\n  #1 0x[0-9a-f]{16} <smash_canary\\+0x[0-9a-f]+>.*"),
                () -> describe(r));
        assertFalse(r.console().contains("returned past a smashed canary"), () -> describe(r));
    }

    /** A thread's kernel stack (where the shim runs) overflowing into its guard page is reported. */
    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void kernelStackOverflowIsReported(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=kstack");
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, r.exit().kind(), () -> describe(r));
        assertTrue(r.console().contains("*** KERNEL FAULT: kernel stack overflow (kernel stack of a thread)"),
                () -> describe(r));
        assertTrue(r.console().contains("stack overflow into the guard page of the kernel stack of a thread"),
                () -> describe(r));
        assertTrue(r.console().matches("(?s).*\\n  #1 0x[0-9a-f]{16} <recurse\\+0x[0-9a-f]+>.*"), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void pageTableApi(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=mm");
        assertTrue(r.console().contains("\nmm ok: "), () -> describe(r));
        assertTrue(r.console().contains("\nuaccess ok\n"), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void timerSleeps50Milliseconds(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=timer");
        String c = r.console();
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
        Matcher hz = Pattern.compile("tsc frequency: (\\d+) Hz").matcher(c);
        assertTrue(hz.find(), () -> describe(r));
        long tscHz = Long.parseLong(hz.group(1));
        assertTrue(tscHz > 100_000_000L && tscHz < 10_000_000_000L, () -> "implausible TSC rate\n" + describe(r));
        Matcher slept = Pattern.compile("slept (\\d+) us \\(tsc delta \\d+\\), timer interrupts (\\d+)").matcher(c);
        assertTrue(slept.find(), () -> describe(r));
        assertTrue(Long.parseLong(slept.group(1)) >= 50_000, () -> describe(r));
        assertTrue(Long.parseLong(slept.group(2)) >= 1, () -> describe(r));
        assertTrue(c.contains("timer ok\n"), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void initrdArrivesAsModule(String machine, @TempDir Path dir) throws IOException {
        Path initrd = dir.resolve("initrd.bin");
        Files.write(initrd, new byte[12345]);
        QemuBoot.Result r = new QemuBoot(machine, kernel, "selftest=hello", initrd, null, BOOT_TIMEOUT).run();
        assertTrue(r.console().matches("(?s).*\\nmodule 0: phys 0x[0-9a-f]+ size 12345 .*"), () -> describe(r));
        assertTrue(r.console().contains("cmdline: \"selftest=hello\""), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void avxStateSurvivesSaveAndRestore(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=fpu");
        assertTrue(r.console().contains("xcr0 0x7 "), () -> "x87|SSE|AVX expected with -cpu max\n" + describe(r));
        assertTrue(r.console().contains("\nfpu ok\n"), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void interruptLeavesTheRedZoneIntact(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=redzone");
        assertTrue(r.console().contains("red zone: 0 of 16 words changed"), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void consoleInputIsRead(String machine, @TempDir Path dir) throws IOException {
        Path in = dir.resolve("stdin.txt");
        Files.writeString(in, "ping from the host\n");
        QemuBoot.Result r = new QemuBoot(machine, kernel, "selftest=echo", null, in, BOOT_TIMEOUT).run();
        assertTrue(r.console().contains("\necho: ping from the host\n"), () -> describe(r));
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void stackOverflowHitsTheGuardPage(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=overflow");
        assertEquals(0, r.status(), () -> describe(r));
        assertTrue(r.console().contains("stack overflow into the guard page of the boot stack"), () -> describe(r));
        assertTrue(r.console().matches("(?s).*\\n  #1 0x[0-9a-f]{16} <recurse\\+0x[0-9a-f]+>.*"), () -> describe(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {"pc", "microvm"})
    void unhandledVectorIsReported(String machine) {
        QemuBoot.Result r = boot(machine, "selftest=int");
        assertEquals(0, r.status(), () -> describe(r));
        assertTrue(r.console().contains("*** KERNEL FAULT: unexpected interrupt (vector 128)"), () -> describe(r));
    }

    /**
     * selftest=net: the virtio-net driver ARPs for QEMU's user-mode gateway through transmit
     * and gets slirp's answer through interrupt-driven receive on its driver thread, on each
     * transport: virtio-pci modern only and legacy only (pc), and on microvm virtio-mmio as
     * port-app starts it (Network.qemuArgs: QEMU 7.2's legacy version 1) and version 2.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pc modern", "pc legacy", "microvm", "microvm v2"})
    void virtioNetArpsForTheGatewayThroughInterruptDrivenReceive(String variant) {
        boolean pc = variant.startsWith("pc");
        List<String> devices = new ArrayList<>(Network.choose("user", List.of(), false)
                .qemuArgs(pc ? Machine.QEMU_PC : Machine.QEMU_MICROVM));
        String transport = switch (variant) {
            case "pc modern" -> "virtio-pci modern";
            case "pc legacy" -> "virtio-pci legacy";
            case "microvm" -> "virtio-mmio v1";
            default -> "virtio-mmio v2";
        };
        if (pc) {
            devices.set(3, devices.get(3) + (variant.endsWith("modern") ? ",disable-legacy=on" : ",disable-modern=on"));
        } else if (variant.endsWith("v2")) {
            devices.addAll(List.of("-global", "virtio-mmio.force-legacy=off"));
        }
        QemuBoot.Result r = new QemuBoot(pc ? "pc" : "microvm,acpi=off", kernel, "selftest=net", null, null,
                BOOT_TIMEOUT, devices).run();
        String c = r.console();
        assertEquals(new ExitStatus(ExitStatus.Kind.APP_EXIT, 0), r.exit(), () -> describe(r));
        assertTrue(c.contains("net: 1 virtio-net device(s)\n"), () -> describe(r));
        assertTrue(c.contains("net: " + transport + ", features "), () -> describe(r));
        assertTrue(c.contains("mac 52:54:00:12:34:56"), () -> describe(r));
        // slirp's gateway MAC is 52:55 followed by its IPv4 address, 10.0.2.2.
        assertTrue(c.contains("net: 10.0.2.2 is at 52:55:0a:00:02:02\n"), () -> describe(r));
        assertTrue(c.contains("receive ran on the driver thread: yes; main thread woken by event;"), () -> describe(r));
        assertTrue(c.contains("driver thread asleep: yes\n"), () -> describe(r));
        // Several times both rings' size: every ring index wraps, no frame is lost.
        assertTrue(c.contains("net: burst of 600 requests: 600 replies, "), () -> describe(r));
        assertTrue(c.contains("net ok\n"), () -> describe(r));
    }

    @Test
    void virtioNetWithoutADeviceSaysSo() {
        QemuBoot.Result r = boot("pc", "selftest=net");
        assertEquals(ExitStatus.Kind.KERNEL_PANIC, r.exit().kind(), () -> describe(r));
        assertTrue(r.console().contains("net: 0 virtio-net device(s)\n"), () -> describe(r));
        assertTrue(r.console().contains("no virtio-net device"), () -> describe(r));
    }
}
