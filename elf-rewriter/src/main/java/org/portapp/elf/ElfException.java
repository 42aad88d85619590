package org.portapp.elf;

/** A malformed or unsupported ELF file. The message is meant for the user. */
public class ElfException extends RuntimeException {
    public ElfException(String message) {
        super(message);
    }
}
