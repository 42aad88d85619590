/* posix-shim/signal (module.conf).
 *
 * Where signals are taken:
 *  - from an interrupt or exception that hit app code (signal_from_trap,
 *    signal_fault): the trap frame is the app's exact state; the signal
 *    frame is built from it and the frame is rewritten to enter the handler.
 *  - on the way out of a syscall (signal_deliver_pending): the shim runs on
 *    the app's stack with the app's registers spread over its entry stub
 *    and C frames, so the handler is run from C: the frame's uc_mcontext
 *    holds the shim's own return context (sig_enter_sync), and
 *    rt_sigreturn resumes the shim, which then finishes the syscall. A
 *    handler therefore sees a shim address as the interrupted RIP of a
 *    signal taken in a syscall (handlers that only record, jump out with
 *    siglongjmp or return are unaffected).
 * The shim is never preempted (shim/sched.h), so this state needs only
 * interrupts off against the timer's SIGALRM. What is kept per thread (the
 * blocked mask, thread-directed signals, the alternate stack) is a struct
 * sig_thread in the platform's per-thread area (sched_local_claim); what is
 * kept per process (the dispositions, process-directed signals, ITIMER_REAL)
 * is a struct sig_proc in the process's area (sched_proc_local_claim).
 *
 * Processes (docs/processes.md): with the process module linked, kill and
 * friends reach other processes and process groups, default actions end
 * (process_exit) or stop (process_stop_current) the receiving process,
 * SIGCONT continues a stopped one when sent and SIGKILL wakes it to die;
 * other signals wait until it is continued. Without it there is one
 * process, pid 1, and a fatal default action ends the VM as before.
 * Sets of processes (a group, every process) are walked through the
 * platform's thread list, which may be walked with interrupts off from any
 * context (the console's ^C arrives in the timer interrupt), each process
 * taken once through a mark in its struct sig_proc.
 */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/mm.h"
#include "shim/sched.h"
#include "shim/signal.h"
#include "shim/wait.h"
#include "sigframe.h"
/* vfs's poll queue, woken for signalfd; weak: an image or harness may lack vfs. */
#pragma weak shim_poll_wq
#if SHIM_HAVE_process
#include "shim/alloc.h"
#include "shim/process.h"
#endif

/* The mm module's fault classification (shim/mm.h) is optional: an image
 * may have signals without mm (SHIM_HAVE_mm). */
#if SHIM_HAVE_mm
#define fault_is_bus(addr) mm_fault_is_bus(addr)
#define fault_in_mapping(addr) mm_addr_mapped(addr)
#else
#define fault_is_bus(addr) ((void)(addr), 0)
#define fault_in_mapping(addr) ((void)(addr), 0)
#endif

#define NSIG 64
#define SIGBIT(s) (1ull << ((s) - 1))

#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGSEGV 11
#define SIGPIPE 13
#define SIGALRM 14
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGWINCH 28
#define SIGSYS 31

#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

#define SA_NOCLDSTOP 0x00000001ul
#define SA_NOCLDWAIT 0x00000002ul
#define SA_SIGINFO   0x00000004ul
#define SA_RESTORER  0x04000000ul
#define SA_ONSTACK   0x08000000ul
#define SA_RESTART   0x10000000ul
#define SA_NODEFER   0x40000000ul
#define SA_RESETHAND 0x80000000ul
#define SIG_DFL 0
#define SIG_IGN 1

#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_QUEUE (-1)
#define SI_TKILL (-6)
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* The one process's pid without the process module. */
#define APP_PID 1

struct ksigaction {
    uint64_t handler, flags, restorer, mask;
};

/* One queued signal: its number and the siginfo_t the handler gets. */
struct sig_queued {
    int sig;
    uint8_t info[128];
};
#define THREAD_SIGQ 24
#define PROC_SIGQ 64

/* Per thread: the blocked mask, thread-directed pending signals, the
 * alternate stack. */
struct sig_thread {
    uint64_t sigmask;
    int nsigq;
    struct sig_queued sigq[THREAD_SIGQ];
    uint64_t ss_sp, ss_size;
    int ss_flags;
};
static size_t local_offset;

static struct sig_thread *st(struct thread *t)
{
    return sched_local(t, local_offset);
}

/* Per process, too big for the process's area (about 10 KiB): the
 * dispositions and the process-directed queue. The first process's is
 * static (an app that never forks allocates nothing); a fork child's comes
 * from the heap. */
struct sig_shared {
    struct ksigaction actions[NSIG + 1];
    int nprocq;
    struct sig_queued procq[PROC_SIGQ];
};
static struct sig_shared boot_shared;

/* Per process, in the process's area. */
struct sig_proc {
    struct sig_shared *sh;
    /* ITIMER_REAL (monotonic ns; deadline 0 = disarmed). An armed timer's
     * process is on the `timers` list, with `self` its process (SIGALRM's
     * target: the timer interrupt has no other way from here to it). */
    uint64_t itimer_deadline, itimer_interval;
    struct sig_proc *timer_next;
    struct proc_ctx *self;
    bool timer_listed;
    /* The walk over processes that saw it last (next_process). */
    uint32_t mark;
};
static size_t proc_offset;
static struct sig_proc *timers;

static struct sig_proc *sp_of(struct proc_ctx *p)
{
    return sched_proc_local(p, proc_offset);
}

static struct sig_proc *sp_cur(void)
{
    return sp_of(sched_proc_current());
}

static struct ksigaction *action(struct proc_ctx *p, int sig)
{
    return &sp_of(p)->sh->actions[sig];
}

/* ---- processes ------------------------------------------------------------- */
/* What the process module knows; without it there is one process, pid 1,
 * in process group 1. */

static int pid_of(const struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_pid(p);
#else
    (void)p;
    return APP_PID;
#endif
}

static int pgid_of(const struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_pgid(p);
#else
    (void)p;
    return APP_PID;
#endif
}

static bool is_init(const struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_is_init(p);
#else
    (void)p;
    return true;
#endif
}

/* kill's and rt_sigqueueinfo's target: a process by its pid or, as on
 * Linux, by the tid of any of its threads. A zombie is not found (Linux
 * would signal it and return 0; here it is ESRCH). */
static struct proc_ctx *find_process(int pid)
{
    if (pid <= 0)
        return NULL;
#if SHIM_HAVE_process
    struct proc_ctx *p = process_find(pid);
    if (p)
        return p;
#endif
    struct thread *t = sched_find(pid);
    return t ? sched_proc(t) : NULL;
}

/* Every live process once: `*cursor` (NULL to start) walks the thread
 * list, and a process is returned at the first of its threads, marked with
 * this walk's `gen` (walk_begin). Interrupts off for the whole walk. */
static uint32_t walk_gen;

static uint32_t walk_begin(void)
{
    if (++walk_gen == 0)   /* 0 is what a new process's part holds */
        walk_gen = 1;
    return walk_gen;
}

