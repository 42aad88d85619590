package org.portapp.elf;

/** One Elf64_Shdr, with its name resolved from the section header string table. */
public record SectionHeader(int index, String name, int sh_name, int sh_type, long sh_flags, long sh_addr,
                            long sh_offset, long sh_size, int sh_link, int sh_info,
                            long sh_addralign, long sh_entsize) {
    public static final int SIZE = 64;
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_STRTAB = 3;
    public static final int SHT_RELA = 4;
    public static final int SHT_NOTE = 7;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_DYNSYM = 11;
    public static final long SHF_WRITE = 1;
    public static final long SHF_ALLOC = 2;
    public static final long SHF_EXECINSTR = 4;

    public boolean isExecutable() {
        return (sh_flags & SHF_EXECINSTR) != 0 && (sh_flags & SHF_ALLOC) != 0 && sh_type != SHT_NOBITS;
    }

    public boolean hasFileBytes() {
        return sh_type != SHT_NOBITS && sh_type != 0;
    }
}
