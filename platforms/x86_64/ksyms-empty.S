/* The first link pass's empty symbol table (see Makefile). */
    .section .ksyms, "a"
    .p2align 3
    .globl ksyms_count, ksyms_table, ksyms_names
ksyms_count: .quad 0
ksyms_table:
ksyms_names: .byte 0
