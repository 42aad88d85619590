/* linuxu assembly: process entry, the jump into the app, and the
 * linuxu-specific shim entries that must change the app's stack
 * (rt_sigreturn, clone/clone3 with a new stack, vfork).
 *
 * Everything here is in the loader's .text, the range Syscall User Dispatch
 * lets through: the `syscall` instructions below reach the host directly. */
#include "shim/initstack.h"

    .intel_syntax noprefix
    .text

/* Re-enables Syscall User Dispatch in a freshly cloned thread/process: the
 * kernel does not inherit it across clone/fork (measured on 6.18).
 * Preserves every register except rax, rcx, r11 and flags; uses 40 bytes of
 * stack below rsp. */
.macro SUD_ON_CHILD
    push rdi
    push rsi
    push rdx
    push r10
    push r8
    mov edi, 59                         /* PR_SET_SYSCALL_USER_DISPATCH */
    mov esi, 1                          /* PR_SYS_DISPATCH_ON */
    mov rdx, [rip + linuxu_sud_start]
    mov r10, [rip + linuxu_sud_len]
    lea r8, [rip + linuxu_sud_selector]
    mov eax, 157                        /* prctl */
    syscall
    pop r8
    pop r10
    pop rdx
    pop rsi
    pop rdi
.endm

/* Process entry: rsp points at argc. Keep the host's argv/envp/auxv where
 * they are (the app's argv and envp point at the same strings), reserve
 * 256 KiB below for the app's initial stack frame, and run C below that. */
    .globl _start
    .type _start, @function
_start:
    xor ebp, ebp
    mov rdi, rsp                /* host frame: argc, argv, envp, auxv */
    mov rsi, rsp
    and rsi, -16                /* top of the area for the app's frame */
    sub rsp, 0x40000
    and rsp, -16
    call loader_main
    ud2
    .size _start, . - _start

/* linuxu_enter(entry, sp): switch to the app's initial stack and jump to its
 * entry with the registers the kernel leaves (rdx = 0: no atexit function). */
    .globl linuxu_enter
    .type linuxu_enter, @function
linuxu_enter:
    mov rsp, rsi
    mov rax, rdi
    INITSTACK_ENTRY_REGS
    jmp rax
    .size linuxu_enter, . - linuxu_enter

/* rt_sigreturn from the allowed range. Used as sa_restorer of the SIGSYS
 * handler and as the resume point when the app's own rt_sigreturn arrives
 * through SIGSYS (then rsp is the app's, pointing at its signal frame). */
    .globl linuxu_sigreturn
    .type linuxu_sigreturn, @function
linuxu_sigreturn:
    mov eax, 15
    syscall
    ud2
    .size linuxu_sigreturn, . - linuxu_sigreturn

/* linuxu_unmap_and_exit(addr, len, code): munmap then exit(code) using
 * registers only, for a thread whose stack is the range (see passthrough.c). */
    .globl linuxu_unmap_and_exit
    .type linuxu_unmap_and_exit, @function
linuxu_unmap_and_exit:
    mov r8, rdx
    mov eax, 11                 /* munmap */
    syscall
    mov rdi, r8
    mov eax, 60                 /* exit (this thread) */
    syscall
    ud2
    .size linuxu_unmap_and_exit, . - linuxu_unmap_and_exit

/* long linuxu_raw_clone(nr, a0, a1, a2, a3, a4): clone/clone3 for the SIGSYS
 * path. The caller put a 16-word register frame at the child's stack pointer:
 * r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rdi rsi rdx rcx rflags rip. The
 * parent returns the result to C; the child re-enables SUD, loads the app's
 * registers from the frame and resumes the app after its syscall with
 * rax = 0 and rsp = the stack it asked for. */
    .globl linuxu_raw_clone
    .type linuxu_raw_clone, @function
linuxu_raw_clone:
    mov rax, rdi
    mov rdi, rsi
    mov rsi, rdx
    mov rdx, rcx
    mov r10, r8
    mov r8, r9
    syscall
    test rax, rax
    jz 1f
    ret
1:  sub rsp, 64                 /* scratch for SUD_ON_CHILD below the frame */
    SUD_ON_CHILD
    add rsp, 64                 /* back at the frame */
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    xor eax, eax
    popfq
    ret
    .size linuxu_raw_clone, . - linuxu_raw_clone

