package org.portapp.elf;

/** One Elf64_Dyn entry. */
public record DynamicEntry(long d_tag, long d_val) {
    public static final long DT_NULL = 0;
    public static final long DT_NEEDED = 1;
    public static final long DT_STRTAB = 5;
    public static final long DT_SONAME = 14;
    public static final long DT_RPATH = 15;
    public static final long DT_RUNPATH = 29;
}