static struct proc_ctx *next_process(struct thread **cursor, uint32_t gen)
{
    for (struct thread *t = sched_next_live(*cursor); t; t = sched_next_live(t)) {
        struct proc_ctx *p = sched_proc(t);
        struct sig_proc *sp = sp_of(p);
        if (sp->mark == gen)
            continue;
        sp->mark = gen;
        *cursor = t;
        return p;
    }
    *cursor = NULL;
    return NULL;
}

/* ---- siginfo ---------------------------------------------------------------- */

static void info_make(uint8_t info[128], int sig, int code)
{
    memset(info, 0, 128);
    ((int *)info)[0] = sig;
    ((int *)info)[2] = code;
}

/* si_pid and si_uid of a signal a process sends: the sender's pid. */
static void info_sender(uint8_t info[128])
{
    ((int *)info)[4] = pid_of(sched_proc_current());   /* si_pid */
    ((int *)info)[5] = 0;                              /* si_uid */
}

/* ---- default actions --------------------------------------------------------- */

enum dfl { DFL_TERM, DFL_CORE, DFL_IGNORE, DFL_STOP };

static enum dfl default_action(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
        return DFL_IGNORE;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
#if SHIM_HAVE_process
        return DFL_STOP;
#else
        return DFL_IGNORE;   /* one process: nothing could continue it */
#endif
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return DFL_CORE;
    default:
        return DFL_TERM;
    }
}

/* ---- queues ------------------------------------------------------------------ */

static bool ignored(struct proc_ctx *p, int sig)
{
    uint64_t h = action(p, sig)->handler;
    if (h == SIG_IGN)
        return true;
    return h == SIG_DFL && default_action(sig) == DFL_IGNORE;
}

static bool queue_add(struct sig_queued *q, int *n, int cap, int sig, const uint8_t info[128])
{
    if (sig < 32)
        for (int i = 0; i < *n; i++)
            if (q[i].sig == sig)
                return true;   /* standard signals do not queue */
    if (*n >= cap)
        return false;
    q[*n].sig = sig;
    memcpy(q[*n].info, info, 128);
    (*n)++;
    return true;
}

static void queue_del(struct sig_queued *q, int *n, int i)
{
    for (int j = i + 1; j < *n; j++)
        q[j - 1] = q[j];
    (*n)--;
}

/* Drops every queued signal in `set`. */
static void queue_drop(struct sig_queued *q, int *n, uint64_t set)
{
    for (int i = 0; i < *n;)
        if (SIGBIT(q[i].sig) & set)
            queue_del(q, n, i);
        else
            i++;
}

/* Drops the pending signals in `set` of process p and of its threads. */
static void drop_pending(struct proc_ctx *p, uint64_t set)
{
    struct sig_shared *sh = sp_of(p)->sh;
    queue_drop(sh->procq, &sh->nprocq, set);
    for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t))
        if (sched_proc(t) == p)
            queue_drop(st(t)->sigq, &st(t)->nsigq, set);
}

static uint64_t queue_set(const struct sig_queued *q, int n)
{
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s |= SIGBIT(q[i].sig);
    return s;
}

static uint64_t pending_set(struct thread *t)
{
    struct sig_shared *sh = sp_of(sched_proc(t))->sh;
    return queue_set(st(t)->sigq, st(t)->nsigq) | queue_set(sh->procq, sh->nprocq);
}

/* The lowest-numbered pending signal of t in `allowed` (FIFO within one
 * number), removed from its queue. 0 when none. */
static int dequeue(struct thread *t, uint64_t allowed, uint8_t info[128])
{
    uint64_t avail = pending_set(t) & allowed;
    if (!avail)
        return 0;
    int sig = __builtin_ctzll(avail) + 1;
    for (int i = 0; i < st(t)->nsigq; i++)
        if (st(t)->sigq[i].sig == sig) {
            memcpy(info, st(t)->sigq[i].info, 128);
            queue_del(st(t)->sigq, &st(t)->nsigq, i);
            return sig;
        }
    struct sig_shared *sh = sp_of(sched_proc(t))->sh;
    for (int i = 0; i < sh->nprocq; i++)
        if (sh->procq[i].sig == sig) {
            memcpy(info, sh->procq[i].info, 128);
            queue_del(sh->procq, &sh->nprocq, i);
            return sig;
        }
    return 0;
}

/* Sleeping in rt_sigtimedwait: woken by any new signal. */
static const char sigwait_chan;

/* Whether p is stopped (SIGSTOP & co.): its signals wait for SIGCONT. */
static bool stopped(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_state(p) == 'T';
#else
    (void)p;
    return false;
#endif
}

/* Wakes the threads that may take sig: `only`, or (only == NULL) those of
 * process p that do not block it; and p's threads in rt_sigtimedwait. A
 * thread woken for a signal another one took goes back to sleep (its wait
 * checks signal_deliverable). A stopped process's threads stay asleep
 * (Linux's wants_signal) but for SIGKILL, which ends process_stop_current's
 * wait without a SIGCONT (no CLD_CONTINUED for the parent, as on Linux). */
static void notify(struct proc_ctx *p, struct thread *only, int sig)
{
    if (sig != SIGKILL && stopped(p))
        return;
    for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t)) {
        if (only ? t != only : sched_proc(t) != p)
            continue;
        const void *chan;
        if (!sched_blocked(t, &chan))
            continue;
        if (chan == &sigwait_chan || !(st(t)->sigmask & SIGBIT(sig)))
            sched_wake_thread(t, WAKE_SIGNAL);
    }
}

/* What sending sig does at once to process p, whatever its disposition
 * (Linux's prepare_signal): SIGCONT continues a stopped process and
 * discards its pending stop signals, a stop signal discards its pending
 * SIGCONT. (SIGKILL wakes a stopped process too: notify.) */
static void prepare(struct proc_ctx *p, int sig)
{
    if (sig == SIGCONT) {
        drop_pending(p, STOP_SIGS);
#if SHIM_HAVE_process
        process_continue(p);
#endif
    } else if (SIGBIT(sig) & STOP_SIGS)
        drop_pending(p, SIGBIT(SIGCONT));
}

/* Queue a signal for process p (t == NULL) or for its thread t. Any
 * context (the timer interrupt, the console's ^C). */
