/* The special shim entries for clone and clone3 (docs/architecture.md, the
 * shim entry ABI). Reached by `call` from a rewritten site (directly, or
 * through shim_entry_generic), so [rsp] is the return address into the
 * trampoline and every general register but rcx/r11 is the app's. The
 * entry saves them all as a struct shim_regs (shim/regs.h) whose rip is
 * that return address; thread_clone_c makes the child from a copy (rax = 0,
 * rsp = its new stack - SHIM_TRAMPOLINE_SKIP, which the trampoline's
 * `lea rsp, [rsp+128]` undoes) and returns the parent's result. These
 * strong definitions replace the platform's weak ones (platforms/qemu/entry.S)
 * when this module is linked.
 *
 * The pushes build struct shim_regs from its last field (ss) down to its
 * first (r15); the offsets in comments are shim/regs.h's. */
#include "shim/regs.h"

    .intel_syntax noprefix
    .text

/* Push the 15 general registers (rax at SHIM_REGS_RAX ... r15 at 0), call
 * thread_clone_c(regs, which) on a 16-byte aligned stack, store its result
 * as the parent's rax and pop them again. */
    .macro SAVE_CALL_RESTORE which
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp                    /* struct shim_regs * */
    mov esi, \which
    mov rbx, rsp
    and rsp, -16
    cld
    call thread_clone_c
    mov rsp, rbx
    mov [rsp + SHIM_REGS_RAX], rax  /* the parent's result */
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    .endm

    .macro CAPTURE_AND_CALL which
    push SHIM_SEL_DATA              /* ss */
    push 0                          /* rsp: filled in by C from the layout */
    pushfq                          /* rflags */
    push SHIM_SEL_CODE              /* cs */
    push qword ptr [rsp + 32]       /* rip = the return address (above the 4 pushes) */
    SAVE_CALL_RESTORE \which
    add rsp, SHIM_REGS_RFLAGS - SHIM_REGS_RIP   /* rip, cs */
    popfq
    add rsp, SHIM_REGS_SIZE - SHIM_REGS_RSP     /* rsp, ss */
    ret
    .endm

/* The LSTAR variants (platforms/qemu/entry.S): [rsp] = the return into
 * the LSTAR entry, then the app's RFLAGS, RIP and rsp (SHIM_LSTAR_*);
 * every other register is the app's. Each push moves them 8 further. */
    .macro LSTAR_CAPTURE_AND_CALL which
    push SHIM_SEL_DATA                              /* ss */
    push qword ptr [rsp + 8 + SHIM_LSTAR_RSP]       /* rsp */
    push qword ptr [rsp + 16 + SHIM_LSTAR_RFLAGS]   /* rflags */
    push SHIM_SEL_CODE                              /* cs */
    push qword ptr [rsp + 32 + SHIM_LSTAR_RIP]      /* rip */
    SAVE_CALL_RESTORE \which
    add rsp, SHIM_REGS_SIZE - SHIM_REGS_RIP         /* rip, cs, rflags, rsp, ss */
    ret
    .endm

    .globl syscall_lstar_clone
    .type syscall_lstar_clone, @function
syscall_lstar_clone:
    LSTAR_CAPTURE_AND_CALL 2
    .size syscall_lstar_clone, . - syscall_lstar_clone

    .globl syscall_lstar_clone3
    .type syscall_lstar_clone3, @function
syscall_lstar_clone3:
    LSTAR_CAPTURE_AND_CALL 3
    .size syscall_lstar_clone3, . - syscall_lstar_clone3

    .globl shim_entry_special_clone
    .type shim_entry_special_clone, @function
shim_entry_special_clone:
    CAPTURE_AND_CALL 0
    .size shim_entry_special_clone, . - shim_entry_special_clone

    .globl shim_entry_special_clone3
    .type shim_entry_special_clone3, @function
shim_entry_special_clone3:
    CAPTURE_AND_CALL 1
    .size shim_entry_special_clone3, . - shim_entry_special_clone3

    .section .note.GNU-stack, "", @progbits
