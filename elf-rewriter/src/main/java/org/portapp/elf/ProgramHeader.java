package org.portapp.elf;

/** One Elf64_Phdr. */
public record ProgramHeader(int p_type, int p_flags, long p_offset, long p_vaddr, long p_paddr,
                            long p_filesz, long p_memsz, long p_align) {
    public static final int SIZE = 56;
    public static final int PT_NULL = 0;
    public static final int PT_LOAD = 1;
    public static final int PT_DYNAMIC = 2;
    public static final int PT_INTERP = 3;
    public static final int PT_NOTE = 4;
    public static final int PT_PHDR = 6;
    public static final int PT_TLS = 7;
    public static final int PF_X = 1;
    public static final int PF_W = 2;
    public static final int PF_R = 4;

    public boolean isLoad() {
        return p_type == PT_LOAD;
    }

    public boolean containsVaddr(long vaddr) {
        return Long.compareUnsigned(vaddr, p_vaddr) >= 0 && Long.compareUnsigned(vaddr - p_vaddr, p_filesz) < 0;
    }

    public ProgramHeader withLocation(long offset, long vaddr, long filesz, long memsz) {
        return new ProgramHeader(p_type, p_flags, offset, vaddr, vaddr, filesz, memsz, p_align);
    }
}