static int send(struct proc_ctx *p, struct thread *t, int sig, const uint8_t info[128])
{
    uint64_t irq = platform_irq_save();
    if (t)
        p = sched_proc(t);
    prepare(p, sig);
    /* An ignored signal is discarded unless blocked (then it stays pending
     * until unblocked or its action changes, as on Linux); a process's
     * signal is blocked when all its threads block it. */
    bool blocked = t ? (st(t)->sigmask & SIGBIT(sig)) : false;
    if (!t) {
        blocked = true;
        for (struct thread *x = sched_next_live(NULL); x; x = sched_next_live(x))
            if (sched_proc(x) == p && !(st(x)->sigmask & SIGBIT(sig)))
                blocked = false;
    }
    if (ignored(p, sig) && !blocked) {
        platform_irq_restore(irq);
        return 0;
    }
    struct sig_shared *sh = sp_of(p)->sh;
    bool ok = t ? queue_add(st(t)->sigq, &st(t)->nsigq, THREAD_SIGQ, sig, info)
                : queue_add(sh->procq, &sh->nprocq, PROC_SIGQ, sig, info);
    if (ok) {
        notify(p, t, sig);
        /* A signalfd of p may have become readable. The queue is vfs's,
         * referenced weakly: the host-side signal harness has no vfs. */
        if (&shim_poll_wq)
            wake_all(&shim_poll_wq);
    }
    platform_irq_restore(irq);
    return ok ? 0 : -EAGAIN;
}

/* For signalfd (signalfd.c): the calling thread's pending signals in
 * mask, and one of them taken with its siginfo. */
uint64_t signal_pending_current(uint64_t mask)
{
    uint64_t irq = platform_irq_save();
    uint64_t s = pending_set(sched_current()) & mask;
    platform_irq_restore(irq);
    return s;
}

int signal_take_current(uint64_t mask, uint8_t info[128])
{
    uint64_t irq = platform_irq_save();
    int sig = dequeue(sched_current(), mask, info);
    platform_irq_restore(irq);
    return sig;
}

bool signal_deliverable(void)
{
    struct thread *t = sched_current();
    return (pending_set(t) & ~st(t)->sigmask) != 0;
}

/* ---- per-process state: fork, exec, release ---------------------------------- */

/* Set by proc_fork: the next thread made is the new process's first one,
 * which keeps its creator's alternate stack (Linux copies it on fork and
 * vfork; a thread sharing the memory starts without one). */
static bool fork_thread_next;

/* A new thread inherits its creator's mask (clone, fork). */
static void thread_local_init(void *mine, const void *creator)
{
    struct sig_thread *s = mine;
    const struct sig_thread *c = creator;
    s->ss_flags = SS_DISABLE;
    if (c) {
        s->sigmask = c->sigmask;
        if (fork_thread_next) {
            s->ss_sp = c->ss_sp;
            s->ss_size = c->ss_size;
            s->ss_flags = c->ss_flags;
        }
    }
    fork_thread_next = false;
}

static void timer_unlist(struct sig_proc *sp)
{
    if (!sp->timer_listed)
        return;
    for (struct sig_proc **pp = &timers; *pp; pp = &(*pp)->timer_next)
        if (*pp == sp) {
            *pp = sp->timer_next;
            break;
        }
    sp->timer_listed = false;
    sp->timer_next = NULL;
}

#if SHIM_HAVE_process
/* fork: the child gets the parent's dispositions (CLONE_SIGHAND shares
 * them on Linux only together with CLONE_THREAD, which never makes a
 * process), nothing pending and no interval timer or alarm. */
static int proc_fork(void *child, const void *parent, unsigned long clone_flags)
{
    (void)clone_flags;
    const struct sig_proc *pp = parent;
    struct sig_proc *cp = child;
    struct sig_shared *sh = shim_alloc(sizeof *sh);   /* zeroed: nothing queued */
    if (!sh)
        return -ENOMEM;
    memcpy(sh->actions, pp->sh->actions, sizeof sh->actions);
    memset(cp, 0, sizeof *cp);
    cp->sh = sh;
    fork_thread_next = true;
    return 0;
}

/* execve: caught signals go back to SIG_DFL, ignored ones stay ignored,
 * every action loses its flags and mask (Linux's flush_signal_handlers);
 * the exec'ing thread loses its alternate stack. Masks, pending signals
 * and the interval timer stay, as on Linux. */
static int proc_exec(void *mine)
{
    struct sig_proc *sp = mine;
    uint64_t irq = platform_irq_save();
    struct sig_shared *sh = sp->sh;
    for (int sig = 1; sig <= NSIG; sig++) {
        struct ksigaction *ka = &sh->actions[sig];
        if (ka->handler != SIG_IGN)
            ka->handler = SIG_DFL;
        ka->flags = ka->restorer = ka->mask = 0;
    }
    struct sig_thread *s = st(sched_current());
    s->ss_sp = s->ss_size = 0;
    s->ss_flags = SS_DISABLE;
    platform_irq_restore(irq);
    return 0;
}

/* The process is gone (runs in another process: only `mine`). */
static void proc_release(void *mine)
{
    struct sig_proc *sp = mine;
    uint64_t irq = platform_irq_save();
    timer_unlist(sp);
    if (sp->sh && sp->sh != &boot_shared)
        shim_free(sp->sh);
    sp->sh = NULL;
    /* A fork that failed after proc_fork made no thread. */
    fork_thread_next = false;
    platform_irq_restore(irq);
}

static const struct proc_local_ops proc_ops = { proc_fork, proc_exec, proc_release };
#else
/* One process: no fork, no exec, never released. */
static const struct proc_local_ops proc_ops = { NULL, NULL, NULL };
#endif

void signal_init(void);
void signal_init(void)
{
    local_offset = sched_local_claim("signal", sizeof(struct sig_thread), thread_local_init);
    proc_offset = sched_proc_local_claim("signal", sizeof(struct sig_proc), &proc_ops);
    /* The modules' inits run in the main thread, in the first process. */
    sp_cur()->sh = &boot_shared;
}

/* For the process module (shim/signal.h). */
int signal_send_process(struct proc_ctx *p, int sig, int si_code, int si_pid, int si_status)
{
    if (sig < 1 || sig > NSIG)
        return -EINVAL;
    /* SA_NOCLDSTOP: no SIGCHLD when a child stops or continues. */
    if (sig == SIGCHLD && (si_code == CLD_STOPPED || si_code == CLD_CONTINUED) &&
        (action(p, SIGCHLD)->flags & SA_NOCLDSTOP))
        return 0;
    uint8_t info[128];
    info_make(info, sig, si_code);
    ((int *)info)[4] = si_pid;      /* si_pid */
    ((int *)info)[5] = 0;           /* si_uid */
    ((int *)info)[6] = si_status;   /* si_status */
    return send(p, NULL, sig, info);
}

bool signal_child_autoreap(struct proc_ctx *parent)
{
    const struct ksigaction *ka = action(parent, SIGCHLD);
    return ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}
/* ---- the signal frame ------------------------------------------------------- */

struct sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
};
_Static_assert(sizeof(struct sigcontext) == 256, "sigcontext");

struct kstack { uint64_t ss_sp; int32_t ss_flags; int32_t pad; uint64_t ss_size; };

struct ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct kstack uc_stack;
    struct sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};

struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext uc;
    uint8_t info[128];
};
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "rt_sigframe");
/* sigreturn.S writes these fields by offset (sigframe.h). */
_Static_assert(__builtin_offsetof(struct sigcontext, r12) == SC_R12, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, r13) == SC_R13, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, r14) == SC_R14, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, r15) == SC_R15, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, rbp) == SC_RBP, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, rbx) == SC_RBX, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, rax) == SC_RAX, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, rsp) == SC_RSP, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, rip) == SC_RIP, "sigcontext");
_Static_assert(__builtin_offsetof(struct sigcontext, eflags) == SC_EFLAGS, "sigcontext");

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

static bool on_altstack(struct thread *t, uint64_t sp)
{
    return !(st(t)->ss_flags & SS_DISABLE) && sp > st(t)->ss_sp && sp <= st(t)->ss_sp + st(t)->ss_size;
}

/* Lays out the frame for sig below sp (the interrupted stack pointer),
 * fills everything but uc_mcontext's registers, saves the vector state,
 * updates the mask, and fills h with the handler's entry context.
 * The frame goes on the app's stack, which may be bad (an unmapped
 * sigaltstack, a stack pointer the app broke): the whole range is cleared
 * through clear_user first, which both checks it and maps lazily reserved
 * pages; NULL when that faults (the caller kills the process with SIGSEGV,
 * as Linux's force_sigsegv does). Interrupts are off (deliver, or a trap),
 * so nothing unmaps the range between that check and the stores below. */
static struct rt_sigframe *frame_build(struct thread *t, int sig, const uint8_t info[128], uint64_t sp,
                                       uint64_t restore_mask, struct shim_regs *h)
{
    struct ksigaction *ka = action(sched_proc(t), sig);
    bool alt = (ka->flags & SA_ONSTACK) && !(st(t)->ss_flags & SS_DISABLE) && !on_altstack(t, sp);
    if (alt)
        sp = st(t)->ss_sp + st(t)->ss_size;
    else
        sp -= 128;   /* the interrupted code's red zone */
    sp -= platform_fpu_size();
    sp &= ~63ull;
    uint64_t fp = sp;
    sp -= sizeof(struct rt_sigframe);
    sp = (sp & ~15ull) - 8;   /* as after a call: the handler's rsp + 8 is 16-aligned */
    if (fp < sp || clear_user((void *)sp, fp + platform_fpu_size() - sp))
        return NULL;
    struct rt_sigframe *f = (struct rt_sigframe *)sp;   /* zeroed by clear_user */
    f->pretcode = ka->restorer;
    f->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f->uc.uc_stack.ss_sp = st(t)->ss_sp;
    f->uc.uc_stack.ss_size = st(t)->ss_size;
    f->uc.uc_stack.ss_flags = st(t)->ss_flags;
    f->uc.uc_sigmask = restore_mask;
    f->uc.uc_mcontext.oldmask = restore_mask;
    f->uc.uc_mcontext.fpstate = fp;
    f->uc.uc_mcontext.cs = SHIM_SEL_CODE;
    f->uc.uc_mcontext.ss = SHIM_SEL_DATA;
    memcpy(f->info, info, 128);
    /* XSAVE leaves the header's reserved bytes as they were, and XRSTOR
     * faults on garbage there: the area starts clean (clear_user above, as
     * Linux does). */
    platform_fpu_save((void *)fp);

    st(t)->sigmask |= ka->mask | ((ka->flags & SA_NODEFER) ? 0 : SIGBIT(sig));
    st(t)->sigmask &= ~UNBLOCKABLE;
    if (ka->flags & SA_RESETHAND)
        ka->handler = SIG_DFL;

    memset(h, 0, sizeof *h);
    h->rdi = (uint64_t)sig;
    h->rsi = (uint64_t)f->info;
    h->rdx = (uint64_t)&f->uc;
    h->rsp = sp;
    h->rip = ka->handler;
    h->cs = SHIM_SEL_CODE;
    h->ss = SHIM_SEL_DATA;
    h->rflags = 0x202;
    return f;
}

static void mcontext_from_trap(struct sigcontext *mc, const struct shim_trap *trap)
{
    const struct shim_regs *tf = &trap->regs;
    mc->r8 = tf->r8; mc->r9 = tf->r9; mc->r10 = tf->r10; mc->r11 = tf->r11;
    mc->r12 = tf->r12; mc->r13 = tf->r13; mc->r14 = tf->r14; mc->r15 = tf->r15;
    mc->rdi = tf->rdi; mc->rsi = tf->rsi; mc->rbp = tf->rbp; mc->rbx = tf->rbx;
    mc->rdx = tf->rdx; mc->rax = tf->rax; mc->rcx = tf->rcx; mc->rsp = tf->rsp;
    mc->rip = tf->rip; mc->eflags = tf->rflags;
    mc->err = trap->error;
    mc->trapno = trap->vector;
}

static void trap_enter_handler(struct shim_regs *tf, const struct shim_regs *h)
{
    tf->rdi = h->rdi;
    tf->rsi = h->rsi;
    tf->rdx = h->rdx;
    tf->rax = 0;
    tf->rsp = h->rsp;
    tf->rip = h->rip;
    tf->rflags = h->rflags;
}

/* ---- default actions ---------------------------------------------------------- */

/* The current process ends with sig. For pid 1 the log line is the fault
 * report's (port-app reads it back); the process module then ends the VM
 * with 128 + sig. No core file is written, so the status never says
 * WCOREDUMP (Linux with RLIMIT_CORE 0). */
static _Noreturn void die_now(int sig)
{
    struct proc_ctx *p = sched_proc_current();
    char line[80];
    int n = is_init(p) ? shim_snprintf(line, sizeof line, "[kernel] app killed by signal %d\n", sig)
                       : shim_snprintf(line, sizeof line, "[kernel] process %d killed by signal %d\n",
                                       pid_of(p), sig);
    platform_log(line, (size_t)n);
#if SHIM_HAVE_process
    process_exit(PROCESS_KILLED(sig, false));
#else
    platform_abort(128 + sig);
#endif
}

/* The default action of sig, not ignored, in thread context: stop (returns
 * once continued) or end the process. */
static void take_default(int sig)
{
#if SHIM_HAVE_process
    if (default_action(sig) == DFL_STOP) {
        process_stop_current(sig);
        return;
    }
#endif
    die_now(sig);
}

/* ---- delivery from traps ---------------------------------------------------- */

/* The current thread's next deliverable signal for the app context the
 * trap interrupted: 1 when a handler was entered (tf rewritten), 0 when
 * nothing is pending, -sig for a default action that stops or ends the
 * process (the caller takes it). Interrupts off. */
