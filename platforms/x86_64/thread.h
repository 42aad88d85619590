/*
 * Kernel threads and the scheduler (sched.c, switch.S).
 *
 * Every app thread is a kernel thread in the one address space, running in
 * ring 0. A thread has: a kernel stack (the LSTAR entry's stack, swapped into
 * percpu.syscall_kstack on every switch), an XSAVE area for the app's vector
 * state, the app's FS base, and the state the shim's thread, futex and
 * signal modules keep per thread. The shim itself runs on the app's stack
 * (rewritten sites) or the kernel stack (LSTAR), so a thread blocked in a
 * syscall keeps its shim frames there and resumes them when switched back.
 *
 * Scheduling is preemptive for app code only: the LAPIC timer preempts a
 * thread whose interrupted RIP is in the lower half (the app). Shim and
 * kernel code run until they block or return, so modules written for one
 * thread (vfs, pipes) need no locks: a uniprocessor non-preemptive kernel.
 * Everything here expects interrupts off unless it says otherwise.
 */
#ifndef X86_64_THREAD_H
#define X86_64_THREAD_H

#include "arch.h"

/* Each thread's kernel stack: the LSTAR entry runs the shim on it. */
#define THREAD_KSTACK_SIZE (32 * 1024)

/* A full register context in the order of struct trap_frame's general
 * registers, followed by an iretq frame: popping the 15 registers and
 * executing iretq resumes it (switch.S). */
struct user_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, cs, rflags, rsp, ss;
};

enum thread_state { T_RUNNING, T_RUNNABLE, T_BLOCKED, T_DEAD };

/* Why a blocked thread was made runnable again. */
enum wake_reason { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_SIGNAL };

/* One queued signal: its number and the siginfo_t the handler gets. */
struct sig_queued {
    int sig;
    uint8_t info[128];
};
#define THREAD_SIGQ 24

struct thread {
    uint64_t ksp;                  /* saved rsp of switch_context */
    int tid;
    enum thread_state state;
    struct thread *rq_next;        /* run queue */
    struct thread *all_next;       /* every thread, dead ones until reused */
    uint64_t fs_base;
    uint8_t *xsave;                /* 64-byte aligned, cpu_features.xsave_size */
    uint64_t kstack_top;
    /* The LSTAR entry's stack top for this thread (percpu.syscall_kstack
     * while it runs): kstack_top, or lower while a signal handler runs from
     * a syscall that came through LSTAR, so a nested one keeps its frames. */
    uint64_t syscall_sp;
    unsigned slot;                 /* memory slot (sched.c) */

    /* Sleeping: the channel (a wait queue, a futex word ...) and an absolute
     * nanotime deadline (0 = none); wake_reason says what ended the sleep. */
    const void *chan;
    uint32_t chan_bits;            /* futex bitset */
    uint64_t deadline;
    uint64_t wait_seq;             /* order of blocking: wake-ups go oldest first */
    enum wake_reason wake_reason;

    /* Lifecycle (thread module). */
    uintptr_t clear_child_tid;
    uintptr_t robust_head;
    size_t robust_len;
    struct user_regs start;        /* first context of a new thread */

    /* Signals (signal module): blocked mask, thread-directed pending
     * signals, the alternate stack. */
    uint64_t sigmask;
    int nsigq;
    struct sig_queued sigq[THREAD_SIGQ];
    uint64_t ss_sp, ss_size;
    int ss_flags;
};

void sched_init(void);
struct thread *sched_current(void);
/* The thread with this tid, or NULL (dead threads are not found). */
struct thread *sched_find(int tid);
/* Iterate over live threads: t = NULL starts. */
struct thread *sched_next_live(struct thread *t);
int sched_live_count(void);

/* A new thread that starts at the context `start` (interrupts are turned
 * on for it); put on the run queue. NULL when out of memory. */
struct thread *sched_spawn(const struct user_regs *start, uint64_t fs_base);
/* The current thread ends; never returns. Interrupts off. */
NORETURN void sched_exit_current(void);

/* Give the CPU to another runnable thread, if any (interrupts any state). */
void sched_yield_now(void);
/* Block the current thread on chan until sched_wake_chan(chan), a signal
 * (sched_wake_thread), or the deadline (absolute nanotime, 0 = none).
 * Called with interrupts OFF (so the caller's check of its condition and
 * the sleep are atomic); returns with them off. */
enum wake_reason sched_block(const void *chan, uint32_t bits, uint64_t deadline);
/* Wake up to n threads blocked on chan whose bits intersect (n < 0: all);
 * returns how many. Interrupts off. */
int sched_wake_chan(const void *chan, uint32_t bits, int n);
/* Move up to n threads blocked on `from` to `to`; returns how many. */
int sched_requeue_chan(const void *from, const void *to, int n);
/* Wake t if it is blocked (a signal arrived for it). */
void sched_wake_thread(struct thread *t, enum wake_reason why);
/* Sleep ns; returns the time left (> 0) if a deliverable signal ended it. */
uint64_t sched_sleep_ns(uint64_t ns);
/* Make sure the timer interrupt comes by `when` (absolute nanotime). */
void sched_timer_at(uint64_t when);

/* Hooks of the signal module (weak: absent when signals are not linked). */
/* From an interrupt or exception that hit app code: deliver a pending
 * signal by rewriting the frame; true if one was delivered. */
bool signal_from_trap(struct trap_frame *f) __attribute__((weak));
/* A synchronous fault in app code: true if an installed handler takes it. */
bool signal_fault(struct trap_frame *f) __attribute__((weak));
/* Whether the current thread has a signal it would take now. */
bool signal_deliverable(void) __attribute__((weak));
/* Run the handlers of deliverable signals before a syscall returns;
 * returns how many of them lack SA_RESTART (the call then fails EINTR). */
int signal_deliver_pending(void) __attribute__((weak));
/* Timer check for the interval timer (SIGALRM); runs in the timer interrupt. */
void signal_timer_tick(uint64_t now) __attribute__((weak));

/* Run by the thread that was switched to, before it goes on (the thread
 * module finishes work that needed another thread's stack). */
extern void (*sched_after_switch)(void);

/* switch.S */
void switch_context(uint64_t *save_ksp, uint64_t new_ksp);
void thread_first_run(void);
void preempt_stub(void);
NORETURN void regs_resume(const struct user_regs *r);

#endif
