package org.portapp.platform.qemu;

import java.util.ArrayList;
import java.util.List;
import org.portapp.image.HostMount;

/**
 * How {@code --mount}s reach the unikernel: one virtio-9p device per mount (QEMU's
 * {@code local} fsdev, {@code security_model=none}: files are created as the user running
 * QEMU), tagged {@code p0}, {@code p1} ..., and a {@code portapp.mount=TAG:GUESTDIR[:ro]} word
 * per mount on the kernel command line (platforms/qemu/loader.c), which the kernel mounts
 * before it looks the app up.
 */
public final class QemuMounts {
    /** The kernel module that mounts them. */
    public static final String MODULE = "9pfs";

    private QemuMounts() {
    }

    /** The device tag of the {@code i}th mount. */
    static String tag(int i) {
        return "p" + i;
    }

    /**
     * QEMU options for the mounts on {@code machine}: virtio-9p-pci on pc, virtio-9p-device
     * (virtio-mmio) on microvm, whose mmio slots the kernel finds on the command line (QEMU
     * writes them there because {@link QemuPlatform#qemuCommand} runs microvm with acpi=off).
     */
    public static List<String> qemuArgs(Machine machine, List<HostMount> mounts) {
        List<String> args = new ArrayList<>();
        if (mounts.isEmpty()) {
            return args;
        }
        if (machine != Machine.QEMU_PC && machine != Machine.QEMU_MICROVM) {
            throw new QemuException("--mount: " + machine.cliName() + " has no virtio-9p (use qemu-pc or qemu-microvm)");
        }
        String device = machine == Machine.QEMU_MICROVM ? "virtio-9p-device" : "virtio-9p-pci";
        for (int i = 0; i < mounts.size(); i++) {
            HostMount m = mounts.get(i);
            // QEMU's option syntax: a ',' inside a value is written twice.
            args.add("-fsdev");
            args.add("local,id=fs" + i + ",path=" + m.host().toString().replace(",", ",,")
                    + ",security_model=none" + (m.readOnly() ? ",readonly=on" : ""));
            args.add("-device");
            args.add(device + ",fsdev=fs" + i + ",mount_tag=" + tag(i));
        }
        return args;
    }

    /** The kernel command-line words for the mounts ("" without any), each after a space. */
    public static String kernelWords(List<HostMount> mounts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < mounts.size(); i++) {
            HostMount m = mounts.get(i);
            b.append(" portapp.mount=").append(KernelCommandLine.encodeValue(tag(i) + ":" + m.guest()
                    + (m.readOnly() ? ":ro" : "")));
        }
        return b.toString();
    }
}
