/* Signal entries (posix-shim/signal/signal.c).
 *
 * shim_entry_special_rt_sigreturn: reached by `call` from the rewritten
 * site in sa_restorer (`mov eax, 15; syscall`) with [rsp] = the return
 * address; the app's rsp at the site is rsp + 8 + SHIM_TRAMPOLINE_SKIP,
 * i.e. the rt_sigframe (whose pretcode the handler's `ret` popped) starts
 * 8 below that. The C part restores the mask, the alternate stack state
 * and the vector state and writes the saved registers as a struct
 * shim_regs on the thread's shim stack (shim/regs.h); regs_resume (the
 * platform's, shim/sched.h) loads them with iretq, rsp and rflags included.
 * It never returns to the trampoline.
 *
 * sig_enter_sync(mc, h): runs a handler from C (a signal taken on the way
 * out of a syscall). It stores its own return context in the frame's
 * uc_mcontext (callee-saved registers, rsp and rip after its return,
 * rflags), then enters the handler context h. When the handler's
 * rt_sigreturn restores that mcontext, sig_enter_sync appears to return.
 */
#include "shim/regs.h"
#include "sigframe.h"

    .intel_syntax noprefix
    .text

    .globl shim_entry_special_rt_sigreturn
    .type shim_entry_special_rt_sigreturn, @function
shim_entry_special_rt_sigreturn:
    lea rdi, [rsp + 8 + SHIM_TRAMPOLINE_SKIP]   /* the app's rsp */
    mov rsp, gs:[SHIM_PERCPU_SHIM_STACK]        /* the shim stack: never the app's */
    sub rsp, SHIM_REGS_SIZE + 16                /* struct shim_regs, and room below */
    mov rsi, rsp
    cld
    call rt_sigreturn_c             /* -> rax = the shim_regs to resume */
    mov rdi, rax
    jmp regs_resume
    .size shim_entry_special_rt_sigreturn, . - shim_entry_special_rt_sigreturn

/* The LSTAR variant (platforms/qemu/entry.S): [rsp + SHIM_LSTAR_RSP] is the
 * app's rsp at its `syscall`. The kernel stack frames above are abandoned. */
    .globl syscall_lstar_rt_sigreturn
    .type syscall_lstar_rt_sigreturn, @function
syscall_lstar_rt_sigreturn:
    mov rdi, [rsp + SHIM_LSTAR_RSP]
    and rsp, -16
    sub rsp, SHIM_REGS_SIZE + 16
    mov rsi, rsp
    cld
    call rt_sigreturn_c
    mov rdi, rax
    jmp regs_resume
    .size syscall_lstar_rt_sigreturn, . - syscall_lstar_rt_sigreturn

    .globl sig_enter_sync
    .type sig_enter_sync, @function
sig_enter_sync:
    /* The platform learns where the handler starts (shim_stack_nested:
     * a syscall from above it means the handler was left by a longjmp). */
    push rdi
    push rsi
    sub rsp, 8
    mov rdi, [rsi + SHIM_REGS_RSP]
    call sched_shim_handler_sp
    add rsp, 8
    pop rsi
    pop rdi
    mov [rdi + SC_R12], r12
    mov [rdi + SC_R13], r13
    mov [rdi + SC_R14], r14
    mov [rdi + SC_R15], r15
    mov [rdi + SC_RBP], rbp
    mov [rdi + SC_RBX], rbx
    mov qword ptr [rdi + SC_RAX], 0
    lea rax, [rsp + 8]
    mov [rdi + SC_RSP], rax
    mov rax, [rsp]
    mov [rdi + SC_RIP], rax
    pushfq
    pop rax
    mov [rdi + SC_EFLAGS], rax
    mov rdi, rsi
    jmp regs_resume
    .size sig_enter_sync, . - sig_enter_sync

    .section .note.GNU-stack, "", @progbits
