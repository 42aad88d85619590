/* The signal module's interface (posix-shim/signal). Other modules call
 * shim_raise_sigpipe under `#if SHIM_HAVE_signal` (shim_syscalls.h). The
 * platform's scheduler and trap code, which is compiled without the
 * generated selection, calls the trap hooks: they are weak, declared so once
 * here, and each caller checks for NULL first
 * (`if (signal_deliverable && signal_deliverable())`). */
#ifndef SHIM_SIGNAL_H
#define SHIM_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "shim/regs.h"

#pragma GCC visibility push(hidden)

/* An interrupt or exception that hit app code, as the platform hands it
 * over: the interrupted context (which a handler may rewrite to enter a
 * signal handler; the platform resumes what is there on return), the
 * vector, the error code, and the faulting address of a page fault. */
struct shim_trap {
    struct shim_regs regs;
    uint64_t vector, error;
    uint64_t fault_addr;
};

/* From an interrupt that hit app code (the timer): deliver a pending
 * signal by rewriting the context; true if one was delivered. */
bool signal_from_trap(struct shim_trap *t) __attribute__((weak));
/* A synchronous fault in app code: true if an installed handler takes it. */
bool signal_fault(struct shim_trap *t) __attribute__((weak));
/* Whether the current thread has a signal it would take now. */
bool signal_deliverable(void) __attribute__((weak));
/* Run the handlers of deliverable signals before a syscall returns;
 * returns 0, or WAIT_HANDLER_RAN (shim/wait.h) when a handler ran, with
 * WAIT_HANDLER_INTERRUPTS when one lacks SA_RESTART (a restartable call
 * then fails EINTR; poll, select and epoll_wait fail EINTR either way). */
int signal_deliver_pending(void) __attribute__((weak));
/* The interval timer (SIGALRM); runs in the timer interrupt. */
void signal_timer_tick(uint64_t now) __attribute__((weak));
/* A signal from outside the app (the terminal's ^C, port-app forwarding
 * the host's kill): queued for the process, taken on the app's next
 * return from the shim or interrupt. Safe in interrupt context. */
void signal_raise_app(int sig) __attribute__((weak));
/* A write to a pipe without readers (the pipe module): SIGPIPE to the
 * calling thread, its handler run before the write returns EPIPE. */
void shim_raise_sigpipe(void);

/* The signal module's sends for the process module (called under
 * SHIM_HAVE_signal): a process-directed signal to p, with the siginfo's
 * si_code, si_pid and si_status (SIGCHLD's CLD_* codes and the child's
 * exit status or signal; 0 for the others). 0, or -EAGAIN when p's queue
 * is full. */
struct proc_ctx;
int signal_send_process(struct proc_ctx *p, int sig, int si_code, int si_pid, int si_status);
/* Whether parent's children are reaped as they exit, never becoming
 * zombies (its SIGCHLD is SIG_IGN, or has SA_NOCLDWAIT), as on Linux. */
bool signal_child_autoreap(struct proc_ctx *parent);

/* For signalfd (posix-shim/signal/signalfd.c): the calling thread's pending
 * signals (its own and its process's) among mask, and the lowest of them
 * taken off its queue with its 128-byte siginfo (0 when none). */
uint64_t signal_pending_current(uint64_t mask);
int signal_take_current(uint64_t mask, uint8_t info[128]);

#pragma GCC visibility pop

#endif