static int take_for_trap(struct shim_trap *tf)
{
    struct thread *t = sched_current();
    uint8_t info[128];
    for (;;) {
        int sig = dequeue(t, ~st(t)->sigmask, info);
        if (!sig)
            return 0;
        struct proc_ctx *p = sched_proc(t);
        if (ignored(p, sig))
            continue;
        if (action(p, sig)->handler == SIG_DFL)
            return -sig;
        struct shim_regs h;
        uint64_t old = st(t)->sigmask;
        struct rt_sigframe *f = frame_build(t, sig, info, tf->regs.rsp, old, &h);
        if (!f)
            return -SIGSEGV;
        mcontext_from_trap(&f->uc.uc_mcontext, tf);
        trap_enter_handler(&tf->regs, &h);
        return 1;
    }
}

#if SHIM_HAVE_process
/* Runs in kernel code on the thread's kernel stack, where trap_detour left
 * the interrupted context: takes the default action, and after a stop the
 * signals that arrived meanwhile, then resumes the app. */
static _Noreturn void trap_detour_entry(long sig, struct shim_trap *tf)
{
    for (;;) {
        take_default((int)sig);
        uint64_t irq = platform_irq_save();
        int r = take_for_trap(tf);
        if (r >= 0)
            regs_resume(&tf->regs);   /* interrupts as the app had them */
        platform_irq_restore(irq);
        sig = -r;
    }
}

/* A trap that must stop the thread or end its process: that cannot happen
 * on the trap's own stack (the process module switches threads, and an
 * exception stack is shifted while its handler runs), so the trap returns
 * into trap_detour_entry instead of the app. Its stack is the thread's
 * kernel stack from where the LSTAR entry would start: free while the
 * thread runs app code (a handler run from a LSTAR syscall has that top
 * moved below the syscall's frames, deliver). */
static void trap_detour(struct shim_trap *tf, int sig)
{
    uint64_t top = sched_set_syscall_stack(0);
    sched_set_syscall_stack(top);
    struct shim_trap *saved = (struct shim_trap *)((top - sizeof *saved) & ~63ull);
    *saved = *tf;
    uint64_t sp = ((uint64_t)saved & ~15ull) - 8;   /* as after a call */
    *(uint64_t *)sp = 0;                             /* it never returns */
    tf->regs.rdi = (uint64_t)sig;
    tf->regs.rsi = (uint64_t)saved;
    tf->regs.rsp = sp;
    tf->regs.rip = (uint64_t)trap_detour_entry;
    tf->regs.cs = SHIM_SEL_CODE;
    tf->regs.ss = SHIM_SEL_DATA;
    tf->regs.rflags = 0x202;   /* interrupts on, as in any shim code */
}
#endif

/* A default action from a trap (the timer interrupt, a fault). */
static void trap_default(struct shim_trap *tf, int sig)
{
#if SHIM_HAVE_process
    trap_detour(tf, sig);
#else
    (void)tf;
    die_now(sig);   /* ends the VM: fine on any stack */
#endif
}

bool signal_from_trap(struct shim_trap *tf)
{
    int r = take_for_trap(tf);
    if (r >= 0)
        return r > 0;
    trap_default(tf, -r);
    return true;
}

bool signal_fault(struct shim_trap *tf)
{
    int sig, code = 0;
    uint64_t addr = tf->regs.rip;
    switch (tf->vector) {
    case 0: sig = SIGFPE; code = 1; break;                    /* FPE_INTDIV */
    case 16: case 19: sig = SIGFPE; code = 0; break;
    case 1: case 3: sig = SIGTRAP; code = 1; break;           /* TRAP_BRKPT */
    case 6: sig = SIGILL; code = 2; break;                    /* ILL_ILLOPN */
    case 17: sig = SIGBUS; code = 1; break;                   /* BUS_ADRALN */
    case 14:
        sig = SIGSEGV;
        addr = tf->fault_addr;
        /* A shared file mapping's page past the end of the file (mm). */
        if (fault_is_bus(addr)) {
            sig = SIGBUS;
            code = 2;                                         /* BUS_ADRERR */
            break;
        }
        /* SEGV_ACCERR for a protection violation, also on a PROT_NONE
         * page (not present in the page table, but mapped); else MAPERR. */
        code = ((tf->error & 1) || platform_page_present(addr & ~0xfffull) ||
                fault_in_mapping(addr)) ? 2 : 1;
        break;
    case 13: case 12: sig = SIGSEGV; code = SI_KERNEL; addr = 0; break;
    default: return false;
    }
    struct thread *t = sched_current();
    uint64_t h0 = action(sched_proc(t), sig)->handler;
    /* A blocked or ignored synchronous fault cannot be taken: Linux kills
     * the process. pid 1 dies through the platform's fault report (same
     * status, and it says where); another process here, without one. */
    if (h0 == SIG_DFL || h0 == SIG_IGN || (st(t)->sigmask & SIGBIT(sig))) {
        /* The platform's report names the signal from the vector, which
         * for a page fault is SIGSEGV: a SIGBUS page fault (past the end of
         * a shared file mapping) dies here, so its status is 135. */
        if ((sig == SIGBUS && tf->vector == 14) || !is_init(sched_proc(t))) {
            trap_default(tf, sig);
            return true;
        }
        return false;
    }
    uint8_t info[128];
    info_make(info, sig, code);
    *(uint64_t *)(info + 16) = addr;   /* si_addr */
    struct shim_regs h;
    struct rt_sigframe *f = frame_build(t, sig, info, tf->regs.rsp, st(t)->sigmask, &h);
    if (!f) {
        trap_default(tf, SIGSEGV);
        return true;
    }
    mcontext_from_trap(&f->uc.uc_mcontext, tf);
    f->uc.uc_mcontext.cr2 = tf->vector == 14 ? addr : 0;
    trap_enter_handler(&tf->regs, &h);
    return true;
}

/* ---- delivery on the way out of a syscall ----------------------------------- */

void sig_enter_sync(struct sigcontext *mc, const struct shim_regs *h);

/* The app's stack pointer for a handler run from the shim: the shim runs
 * below the app's rsp on its own stack (rewritten sites), or on the
 * thread's kernel stack (LSTAR entry), which saved the app's rsp. */
static uint64_t sync_stack(uint64_t rsp)
{
    if (sched_on_kstack(rsp))
        return sched_lstar_user_rsp();
    /* Leave room for the calls that build the frame (frame_build, memset,
     * fpu_save) between the caller's rsp and the frame. */
    return rsp - 4096;
}

/* Runs handlers for the deliverable signals. restore_mask: the mask the
 * first handler's rt_sigreturn reinstates (sigsuspend's saved mask), or 0
 * for the mask at delivery. Returns WAIT_HANDLER_RAN when a handler ran,
 * with WAIT_HANDLER_INTERRUPTS when one of them lacks SA_RESTART. */
