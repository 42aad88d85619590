package org.portapp.elf;

import org.portapp.PortAppError;

/** A malformed or unsupported ELF file. The message is meant for the user. */
public class ElfException extends PortAppError {
    public ElfException(String message) {
        super(message);
    }
}
