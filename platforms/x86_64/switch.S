/*
 * Context switching (thread.h).
 *
 * switch_context: the cooperative switch between two threads' kernel-side
 * contexts; only the SysV callee-saved registers need saving because it is
 * called from C. Vector state and FS base are switched in C (sched.c).
 *
 * preempt_stub: where a timer interrupt that preempts app code sends the
 * thread. The interrupt handler ran on an IST stack, which is reset on every
 * entry, so it cannot switch there: it writes an iretq frame of the
 * interrupted context on the thread's shim stack (its kernel stack, never
 * the app's) and returns into this stub, which saves the general registers,
 * schedules, and resumes the app with iretq when the thread runs again.
 */
#include "shim/regs.h"

    .intel_syntax noprefix
    .text

/* void switch_context(uint64_t *save_ksp, uint64_t new_ksp, uint64_t cr3):
 * cr3 (when not 0) is loaded between saving the old rsp and using the new
 * one. Both are kernel stacks, mapped alike in every address space. */
    .globl switch_context
    .type switch_context, @function
switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    test rdx, rdx
    jz 1f
    mov cr3, rdx
1:  mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
    .size switch_context, . - switch_context

/* shim_stack_nested (shim/regs.h, SHIM_STACK_ENTER): called on the
 * lowered shim stack (free below its top) with r11 = the entry's rsp, so
 * the app's rsp at its site is r11 + 8 + SHIM_TRAMPOLINE_SKIP. Every
 * register but rcx and every flag is preserved. */
    .globl shim_stack_nested
    .type shim_stack_nested, @function
shim_stack_nested:
    pushfq
    push rax
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push rbx
    mov rbx, rsp
    and rsp, -16
    cld
    lea rdi, [r11 + 8 + SHIM_TRAMPOLINE_SKIP]
    call sched_shim_stack_nested
    mov rsp, rbx
    pop rbx
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rax
    popfq
    ret
    .size shim_stack_nested, . - shim_stack_nested

/* NORETURN void call_on_stack(uint64_t top, void (*fn)(void *), void *arg)
 * (sched.c): rsp = top, then fn(arg), which never returns. */
    .globl call_on_stack
    .type call_on_stack, @function
call_on_stack:
    and rdi, -16
    mov rsp, rdi
    mov rdi, rdx
    call rsi
    ud2
    .size call_on_stack, . - call_on_stack

/* A new thread's first switch_context returns here (sched_spawn builds the
 * frame): its first context is a struct shim_regs, resumed with iretq. */
    .globl thread_first_run
    .type thread_first_run, @function
thread_first_run:
    call sched_start_regs           /* -> rax = &current->start */
    mov rdi, rax
    jmp regs_resume
    .size thread_first_run, . - thread_first_run

/* NORETURN void regs_resume(const struct shim_regs *r) (shim/sched.h): load
 * every register and the iretq frame from r (r must stay valid until the
 * iretq). The pops follow struct shim_regs's field order (shim/regs.h:
 * SHIM_REGS_R15 = 0 up to SHIM_REGS_RAX, then the iretq frame at
 * SHIM_REGS_RIP). */
    .globl regs_resume
    .type regs_resume, @function
regs_resume:
    mov rsp, rdi
    SHIM_REGS_POP_GPRS
    iretq
    .size regs_resume, . - regs_resume

/* Entered with interrupts off, rsp at an iretq frame of the preempted app
 * context, every general register still the app's. */
    .globl preempt_stub
    .type preempt_stub, @function
preempt_stub:
    SHIM_REGS_PUSH_GPRS
    cld
    mov rbx, rsp
    and rsp, -16
    call sched_preempted
    mov rsp, rbx
    SHIM_REGS_POP_GPRS
    iretq
    .size preempt_stub, . - preempt_stub

    .section .note.GNU-stack, "", @progbits
