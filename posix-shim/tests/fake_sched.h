/* A fake scheduler and process module for the signal module's host-side
 * tests (sig_harness.c): threads and processes are plain structs the test
 * makes and switches between by hand; nothing runs concurrently. What the
 * signal module asks of the process module (exit, stop, continue) is
 * recorded; process_exit leaves through fake_exit_jmp. */
#ifndef FAKE_SCHED_H
#define FAKE_SCHED_H
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "shim/sched.h"

struct thread {
    int tid;
    struct proc_ctx *proc;
    bool live, blocked;
    const void *chan;
    int wakes;                 /* sched_wake_thread calls */
    struct thread *next;
    _Alignas(16) unsigned char local[SHIM_THREAD_LOCAL_MAX];
};

struct proc_ctx {
    int pid, pgid;
    bool init;
    int continues;             /* process_continue calls */
    int stopped_by;            /* the last process_stop_current's signal */
    bool stopped;              /* from process_stop_current to process_continue */
    int stops;
    _Alignas(16) unsigned char local[SHIM_PROCESS_LOCAL_MAX];
};

/* The signal module's claims. */
extern sched_local_init_t fake_thread_init;
extern const struct proc_local_ops *fake_proc_ops;
extern size_t fake_proc_offset;

/* A process with this pid/pgid (its part zeroed: the first process, or
 * filled by the caller through fake_proc_ops->fork). */
struct proc_ctx *fake_proc(int pid, int pgid, bool init);
/* A live thread in p; its per-thread parts run the claimed init with the
 * current thread (if any) as creator. */
struct thread *fake_thread(struct proc_ctx *p, int tid);
void fake_set_current(struct thread *t);
/* Ends a thread (no longer live). */
void fake_thread_end(struct thread *t);

/* process_exit: the wait status, and where it jumps (set by the test). */
extern jmp_buf fake_exit_jmp;
extern bool fake_exit_armed;
extern int fake_exit_status;
extern struct proc_ctx *fake_exit_proc;
/* sched_block: run before it returns WAKE_SIGNAL (a signal "arriving"). */
extern void (*fake_block_hook)(void);
/* The kernel log (platform_log). */
extern char fake_log[4096];
extern size_t fake_log_len;
/* sched_timer_at's last request. */
extern uint64_t fake_timer_at;
#endif
