package org.portapp.syscalls;

import java.util.Objects;

/**
 * One syscall argument as the kernel declares it, without {@code __user}.
 *
 * @param type C type, e.g. {@code "const char *"} or {@code "unsigned int"}
 * @param name parameter name, e.g. {@code "buf"}
 */
public record Argument(String type, String name) {
    public Argument {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
    }

    /** The C declaration, e.g. {@code "const char *buf"}. */
    public String declaration() {
        return type.endsWith("*") ? type + name : type + " " + name;
    }

    @Override
    public String toString() {
        return declaration();
    }
}
