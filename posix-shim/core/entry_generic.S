/* shim_entry_generic: the entry for syscall numbers that have no direct
 * entry (or whose number is only known at run time).
 *
 * Every platform supplies shim_entry_special_rt_sigreturn, _clone, _fork,
 * _vfork and _clone3 (they need the app's registers or change its stack,
 * which only the platform and its modules know how to do); they may fall
 * back to shim_entry_c.
 *
 * Entry ABI (docs/architecture.md): reached by `call` with rax = number,
 * arguments in rdi, rsi, rdx, r10, r8, r9; [rsp] = return address; the app's
 * red zone is already skipped by the caller. On return rax = result, rcx and
 * r11 clobbered, everything else (including RFLAGS) preserved. C may clobber
 * rdi, rsi, rdx, r8-r10 (and rax, rcx, r11): those and RFLAGS are saved here;
 * rbx, rbp, r12-r15 are preserved by C itself. Vector state needs no saving
 * because all shim C code is built with -mgeneral-regs-only.
 */
    .intel_syntax noprefix
    .text

/* A site whose number is only known at run time comes here too (slot nr -1),
 * so the numbers that must change the app's stack are routed to the
 * platform's special entries first. RFLAGS is saved before the compares and
 * restored before the jump: the special entries see the app's flags. */
    .globl shim_entry_generic
    .type shim_entry_generic, @function
    .p2align 4
shim_entry_generic:
    pushfq
    cmp rax, 15
    je 1f
    cmp rax, 56
    je 2f
    cmp rax, 57
    je 5f
    cmp rax, 58
    je 3f
    cmp rax, 435
    je 4f
    popfq
    jmp shim_entry_c
1:  popfq
    jmp shim_entry_special_rt_sigreturn
2:  popfq
    jmp shim_entry_special_clone
3:  popfq
    jmp shim_entry_special_vfork
4:  popfq
    jmp shim_entry_special_clone3
5:  popfq
    jmp shim_entry_special_fork
    .size shim_entry_generic, . - shim_entry_generic

/* shim_entry_c: the plain path into C, shim_dispatch(nr, a0..a5), for any
 * number. The special entries fall back to it when they need no stack magic
 * (clone without a new stack, ...). On the unikernel (SHIM_ENTRY_KSTACK,
 * set by platforms/qemu/Makefile) it runs on the thread's shim stack;
 * shim_entry_c_onstack is the same on the current stack, for callers that
 * are on the shim stack already (the LSTAR entry). On linuxu both run on
 * the app's stack below its red zone. */
#ifdef SHIM_ENTRY_KSTACK
#include "shim/regs.h"
    .globl shim_entry_c
    .type shim_entry_c, @function
    .p2align 4
shim_entry_c:
    SHIM_STACK_ENTER
    call shim_entry_c_onstack
    SHIM_STACK_LEAVE
    .size shim_entry_c, . - shim_entry_c
#endif

    .globl shim_entry_c_onstack
    .type shim_entry_c_onstack, @function
    .p2align 4
#ifndef SHIM_ENTRY_KSTACK
    .globl shim_entry_c
    .type shim_entry_c, @function
shim_entry_c:
#endif
shim_entry_c_onstack:
    pushfq
    push rbx
    push rdi
    push rsi
    push rdx
    push r10
    push r8
    push r9
    mov rbx, rsp            /* callee-saved: remembers the unaligned rsp */
    and rsp, -16
    cld                     /* the SysV ABI requires DF = 0 on calls */
    /* long shim_dispatch(long nr, long a0, ..., long a5): a5 is the 7th
     * argument and goes on the stack; rsp must be 16-aligned at the call. */
    sub rsp, 8
    push r9                 /* a5 */
    mov r9, r8              /* a4 */
    mov r8, r10             /* a3 */
    mov rcx, rdx            /* a2 */
    mov rdx, rsi            /* a1 */
    mov rsi, rdi            /* a0 */
    mov rdi, rax            /* nr */
    call shim_dispatch
    mov rsp, rbx
    pop r9
    pop r8
    pop r10
    pop rdx
    pop rsi
    pop rdi
    pop rbx
    popfq
    ret
    .size shim_entry_c_onstack, . - shim_entry_c_onstack
#ifndef SHIM_ENTRY_KSTACK
    .size shim_entry_c, . - shim_entry_c
#endif

    .section .note.GNU-stack, "", @progbits
