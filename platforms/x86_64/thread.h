/*
 * Kernel threads and the scheduler (sched.c, switch.S).
 *
 * Every app thread is a kernel thread in the one address space, running in
 * ring 0. A thread has: a kernel stack (the LSTAR entry's stack, swapped into
 * percpu.syscall_kstack on every switch), an XSAVE area for the app's vector
 * state, the app's FS base, and an area where shim modules keep their own
 * per-thread state (shim/sched.h: sched_local_claim; the signal module's
 * mask and queue, the thread module's robust list). The shim runs on the
 * thread's kernel stack, its "shim stack", from every entry (rewritten
 * sites, LSTAR, the special entries: shim/regs.h SHIM_STACK_ENTER), and a
 * preempted thread saves its app context there too, so the app's stack is
 * never written below its red zone; a thread blocked in a syscall keeps
 * its shim frames there and resumes them when switched back. The page
 * below every kernel stack is unmapped: an overflow is reported as a
 * kernel stack overflow (trap.c), not a triple fault.
 *
 * Scheduling is preemptive for app code only: the LAPIC timer preempts a
 * thread whose interrupted RIP is in the lower half (the app). Shim and
 * kernel code run until they block or return, so modules written for one
 * thread (vfs, pipes) need no locks: a uniprocessor non-preemptive kernel.
 * Everything here expects interrupts off unless it says otherwise.
 *
 * What shim modules may call of this is declared in the shim's headers
 * (posix-shim/include/shim/sched.h and signal.h), included here so that
 * the definitions are checked against them.
 */
#ifndef X86_64_THREAD_H
#define X86_64_THREAD_H

#include "arch.h"
#include "shim/sched.h"
#include "shim/signal.h"

/* Each thread's kernel stack: every shim entry runs the shim on it. */
#define THREAD_KSTACK_SIZE (32 * 1024)

enum thread_state { T_RUNNING, T_RUNNABLE, T_BLOCKED, T_DEAD };

struct thread {
    uint64_t ksp;                  /* saved rsp of switch_context */
    int tid;
    enum thread_state state;
    struct thread *rq_next;        /* run queue */
    struct thread *all_next;       /* every thread, dead ones until reused */
    uint64_t fs_base;
    uint8_t *xsave;                /* 64-byte aligned, cpu_features.xsave_size */
    uint8_t *local;                /* the modules' area, SHIM_THREAD_LOCAL_MAX bytes */
    uint64_t kstack_top;
    /* The shim stack's top for this thread (percpu.syscall_kstack while
     * it runs; every shim entry starts there): kstack_top, or lower while
     * a signal handler runs from inside a syscall, so that the handler's
     * own syscalls keep the interrupted one's frames. */
    uint64_t syscall_sp;
    /* Handlers run from inside the shim, innermost last: the top to go
     * back to, and the handler's initial rsp (an entry from above it means
     * the handler was left by a longjmp). Deeper nesting is not tracked. */
    struct { uint64_t top, handler_sp; } nest[8];
    int nested;
    unsigned slot;                 /* memory slot (sched.c) */

    /* Sleeping: the channel (a wait queue, a futex word ...) and an absolute
     * nanotime deadline (0 = none); wake_reason says what ended the sleep. */
    const void *chan;
    uint32_t chan_bits;            /* futex bitset */
    uint64_t deadline;
    uint64_t wait_seq;             /* order of blocking: wake-ups go oldest first */
    enum wake_reason wake_reason;

    struct proc_ctx *proc;         /* its process (address space, module state) */
    void (*first_fn)(void *);      /* sched_first_call */
    void *first_arg;
    struct shim_regs start;        /* first context of a new thread */
    bool service;                  /* sched_spawn_service: not the app's */
};

/* The scheduler's part of shim/sched.h is in sched.c; these are the
 * platform's own. */
void sched_init(void);
/* Runs hook(now) in every timer interrupt (at least every 50 ms, whatever
 * the app does), before a pending signal is handed to interrupted app code:
 * the console looks at its input there. Interrupts are off; keep it short. */
void sched_set_tick_hook(void (*hook)(uint64_t now));
/* Sleep ns; returns the time left (> 0) if a deliverable signal ended it. */
uint64_t sched_sleep_ns(uint64_t ns);
/* An exception in app code: the signal module's handler, if the module is
 * linked and the app installed one for it (trap.c's last resort before
 * the fault report). */
bool sched_signal_fault(struct trap_frame *f);

/* switch.S (regs_resume is declared in shim/sched.h) */
/* cr3 != 0: load it between saving the old stack pointer and loading
 * the new one (the two threads' stacks may be in different spaces). */
void switch_context(uint64_t *save_ksp, uint64_t new_ksp, uint64_t cr3);
void thread_first_run(void);
void preempt_stub(void);

#endif
