/* Blocking in the shim: wait queues.
 *
 * On the unikernel a waiter sleeps on the queue in the scheduler and
 * wake_all makes it runnable (sleeps are capped at a few ms because the
 * console is polled); elsewhere "sleeping" means idling the CPU until the
 * next interrupt (platform_idle) and re-checking the condition. Callers use
 * the queue-and-condition form (wait_event) either way.
 *
 * Conventions for callers: re-check the condition after every wake-up
 * (wake-ups may be spurious); call wake_all on every state change another
 * waiter could be waiting for; also wake shim_poll_wq (poll/select/epoll wait
 * on that single queue for any fd becoming ready). */
#ifndef SHIM_WAIT_H
#define SHIM_WAIT_H

#include <stdint.h>
#include "shim/shim.h"     /* platform_idle: hlt until the next interrupt */
#include "shim/kernel.h"   /* platform_monotonic_ns */
#include "shim/errno.h"
#include "shim/signal.h"   /* signal_deliverable, signal_deliver_pending (weak) */

#pragma GCC visibility push(hidden)

struct wait_queue {
    /* Bumped by wake_all: lets a real sleeper detect a wake-up it raced with. */
    volatile uint64_t seq;
};

/* All waiters on fds of every kind (poll, select, epoll) sleep here; every
 * module that makes an fd readable or writable wakes it. Defined by vfs. */
extern struct wait_queue shim_poll_wq;

/* What a sleep's wake-up ran (platform_wq_sleep, signal_deliver_pending). */
#define WAIT_HANDLER_RAN        1   /* a signal handler */
#define WAIT_HANDLER_INTERRUPTS 2   /* ... one without SA_RESTART */

/* The scheduler's real sleep on a queue (platforms/x86_64/sched.c); weak,
 * so platforms without threads (linuxu, the host-side harness) keep the
 * idle-and-recheck fallback. */
int platform_wq_sleep(void *wq, uint64_t deadline_ns) __attribute__((weak));
void platform_wq_wake(void *wq) __attribute__((weak));

static inline void wake_all(struct wait_queue *wq)
{
    __atomic_add_fetch(&wq->seq, 1, __ATOMIC_RELEASE);
    if (platform_wq_wake)
        platform_wq_wake(wq);
}

/* One wait step: returns after a possible state change, or by the deadline
 * (absolute platform_monotonic_ns; 0 = none). With the scheduler the
 * thread sleeps on the queue (other threads run); without it the CPU idles
 * until the next interrupt. */
static inline void wait_queue_sleep(struct wait_queue *wq, uint64_t deadline_ns)
{
    if (platform_wq_sleep) {
        platform_wq_sleep(wq, deadline_ns);
        return;
    }
    platform_idle();
}

/* ---- Signals during a wait: EINTR or restart ------------------------------
 * A signal the sleeping thread takes wakes it, and its handler runs inside
 * the sleep, before the blocking call decides what to return (Linux runs
 * it as the call returns: the app cannot tell). The call then either fails
 * with -EINTR or goes on waiting, which is what Linux's restart does: the
 * re-executed call re-checks its condition (the futex word, the pipe), and
 * a deadline stays the one computed at entry (Linux's restart_block). Which
 * of the two is Linux's restart class of the call (signal(7),
 * "Interruption of system calls and library functions by signal
 * handlers"); no handler ran (the signal was ignored, or stopped the
 * process until SIGCONT) means a restart in every class. */
enum wait_restart {
    /* ERESTARTSYS: -EINTR if a handler without SA_RESTART ran, else a
     * restart: read/write on pipes, FIFOs, eventfd and the console, a
     * FIFO's open, wait4/waitid, FUTEX_WAIT(_BITSET) without a timeout. */
    RESTART_SYS,
    /* ERESTARTNOHAND and ERESTART_RESTARTBLOCK: -EINTR if any handler ran,
     * SA_RESTART or not: poll, ppoll, select, pselect6, epoll_wait,
     * nanosleep, clock_nanosleep, futex waits with a timeout, pause,
     * rt_sigsuspend. */
    RESTART_NOHAND,
};

