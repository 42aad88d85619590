/*
 * The floor kernel: a PVH ELF that prints "h\n" on COM1 and exits through
 * isa-debug-exit, in 32-bit mode without any setup.  Booting it measures what
 * QEMU and its firmware cost before any kernel code runs (measure-boot.py).
 * Linked with floor.ld (make floor).
 */
    .section .note.xen, "a"
    .p2align 2
    .long 4, 8, 18              /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .quad floor_start

    .text
    .code32
    .globl floor_start
floor_start:
    movw    $0x3f8, %dx
    movb    $'h', %al
    outb    %al, %dx
    movb    $'\n', %al
    outb    %al, %dx
    movw    $0xf4, %dx
    xorl    %eax, %eax
    outl    %eax, %dx
1:  hlt
    jmp     1b
