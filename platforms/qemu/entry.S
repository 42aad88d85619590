/* Unikernel assembly: entering the app, the LSTAR entry for `syscall`
 * instructions the rewriter left in place, and the special shim entries.
 *
 * The app runs in ring 0 with its own stack and its own red zone: nothing
 * here may write below the app's rsp. Interrupts arrive on IST stacks
 * (platforms/x86_64/cpu.c), so they never touch it either.
 */
#include "layout.h"

#include "shim/initstack.h"
#include "shim/regs.h"

    .intel_syntax noprefix
    .text

/* app_enter(entry, sp): switch to the app's initial stack and jump to its
 * entry with the registers Linux leaves (rdx = 0: no atexit function) and
 * interrupts enabled (sti takes effect after the next instruction). */
    .globl app_enter
    .type app_enter, @function
app_enter:
    mov rsp, rsi
    mov rax, rdi
    INITSTACK_ENTRY_REGS
    push 0x202                  /* IF | reserved bit 1: a clean RFLAGS */
    popfq                       /* (the 8 bytes below the initial rsp are not the app's yet) */
    jmp rax
    .size app_enter, . - app_enter

/* LSTAR entry. A `syscall` executed in ring 0 loads CS/SS from STAR (the
 * kernel's selectors), RIP from LSTAR, puts the return RIP in rcx and RFLAGS
 * in r11, and clears the SFMASK bits (IF, DF, TF, AC) from RFLAGS; it does
 * not change rsp, which is still the app's, with its red zone below. So the
 * first thing is to leave that stack without pushing: the app's rsp is
 * parked in the per-CPU area (GS base is always the kernel's: the app's TLS
 * is FS, and no swapgs is ever needed in ring 0) and rsp becomes the
 * kernel stack of the running thread. The return cannot be sysret (it
 * would drop to ring 3): RFLAGS is restored with popfq from the kernel
 * stack, rsp is reloaded, and a jmp through rcx resumes the app with
 * rcx = return RIP and r11 = RFLAGS, exactly what Linux leaves there.
 *
 * The shim is entered through shim_entry_c for every number: the special
 * numbers (rt_sigreturn, clone, clone3, vfork) need stack work that no
 * module needs yet; the threads and signals work will route them here. */
    .globl syscall_lstar_entry
    .type syscall_lstar_entry, @function
    .p2align 4
syscall_lstar_entry:
    mov gs:[PERCPU_SYSCALL_USER_RSP], rsp
    mov rsp, gs:[PERCPU_SYSCALL_KSTACK]
    push qword ptr gs:[PERCPU_SYSCALL_USER_RSP]
    push rcx                    /* return RIP */
    push r11                    /* app RFLAGS */
    /* A handler run from inside the shim may have been left by a longjmp:
     * shim_stack_nested (switch.S) closes such levels, as for the
     * rewritten entries (shim/regs.h SHIM_STACK_ENTER), and these three
     * words move to the raised top. Flags are free here (r11 has them). */
    cmp qword ptr gs:[PERCPU_SHIM_NESTED], 0
    je 7f
    cmp rax, 15                 /* rt_sigreturn: the handler's normal way out */
    je 7f
    mov r11, gs:[PERCPU_SYSCALL_USER_RSP]
    sub r11, SHIM_TRAMPOLINE_SKIP + 8   /* shim_stack_nested wants an entry's rsp */
    call shim_stack_nested              /* preserves all but rcx */
    pop r11
    pop rcx
    mov rsp, gs:[PERCPU_SYSCALL_KSTACK]
    push qword ptr gs:[PERCPU_SYSCALL_USER_RSP]
    push rcx
    push r11
7:  inc qword ptr gs:[PERCPU_LSTAR_COUNT]
    sti                         /* the shim runs with interrupts on, as from a rewritten site */
    cmp rax, 56                 /* clone, clone3 and rt_sigreturn need the app's */
    je 2f                       /* registers or stack: the thread and signal */
    cmp rax, 435                /* modules' LSTAR entries (weak defaults below) */
    je 3f
    cmp rax, 15
    je 4f
    cmp rax, 57                 /* fork and vfork: the process module's */
    je 5f
    cmp rax, 58
    je 6f
    call shim_entry_c_onstack   /* entry ABI: rax = nr, args in rdi rsi rdx r10 r8 r9; already on the shim stack */
