/* What the unikernel's kernel-only modules (thread, signal, futex) may call
 * of the platform's scheduler and CPU: threads, sleeping and waking on a
 * channel, interrupts, vector (FPU) state, register frames, and per-thread
 * module state. The platform implements these (platforms/x86_64/sched.c,
 * switch.S; platforms/qemu/platform.c) and includes this header to check
 * its definitions against it; modules never see the platform's headers.
 *
 * The model (platforms/x86_64/thread.h): one CPU, app threads are kernel
 * threads in one address space, app code is preempted and shim code is not.
 * So shim state needs no locks, only interrupts off against the timer
 * interrupt (which wakes sleepers and delivers SIGALRM). Everything here
 * expects interrupts off unless it says otherwise. */
#ifndef SHIM_SCHED_H
#define SHIM_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shim/regs.h"

#pragma GCC visibility push(hidden)

/* A thread: the platform's, opaque to modules. */
struct thread;

/* Why a blocked thread was made runnable again. */
enum wake_reason { WAKE_NONE, WAKE_EVENT, WAKE_TIMEOUT, WAKE_SIGNAL };

/* ---- threads ---------------------------------------------------------------- */

struct thread *sched_current(void);
int sched_tid(const struct thread *t);
/* The thread with this tid, or NULL (dead threads are not found). */
struct thread *sched_find(int tid);
/* Iterate over live threads: t = NULL starts. */
struct thread *sched_next_live(struct thread *t);
int sched_live_count(void);
/* A new thread that starts at the context `start` (interrupts are turned
 * on for it, cs/ss are the kernel's) with this FS base; put on the run
 * queue. Its module-local state is initialised from the calling thread's
 * (sched_local_claim). NULL when out of memory, or when SCHED_MAX_THREADS
 * threads exist. */
#define SCHED_MAX_THREADS 4096
struct thread *sched_spawn(const struct shim_regs *start, uint64_t fs_base);
/* A kernel service thread (the net module's timer thread) running
 * fn(arg) in kernel code: never preempted, it runs until it blocks
 * (sched_block). It is not one of the app's threads: no tid, not counted by
 * sched_live_count, not found by sched_find or sched_next_live (so no
 * signal targets it), and fn must never return. NULL when out of memory. */
struct thread *sched_spawn_service(void (*fn)(void *), void *arg);
/* The current thread ends; never returns. */
_Noreturn void sched_exit_current(void);
/* Run by the thread that was switched to, before it goes on (the thread
 * module finishes work that needed another thread's stack). */
extern void (*sched_after_switch)(void);

/* ---- blocking and waking ---------------------------------------------------- */

/* Give the CPU to another runnable thread, if any (interrupts any state). */
void sched_yield_now(void);
/* Block the current thread on chan until sched_wake_chan(chan), a signal
 * (sched_wake_thread), or the deadline (absolute monotonic ns, 0 = none).
 * Called with interrupts OFF (so the caller's check of its condition and
 * the sleep are atomic); returns with them off. */
enum wake_reason sched_block(const void *chan, uint32_t bits, uint64_t deadline);
/* Wake up to n threads blocked on chan whose bits intersect (n < 0: all),
 * the longest waiting first; returns how many. */
int sched_wake_chan(const void *chan, uint32_t bits, int n);
/* Move up to n threads blocked on `from` to `to`; returns how many. */
int sched_requeue_chan(const void *from, const void *to, int n);
/* Wake t if it is blocked (a signal arrived for it). */
void sched_wake_thread(struct thread *t, enum wake_reason why);
/* Whether t is blocked; if so *chan gets the channel it sleeps on (NULL
 * for a plain sleep). */
bool sched_blocked(const struct thread *t, const void **chan);
/* Make sure the timer interrupt comes by `when` (absolute monotonic ns). */
void sched_timer_at(uint64_t when);

/* ---- the LSTAR entry's stack ------------------------------------------------
 * A syscall left as `syscall` runs the shim on the thread's kernel stack
 * (platforms/qemu/entry.S) instead of the app's. */

