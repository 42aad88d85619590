/* posix-shim/process: the process table, fork, vfork, wait and exit
 * (module.conf, docs/processes.md).
 *
 * A process is the platform's struct proc_ctx (address space + the
 * modules' per-process state, shim/sched.h) plus a struct process here:
 * its ids, its parent, and what its parent may still collect (the wait
 * status of a zombie, a stop or continue to report). The struct outlives
 * the context: when the last thread ends the platform releases the
 * context (sched_proc_gone), the zombie stays until its parent reaps it.
 *
 * Everything runs with interrupts off where it touches the table: one CPU
 * and a non-preemptive shim make that the only lock. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/alloc.h"
#include "shim/wait.h"
#include "shim/process.h"
#include "shim/signal.h"

#if SHIM_HAVE_sysinfo
#include "shim/sysinfo.h"
#define MAX_PROCESSES SYSINFO_NPROC_MAX   /* RLIMIT_NPROC's ceiling */
#else
#define MAX_PROCESSES 1024
#endif

#define CLONE_VM             0x00000100ul
#define CLONE_FS             0x00000200ul
#define CLONE_FILES          0x00000400ul
#define CLONE_SIGHAND        0x00000800ul
#define CLONE_VFORK          0x00004000ul
#define CLONE_PARENT         0x00008000ul
#define CLONE_THREAD         0x00010000ul
#define CLONE_SETTLS         0x00080000ul
#define CLONE_PARENT_SETTID  0x00100000ul
#define CLONE_CHILD_CLEARTID 0x00200000ul
#define CLONE_CHILD_SETTID   0x01000000ul

#define SIGKILL 9
#define SIGCHLD 17
#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

#define WNOHANG    0x00000001
#define WUNTRACED  0x00000002
#define WSTOPPED   WUNTRACED
#define WEXITED    0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT    0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL     0x40000000
#define __WCLONE   0x80000000

#define P_ALL  0
#define P_PID  1
#define P_PGID 2

enum pstate { P_LIVE, P_ZOMBIE };

struct process {
    int pid, ppid, pgid, sid;
    enum pstate state;
    int wstatus;                 /* a zombie's wait status */
    bool stopped;                /* by SIGSTOP & co., until SIGCONT */
    int stop_sig;
    bool report_stop, report_cont;   /* for the parent's WUNTRACED/WCONTINUED */
    bool reaped;                 /* collected: freed once the context is gone too */
    struct proc_ctx *ctx;        /* NULL once the platform released it */
    struct process *vfork_parent;    /* suspended until this one execs or exits */
    bool vfork_waiting;          /* (on the parent) its vfork child still runs */
    bool execed;                 /* setpgid by the parent: EACCES after exec */
    char comm[16];
};

static struct process *table[MAX_PROCESSES];
static size_t self_offset;
/* wait4/waitid sleep here; every change a parent may collect wakes it. */
static struct wait_queue child_wq;

static struct process *self_of(struct proc_ctx *p)
{
    return *(struct process **)sched_proc_local(p, self_offset);
}

static struct process *me(void)
{
    return self_of(sched_proc_current());
}

static struct process *lookup(int pid)
{
    for (int i = 0; i < MAX_PROCESSES; i++)
        if (table[i] && table[i]->pid == pid)
            return table[i];
    return NULL;
}

static int table_count(void)
{
    int n = 0;
    for (int i = 0; i < MAX_PROCESSES; i++)
        n += table[i] != NULL;
    return n;
}

static void table_remove(struct process *pr)
{
    for (int i = 0; i < MAX_PROCESSES; i++)
        if (table[i] == pr)
            table[i] = NULL;
    shim_free(pr);
}

/* ---- the process module's interface (shim/process.h) ------------------------ */

int process_pid(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->pid; }
int process_ppid(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->ppid; }
int process_pgid(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->pgid; }
int process_sid(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->sid; }
bool process_is_init(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->pid == 1; }
const char *process_comm(const struct proc_ctx *p) { return self_of((struct proc_ctx *)p)->comm; }
void process_set_comm(const char *name) { shim_strlcpy(me()->comm, name, sizeof me()->comm); }

char process_state(const struct proc_ctx *p)
{
    const struct process *pr = self_of((struct proc_ctx *)p);
    return pr->state == P_ZOMBIE ? 'Z' : pr->stopped ? 'T' : 'S';
}