1:  pop r11
    pop rcx
    push r11
    popfq                       /* the app's flags (may set IF: interrupts use IST) */
    mov rsp, [rsp]              /* the app's rsp, untouched red zone */
    jmp rcx
2:  call syscall_lstar_clone
    jmp 1b
3:  call syscall_lstar_clone3
    jmp 1b
4:  call syscall_lstar_rt_sigreturn
    jmp 1b
5:  call syscall_lstar_fork
    jmp 1b
6:  call syscall_lstar_vfork
    jmp 1b
    .size syscall_lstar_entry, . - syscall_lstar_entry

/* LSTAR entries for the special numbers, called with [rsp] = the return
 * into syscall_lstar_entry, then the saved r11 (app RFLAGS), rcx (return
 * RIP) and the app's rsp (the modules' entries read them at the offsets
 * SHIM_LSTAR_* of shim/regs.h, which the pushes above must keep). Without the thread/signal modules they take the
 * plain C path; those modules define the real ones. */
    .weak syscall_lstar_clone
    .type syscall_lstar_clone, @function
syscall_lstar_clone:
    jmp shim_entry_c_onstack
    .size syscall_lstar_clone, . - syscall_lstar_clone

    .weak syscall_lstar_clone3
    .type syscall_lstar_clone3, @function
syscall_lstar_clone3:
    jmp shim_entry_c_onstack
    .size syscall_lstar_clone3, . - syscall_lstar_clone3

    .weak syscall_lstar_fork
    .type syscall_lstar_fork, @function
syscall_lstar_fork:
    jmp shim_entry_c_onstack
    .size syscall_lstar_fork, . - syscall_lstar_fork

    .weak syscall_lstar_vfork
    .type syscall_lstar_vfork, @function
syscall_lstar_vfork:
    jmp shim_entry_c_onstack
    .size syscall_lstar_vfork, . - syscall_lstar_vfork

    .weak syscall_lstar_rt_sigreturn
    .type syscall_lstar_rt_sigreturn, @function
syscall_lstar_rt_sigreturn:
    jmp shim_entry_c_onstack
    .size syscall_lstar_rt_sigreturn, . - syscall_lstar_rt_sigreturn

/* Special shim entries (docs/architecture.md): they must change the app's
 * stack for rt_sigreturn and for clone/clone3/vfork with a new stack. The
 * unikernel has neither signal delivery nor threads yet, so each takes the
 * plain C path (a module that provides the call answers it; otherwise
 * platform_unhandled_syscall says -ENOSYS). The threads/signals work
 * replaces these. */
    .weak shim_entry_special_rt_sigreturn    /* the signal/thread modules define the real one */
    .globl shim_entry_special_rt_sigreturn
    .type shim_entry_special_rt_sigreturn, @function
shim_entry_special_rt_sigreturn:
    jmp shim_entry_c
    .size shim_entry_special_rt_sigreturn, . - shim_entry_special_rt_sigreturn

    .weak shim_entry_special_clone    /* the signal/thread modules define the real one */
    .globl shim_entry_special_clone
    .type shim_entry_special_clone, @function
shim_entry_special_clone:
    jmp shim_entry_c
    .size shim_entry_special_clone, . - shim_entry_special_clone

    .weak shim_entry_special_clone3    /* the signal/thread modules define the real one */
    .globl shim_entry_special_clone3
    .type shim_entry_special_clone3, @function
shim_entry_special_clone3:
    jmp shim_entry_c
    .size shim_entry_special_clone3, . - shim_entry_special_clone3

    .weak shim_entry_special_fork    /* the process module defines the real one */
    .globl shim_entry_special_fork
    .type shim_entry_special_fork, @function
shim_entry_special_fork:
    jmp shim_entry_c
    .size shim_entry_special_fork, . - shim_entry_special_fork

    .weak shim_entry_special_vfork    /* the process module defines the real one */
    .globl shim_entry_special_vfork
    .type shim_entry_special_vfork, @function
shim_entry_special_vfork:
    jmp shim_entry_c
    .size shim_entry_special_vfork, . - shim_entry_special_vfork

    .section .note.GNU-stack, "", @progbits