/* Whether sp lies on the current thread's kernel stack. */
bool sched_on_kstack(uint64_t sp);
/* The app's rsp the LSTAR entry saved for the current thread's syscall
 * (from a rewritten site: the lowest address of the app's stack in use,
 * the trampoline's return address; shim/regs.h SHIM_STACK_ENTER). */
uint64_t sched_lstar_user_rsp(void);
/* The signal module's sig_enter_sync: the handler it enters from inside
 * the shim starts at sp (the platform then knows when the app has left
 * that handler by a longjmp: shim/regs.h, SHIM_PERCPU_SHIM_NESTED). */
void sched_shim_handler_sp(uint64_t sp);
/* Make the current thread's next LSTAR entry start at stack top `top`
 * (a signal handler run from a syscall that came through LSTAR must not
 * overwrite that syscall's frames); returns the previous top. */
uint64_t sched_set_syscall_stack(uint64_t top);

/* ---- per-thread module state --------------------------------------------------
 * In the spirit of Unikraft's thread-local initialisers: the platform
 * reserves SHIM_THREAD_LOCAL_MAX bytes in every thread, zeroed when the
 * thread is made. A module that keeps per-thread state claims its part once,
 * from its init function (module.conf `init`), and reaches it in any thread
 * with sched_local(t, offset). `init` (may be NULL) runs for every thread
 * made afterwards, with the module's part of the new thread (`mine`) and of
 * the thread that made it (`creator`), and at once for the threads that
 * already exist (the main thread), with creator NULL. A claim that does
 * not fit stops the boot with a message naming the module. */
#define SHIM_THREAD_LOCAL_MAX 4096
typedef void (*sched_local_init_t)(void *mine, const void *creator);
size_t sched_local_claim(const char *module, size_t size, sched_local_init_t init);
void *sched_local(struct thread *t, size_t offset);

/* ---- processes: address spaces and per-process module state -----------------
 * Every thread runs in one process context (struct proc_ctx, the
 * platform's): an address space for the lower half (page tables; the
 * kernel half is the same in all of them) and SHIM_PROCESS_LOCAL_MAX bytes
 * of module state. At boot there is exactly one, the main thread's; only
 * the process module (posix-shim/process) makes more, so an app that never
 * forks keeps one address space and pays nothing for this.
 *
 * A module with per-process state (the vfs's fd table and cwd, the signal
 * module's dispositions, the mm module's areas) claims its part once from
 * its init, like sched_local_claim, with hooks the platform runs at fork,
 * exec and release. Hooks run with interrupts off. */
struct proc_ctx;
#define SHIM_PROCESS_LOCAL_MAX 2048
struct proc_local_ops {
    /* fork/clone of a new process: fill `child` from `parent` (the clone
     * flags say what is shared: CLONE_VM (vfork's memory), CLONE_FILES,
     * CLONE_FS, CLONE_SIGHAND). 0, or -errno (-ENOMEM): the fork fails and
     * the parts already filled are released. NULL: the bytes are copied. */
    int (*fork)(void *child, const void *parent, unsigned long clone_flags);
    /* execve, past its point of no return, after the process got its new
     * empty address space and before the new image is mapped: reset what
     * exec resets (close-on-exec fds, handled signals, the memory areas).
     * 0 or -ENOMEM (the process is then killed with SIGKILL). NULL: nothing. */
    int (*exec)(void *mine);
    /* The process is gone (its last thread ended): free what `mine` holds.
     * Runs in another process's context, so only `mine` may be used. */
    void (*release)(void *mine);
};
size_t sched_proc_local_claim(const char *module, size_t size, const struct proc_local_ops *ops);
/* A module's part of process p, and of the current thread's process. */
void *sched_proc_local(struct proc_ctx *p, size_t offset);
void *sched_proc_local_current(size_t offset);
/* The process a thread runs in, and the current one. */
struct proc_ctx *sched_proc(const struct thread *t);
struct proc_ctx *sched_proc_current(void);
/* How many of the app's threads live in p. */
int sched_proc_threads(const struct proc_ctx *p);
/* A new process context for fork/clone without CLONE_THREAD: the current
 * one's module parts through their fork hooks, and its address space
 * copied on write (private pages shared read-only until either side
 * writes; MAP_SHARED pages stay shared) or, with CLONE_VM, the same one.
 * NULL when memory runs out (nothing is left behind). It has no thread
 * until sched_spawn_in. */
