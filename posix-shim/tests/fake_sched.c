/* The fake scheduler and process module (fake_sched.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_sched.h"
#include "shim/kernel.h"
#include "shim/mm.h"
#include "shim/process.h"
#include "shim/regs.h"

sched_local_init_t fake_thread_init;
const struct proc_local_ops *fake_proc_ops;
size_t fake_proc_offset;
static size_t thread_used, proc_used;
static struct thread *threads, *current;
static struct proc_ctx *procs[64];
static int nprocs;
jmp_buf fake_exit_jmp;
bool fake_exit_armed;
int fake_exit_status;
struct proc_ctx *fake_exit_proc;
void (*fake_block_hook)(void);
char fake_log[4096];
size_t fake_log_len;
uint64_t fake_timer_at;

struct proc_ctx *fake_proc(int pid, int pgid, bool init)
{
    struct proc_ctx *p = calloc(1, sizeof *p);
    p->pid = pid;
    p->pgid = pgid;
    p->init = init;
    procs[nprocs++] = p;
    return p;
}

struct thread *fake_thread(struct proc_ctx *p, int tid)
{
    struct thread *t = calloc(1, sizeof *t);
    t->tid = tid;
    t->proc = p;
    t->live = true;
    if (fake_thread_init)
        fake_thread_init(t->local, current ? current->local : NULL);
    struct thread **pp = &threads;
    while (*pp)
        pp = &(*pp)->next;
    *pp = t;
    return t;
}

void fake_set_current(struct thread *t) { current = t; }
void fake_thread_end(struct thread *t) { t->live = false; }

/* ---- shim/sched.h ---- */
struct thread *sched_current(void) { return current; }
int sched_tid(const struct thread *t) { return t->tid; }
struct thread *sched_find(int tid)
{
    for (struct thread *t = threads; t; t = t->next)
        if (t->live && t->tid == tid)
            return t;
    return NULL;
}
struct thread *sched_next_live(struct thread *t)
{
    for (t = t ? t->next : threads; t && !t->live; t = t->next)
        ;
    return t;
}
enum wake_reason sched_block(const void *chan, uint32_t bits, uint64_t deadline)
{
    (void)chan; (void)bits; (void)deadline;
    if (!fake_block_hook) {
        fprintf(stderr, "sig_harness: sched_block with nothing to wake it\n");
        exit(97);
    }
    void (*h)(void) = fake_block_hook;
    fake_block_hook = NULL;
    h();
    return WAKE_SIGNAL;
}
void sched_wake_thread(struct thread *t, enum wake_reason why)
{
    (void)why;
    if (t->blocked)
        t->wakes++;
}
bool sched_blocked(const struct thread *t, const void **chan)
{
    *chan = t->chan;
    return t->blocked;
}
void sched_timer_at(uint64_t when) { fake_timer_at = when; }
bool sched_on_kstack(uint64_t sp) { (void)sp; return false; }
uint64_t sched_lstar_user_rsp(void) { return 0; }
uint64_t sched_set_syscall_stack(uint64_t top) { (void)top; return 0; }

size_t sched_local_claim(const char *module, size_t size, sched_local_init_t init)
{
    (void)module;
    size_t off = thread_used;
    thread_used += (size + 15) & ~(size_t)15;
    if (thread_used > SHIM_THREAD_LOCAL_MAX) {
        fprintf(stderr, "sig_harness: per-thread claim too big\n");
        exit(97);
    }
    fake_thread_init = init;
    for (struct thread *t = threads; t; t = t->next)   /* as the platform: the threads already made */
        if (init)
            init(t->local + off, NULL);
    return off;
}
void *sched_local(struct thread *t, size_t offset) { return t->local + offset; }
size_t sched_proc_local_claim(const char *module, size_t size, const struct proc_local_ops *ops)
{
    (void)module;
    size_t off = proc_used;
    proc_used += (size + 15) & ~(size_t)15;
    if (proc_used > SHIM_PROCESS_LOCAL_MAX) {
        fprintf(stderr, "sig_harness: per-process claim too big\n");
        exit(97);
    }
    fake_proc_ops = ops;
    fake_proc_offset = off;
    return off;
}
void *sched_proc_local(struct proc_ctx *p, size_t offset) { return p->local + offset; }
void *sched_proc_local_current(size_t offset) { return current->proc->local + offset; }
struct proc_ctx *sched_proc(const struct thread *t) { return t->proc; }
struct proc_ctx *sched_proc_current(void) { return current->proc; }

