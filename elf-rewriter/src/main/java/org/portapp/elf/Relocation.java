package org.portapp.elf;

/**
 * One Elf64_Rela of a dynamic relocation section ({@code .rela.dyn}, {@code .rela.plt}).
 *
 * @param r_offset where it applies (a virtual address)
 * @param type     {@code ELF64_R_TYPE}
 * @param symbol   {@code ELF64_R_SYM}: index into {@link ElfFile#dynamicSymbols()}, 0 for none
 * @param r_addend the addend
 */
public record Relocation(long r_offset, int type, int symbol, long r_addend) {
    public static final int R_X86_64_64 = 1;
    public static final int R_X86_64_GLOB_DAT = 6;
    public static final int R_X86_64_JUMP_SLOT = 7;
    public static final int R_X86_64_IRELATIVE = 37;
}
