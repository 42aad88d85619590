package org.portapp.elf;

/** One Elf64_Sym from .symtab or .dynsym. */
public record Symbol(String name, long st_value, long st_size, int st_info, int st_other, int st_shndx,
                     boolean dynamic) {
    public static final int STT_FUNC = 2;
    public static final int STT_GNU_IFUNC = 10;

    public int type() {
        return st_info & 0xf;
    }

    public boolean isFunction() {
        return (type() == STT_FUNC || type() == STT_GNU_IFUNC) && st_shndx != 0 && st_value != 0;
    }
}
