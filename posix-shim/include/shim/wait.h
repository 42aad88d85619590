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

/* As wait_queue_sleep; returns 1 when a signal handler without SA_RESTART
 * ran during the sleep (the blocking call should then fail with -EINTR;
 * the handler has already run, as Linux runs it before the call returns). */
static inline int wait_queue_sleep_intr(struct wait_queue *wq, uint64_t deadline_ns)
{
    if (platform_wq_sleep)
        return (platform_wq_sleep(wq, deadline_ns) & WAIT_HANDLER_INTERRUPTS) != 0;
    platform_idle();
    return 0;
}

/* As wait_queue_sleep; returns 1 when any signal handler ran during the
 * sleep: for the calls Linux never restarts after a handler, SA_RESTART or
 * not (poll, ppoll, select, pselect6, epoll_wait: they fail with -EINTR). */
static inline int wait_queue_sleep_handled(struct wait_queue *wq, uint64_t deadline_ns)
{
    if (platform_wq_sleep)
        return (platform_wq_sleep(wq, deadline_ns) & WAIT_HANDLER_RAN) != 0;
    platform_idle();
    return 0;
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

/* Sleeps until cond is true (evaluates to 0) or a signal interrupts the
 * sleep (evaluates to -EINTR): for calls that Linux interrupts (pipe and
 * terminal reads, poll, epoll_wait ...). */
#define wait_event_interruptible(wq, cond) ({                               \
        int r_ = 0;                                                         \
        while (!(cond)) {                                                   \
            if (wait_queue_sleep_intr((wq), 0)) { r_ = -EINTR; break; }     \
        }                                                                   \
        r_; })

#pragma GCC visibility pop

#endif
