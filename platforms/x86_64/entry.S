/*
 * Interrupt and exception entry.  Every IDT gate points at one of these
 * stubs and every gate has an IST index (cpu.c), so the CPU always switches
 * to a kernel stack and never writes below the interrupted (app) rsp.
 * The interrupted code runs in ring 0 too: no swapgs (GS base is always the
 * kernel's per-CPU pointer; the app's TLS is FS base, never touched here).
 *
 * Frame layout matches struct trap_frame in arch.h.
 */
    .section .text
    .code64

    .altmacro
    /* The CPU pushes an error code for 8, 10-14, 17, 21, 29, 30; the
     * others get a 0 so every frame has the same shape. */
    .macro ISR v
    .p2align 4
isr_\v:
    .if !((\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30))
    pushq   $0
    .endif
    pushq   $\v
    jmp     isr_common
    .endm

    .set i, 0
    .rept 256
    ISR %i
    .set i, i + 1
    .endr

isr_common:
    /* The CPU aligned rsp to 16 before pushing its 5-word frame; with the
     * error code, the vector and 15 registers (22 words) rsp stays 16-aligned
     * for the call below, as the SysV ABI requires. */
    pushq   %rax
    pushq   %rbx
    pushq   %rcx
    pushq   %rdx
    pushq   %rsi
    pushq   %rdi
    pushq   %rbp
    pushq   %r8
    pushq   %r9
    pushq   %r10
    pushq   %r11
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    cld                         /* the app may have left DF set */
    movq    %rsp, %rdi
    call    trap_dispatch
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %r11
    popq    %r10
    popq    %r9
    popq    %r8
    popq    %rbp
    popq    %rdi
    popq    %rsi
    popq    %rdx
    popq    %rcx
    popq    %rbx
    popq    %rax
    addq    $16, %rsp           /* vector, error code */
    iretq

    .macro STUBADDR v
    .quad isr_\v
    .endm

    .section .rodata
    .p2align 3
    .globl isr_stubs
isr_stubs:
    .set i, 0
    .rept 256
    STUBADDR %i
    .set i, i + 1
    .endr