static int deliver(bool use_restore, uint64_t restore_mask)
{
    struct thread *t = sched_current();
    int ran = 0;
    for (int guard = 0; guard < 256; guard++) {
        uint8_t info[128];
        uint64_t irq = platform_irq_save();
        int sig = dequeue(t, ~st(t)->sigmask, info);
        if (!sig) {
            platform_irq_restore(irq);
            break;
        }
        struct proc_ctx *p = sched_proc(t);
        if (ignored(p, sig)) {
            platform_irq_restore(irq);
            continue;
        }
        const struct ksigaction *ka = action(p, sig);
        if (ka->handler == SIG_DFL) {
            platform_irq_restore(irq);
            take_default(sig);   /* returns after a stop, when continued */
            continue;
        }
        uint64_t old = use_restore ? restore_mask : st(t)->sigmask;
        use_restore = false;
        ran |= WAIT_HANDLER_RAN;
        if (!(ka->flags & SA_RESTART))
            ran |= WAIT_HANDLER_INTERRUPTS;
        struct shim_regs h;
        uint64_t rsp;
        __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
        struct rt_sigframe *f = frame_build(t, sig, info, sync_stack(rsp), old, &h);
        if (!f)
            die_now(SIGSEGV);
        /* Through LSTAR this code runs on the kernel stack: a syscall the
         * handler makes through LSTAR must start below these frames. */
        bool lstar = sched_on_kstack(rsp);
        uint64_t saved_sp = lstar ? sched_set_syscall_stack((rsp - 512) & ~15ull) : 0;
        platform_irq_restore(irq);
        sig_enter_sync(&f->uc.uc_mcontext, &h);
        if (lstar) {
            irq = platform_irq_save();
            sched_set_syscall_stack(saved_sp);
            platform_irq_restore(irq);
        }
    }
    return ran;
}

int signal_deliver_pending(void)
{
    return deliver(false, 0);
}

/* rt_sigreturn: restore what frame_build saved; the registers go to out. */
const struct shim_regs *rt_sigreturn_c(uint64_t app_rsp, struct shim_regs *out);
const struct shim_regs *rt_sigreturn_c(uint64_t app_rsp, struct shim_regs *out)
{
    /* The frame is the app's memory: copied in, and a bad one (or a bad
     * fpstate pointer in it) kills the app with SIGSEGV, as Linux. */
    struct rt_sigframe fk, *f = &fk;
    if (copy_from_user(f, (const void *)(app_rsp - 8), sizeof *f))
        die_now(SIGSEGV);
    const struct sigcontext *mc = &f->uc.uc_mcontext;
    struct thread *t = sched_current();
    platform_irq_save();   /* off until regs_resume's iretq */
    st(t)->sigmask = f->uc.uc_sigmask & ~UNBLOCKABLE;
    if (mc->fpstate && !(mc->fpstate & 63)) {
        /* XRSTOR reads the area in place: its first and last bytes show
         * that both pages it can span are readable app memory. */
        size_t n = platform_fpu_size();
        uint8_t b;
        if (!access_ok((const void *)mc->fpstate, n) || copy_from_user(&b, (const void *)mc->fpstate, 1) ||
            copy_from_user(&b, (const void *)(mc->fpstate + n - 1), 1))
            die_now(SIGSEGV);
        if (platform_fpu_restore_app((const void *)mc->fpstate))
            die_now(SIGSEGV);   /* a header XRSTOR refuses: Linux's badframe */
    }
    out->r8 = mc->r8; out->r9 = mc->r9; out->r10 = mc->r10; out->r11 = mc->r11;
    out->r12 = mc->r12; out->r13 = mc->r13; out->r14 = mc->r14; out->r15 = mc->r15;
    out->rdi = mc->rdi; out->rsi = mc->rsi; out->rbp = mc->rbp; out->rbx = mc->rbx;
    out->rdx = mc->rdx; out->rax = mc->rax; out->rcx = mc->rcx;
    out->rsp = mc->rsp;
    out->rip = mc->rip;
    /* Arithmetic flags, DF and IF as saved; never TF or IOPL games. */
    out->rflags = (mc->eflags & 0x0cd5ul) | 0x202;
    out->cs = SHIM_SEL_CODE;
    out->ss = SHIM_SEL_DATA;
    return out;
}

SHIM_SYSCALL(rt_sigreturn)
{
    /* Only the special entry can restore a frame (it owns the stack). */
    shim_printk("port-app: rt_sigreturn through an unrewritten syscall instruction is not supported\n");
    platform_abort(128 + SIGSEGV);
}

/* ---- syscalls ------------------------------------------------------------------ */

static bool valid_sig(long sig) { return sig >= 1 && sig <= NSIG; }

SHIM_SYSCALL(rt_sigaction)
{
    if (!valid_sig(sig) || sigsetsize != 8)
        return -EINVAL;
    struct ksigaction nak, *na = NULL, old;
    if (act) {
        if (copy_from_user(&nak, act, sizeof nak))
            return -EFAULT;
        na = &nak;
    }
    if (na && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    uint64_t irq = platform_irq_save();
    struct proc_ctx *p = sched_proc_current();
    struct ksigaction *ka = action(p, sig);
    old = *ka;
    if (na) {
        *ka = *na;
        ka->mask &= ~UNBLOCKABLE;
        /* Setting an action that ignores the signal discards it pending. */
        if (ignored(p, sig))
            drop_pending(p, SIGBIT(sig));
    }
    platform_irq_restore(irq);
    return oact && copy_to_user(oact, &old, sizeof old) ? -EFAULT : 0;
}

SHIM_SYSCALL(rt_sigprocmask)
{
    if (sigsetsize != 8)
        return -EINVAL;
    struct thread *t = sched_current();
    uint64_t old = st(t)->sigmask;
    if (set) {
        uint64_t bits;
        if (copy_from_user(&bits, set, sizeof bits))
            return -EFAULT;
        uint64_t m = old;
        switch (how) {
        case 0: m |= bits; break;
        case 1: m &= ~bits; break;
        case 2: m = bits; break;
        default: return -EINVAL;
        }
        st(t)->sigmask = m & ~UNBLOCKABLE;
    }
    if (oset && copy_to_user(oset, &old, sizeof old))
        return -EFAULT;
    deliver(false, 0);   /* newly unblocked signals run before the call returns */
    return 0;
}

SHIM_SYSCALL(rt_sigpending)
{
    if (sigsetsize > 8 || sigsetsize < 1)
        return -EINVAL;
    struct thread *t = sched_current();
    uint64_t irq = platform_irq_save();
    uint64_t s = pending_set(t) & st(t)->sigmask;
    platform_irq_restore(irq);
    return copy_to_user(set, &s, sigsetsize) ? -EFAULT : 0;
}

/* kill's and rt_sigqueueinfo's signal (info filled, sig > 0) to a set of
 * processes: pid 0 = the caller's process group, -1 = every process but
 * pid 1 and the caller (Linux's kill(-1)), < -1 = process group -pid.
 * ESRCH when the set is empty; else 0 if any send succeeded, or the last
 * error. sig 0 only checks that the set is not empty. */
static long send_many(int pid, int sig, const uint8_t info[128])
{
    struct proc_ctx *self = sched_proc_current();
    int pgid = pid == 0 ? pgid_of(self) : -pid;
    long r = -ESRCH;
    bool ok = false;
    uint64_t irq = platform_irq_save();
    uint32_t gen = walk_begin();
    struct thread *cursor = NULL;
    for (struct proc_ctx *p; (p = next_process(&cursor, gen));) {
        if (pid == -1 ? (is_init(p) || p == self) : pgid_of(p) != pgid)
            continue;
        r = sig ? send(p, NULL, sig, info) : 0;
        ok |= r == 0;
    }
    platform_irq_restore(irq);
    return ok ? 0 : r;
}

SHIM_SYSCALL(kill)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid == -2147483647 - 1)
        return -ESRCH;   /* -pid would overflow (Linux) */
    uint8_t info[128];
    info_make(info, sig, SI_USER);
    info_sender(info);
    long r;
    if (pid > 0) {
        struct proc_ctx *p = find_process(pid);
#if SHIM_HAVE_process
        if (!p && process_is_zombie(pid))
            return 0;   /* as Linux: a zombie takes (and ignores) the signal */
#endif
        if (!p)
            return -ESRCH;
        r = sig ? send(p, NULL, sig, info) : 0;
    } else
        r = send_many(pid, sig, info);
    deliver(false, 0);   /* a signal to itself runs before kill returns */
    return r;
}

