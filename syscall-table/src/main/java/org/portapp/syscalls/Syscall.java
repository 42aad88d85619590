package org.portapp.syscalls;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One system call of the table.
 *
 * @param nr   the x86_64 number (rax)
 * @param name the userspace name ({@code __NR_<name>})
 * @param args the arguments in register order (rdi, rsi, rdx, r10, r8, r9)
 */
public record Syscall(int nr, String name, List<Argument> args) {
    /** Numbers from here on are port-app extensions, answered only by the shim. */
    public static final int FIRST_EXTENSION_NR = 500;

    public Syscall {
        Objects.requireNonNull(name, "name");
        args = List.copyOf(args);
    }

    public int argCount() {
        return args.size();
    }

    /** True for port-app's own numbers (never valid on a Linux kernel). */
    public boolean isExtension() {
        return nr >= FIRST_EXTENSION_NR;
    }

    /** C-like signature, e.g. {@code read(unsigned int fd, char *buf, size_t count)}. */
    public String signature() {
        return name + "(" + args.stream().map(Argument::declaration).collect(Collectors.joining(", ")) + ")";
    }
}
