package org.portapp.platform.qemu;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The virtual machines the unikernel image boots on (one PVH image for all). */
public enum Machine {
    /** QEMU {@code -M pc} (SeaBIOS, then the PVH entry). */
    QEMU_PC("qemu-pc", "pc"),
    /** QEMU {@code -M microvm} (qboot, then the PVH entry). */
    QEMU_MICROVM("qemu-microvm", "microvm"),
    /** Firecracker: boots the same PVH image from a VM config JSON (build only). */
    FIRECRACKER("firecracker", null);

    private final String cliName;
    private final String qemuMachine;

    Machine(String cliName, String qemuMachine) {
        this.cliName = cliName;
        this.qemuMachine = qemuMachine;
    }

    /** The name on port-app's command line. */
    public String cliName() {
        return cliName;
    }

    /** QEMU's {@code -M} value; null when QEMU does not run this machine. */
    public String qemuMachine() {
        return qemuMachine;
    }

    public boolean isQemu() {
        return qemuMachine != null;
    }

    /** The machine named {@code name} on the command line. */
    public static Machine byCliName(String name) {
        for (Machine m : values()) {
            if (m.cliName.equals(name)) {
                return m;
            }
        }
        throw new QemuException("unknown platform '" + name + "' (available: "
                + Arrays.stream(values()).map(Machine::cliName).collect(Collectors.joining(", ")) + ")");
    }
}
