/*
 * PVH entry (the x86/HVM direct boot ABI used by QEMU -kernel on pc and
 * microvm, Firecracker and Cloud Hypervisor).
 *
 * The VMM enters _pvh_start in 32-bit protected mode, paging off, flat 4 GiB
 * CS/DS, interrupts off, with the physical address of struct hvm_start_info
 * in %ebx.  We build throw-away page tables with 2 MiB pages: identity and
 * direct map over the first 4 GiB (start_info, the modules and whatever else
 * the VMM hands over lie below 4 GiB) and the -2 GiB kernel window over the
 * first 1 GiB; enable long mode and NX, jump to the higher half and call
 * arch_start(start_info_phys).  arch_start replaces these tables with the
 * final 4 KiB-granular ones (NULL page unmapped, W^X).
 */
#include "layout.h"

#define PA(x) ((x) - KERNEL_VMA)

    .section .note.xen, "a"
    .p2align 2
    .long 4                 /* namesz: "Xen\0" */
    .long 8                 /* descsz */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .quad PA(_pvh_start)    /* QEMU reads a 64-bit value from an ELF64 note */

    .section .boot.text, "ax"
    .code32
    .globl _pvh_start
_pvh_start:
    cli
    cld
    movl    $PA(boot_stack_top), %esp

    /* Clear the early page tables (NOBITS; do not trust the loader). */
    movl    $PA(early_pml4), %edi
    xorl    %eax, %eax
    movl    $(7 * 4096 / 4), %ecx
    rep stosl

    /* PML4[0] and PML4[256] (direct map) -> early_pdpt_lo, PML4[511] -> early_pdpt_hi */
    movl    $PA(early_pdpt_lo), %eax
    orl     $0x3, %eax
    movl    %eax, PA(early_pml4)
    movl    %eax, PA(early_pml4) + 256 * 8
    movl    $PA(early_pdpt_hi), %eax
    orl     $0x3, %eax
    movl    %eax, PA(early_pml4) + 511 * 8

    /* PDPT_lo[0..3] -> the four early PDs (4 GiB); PDPT_hi[510] (-2 GiB) -> the first */
    movl    $PA(early_pd), %eax
    orl     $0x3, %eax
    movl    %eax, PA(early_pdpt_hi) + 510 * 8
    movl    $PA(early_pdpt_lo), %edi
    movl    $4, %ecx
2:  movl    %eax, (%edi)
    addl    $4096, %eax
    addl    $8, %edi
    loop    2b

    /* early_pd[0..2047]: 2048 x 2 MiB, present|writable|PS */
    movl    $PA(early_pd), %edi
    movl    $0x83, %eax
    movl    $2048, %ecx
1:  movl    %eax, (%edi)
    movl    $0, 4(%edi)
    addl    $0x200000, %eax
    addl    $8, %edi
    loop    1b

    /* CR4.PAE */
    movl    %cr4, %eax
    orl     $(1 << 5), %eax
    movl    %eax, %cr4
    movl    $PA(early_pml4), %eax
    movl    %eax, %cr3
    /* EFER.LME | EFER.NXE (NX must be on before any PTE uses bit 63) */
    movl    $0xc0000080, %ecx
    rdmsr
    orl     $((1 << 8) | (1 << 11)), %eax
    wrmsr
    /* CR0.PG | CR0.WP | CR0.PE */
    movl    %cr0, %eax
    orl     $((1 << 31) | (1 << 16) | 1), %eax
    movl    %eax, %cr0

    lgdt    PA(early_gdt_ptr)
    ljmp    $0x08, $PA(long_entry)

    .code64
long_entry:
    movabsq $high_entry, %rax
    jmp     *%rax

high_entry:
    movl    $0x10, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    xorl    %eax, %eax
    movl    %eax, %fs
    movl    %eax, %gs
    movabsq $boot_stack_top, %rsp
    xorl    %ebp, %ebp

    /* Clear .bss (the early page tables live after __bss_end). */
    movabsq $__bss_start, %rdi
    movabsq $__bss_end, %rcx
    subq    %rdi, %rcx
    shrq    $3, %rcx
    xorl    %eax, %eax
    rep stosq

    /* The stack protector's canary (flags.mk), before any C function is
     * entered: a function whose frame outlived a change of the canary
     * would fail its check. RDRAND when CPUID.1:ECX.30 says so (retried:
     * it may run dry), else the TSC mixed by a multiply (weak, but no
     * QEMU -cpu we run lacks RDRAND). The low byte is cleared, as glibc
     * does, so an overflow by a string copy cannot write the canary. */
    movl    %ebx, %r12d         /* cpuid clobbers ebx */
    movl    $1, %eax
    cpuid
    btl     $30, %ecx
    jnc     5f
    movl    $64, %ecx
4:  rdrand  %rax
    jc      6f
    loop    4b
5:  rdtsc
    shlq    $32, %rdx
    orq     %rdx, %rax
    movabsq $0x9e3779b97f4a7c15, %rdx
    imulq   %rdx, %rax
    rorq    $29, %rax
6:  xorb    %al, %al
    movabsq $__stack_chk_guard, %rdx
    movq    %rax, (%rdx)

    movl    %r12d, %edi         /* start_info physical address, zero-extended */
    call    arch_start
3:  cli
    hlt
    jmp     3b

    .section .boot.data, "aw"
    .p2align 3
early_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
early_gdt_end:
early_gdt_ptr:
    .word early_gdt_end - early_gdt - 1
    .long PA(early_gdt)

    .section .boot.pagetables, "aw", @nobits
    .p2align 12
early_pml4:    .skip 4096
early_pdpt_lo: .skip 4096
early_pdpt_hi: .skip 4096
early_pd:      .skip 4 * 4096

    /* Boot stack (kmain runs on it); the page below it is left unmapped
     * as a guard once the final page tables are in place. */
    .section .bss
    .p2align 12
    .globl boot_stack_guard, boot_stack_top
boot_stack_guard: .skip 4096
boot_stack:       .skip BOOT_STACK_SIZE
boot_stack_top:
