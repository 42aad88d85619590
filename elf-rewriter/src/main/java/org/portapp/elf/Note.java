package org.portapp.elf;

import java.util.Arrays;

/**
 * One entry of a PT_NOTE segment (Elf64_Nhdr and what follows it).
 *
 * @param owner the name, without its terminating NUL ("GNU", "PortApp")
 * @param type  the owner-defined type
 * @param desc  the descriptor bytes (a copy)
 */
public record Note(String owner, int type, byte[] desc) {
    /** namesz, descsz, type: three 32-bit words before the name. */
    public static final int HEADER_SIZE = 12;

    public Note {
        desc = desc.clone();
    }

    @Override
    public byte[] desc() {
        return desc.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Note n && n.owner.equals(owner) && n.type == type && Arrays.equals(n.desc, desc);
    }

    @Override
    public int hashCode() {
        return (owner.hashCode() * 31 + type) * 31 + Arrays.hashCode(desc);
    }

    @Override
    public String toString() {
        return "Note[" + owner + ", 0x" + Integer.toHexString(type) + ", " + desc.length + " bytes]";
    }
}