/* ---- Special shim entries (entry ABI: [rsp] = return address into the
 * trampoline, app's rsp = rsp + 136, rax = number). ---- */

/* rt_sigreturn: the kernel finds the signal frame at the app's rsp, so
 * restore that rsp and issue the syscall from here (allowed range). */
    .globl shim_entry_special_rt_sigreturn
    .type shim_entry_special_rt_sigreturn, @function
shim_entry_special_rt_sigreturn:
    lea rsp, [rsp + 136]
    mov eax, 15
    syscall
    ud2
    .size shim_entry_special_rt_sigreturn, . - shim_entry_special_rt_sigreturn

/* clone(flags=rdi, newsp=rsi, ptid=rdx, ctid=r10, tls=r8).
 * With a new stack the child must come back to the trampoline on ITS stack:
 * put [flags, return address] at newsp-144 and pass newsp-144, so that in
 * both parent and child `popfq; ret` leaves rsp = (app's rsp) - 128, which
 * the trampoline's `lea rsp, [rsp+128]` turns into the app's own (parent:
 * its old rsp; child: newsp). rsi is restored to newsp in both, as a real
 * clone leaves it. Without a new stack: the plain C path. */
    .globl shim_entry_special_clone
    .type shim_entry_special_clone, @function
shim_entry_special_clone:
    pushfq
    test rsi, rsi
    jz 2f
    mov rcx, [rsp + 8]          /* return address */
    mov [rsi - 136], rcx
    mov rcx, [rsp]              /* flags */
    mov [rsi - 144], rcx
    sub rsi, 144
    mov eax, 56
    syscall
    lea rsi, [rsi + 144]
    test rax, rax
    jnz 1f
    SUD_ON_CHILD
    xor eax, eax
1:  popfq
    ret
2:  popfq
    jmp shim_entry_c
    .size shim_entry_special_clone, . - shim_entry_special_clone

/* clone3(args=rdi, size=rsi): the child's stack is args->stack +
 * args->stack_size (offsets 40 and 48). Same trick as clone: the frame goes
 * below the top and stack_size shrinks by 144 for the call; the parent puts
 * the app's struct back afterwards (the kernel copied it at entry). */
    .globl shim_entry_special_clone3
    .type shim_entry_special_clone3, @function
shim_entry_special_clone3:
    pushfq
    /* The struct and the child's stack are the app's memory: the C side
     * checks them and writes the frame through the checked copies, so a bad
     * pointer takes the plain path, where the host's clone3 says EFAULT.
     * rcx and r11 are free (entry ABI); the other argument registers are
     * the app's and are kept. */
    push rdi
    push rsi
    push rdx
    push r8
    push r9
    push r10
    mov rdx, [rsp + 56]         /* return address */
    mov rcx, [rsp + 48]         /* flags */
    call linuxu_clone3_frame    /* (args, size, ret, flags): 0 = frame written */
    pop r10
    pop r9
    pop r8
    pop rdx
    pop rsi
    pop rdi
    test eax, eax
    mov eax, 435                /* the syscall number again, for either path */
    jnz 2f
    syscall
    test rax, rax
    jz 3f
    add qword ptr [rdi + 48], 144   /* parent (or error): restore the struct */
    popfq
    ret
3:  SUD_ON_CHILD
    xor eax, eax
    popfq
    ret
2:  popfq
    jmp shim_entry_c
    .size shim_entry_special_clone3, . - shim_entry_special_clone3

/* fork: the host's fork through the plain C path (the child is a copy of
 * this process, shim frames included). */
    .globl shim_entry_special_fork
    .type shim_entry_special_fork, @function
shim_entry_special_fork:
    jmp shim_entry_c
    .size shim_entry_special_fork, . - shim_entry_special_fork

/* vfork: the C path issues clone(CLONE_VFORK | SIGCHLD) without CLONE_VM,
 * see passthrough.c for why. */
    .globl shim_entry_special_vfork
    .type shim_entry_special_vfork, @function
shim_entry_special_vfork:
    jmp shim_entry_c
    .size shim_entry_special_vfork, . - shim_entry_special_vfork

    .section .note.GNU-stack, "", @progbits
