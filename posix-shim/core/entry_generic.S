/* shim_entry_generic: the entry for syscall numbers that have no direct
 * entry (or whose number is only known at run time).
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
    .globl shim_entry_generic
    .type shim_entry_generic, @function
    .p2align 4
shim_entry_generic:
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
    .size shim_entry_generic, . - shim_entry_generic

    .section .note.GNU-stack, "", @progbits