struct proc_ctx *process_find(int pid)
{
    struct process *pr = lookup(pid);
    return pr && pr->state == P_LIVE && pr->ctx ? pr->ctx : NULL;
}

bool process_is_zombie(int pid)
{
    struct process *pr = lookup(pid);
    return pr && pr->state == P_ZOMBIE && !pr->reaped;
}

/* Live processes in pid order (the table is unordered). */
struct proc_ctx *process_next(const struct proc_ctx *p)
{
    int after = p ? self_of((struct proc_ctx *)p)->pid : 0;
    struct process *best = NULL;
    for (int i = 0; i < MAX_PROCESSES; i++) {
        struct process *pr = table[i];
        if (pr && pr->state == P_LIVE && pr->ctx && pr->pid > after && (!best || pr->pid < best->pid))
            best = pr;
    }
    return best ? best->ctx : NULL;
}

/* The platform released a context: its process is a zombie (or was
 * reaped already, or never became one: discarded). */
static void context_gone(struct proc_ctx *p)
{
    struct process *pr = self_of(p);
    if (!pr)
        return;
    pr->ctx = NULL;
    if (pr->reaped)
        table_remove(pr);
}

static int proc_fork_hook(void *child, const void *parent, unsigned long flags)
{
    (void)parent;
    (void)flags;
    *(struct process **)child = NULL;   /* process_clone fills it in */
    return 0;
}

static const struct proc_local_ops self_ops = { .fork = proc_fork_hook };

void process_init(void);
void process_init(void)
{
    self_offset = sched_proc_local_claim("process", sizeof(struct process *), &self_ops);
    struct process *pr = shim_alloc(sizeof *pr);
    if (!pr)
        platform_out_of_memory("the process table");
    memset(pr, 0, sizeof *pr);
    pr->pid = pr->pgid = pr->sid = sched_tid(sched_current());
    pr->ctx = sched_proc_current();
    shim_strlcpy(pr->comm, "app", sizeof pr->comm);
    table[0] = pr;
    *(struct process **)sched_proc_local_current(self_offset) = pr;
    sched_proc_gone = context_gone;
}

/* ---- telling the parent ------------------------------------------------------ */

static void tell_parent(struct process *child, int code, int status)
{
    struct process *parent = lookup(child->ppid);
    if (parent && parent->state == P_LIVE && parent->ctx)
        signal_send_process(parent->ctx, SIGCHLD, code, child->pid, status);
    wake_all(&child_wq);
}

/* ---- fork --------------------------------------------------------------------- */

/* Linux's memory check for a new process, with room to spare: a fork that
 * would leave too little for the copies its writes will make fails with
 * ENOMEM instead of the guest running out later. */
static bool memory_for_fork(void)
{
    uint64_t total, avail;
    platform_memory_info(&total, &avail);
    uint64_t reserve = total / 16 > (4u << 20) ? total / 16 : (4u << 20);
    return avail > reserve;
}

/* A vfork parent, on its kernel stack: waits for the child's exec or
 * exit, then resumes the app with the registers `back` (freed here). Only
 * SIGKILL ends the wait on Linux; here nothing does (a signal is handled
 * once the parent runs again). */
static _Noreturn void vfork_wait(void *arg)
{
    struct shim_regs regs = *(struct shim_regs *)arg;
    shim_free(arg);
    struct process *self = me();
    while (self->vfork_waiting)
        sched_block(self, ~0u, 0);
    regs_resume(&regs);
}

/* The child's first act, on its own stack in its own memory: the tid
 * store CLONE_CHILD_SETTID asks for (glibc's fork keeps its thread
 * descriptor's tid there). */
static void child_settid(void *arg)
{
    int *ctid = arg;
    (void)put_user(sched_tid(sched_current()), ctid);
}

