package org.portapp.elf;

/** The ELF64 file header (Elf64_Ehdr); field names follow the ELF specification. */
public record ElfHeader(
        int ei_class, int ei_data, int ei_osabi,
        int e_type, int e_machine, long e_version, long e_entry,
        long e_phoff, long e_shoff, long e_flags,
        int e_ehsize, int e_phentsize, int e_phnum,
        int e_shentsize, int e_shnum, int e_shstrndx) {

    public static final int SIZE = 64;
    public static final int ELFCLASS64 = 2;
    public static final int ELFDATA2LSB = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int EM_X86_64 = 62;

    public boolean isExecutable() {
        return e_type == ET_EXEC;
    }

    public boolean isSharedOrPie() {
        return e_type == ET_DYN;
    }
}
