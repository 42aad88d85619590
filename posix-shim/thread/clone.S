/* The special shim entries for clone and clone3 (docs/architecture.md, the
 * shim entry ABI). Reached by `call` from a rewritten site (directly, or
 * through shim_entry_generic), so [rsp] is the return address into the
 * trampoline and every general register but rcx/r11 is the app's. The
 * entry saves them all as a struct user_regs (platforms/x86_64/thread.h)
 * whose rip is that return address; thread_clone_c makes the child from a
 * copy (rax = 0, rsp = its new stack - 128, which the trampoline's
 * `lea rsp, [rsp+128]` undoes) and returns the parent's result. These
 * strong definitions replace the platform's weak ones (platforms/qemu/entry.S)
 * when this module is linked. */
    .intel_syntax noprefix
    .text

    .macro CAPTURE_AND_CALL which
    push 0x10                       /* ss */
    push 0                          /* rsp: filled in by C from the layout */
    pushfq                          /* rflags */
    push 0x08                       /* cs */
    push qword ptr [rsp + 32]       /* rip = the return address */
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
    mov rdi, rsp                    /* struct user_regs * */
    mov esi, \which
    mov rbx, rsp
    and rsp, -16
    cld
    call thread_clone_c
    mov rsp, rbx
    mov [rsp + 14 * 8], rax         /* the parent's result */
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
    add rsp, 16                     /* rip, cs */
    popfq
    add rsp, 16                     /* rsp, ss */
    ret
    .endm

/* The LSTAR variants (platforms/qemu/entry.S): [rsp] = the return into
 * the LSTAR entry, [rsp+8] = the app's RFLAGS, [rsp+16] = its RIP after
 * the syscall, [rsp+24] = its rsp; every other register is the app's. */
    .macro LSTAR_CAPTURE_AND_CALL which
    push 0x10                       /* ss */
    push qword ptr [rsp + 32]       /* rsp */
    push qword ptr [rsp + 24]       /* rflags */
    push 0x08                       /* cs */
    push qword ptr [rsp + 48]       /* rip */
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
    mov rdi, rsp
    mov esi, \which
    mov rbx, rsp
    and rsp, -16
    cld
    call thread_clone_c
    mov rsp, rbx
    mov [rsp + 14 * 8], rax
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
    add rsp, 40                     /* rip, cs, rflags, rsp, ss */
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
