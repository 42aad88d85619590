/* The register frame the unikernel's scheduler and the thread and signal
 * modules share (struct shim_regs), and the constants their assembly needs.
 * Usable from assembly (.S files include it for the offsets); the C part
 * ties every offset to the struct with _Static_assert, and the platform
 * (platforms/x86_64/sched.c) asserts that its GDT and its register-popping
 * code (regs_resume, switch.S) agree with it. */
#ifndef SHIM_REGS_H
#define SHIM_REGS_H

/* Ring-0 selectors of the platform's GDT: the app runs in ring 0, so an
 * iretq into app code or a signal handler loads these (the platform checks
 * them against its own: platforms/x86_64/layout.h). */
#define SHIM_SEL_CODE 0x08
#define SHIM_SEL_DATA 0x10

/* struct shim_regs: 15 general registers in the order an entry pushes them
 * last-to-first (r15 lowest), then an iretq frame. Popping the 15 and
 * executing iretq resumes it (regs_resume). */
#define SHIM_REGS_R15     0
#define SHIM_REGS_R14     8
#define SHIM_REGS_R13     16
#define SHIM_REGS_R12     24
#define SHIM_REGS_R11     32
#define SHIM_REGS_R10     40
#define SHIM_REGS_R9      48
#define SHIM_REGS_R8      56
#define SHIM_REGS_RBP     64
#define SHIM_REGS_RDI     72
#define SHIM_REGS_RSI     80
#define SHIM_REGS_RDX     88
#define SHIM_REGS_RCX     96
#define SHIM_REGS_RBX     104
#define SHIM_REGS_RAX     112
#define SHIM_REGS_RIP     120
#define SHIM_REGS_CS      128
#define SHIM_REGS_RFLAGS  136
#define SHIM_REGS_RSP     144
#define SHIM_REGS_SS      152
#define SHIM_REGS_SIZE    160

/* The shim entry ABI (docs/architecture.md): a trampoline skips the app's
 * 128-byte red zone before its `call`, so at an entry the app's rsp is
 * rsp + 8 + SHIM_TRAMPOLINE_SKIP. */
#define SHIM_TRAMPOLINE_SKIP 128

/* The LSTAR entry's frame (platforms/qemu/entry.S) as its special entries
 * see it: [rsp] = the return into the LSTAR entry, then the app's RFLAGS,
 * its RIP after the `syscall`, and its rsp. */
#define SHIM_LSTAR_RFLAGS 8
#define SHIM_LSTAR_RIP    16
#define SHIM_LSTAR_RSP    24

/* The unikernel's shim stack (docs/threads-signals.md, "The shim stack"):
 * gs:[SHIM_PERCPU_SHIM_STACK] is the running thread's shim stack top, its
 * kernel stack's top (or lower, while a signal handler runs from inside
 * the shim: the handler's own syscalls start below the frames of the one
 * it interrupted). The LSTAR entry starts there too. The platform checks
 * the offset against its per-CPU area. */
#define SHIM_PERCPU_SHIM_STACK 32
/* gs:[SHIM_PERCPU_SHIM_NESTED] != 0 while that top is lowered for a
 * handler: an entry then calls shim_stack_nested (the platform's), which
 * raises the top again when the app left the handler without returning
 * (siglongjmp), so such handlers do not use up the stack. */
#define SHIM_PERCPU_SHIM_NESTED 56

#ifdef __ASSEMBLER__
/* Entered by `call` from a trampoline (rsp = E, [E] = the return address,
 * the app's rsp = E + 8 + SHIM_TRAMPOLINE_SKIP): move to the shim stack,
 * leaving on it E at top - 8 (the lowest address of the app's stack in
 * use, where the LSTAR entry leaves the app's rsp: sched_lstar_user_rsp;
 * a signal frame for a handler run from the shim goes below it, so below
 * the return address too) and E at top - 16. Changes only rcx and r11,
 * which a syscall may clobber, and no flags. Nothing is written on the
 * app's stack. SHIM_STACK_LEAVE, with rsp back at top - 16, returns to
 * the trampoline. Intel syntax. */
    .macro SHIM_STACK_ENTER
    mov r11, rsp
    mov rsp, gs:[SHIM_PERCPU_SHIM_STACK]
    mov rcx, gs:[SHIM_PERCPU_SHIM_NESTED]
    jrcxz .Lshim_flat\@             /* (no flags touched) */
    call shim_stack_nested          /* preserves all but rcx; may raise the top */
    mov rsp, gs:[SHIM_PERCPU_SHIM_STACK]
.Lshim_flat\@:
    push r11
    push r11
    .endm

    .macro SHIM_STACK_LEAVE
    pop rsp
    ret
    .endm

/* Push the 15 general registers so that rsp points at a struct shim_regs's
 * first field (r15) with rax at SHIM_REGS_RAX, and pop them back: the one
 * copy of the order, for every entry that builds or resumes such a frame
 * (the scheduler's preempt_stub and regs_resume, the clone entries). Intel
 * syntax. */
    .macro SHIM_REGS_PUSH_GPRS
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
    .endm

    .macro SHIM_REGS_POP_GPRS
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
#else
#include <stddef.h>
#include <stdint.h>

struct shim_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(offsetof(struct shim_regs, r15) == SHIM_REGS_R15, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r14) == SHIM_REGS_R14, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r13) == SHIM_REGS_R13, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r12) == SHIM_REGS_R12, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r11) == SHIM_REGS_R11, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r10) == SHIM_REGS_R10, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r9) == SHIM_REGS_R9, "shim_regs");
_Static_assert(offsetof(struct shim_regs, r8) == SHIM_REGS_R8, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rbp) == SHIM_REGS_RBP, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rdi) == SHIM_REGS_RDI, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rsi) == SHIM_REGS_RSI, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rdx) == SHIM_REGS_RDX, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rcx) == SHIM_REGS_RCX, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rbx) == SHIM_REGS_RBX, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rax) == SHIM_REGS_RAX, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rip) == SHIM_REGS_RIP, "shim_regs");
_Static_assert(offsetof(struct shim_regs, cs) == SHIM_REGS_CS, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rflags) == SHIM_REGS_RFLAGS, "shim_regs");
_Static_assert(offsetof(struct shim_regs, rsp) == SHIM_REGS_RSP, "shim_regs");
_Static_assert(offsetof(struct shim_regs, ss) == SHIM_REGS_SS, "shim_regs");
_Static_assert(sizeof(struct shim_regs) == SHIM_REGS_SIZE, "shim_regs");
#endif

#endif