long process_clone(const struct shim_regs *r, bool lstar, unsigned long flags, uint64_t stack,
                   uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    if (flags & CLONE_THREAD)
        return -EINVAL;                     /* the thread module's */
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;                     /* as Linux */
    if ((flags & CLONE_SETTLS) && tls >= SHIM_USER_TOP)
        return -EPERM;
    struct process *parent = me();
    int nproc = table_count();
    if (nproc >= MAX_PROCESSES)
        return -EAGAIN;
#if SHIM_HAVE_sysinfo
    if ((unsigned long)nproc >= sysinfo_rlimit_cur(6 /* RLIMIT_NPROC */))
        return -EAGAIN;
#endif
    sched_proc_drain();
    if (!memory_for_fork())
        return -ENOMEM;
    struct process *pr = shim_alloc(sizeof *pr);
    if (!pr)
        return -ENOMEM;
    memset(pr, 0, sizeof *pr);

    uint64_t irq = platform_irq_save();
    struct proc_ctx *ctx = sched_proc_fork(flags & (CLONE_VM | CLONE_FILES | CLONE_FS | CLONE_SIGHAND));
    if (!ctx) {
        platform_irq_restore(irq);
        shim_free(pr);
        return -ENOMEM;
    }
    struct shim_regs child = *r;
    child.rax = 0;
    if (lstar) {
        /* As after a Linux syscall: rcx = return RIP, r11 = RFLAGS. */
        if (stack)
            child.rsp = stack;
        child.rcx = r->rip;
        child.r11 = r->rflags;
    } else {
        /* The caller's own return into its trampoline, on the child's
         * copy of the stack (or on the new stack it was given). */
        child.rip = r->rip;
        child.rsp = stack ? stack - SHIM_TRAMPOLINE_SKIP : r->rsp;
    }
    uint64_t fs = (flags & CLONE_SETTLS) ? tls : platform_get_fs_base();
    struct thread *t = sched_spawn_in(ctx, &child, fs);
    if (!t) {
        sched_proc_discard(ctx);
        platform_irq_restore(irq);
        shim_free(pr);
        return -EAGAIN;
    }
    int slot = 0;
    while (table[slot])
        slot++;
    pr->pid = sched_tid(t);
    pr->ppid = (flags & CLONE_PARENT) ? parent->ppid : parent->pid;
    pr->pgid = parent->pgid;
    pr->sid = parent->sid;
    pr->ctx = ctx;
    memcpy(pr->comm, parent->comm, sizeof pr->comm);
    table[slot] = pr;
    *(struct process **)sched_proc_local(ctx, self_offset) = pr;
    if ((flags & CLONE_CHILD_SETTID) && ctid)
        sched_first_call(t, child_settid, (void *)ctid);
    if ((flags & CLONE_PARENT_SETTID) && ptid)
        (void)put_user(pr->pid, (int *)ptid);
    int pid = pr->pid;
    if (flags & CLONE_VFORK) {
        /* The parent waits until the child execs or exits. The child may
         * run on this very stack (vfork shares memory and stack), where
         * the shim's frames of this call lie below the app's rsp: so the
         * parent waits on its kernel stack and then resumes the app
         * straight from a copy of its registers, as if the entry had
         * returned pid. */
        struct shim_regs *back = shim_alloc(sizeof *back);
        if (back) {
            *back = child;
            back->rax = (uint64_t)pid;
            back->rsp = r->rsp;
            pr->vfork_parent = parent;
            parent->vfork_waiting = true;
            sched_call_on_kstack(vfork_wait, back);
        }
        /* No memory for the copy: the child runs alongside, as fork. */
    }
    platform_irq_restore(irq);
    return pid;
}

/* The special entries (fork.S): which bit 0 = vfork, bit 1 = LSTAR. */
long process_fork_c(struct shim_regs *r, int which);
long process_fork_c(struct shim_regs *r, int which)
{
    unsigned long flags = (which & 1) ? (CLONE_VM | CLONE_VFORK) : 0;
    return process_clone(r, (which & 2) != 0, flags, 0, 0, 0, 0);
}

/* Reached only through the plain C path, where the caller's registers
 * were not captured (the special entries take every other path). */
SHIM_SYSCALL(fork) { return -ENOSYS; }
SHIM_SYSCALL(vfork) { return -ENOSYS; }

static void vfork_release(struct process *pr)
{
    struct process *parent = pr->vfork_parent;
    if (!parent)
        return;
    pr->vfork_parent = NULL;
    parent->vfork_waiting = false;
    sched_wake_chan(parent, ~0u, -1);
}

void process_exec_done(const char *comm)
{
    uint64_t irq = platform_irq_save();
    struct process *pr = me();
    pr->execed = true;
    if (comm)
        shim_strlcpy(pr->comm, comm, sizeof pr->comm);
    vfork_release(pr);
    platform_irq_restore(irq);
}

/* ---- exit ---------------------------------------------------------------------- */