static long kill_thread(struct thread *t, int sig, int code)
{
    if (!sig)
        return 0;
    uint8_t info[128];
    info_make(info, sig, code);
    info_sender(info);
    long r = send(NULL, t, sig, info);
    deliver(false, 0);
    return r;
}

/* The thread tid, if it belongs to process tgid. */
static struct thread *find_thread_in(int tgid, int tid)
{
    struct thread *t = sched_find(tid);
    return t && pid_of(sched_proc(t)) == tgid ? t : NULL;
}

SHIM_SYSCALL(tgkill)
{
    if (sig < 0 || sig > NSIG || tgid <= 0 || pid <= 0)
        return -EINVAL;
    struct thread *t = find_thread_in(tgid, pid);
    if (!t)
        return -ESRCH;
    return kill_thread(t, sig, SI_TKILL);
}

SHIM_SYSCALL(tkill)
{
    if (sig < 0 || sig > NSIG || pid <= 0)
        return -EINVAL;
    struct thread *t = sched_find(pid);
    if (!t)
        return -ESRCH;
    return kill_thread(t, sig, SI_TKILL);
}

/* The app's siginfo in: Linux reads its kernel_siginfo part (48 bytes; the
 * rest of a siginfo_t of a known layout is padding it never looks at). */
static int siginfo_in(uint8_t info[128], const void *uinfo)
{
    memset(info, 0, 128);
    return copy_from_user(info, uinfo, 48) ? -EFAULT : 0;
}

/* info: a kernel copy of the app's siginfo; the signal goes to process p
 * (t == NULL) or thread t; target: the pid or tid the caller named. */
static long queueinfo(struct proc_ctx *p, struct thread *t, long target, int sig, uint8_t info[128])
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    int code = ((const int *)info)[2];
    /* Only the kernel may claim SI_USER/SI_KERNEL/SI_TKILL, except towards
     * the caller itself (Linux compares the target with the caller's tid). */
    if ((code >= 0 || code == SI_TKILL) && sched_tid(sched_current()) != target)
        return -EPERM;
    ((int *)info)[0] = sig;
    if (!sig)
        return 0;
    long r = send(p, t, sig, info);
    deliver(false, 0);
    return r;
}

SHIM_SYSCALL(rt_sigqueueinfo)
{
    uint8_t info[128];
    if (siginfo_in(info, uinfo))
        return -EFAULT;
    struct proc_ctx *p = find_process(pid);
    if (!p)
        return -ESRCH;
    return queueinfo(p, NULL, pid, sig, info);
}

SHIM_SYSCALL(rt_tgsigqueueinfo)
{
    uint8_t info[128];
    if (siginfo_in(info, uinfo))
        return -EFAULT;
    if (tgid <= 0 || pid <= 0)
        return -EINVAL;
    struct thread *t = find_thread_in(tgid, pid);
    if (!t)
        return -ESRCH;
    return queueinfo(NULL, t, pid, sig, info);
}

/* Block until a signal the thread takes runs a handler, then -EINTR
 * (pause, rt_sigsuspend: ERESTARTNOHAND). A signal that runs none (a stop
 * and SIGCONT) lets the wait go on, as Linux restarts the call. */
static long wait_and_take(uint64_t restore_mask)
{
    struct thread *t = sched_current();
    for (;;) {
        uint64_t irq = platform_irq_save();
        if (!signal_deliverable())
            sched_block(NULL, 0, 0);
        bool ready = signal_deliverable();
        platform_irq_restore(irq);
        if (ready && (deliver(true, restore_mask) & WAIT_HANDLER_RAN))
            break;
    }
    st(t)->sigmask = restore_mask;
    return -EINTR;
}

SHIM_SYSCALL(rt_sigsuspend)
{
    if (sigsetsize != 8)
        return -EINVAL;
    uint64_t nm;
    if (copy_from_user(&nm, unewset, sizeof nm))
        return -EFAULT;
    struct thread *t = sched_current();
    uint64_t saved = st(t)->sigmask;
    st(t)->sigmask = nm & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    return wait_and_take(saved);
}

SHIM_SYSCALL(pause)
{
    return wait_and_take(st(sched_current())->sigmask);
}

struct kts { long sec, nsec; };

SHIM_SYSCALL(rt_sigtimedwait)
{
    if (sigsetsize != 8)
        return -EINVAL;
    uint64_t set;
    struct kts tsk, *ts = NULL;
    if (copy_from_user(&set, uthese, sizeof set))
        return -EFAULT;
    set &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    if (uts) {
        if (copy_from_user(&tsk, uts, sizeof tsk))
            return -EFAULT;
        ts = &tsk;
    }
    uint64_t deadline = 0;
    if (ts) {
        if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000L)
            return -EINVAL;
        deadline = platform_monotonic_ns() + (uint64_t)ts->sec * 1000000000ull + (uint64_t)ts->nsec;
    }
    struct thread *t = sched_current();
    for (;;) {
        uint8_t info[128];
        uint64_t irq = platform_irq_save();
        int sig = dequeue(t, set, info);
        if (sig) {
            platform_irq_restore(irq);
            /* Linux too has taken the signal when the copy out fails. */
            if (uinfo && copy_to_user(uinfo, info, 128))
                return -EFAULT;
            return sig;
        }
        if (pending_set(t) & ~st(t)->sigmask & ~set) {
            platform_irq_restore(irq);
            deliver(false, 0);
            return -EINTR;
        }
        if (ts && platform_monotonic_ns() >= deadline) {
            platform_irq_restore(irq);
            return -EAGAIN;
        }
        sched_block(&sigwait_chan, ~0u, ts ? deadline : 0);
        platform_irq_restore(irq);
    }
}

