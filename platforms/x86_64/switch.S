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
 * interrupted context on the thread's own stack (below its 128-byte red
 * zone) and returns into this stub, which saves the general registers,
 * schedules, and resumes the app with iretq when the thread runs again.
 */
    .intel_syntax noprefix
    .text

/* void switch_context(uint64_t *save_ksp, uint64_t new_ksp) */
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
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
    .size switch_context, . - switch_context

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
    iretq
    .size regs_resume, . - regs_resume

/* Entered with interrupts off, rsp at an iretq frame of the preempted app
 * context, every general register still the app's. */
    .globl preempt_stub
    .type preempt_stub, @function
preempt_stub:
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
    cld
    mov rbx, rsp
    and rsp, -16
    call sched_preempted
    mov rsp, rbx
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
    iretq
    .size preempt_stub, . - preempt_stub

    .section .note.GNU-stack, "", @progbits
