/* Assembly macros for special shim entries that need every register of
 * the caller (docs/architecture.md, the shim entry ABI): they build a
 * struct shim_regs (shim/regs.h) on the stack whose rip is the return
 * address into the trampoline (or, from the LSTAR entry, the app's own
 * rip and rsp) on the thread's shim stack, call a C function fn(struct shim_regs *, int which), store
 * its result as the caller's rax and return. Used by the thread module's
 * clone entries and the process module's fork/vfork entries.
 * Only for .S files (after `.intel_syntax noprefix`). */
#ifndef SHIM_CAPTURE_H
#define SHIM_CAPTURE_H
#include "shim/regs.h"

/* Push the 15 general registers (rax at SHIM_REGS_RAX ... r15 at 0), call
 * fn(regs, which) on a 16-byte aligned stack, store its result as the
 * caller's rax and pop them again. */
    .macro SAVE_CALL_RESTORE fn, which
    SHIM_REGS_PUSH_GPRS
    mov rdi, rsp                    /* struct shim_regs * */
    mov esi, \which
    mov rbx, rsp
    and rsp, -16
    cld
    call \fn
    mov rsp, rbx
    mov [rsp + SHIM_REGS_RAX], rax  /* the parent's result */
    SHIM_REGS_POP_GPRS
    .endm

/* From a trampoline: on the shim stack (SHIM_STACK_ENTER, r11 = the entry
 * rsp), the frame's rip is the return address into the trampoline and its
 * rsp the entry rsp + 8, as the trampoline continues after the `call`
 * (its `lea rsp, [rsp+128]` then gives the app's rsp). rcx and r11 in the
 * frame are the entry's scratch values: a syscall clobbers them. */
    .macro CAPTURE_AND_CALL fn, which
    SHIM_STACK_ENTER
    push SHIM_SEL_DATA              /* ss */
    lea rcx, [r11 + 8]
    push rcx                        /* rsp */
    pushfq                          /* rflags */
    push SHIM_SEL_CODE              /* cs */
    push qword ptr [r11]            /* rip = the return address */
    SAVE_CALL_RESTORE \fn, \which
    add rsp, SHIM_REGS_RFLAGS - SHIM_REGS_RIP   /* rip, cs */
    popfq
    add rsp, SHIM_REGS_SIZE - SHIM_REGS_RSP     /* rsp, ss */
    SHIM_STACK_LEAVE
    .endm

/* The LSTAR variants (platforms/qemu/entry.S): [rsp] = the return into
 * the LSTAR entry, then the app's RFLAGS, RIP and rsp (SHIM_LSTAR_*);
 * every other register is the app's. Each push moves them 8 further. */
    .macro LSTAR_CAPTURE_AND_CALL fn, which
    push SHIM_SEL_DATA                              /* ss */
    push qword ptr [rsp + 8 + SHIM_LSTAR_RSP]       /* rsp */
    push qword ptr [rsp + 16 + SHIM_LSTAR_RFLAGS]   /* rflags */
    push SHIM_SEL_CODE                              /* cs */
    push qword ptr [rsp + 32 + SHIM_LSTAR_RIP]      /* rip */
    SAVE_CALL_RESTORE \fn, \which
    add rsp, SHIM_REGS_SIZE - SHIM_REGS_RIP         /* rip, cs, rflags, rsp, ss */
    ret
    .endm

#endif