/* ---- CPU ---- */
uint64_t platform_irq_save(void) { return 0; }
void platform_irq_restore(uint64_t state) { (void)state; }
size_t platform_fpu_size(void) { return 576; }
void platform_fpu_save(void *area) { memset(area, 0, 576); }
void platform_fpu_restore(const void *area) { (void)area; }
int platform_fpu_restore_app(const void *area) { (void)area; return 0; }
_Noreturn void regs_resume(const struct shim_regs *r)
{
    (void)r;
    fprintf(stderr, "sig_harness: regs_resume\n");
    exit(97);
}
int platform_page_present(uintptr_t va) { (void)va; return 0; }
int mm_fault_is_bus(uintptr_t addr) { (void)addr; return 0; }
int mm_addr_mapped(uintptr_t addr) { (void)addr; return 0; }

void platform_log(const char *buf, size_t len)
{
    if (len > sizeof fake_log - 1 - fake_log_len)
        len = sizeof fake_log - 1 - fake_log_len;
    memcpy(fake_log + fake_log_len, buf, len);
    fake_log_len += len;
    fake_log[fake_log_len] = 0;
}

/* sigreturn.S's sig_enter_sync enters the handler and comes back when its
 * rt_sigreturn restores the frame: here the handler is a host function,
 * called, then the frame is restored as rt_sigreturn does. */
struct sigcontext;
void sig_enter_sync(struct sigcontext *mc, const struct shim_regs *h);
const struct shim_regs *rt_sigreturn_c(uint64_t app_rsp, struct shim_regs *out);
void sig_enter_sync(struct sigcontext *mc, const struct shim_regs *h)
{
    (void)mc;
    ((void (*)(long, void *, void *))h->rip)((long)h->rdi, (void *)h->rsi, (void *)h->rdx);
    struct shim_regs out;
    rt_sigreturn_c(h->rsp + 8, &out);   /* the handler's ret popped pretcode */
}

/* ---- shim/process.h ---- */
int process_pid(const struct proc_ctx *p) { return p->pid; }
bool process_is_zombie(int pid) { (void)pid; return false; }
int process_ppid(const struct proc_ctx *p) { (void)p; return 1; }
int process_pgid(const struct proc_ctx *p) { return p->pgid; }
int process_sid(const struct proc_ctx *p) { (void)p; return 1; }
bool process_is_init(const struct proc_ctx *p) { return p->init; }
struct proc_ctx *process_find(int pid)
{
    for (int i = 0; i < nprocs; i++)
        if (procs[i]->pid == pid)
            return procs[i];
    return NULL;
}
struct proc_ctx *process_next(const struct proc_ctx *p)
{
    (void)p;
    fprintf(stderr, "sig_harness: process_next is not for the signal module\n");
    exit(97);
}
_Noreturn void process_exit(int wstatus)
{
    fake_exit_status = wstatus;
    fake_exit_proc = current->proc;
    if (!fake_exit_armed) {
        fprintf(stderr, "sig_harness: unexpected process_exit(0x%x)\n", wstatus);
        exit(97);
    }
    fake_exit_armed = false;
    longjmp(fake_exit_jmp, 1);
}
void process_stop_current(int sig)
{
    current->proc->stopped_by = sig;
    current->proc->stops++;
    current->proc->stopped = true;   /* returns at once: "continued" later */
}
void process_continue(struct proc_ctx *p)
{
    p->continues++;
    p->stopped = false;
}
char process_state(const struct proc_ctx *p) { return p->stopped ? 'T' : 'S'; }
