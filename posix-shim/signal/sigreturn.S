/* Signal entries (posix-shim/signal/signal.c).
 *
 * shim_entry_special_rt_sigreturn: reached by `call` from the rewritten
 * site in sa_restorer (`mov eax, 15; syscall`) with [rsp] = the return
 * address; the app's rsp at the site is rsp + 136, i.e. the rt_sigframe
 * (whose pretcode the handler's `ret` popped) starts at rsp + 128. The C
 * part restores the mask, the alternate stack state and the vector state
 * and writes the saved registers as a struct user_regs here on the stack,
 * below the frame; regs_resume loads them with iretq, rsp and rflags
 * included. It never returns to the trampoline.
 *
 * sig_enter_sync(mc, h): runs a handler from C (a signal taken on the way
 * out of a syscall). It stores its own return context in the frame's
 * uc_mcontext (callee-saved registers, rsp and rip after its return,
 * rflags), then enters the handler context h. When the handler's
 * rt_sigreturn restores that mcontext, sig_enter_sync appears to return.
 */
    .intel_syntax noprefix
    .text

    .globl shim_entry_special_rt_sigreturn
    .type shim_entry_special_rt_sigreturn, @function
shim_entry_special_rt_sigreturn:
    lea rdi, [rsp + 136]
    and rsp, -16
    sub rsp, 176                    /* struct user_regs (160 bytes) */
    mov rsi, rsp
    cld
    call rt_sigreturn_c             /* -> rax = the user_regs to resume */
    mov rdi, rax
    jmp regs_resume
    .size shim_entry_special_rt_sigreturn, . - shim_entry_special_rt_sigreturn

/* The LSTAR variant (platforms/qemu/entry.S): [rsp + 24] is the app's rsp
 * at its `syscall`. The kernel stack frames above are abandoned. */
    .globl syscall_lstar_rt_sigreturn
    .type syscall_lstar_rt_sigreturn, @function
syscall_lstar_rt_sigreturn:
    mov rdi, [rsp + 24]
    and rsp, -16
    sub rsp, 176
    mov rsi, rsp
    cld
    call rt_sigreturn_c
    mov rdi, rax
    jmp regs_resume
    .size syscall_lstar_rt_sigreturn, . - syscall_lstar_rt_sigreturn

/* struct sigcontext offsets: r12 32, r13 40, r14 48, r15 56, rbp 80,
 * rbx 88, rax 104, rsp 120, rip 128, eflags 136. */
    .globl sig_enter_sync
    .type sig_enter_sync, @function
sig_enter_sync:
    mov [rdi + 32], r12
    mov [rdi + 40], r13
    mov [rdi + 48], r14
    mov [rdi + 56], r15
    mov [rdi + 80], rbp
    mov [rdi + 88], rbx
    mov qword ptr [rdi + 104], 0
    lea rax, [rsp + 8]
    mov [rdi + 120], rax
    mov rax, [rsp]
    mov [rdi + 128], rax
    pushfq
    pop rax
    mov [rdi + 136], rax
    mov rdi, rsi
    jmp regs_resume
    .size sig_enter_sync, . - sig_enter_sync

    .section .note.GNU-stack, "", @progbits
