package org.portapp.platform.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.portapp.image.HostMount;

class QemuMountsTest {
    private static final List<HostMount> MOUNTS = List.of(
            new HostMount(Path.of("/srv/a,b"), "/data", false),
            new HostMount(Path.of("/etc/conf"), "/etc/app dir", true));

    @Test
    void pcGetsVirtio9pPciDevicesTaggedInOrder() {
        assertEquals(List.of(
                "-fsdev", "local,id=fs0,path=/srv/a,,b,security_model=none",
                "-device", "virtio-9p-pci,fsdev=fs0,mount_tag=p0",
                "-fsdev", "local,id=fs1,path=/etc/conf,security_model=none,readonly=on",
                "-device", "virtio-9p-pci,fsdev=fs1,mount_tag=p1"), QemuMounts.qemuArgs(Machine.QEMU_PC, MOUNTS));
    }

    @Test
    void microvmGetsMmioDevices() {
        List<String> a = QemuMounts.qemuArgs(Machine.QEMU_MICROVM, MOUNTS.subList(0, 1));
        assertEquals(List.of("-fsdev", "local,id=fs0,path=/srv/a,,b,security_model=none",
                "-device", "virtio-9p-device,fsdev=fs0,mount_tag=p0"), a);
        assertEquals(List.of(), QemuMounts.qemuArgs(Machine.QEMU_MICROVM, List.of()));
    }

    @Test
    void firecrackerHasNone() {
        assertThrows(QemuException.class, () -> QemuMounts.qemuArgs(Machine.FIRECRACKER, MOUNTS));
    }

    @Test
    void theKernelLearnsTagAndPathPercentEncoded() {
        assertEquals(" portapp.mount=p0:/data portapp.mount=p1:/etc/app%20dir:ro", QemuMounts.kernelWords(MOUNTS));
        assertEquals("", QemuMounts.kernelWords(List.of()));
    }
}