SHIM_SYSCALL(sigaltstack)
{
    struct thread *t = sched_current();
    struct kstack ssk, *ss = NULL;
    if (uss) {
        if (copy_from_user(&ssk, uss, sizeof ssk))
            return -EFAULT;
        ss = &ssk;
    }
    uint64_t sp = (uint64_t)__builtin_frame_address(0);
    bool on = on_altstack(t, sp);
    struct kstack old = { st(t)->ss_sp, on ? SS_ONSTACK : (st(t)->ss_flags & SS_DISABLE), 0, st(t)->ss_size };
    if (ss) {
        if (on)
            return -EPERM;
        if (ss->ss_flags & SS_DISABLE) {
            st(t)->ss_flags = SS_DISABLE;
            st(t)->ss_sp = 0;
            st(t)->ss_size = 0;
        } else {
            if (ss->ss_flags & ~(SS_ONSTACK | (int)0x80000000))   /* SS_AUTODISARM */
                return -EINVAL;
            if (ss->ss_size < MINSIGSTKSZ)
                return -ENOMEM;
            st(t)->ss_sp = ss->ss_sp;
            st(t)->ss_size = ss->ss_size;
            st(t)->ss_flags = 0;
        }
    }
    return uoss && copy_to_user(uoss, &old, sizeof old) ? -EFAULT : 0;
}

/* ---- alarm, interval timers ----------------------------------------------- */
/* ITIMER_REAL is per process; the armed ones are on the `timers` list,
 * which the timer interrupt walks (interrupts off everywhere it changes). */

void signal_timer_tick(uint64_t now)
{
    for (struct sig_proc **pp = &timers; *pp;) {
        struct sig_proc *sp = *pp;
        if (now < sp->itimer_deadline) {
            pp = &sp->timer_next;
            continue;
        }
        if (sp->itimer_interval) {
            while (sp->itimer_deadline <= now)
                sp->itimer_deadline += sp->itimer_interval;
            sched_timer_at(sp->itimer_deadline);
            pp = &sp->timer_next;
        } else {
            sp->itimer_deadline = 0;
            *pp = sp->timer_next;
            sp->timer_next = NULL;
            sp->timer_listed = false;
        }
        uint8_t info[128];
        info_make(info, SIGALRM, SI_KERNEL);
        send(sp->self, NULL, SIGALRM, info);
    }
}

struct ktv { long sec, usec; };
struct kitv { struct ktv interval, value; };

static uint64_t tv_ns(const struct ktv *tv) { return (uint64_t)tv->sec * 1000000000ull + (uint64_t)tv->usec * 1000; }
static struct ktv ns_tv(uint64_t ns) { return (struct ktv){ (long)(ns / 1000000000ull), (long)(ns % 1000000000ull / 1000) }; }

/* The calling process's ITIMER_REAL. */
static void itimer_get(struct kitv *v)
{
    uint64_t irq = platform_irq_save();
    const struct sig_proc *sp = sp_cur();
    uint64_t now = platform_monotonic_ns();
    uint64_t d = sp->itimer_deadline;
    uint64_t left = d > now ? d - now : (d ? 1000 : 0);
    v->interval = ns_tv(sp->itimer_interval);
    v->value = ns_tv(left);
    platform_irq_restore(irq);
}

static void itimer_set(uint64_t value, uint64_t interval)
{
    uint64_t irq = platform_irq_save();
    struct sig_proc *sp = sp_cur();
    sp->itimer_interval = interval;
    sp->itimer_deadline = value ? platform_monotonic_ns() + value : 0;
    sp->self = sched_proc_current();
    if (sp->itimer_deadline && !sp->timer_listed) {
        sp->timer_next = timers;
        timers = sp;
        sp->timer_listed = true;
    } else if (!sp->itimer_deadline)
        timer_unlist(sp);
    uint64_t deadline = sp->itimer_deadline;
    platform_irq_restore(irq);
    if (deadline)
        sched_timer_at(deadline);
}

SHIM_SYSCALL(getitimer)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    struct kitv v = { { 0, 0 }, { 0, 0 } };
    if (which == 0)
        itimer_get(&v);
    return copy_to_user(value, &v, sizeof v) ? -EFAULT : 0;
}

SHIM_SYSCALL(setitimer)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    if (which != 0)
        return -EINVAL;   /* ITIMER_VIRTUAL/PROF: no per-thread CPU accounting */
    struct kitv nvk, *nv = NULL, old;
    if (value) {
        if (copy_from_user(&nvk, value, sizeof nvk))
            return -EFAULT;
        nv = &nvk;
    }
    itimer_get(&old);
    if (nv) {
        if (nv->value.usec < 0 || nv->value.usec >= 1000000 || nv->interval.usec < 0 ||
            nv->interval.usec >= 1000000 || nv->value.sec < 0 || nv->interval.sec < 0)
            return -EINVAL;
        itimer_set(tv_ns(&nv->value), tv_ns(&nv->interval));
    }
    return ovalue && copy_to_user(ovalue, &old, sizeof old) ? -EFAULT : 0;
}

SHIM_SYSCALL(alarm)
{
    struct kitv old;
    itimer_get(&old);
    itimer_set((uint64_t)seconds * 1000000000ull, 0);
    /* As Linux: round to the nearest second, and an armed timer is >= 1. */
    long secs = old.value.sec + (old.value.usec >= 500000);
    if (!secs && (old.value.usec || old.value.sec))
        secs = 1;
    return secs;
}

/* ---- signals from outside: the terminal, port-app ---------------------------- */

/* As Linux's tty: to every process in the foreground process group, which
 * is pid 1's (nothing here gives the terminal to another group). Runs in
 * the timer interrupt, so the processes are found through the thread list
 * (next_process). */
void signal_raise_app(int sig)
{
    if (!valid_sig(sig))
        return;
    uint8_t info[128];
    info_make(info, sig, SI_KERNEL);
    uint64_t irq = platform_irq_save();
    struct proc_ctx *init = NULL;
    for (struct thread *t = sched_next_live(NULL); t && !init; t = sched_next_live(t))
        if (is_init(sched_proc(t)))
            init = sched_proc(t);
    if (init) {
        int pgid = pgid_of(init);
        uint32_t gen = walk_begin();
        struct thread *cursor = NULL;
        for (struct proc_ctx *p; (p = next_process(&cursor, gen));)
            if (pgid_of(p) == pgid)
                send(p, NULL, sig, info);
    }
    platform_irq_restore(irq);
}

/* ---- SIGPIPE (the pipe module's hook) --------------------------------------- */

void shim_raise_sigpipe(void)
{
    uint8_t info[128];
    info_make(info, SIGPIPE, SI_USER);
    info_sender(info);
    send(NULL, sched_current(), SIGPIPE, info);
    deliver(false, 0);
}