struct proc_ctx *sched_proc_fork(unsigned long clone_flags);
/* Lets the reaper free the contexts of processes that have ended before a
 * fork measures the memory left (their pages come back only through it). */
void sched_proc_drain(void);
/* Throws away a context from sched_proc_fork that got no thread. */
void sched_proc_discard(struct proc_ctx *p);
/* As sched_spawn, but the thread runs in p (and gets no creator's
 * per-thread state other than what sched_spawn copies). */
struct thread *sched_spawn_in(struct proc_ctx *p, const struct shim_regs *start, uint64_t fs_base);
/* execve's point of no return: the current process (whose other threads
 * must be gone: sched_proc_kill_others) gets a new, empty lower half, its
 * old one is dropped (freed unless a vfork parent still shares it), and
 * the exec hooks run. 0 or -ENOMEM. */
int sched_proc_exec(void);
/* Ends every thread of the current process but the caller (exit_group,
 * execve, a fatal signal): they never run again. */
void sched_proc_kill_others(void);
/* Called (once) when a process's last thread has ended and its context
 * was released; set by the process module to reap its bookkeeping. */
extern void (*sched_proc_gone)(struct proc_ctx *p);
/* Runs fn(arg) on thread t's own kernel stack, in its process, before it
 * first resumes its start context (fork's CLONE_CHILD_SETTID store goes
 * into the child's memory). At most one per thread. */
void sched_first_call(struct thread *t, void (*fn)(void *), void *arg);
/* Runs fn(arg) on the current thread's kernel stack, from its top; never
 * returns. For code that must leave the app's stack before the app's
 * memory goes (execve's point of no return) or the exception stack
 * (ending a process from a fault: see sched_resume_in_kernel). */
_Noreturn void sched_call_on_kstack(void (*fn)(void *), void *arg);
/* Makes trap registers r (an app fault's, struct shim_trap's) resume in
 * kernel code at fn(arg) on the current thread's kernel stack: the trap
 * handler returns, and fn (which must not return) runs as the thread. */
void sched_resume_in_kernel(struct shim_regs *r, void (*fn)(void *), void *arg);
/* The channel (sched_block/sched_wake_chan) of the futex word at uaddr
 * in the current address space: the word's address for private memory
 * (tagged with the address space, so equal addresses in two processes
 * differ), its physical address for shared memory (MAP_SHARED: the same
 * word in every process that maps it). */
const void *sched_futex_chan(const void *uaddr);
/* Bytes of memory p's address space holds in page tables and private
 * pages it alone owns (the cost of a process, /proc/PID/status). */
uint64_t sched_proc_memory(const struct proc_ctx *p);

/* ---- CPU state -------------------------------------------------------------- */

/* Disable interrupts and return the previous state for platform_irq_restore. */
uint64_t platform_irq_save(void);
void platform_irq_restore(uint64_t state);
/* The app's vector state (x87/SSE/AVX: XSAVE, else FXSAVE): its size and
 * save/restore to a 64-byte aligned area that size. Shim code itself never
 * touches vector registers (-mgeneral-regs-only). */
size_t platform_fpu_size(void);
void platform_fpu_save(void *area);
void platform_fpu_restore(const void *area);
/* The same from an area in the app's memory (a signal frame's): 0, or
 * -EFAULT when the CPU refuses it (a bad XSAVE header), not a kernel fault. */
int platform_fpu_restore_app(const void *area);
/* Load every register of r and iretq into it (r must stay valid until the
 * iretq: it may be on the stack being abandoned). */
_Noreturn void regs_resume(const struct shim_regs *r);

#pragma GCC visibility pop

#endif