/* Whether the WAIT_HANDLER_* bits `ran` end a call of class cls (-EINTR). */
static inline int wait_interrupts(int ran, enum wait_restart cls)
{
    return (ran & (cls == RESTART_SYS ? WAIT_HANDLER_INTERRUPTS : WAIT_HANDLER_RAN)) != 0;
}

/* As wait_queue_sleep; returns the WAIT_HANDLER_* bits of the handlers
 * that ran during the sleep (0 without the scheduler: no signals there). */
static inline int wait_queue_sleep_ran(struct wait_queue *wq, uint64_t deadline_ns)
{
    if (platform_wq_sleep)
        return platform_wq_sleep(wq, deadline_ns);
    platform_idle();
    return 0;
}

/* As wait_queue_sleep; -EINTR when a signal handler that ran during the
 * sleep ends a call of class cls, else 0 (re-check and sleep again). */
static inline int wait_queue_sleep_restart(struct wait_queue *wq, uint64_t deadline_ns,
                                           enum wait_restart cls)
{
    return wait_interrupts(wait_queue_sleep_ran(wq, deadline_ns), cls) ? -EINTR : 0;
}

/* The same for a wait on a scheduler channel (sched_block: futex,
 * nanosleep, pause): call it, with interrupts on, when the thread has a
 * deliverable signal (signal_deliverable(), checked with interrupts off
 * before blocking, or a WAKE_SIGNAL wake-up). It runs the handlers and
 * returns -EINTR or 0 as above. Without the signal module: 0. */
static inline int wait_signal_restart(enum wait_restart cls)
{
    if (!signal_deliverable || !signal_deliverable() || !signal_deliver_pending)
        return 0;
    return wait_interrupts(signal_deliver_pending(), cls) ? -EINTR : 0;
}

/* ERESTARTSYS's sleep (RESTART_SYS): returns 1 when the call must fail
 * with -EINTR. */
static inline int wait_queue_sleep_intr(struct wait_queue *wq, uint64_t deadline_ns)
{
    return wait_queue_sleep_restart(wq, deadline_ns, RESTART_SYS) != 0;
}

/* ERESTARTNOHAND's sleep (RESTART_NOHAND): returns 1 when any signal
 * handler ran during the sleep, for the calls Linux never restarts after a
 * handler (poll, ppoll, select, pselect6, epoll_wait fail with -EINTR). */
static inline int wait_queue_sleep_handled(struct wait_queue *wq, uint64_t deadline_ns)
{
    return wait_queue_sleep_restart(wq, deadline_ns, RESTART_NOHAND) != 0;
}

/* Sleeps until cond is true. */
#define wait_event(wq, cond)                      \
    do {                                          \
        while (!(cond))                           \
            wait_queue_sleep((wq), 0);            \
    } while (0)

/* Sleeps until cond is true (evaluates to 1) or the absolute deadline passes
 * (evaluates to 0). deadline_ns == 0 means no deadline. */
#define wait_event_deadline(wq, cond, deadline_ns) ({                       \
        int ok_ = 1;                                                        \
        uint64_t dl_ = (deadline_ns);                                       \
        while (!(cond)) {                                                   \
            if (dl_ && platform_monotonic_ns() >= dl_) { ok_ = (cond) ? 1 : 0; break; } \
            wait_queue_sleep((wq), dl_);                                    \
        }                                                                   \
        ok_; })

/* Sleeps until cond is true (evaluates to 0) or a signal handler ends a
 * call of restart class cls (evaluates to -EINTR). */
#define wait_event_restart(wq, cond, cls) ({                                \
        int r_ = 0;                                                         \
        while (!(cond)) {                                                   \
            if ((r_ = wait_queue_sleep_restart((wq), 0, (cls))) != 0)       \
                break;                                                      \
        }                                                                   \
        r_; })

/* Sleeps until cond is true (evaluates to 0) or a handler without
 * SA_RESTART ran (evaluates to -EINTR): ERESTARTSYS's wait (RESTART_SYS). */
#define wait_event_interruptible(wq, cond) wait_event_restart((wq), (cond), RESTART_SYS)

#pragma GCC visibility pop

#endif
