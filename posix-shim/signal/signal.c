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
 * sig_thread in the platform's per-thread area (sched_local_claim).
 */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/mm.h"
#include "shim/sched.h"
#include "shim/signal.h"
#include "shim/wait.h"
#include "sigframe.h"

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
#define SIGURG 23
#define SIGWINCH 28

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

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

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

/* A new thread inherits its creator's mask (clone), and has no
 * alternate stack. */
static void thread_local_init(void *mine, const void *creator)
{
    struct sig_thread *s = mine;
    s->ss_flags = SS_DISABLE;
    if (creator)
        s->sigmask = ((const struct sig_thread *)creator)->sigmask;
}

void signal_init(void);
void signal_init(void)
{
    local_offset = sched_local_claim("signal", sizeof(struct sig_thread), thread_local_init);
}

static struct ksigaction actions[NSIG + 1];
static struct sig_queued procq[64];
static int nprocq;

/* ---- siginfo ---------------------------------------------------------------- */

static void info_make(uint8_t info[128], int sig, int code)
{
    memset(info, 0, 128);
    ((int *)info)[0] = sig;
    ((int *)info)[2] = code;
}

static void info_sender(uint8_t info[128])
{
    ((int *)info)[4] = APP_PID;   /* si_pid */
    ((int *)info)[5] = 0;         /* si_uid */
}

/* ---- queues ------------------------------------------------------------------ */

static bool ignored(int sig)
{
    uint64_t h = actions[sig].handler;
    if (h == SIG_IGN)
        return true;
    return h == SIG_DFL && (sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH ||
                            sig == SIGSTOP || sig == 20 || sig == 21 || sig == 22);
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

static void queue_drop(struct sig_queued *q, int *n, int sig)
{
    for (int i = 0; i < *n;)
        if (q[i].sig == sig)
            queue_del(q, n, i);
        else
            i++;
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
    return queue_set(st(t)->sigq, st(t)->nsigq) | queue_set(procq, nprocq);
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
    for (int i = 0; i < nprocq; i++)
        if (procq[i].sig == sig) {
            memcpy(info, procq[i].info, 128);
            queue_del(procq, &nprocq, i);
            return sig;
        }
    return 0;
}

/* Sleeping in rt_sigtimedwait: woken by any new signal. */
static const char sigwait_chan;

static void notify(struct thread *only, int sig)
{
    for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t)) {
        if (only && t != only)
            continue;
        const void *chan;
        if (!sched_blocked(t, &chan))
            continue;
        if (chan == &sigwait_chan || !(st(t)->sigmask & SIGBIT(sig)))
            sched_wake_thread(t, WAKE_SIGNAL);
    }
}

/* Queue a signal for the process (t == NULL) or one thread. */
static int send(struct thread *t, int sig, const uint8_t info[128])
{
    uint64_t irq = platform_irq_save();
    /* An ignored signal is discarded unless blocked (then it stays pending
     * until unblocked or its action changes, as on Linux). */
    bool blocked = t ? (st(t)->sigmask & SIGBIT(sig)) : false;
    if (!t) {
        blocked = true;
        for (struct thread *x = sched_next_live(NULL); x; x = sched_next_live(x))
            if (!(st(x)->sigmask & SIGBIT(sig)))
                blocked = false;
    }
    if (ignored(sig) && !blocked) {
        platform_irq_restore(irq);
        return 0;
    }
    bool ok = t ? queue_add(st(t)->sigq, &st(t)->nsigq, THREAD_SIGQ, sig, info)
                : queue_add(procq, &nprocq, 64, sig, info);
    if (ok)
        notify(t, sig);
    platform_irq_restore(irq);
    return ok ? 0 : -EAGAIN;
}