_Noreturn void process_exit(int wstatus)
{
    platform_irq_save();
    struct process *pr = me();
    if (pr->pid == 1) {
        /* The first process is the run: its status is port-app's. */
        int sig = wstatus & 0x7f;
        platform_abort(sig ? 128 + sig : (wstatus >> 8) & 0xff);
    }
    sched_proc_kill_others();
    vfork_release(pr);
    /* Orphans go to pid 1, which reaps them (a zombie among them is
     * reported to it at once). */
    bool orphan_zombie = false;
    for (int i = 0; i < MAX_PROCESSES; i++) {
        struct process *c = table[i];
        if (c && c->ppid == pr->pid) {
            c->ppid = 1;
            orphan_zombie |= c->state == P_ZOMBIE;
        }
    }
    pr->state = P_ZOMBIE;
    pr->wstatus = wstatus;
    /* A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) never sees the
     * zombie: reaped now, as Linux does. */
    struct process *parent = lookup(pr->ppid);
    if (parent && parent->ctx && signal_child_autoreap(parent->ctx))
        pr->reaped = true;
    int sig = wstatus & 0x7f;
    tell_parent(pr, sig ? ((wstatus & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
                sig ? sig : (wstatus >> 8) & 0xff);
    if (orphan_zombie) {
        struct process *init = lookup(1);
        if (init && init->ctx)
            signal_send_process(init->ctx, SIGCHLD, CLD_EXITED, pr->pid, 0);
    }
    sched_exit_current();
}

/* ---- stop and continue ------------------------------------------------------- */

void process_stop_current(int sig)
{
    uint64_t irq = platform_irq_save();
    struct process *pr = me();
    pr->stopped = true;
    pr->stop_sig = sig;
    pr->report_stop = true;
    pr->report_cont = false;
    tell_parent(pr, CLD_STOPPED, sig);
    while (pr->stopped)
        if (sched_block(&pr->stopped, ~0u, 0) == WAKE_SIGNAL && signal_deliverable && signal_deliverable())
            break;   /* SIGKILL (or SIGCONT) is being delivered */
    platform_irq_restore(irq);
}

void process_continue(struct proc_ctx *p)
{
    uint64_t irq = platform_irq_save();
    struct process *pr = self_of(p);
    if (pr->stopped) {
        pr->stopped = false;
        pr->report_stop = false;
        pr->report_cont = true;
        sched_wake_chan(&pr->stopped, ~0u, -1);
        tell_parent(pr, CLD_CONTINUED, 18 /* SIGCONT */);
    }
    platform_irq_restore(irq);
}

/* ---- wait4 and waitid ------------------------------------------------------------ */

/* Which children a wait names: Linux's pid argument of wait4. */
static bool wanted(const struct process *c, const struct process *parent, int pid)
{
    if (c->ppid != parent->pid)
        return false;
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == parent->pgid;
    if (pid == -1)
        return true;
    return c->pgid == -pid;
}

struct wait_result {
    int pid, code, status;   /* si_code (CLD_*) and si_status */
    int wstatus;             /* wait4's */
};

/* One look at the children: 1 with *res filled (the child collected
 * unless WNOWAIT), 0 when some child matches but nothing is to report,
 * -ECHILD when none matches. */
static int collect(int pid, int options, struct wait_result *res)
{
    struct process *parent = me();
    bool any = false;
    for (int i = 0; i < MAX_PROCESSES; i++) {
        struct process *c = table[i];
        if (!c || c->reaped || !wanted(c, parent, pid))
            continue;
        any = true;
        if (c->state == P_ZOMBIE && (options & WEXITED)) {
            int sig = c->wstatus & 0x7f;
            *res = (struct wait_result){
                .pid = c->pid, .wstatus = c->wstatus,
                .code = sig ? ((c->wstatus & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
                .status = sig ? sig : (c->wstatus >> 8) & 0xff,
            };
            if (!(options & WNOWAIT)) {
                c->reaped = true;
                if (!c->ctx)
                    table_remove(c);
            }
            return 1;
        }
        if (c->state == P_LIVE && c->stopped && c->report_stop && (options & WSTOPPED)) {
            *res = (struct wait_result){ .pid = c->pid, .wstatus = PROCESS_STOPPED(c->stop_sig),
                                         .code = CLD_STOPPED, .status = c->stop_sig };
            if (!(options & WNOWAIT))
                c->report_stop = false;
            return 1;
        }
        if (c->state == P_LIVE && c->report_cont && (options & WCONTINUED)) {
            *res = (struct wait_result){ .pid = c->pid, .wstatus = PROCESS_CONTINUED,
                                         .code = CLD_CONTINUED, .status = 18 };
            if (!(options & WNOWAIT))
                c->report_cont = false;
            return 1;
        }
    }
    return any ? 0 : -ECHILD;
}

/* Waits until collect says something; -EINTR when a handler without
 * SA_RESTART ran meanwhile (with one, the wait goes on, as a restart). */
static int wait_child(int pid, int options, struct wait_result *res)
{
    for (;;) {
        uint64_t irq = platform_irq_save();
        int r = collect(pid, options, res);
        platform_irq_restore(irq);
        if (r != 0 || (options & WNOHANG))
            return r;
        if (wait_queue_sleep_intr(&child_wq, 0))
            return -EINTR;
    }
}

struct k_rusage { long words[18]; };   /* struct rusage: 2 timevals + 14 longs */

SHIM_SYSCALL(wait4)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
        return -EINVAL;
    if (pid == (pid_t)0x80000000)
        return -ESRCH;   /* -INT_MIN names no group */
    struct wait_result res = { 0 };
    int r = wait_child(pid, options | WEXITED, &res);
    if (r <= 0)
        return r;
    if (stat_addr && put_user(res.wstatus, stat_addr))
        return -EFAULT;
    if (ru) {
        struct k_rusage zero = { { 0 } };
        if (copy_to_user(ru, &zero, sizeof zero))
            return -EFAULT;
    }
    return res.pid;
}

SHIM_SYSCALL(waitid)
{
    if (options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    int who;
    switch (which) {
    case P_ALL: who = -1; break;
    case P_PID: if (pid <= 0) return -EINVAL; who = pid; break;
    case P_PGID: if (pid < 0) return -EINVAL; who = pid ? -pid : 0; break;
    default: return -EINVAL;
    }
    struct wait_result res = { 0 };
    int r = wait_child(who, options, &res);
    if (r < 0)
        return r;
    if (infop) {
        /* siginfo_t: si_signo, si_errno, si_code, then si_pid, si_uid,
         * si_status (the SIGCHLD layout); a WNOHANG with nothing to
         * report clears it (si_pid 0), as Linux. */
        int info[32] = { 0 };
        if (r > 0) {
            info[0] = SIGCHLD;
            info[2] = res.code;
            info[4] = res.pid;
            info[5] = 0;
            info[6] = res.status;
        }
        if (copy_to_user(infop, info, sizeof info))
            return -EFAULT;
    }
    if (ru) {
        struct k_rusage zero = { { 0 } };
        if (copy_to_user(ru, &zero, sizeof zero))
            return -EFAULT;
    }
    return 0;
}

/* ---- process groups and sessions ------------------------------------------------ */

long process_setpgid(int pid, int pgid)
{
    if (pgid < 0)
        return -EINVAL;
    uint64_t irq = platform_irq_save();
    struct process *self = me(), *t = pid ? lookup(pid) : self;
    long r = 0;
    if (!t || t->state != P_LIVE || (t != self && t->ppid != self->pid))
        r = -ESRCH;
    else if (t != self && t->execed)
        r = -EACCES;
    else if (t->sid == t->pid || t->sid != self->sid)
        r = -EPERM;   /* a session leader, or a child in another session */
    else {
        int g = pgid ? pgid : t->pid;
        bool exists = g == t->pid;
        for (int i = 0; i < MAX_PROCESSES && !exists; i++)
            exists = table[i] && table[i]->state == P_LIVE && table[i]->pgid == g && table[i]->sid == self->sid;
        if (!exists)
            r = -EPERM;
        else
            t->pgid = g;
    }
    platform_irq_restore(irq);
    return r;
}

long process_setsid(void)
{
    uint64_t irq = platform_irq_save();
    struct process *self = me();
    long r;
    bool group_taken = false;
    for (int i = 0; i < MAX_PROCESSES; i++)
        group_taken |= table[i] && table[i] != self && table[i]->pgid == self->pid;
    if (self->pgid == self->pid || group_taken) {
        r = -EPERM;
    } else {
        self->sid = self->pgid = self->pid;
        r = self->pid;
    }
    platform_irq_restore(irq);
    return r;
}

