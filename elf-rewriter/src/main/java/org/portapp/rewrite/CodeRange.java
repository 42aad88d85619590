package org.portapp.rewrite;

import org.portapp.x86.DecodedCode;

/**
 * One executable range of an ELF file (a section with SHF_EXECINSTR, or an executable
 * segment when the file has no section headers) and its decoded instructions.
 */
public record CodeRange(String name, long vaddr, long fileOffset, int size, DecodedCode code) {
    public boolean contains(long address) {
        return address >= vaddr && address < vaddr + size;
    }

    public long end() {
        return vaddr + size;
    }
}