bool signal_deliverable(void)
{
    struct thread *t = sched_current();
    return (pending_set(t) & ~st(t)->sigmask) != 0;
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

static _Noreturn void die(int sig);

/* Lays out the frame for sig below sp (the interrupted stack pointer),
 * fills everything but uc_mcontext's registers, saves the vector state,
 * updates the mask, and fills h with the handler's entry context.
 * The frame goes on the app's stack, which may be bad (an unmapped
 * sigaltstack, a stack pointer the app broke): the whole range is cleared
 * through clear_user first, which both checks it and maps lazily reserved
 * pages, and a fault kills the app with SIGSEGV as Linux's force_sigsegv
 * does. Interrupts are off (deliver, or a trap), so nothing unmaps the
 * range between that check and the stores below. */
static struct rt_sigframe *frame_build(struct thread *t, int sig, const uint8_t info[128], uint64_t sp,
                                       uint64_t restore_mask, struct shim_regs *h)
{
    struct ksigaction *ka = &actions[sig];
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
        die(SIGSEGV);
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
    st(t)->sigmask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
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

/* The same line as the fault report's (port-app reads it back). */
static _Noreturn void die(int sig)
{
    char line[64];
    int n = shim_snprintf(line, sizeof line, "[kernel] app killed by signal %d\n", sig);
    platform_log(line, (size_t)n);
    platform_abort(128 + sig);
}

/* ---- delivery from traps ---------------------------------------------------- */

bool signal_from_trap(struct shim_trap *tf)
{
    struct thread *t = sched_current();
    uint8_t info[128];
    for (;;) {
        int sig = dequeue(t, ~st(t)->sigmask, info);
        if (!sig)
            return false;
        if (ignored(sig))
            continue;
        if (actions[sig].handler == SIG_DFL)
            die(sig);
        struct shim_regs h;
        uint64_t old = st(t)->sigmask;
        struct rt_sigframe *f = frame_build(t, sig, info, tf->regs.rsp, old, &h);
        mcontext_from_trap(&f->uc.uc_mcontext, tf);
        trap_enter_handler(&tf->regs, &h);
        return true;
    }
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
    uint64_t h0 = actions[sig].handler;
    /* A blocked or ignored synchronous fault cannot be taken: Linux kills
     * the process; here the fault report does, with the same status. */
    if (h0 == SIG_DFL || h0 == SIG_IGN || (st(t)->sigmask & SIGBIT(sig))) {
        /* The platform's report names the signal from the vector, which
         * for a page fault is SIGSEGV: a SIGBUS page fault (past the end of
         * a shared file mapping) dies here, so its status is 135. */
        if (sig == SIGBUS && tf->vector == 14)
            die(SIGBUS);
        return false;
    }
    uint8_t info[128];
    info_make(info, sig, code);
    *(uint64_t *)(info + 16) = addr;   /* si_addr */
    struct shim_regs h;
    struct rt_sigframe *f = frame_build(t, sig, info, tf->regs.rsp, st(t)->sigmask, &h);
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
        if (ignored(sig)) {
            platform_irq_restore(irq);
            continue;
        }
        if (actions[sig].handler == SIG_DFL)
            die(sig);
        uint64_t old = use_restore ? restore_mask : st(t)->sigmask;
        use_restore = false;
        ran |= WAIT_HANDLER_RAN;
        if (!(actions[sig].flags & SA_RESTART))
            ran |= WAIT_HANDLER_INTERRUPTS;
        struct shim_regs h;
        uint64_t rsp;
        __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
        struct rt_sigframe *f = frame_build(t, sig, info, sync_stack(rsp), old, &h);
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
        die(SIGSEGV);
    const struct sigcontext *mc = &f->uc.uc_mcontext;
    struct thread *t = sched_current();
    platform_irq_save();   /* off until regs_resume's iretq */
    st(t)->sigmask = f->uc.uc_sigmask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    if (mc->fpstate && !(mc->fpstate & 63)) {
        /* XRSTOR reads the area in place: its first and last bytes show
         * that both pages it can span are readable app memory. */
        size_t n = platform_fpu_size();
        uint8_t b;
        if (!access_ok((const void *)mc->fpstate, n) || copy_from_user(&b, (const void *)mc->fpstate, 1) ||
            copy_from_user(&b, (const void *)(mc->fpstate + n - 1), 1))
            die(SIGSEGV);
        if (platform_fpu_restore_app((const void *)mc->fpstate))
            die(SIGSEGV);   /* a header XRSTOR refuses: Linux's badframe */
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
    old = actions[sig];
    if (na) {
        actions[sig] = *na;
        actions[sig].mask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
        /* Setting an action that ignores the signal discards it pending. */
        if (ignored(sig)) {
            queue_drop(procq, &nprocq, sig);
            for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t))
                queue_drop(st(t)->sigq, &st(t)->nsigq, sig);
        }
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
        st(t)->sigmask = m & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
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

static long kill_thread(struct thread *t, int sig, int code)
{
    if (!sig)
        return 0;
    uint8_t info[128];
    info_make(info, sig, code);
    info_sender(info);
    long r = send(t, sig, info);
    deliver(false, 0);
    return r;
}

SHIM_SYSCALL(kill)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    if (pid != APP_PID && pid != 0 && pid != -1 && pid != -APP_PID)
        return -ESRCH;
    return kill_thread(NULL, sig, SI_USER);
}

SHIM_SYSCALL(tgkill)
{
    if (sig < 0 || sig > NSIG || tgid <= 0 || pid <= 0)
        return -EINVAL;
    struct thread *t = sched_find(pid);
    if (tgid != APP_PID || !t)
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

/* info: a kernel copy of the app's siginfo; target: the pid or tid the
 * caller named. */
static long queueinfo(struct thread *t, long target, int sig, uint8_t info[128])
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
    long r = send(t, sig, info);
    deliver(false, 0);
    return r;
}

SHIM_SYSCALL(rt_sigqueueinfo)
{
    uint8_t info[128];
    if (siginfo_in(info, uinfo))
        return -EFAULT;
    if (pid != APP_PID)
        return -ESRCH;
    return queueinfo(NULL, pid, sig, info);
}

SHIM_SYSCALL(rt_tgsigqueueinfo)
{
    uint8_t info[128];
    if (siginfo_in(info, uinfo))
        return -EFAULT;
    struct thread *t = sched_find(pid);
    if (tgid != APP_PID || !t)
        return -ESRCH;
    return queueinfo(t, pid, sig, info);
}

/* Block until a signal the thread takes arrives, then take it. */
static long wait_and_take(uint64_t restore_mask)
{
    struct thread *t = sched_current();
    for (;;) {
        uint64_t irq = platform_irq_save();
        if (signal_deliverable()) {
            platform_irq_restore(irq);
            break;
        }
        sched_block(NULL, 0, 0);
        platform_irq_restore(irq);
    }
    deliver(true, restore_mask);
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

static uint64_t itimer_deadline, itimer_interval;   /* ITIMER_REAL, nanotime */

void signal_timer_tick(uint64_t now)
{
    if (!itimer_deadline || now < itimer_deadline)
        return;
    if (itimer_interval) {
        while (itimer_deadline <= now)
            itimer_deadline += itimer_interval;
        sched_timer_at(itimer_deadline);
    } else
        itimer_deadline = 0;
    uint8_t info[128];
    info_make(info, SIGALRM, SI_KERNEL);
    send(NULL, SIGALRM, info);
}

struct ktv { long sec, usec; };
struct kitv { struct ktv interval, value; };

static uint64_t tv_ns(const struct ktv *tv) { return (uint64_t)tv->sec * 1000000000ull + (uint64_t)tv->usec * 1000; }
static struct ktv ns_tv(uint64_t ns) { return (struct ktv){ (long)(ns / 1000000000ull), (long)(ns % 1000000000ull / 1000) }; }

static void itimer_get(struct kitv *v)
{
    uint64_t now = platform_monotonic_ns();
    uint64_t left = itimer_deadline > now ? itimer_deadline - now : (itimer_deadline ? 1000 : 0);
    v->interval = ns_tv(itimer_interval);
    v->value = ns_tv(left);
}

static void itimer_set(uint64_t value, uint64_t interval)
{
    uint64_t irq = platform_irq_save();
    itimer_interval = interval;
    itimer_deadline = value ? platform_monotonic_ns() + value : 0;
    platform_irq_restore(irq);
    if (itimer_deadline)
        sched_timer_at(itimer_deadline);
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

/* ---- SIGPIPE (the pipe module's hook) --------------------------------------- */

void signal_raise_app(int sig)
{
    if (!valid_sig(sig))
        return;
    uint8_t info[128];
    info_make(info, sig, SI_KERNEL);
    send(NULL, sig, info);
}

void shim_raise_sigpipe(void)
{
    uint8_t info[128];
    info_make(info, SIGPIPE, SI_USER);
    info_sender(info);
    send(sched_current(), SIGPIPE, info);
    deliver(false, 0);
}

/* TEMPORARY (lead): the signals helper replaces this with the real
 * process-directed send. A signal to process p goes to its first thread. */
int signal_send_process(struct proc_ctx *p, int sig, int si_code, int si_pid, int si_status)
{
    struct thread *t = sched_next_live(NULL);
    while (t && sched_proc(t) != p)
        t = sched_next_live(t);
    if (!t)
        return 0;
    uint8_t info[128];
    info_make(info, sig, si_code);
    ((int *)info)[4] = si_pid;
    ((int *)info)[6] = si_status;
    return send(t, sig, info) < 0 ? -EAGAIN : 0;
}
