/* Syscall User Dispatch: the fallback path for `syscall` instructions the
 * rewriter left in place (or every syscall of an unrewritten binary).
 *
 * The allowed range is the loader's whole text (loader, shim core, modules,
 * generated entries), so shim code reaches the host directly; every syscall
 * from anywhere else raises SIGSYS, whose handler runs the syscall through
 * shim_dispatch and writes the result into the interrupted context.
 *
 * The selector stays BLOCK for the whole run: the handler's sa_restorer is in
 * the allowed range, so its own rt_sigreturn is not intercepted.
 */
#include "linuxu.h"

extern char __executable_start[], etext[];

unsigned long linuxu_sud_start, linuxu_sud_len;
volatile unsigned char linuxu_sud_selector = 1;   /* SYSCALL_DISPATCH_FILTER_BLOCK */
static unsigned long fallback_count;

#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define SYS_USER_DISPATCH 2                        /* si_code */

/* The kernel's x86_64 signal structures (uapi asm/sigcontext.h, ucontext). */
struct k_mcontext {
    unsigned long r8, r9, r10, r11, r12, r13, r14, r15;
    unsigned long rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    unsigned short cs, gs, fs, ss;
    unsigned long err, trapno, oldmask, cr2, fpstate, reserved1[8];
};
struct k_ucontext {
    unsigned long uc_flags;
    struct k_ucontext *uc_link;
    struct { void *sp; int flags; unsigned long size; } uc_stack;
    struct k_mcontext mc;
    unsigned long uc_sigmask;
};
struct k_siginfo {
    int si_signo, si_errno, si_code, pad;
    void *call_addr;
    int syscall;
    unsigned arch;
};
struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};
#define SA_SIGINFO 4UL
#define SA_RESTORER 0x04000000UL
#define SA_NODEFER 0x40000000UL

long linuxu_sud_enable_quiet(void)
{
    return host_syscall6(NR_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
                         (long)linuxu_sud_start, (long)linuxu_sud_len,
                         (long)&linuxu_sud_selector, 0);
}

void linuxu_sud_enable(void)
{
    long r = linuxu_sud_enable_quiet();
    if (r < 0)
        linuxu_die("cannot enable Syscall User Dispatch (prctl: error %ld; needs Linux >= 5.11 "
                   "with CONFIG_GENERIC_ENTRY)", -r);
}

void linuxu_fallback_reset(void)
{
    __atomic_store_n(&fallback_count, 0, __ATOMIC_RELAXED);
}

unsigned long linuxu_fallback_count(void)
{
    return __atomic_load_n(&fallback_count, __ATOMIC_RELAXED);
}

/* clone/clone3 with a new stack from a `syscall` instruction: the child must
 * resume the app after the syscall on its own stack with the app's registers.
 * The frame linuxu_raw_clone's child pops is written at the top of that
 * stack (the child's own memory, below its initial rsp). */
static unsigned long *child_frame(unsigned long top, const struct k_mcontext *m)
{
    unsigned long *f = (unsigned long *)(top - 16 * 8);
    unsigned long v[16] = { m->r15, m->r14, m->r13, m->r12, m->rbp, m->rbx, m->r11,
                            m->r10, m->r9, m->r8, m->rdi, m->rsi, m->rdx, m->rcx,
                            m->eflags, m->rip };
    for (int i = 0; i < 16; i++)
        f[i] = v[i];
    return f;
}

static int sud_clone(struct k_mcontext *m, long nr)
{
    if (nr == NR_clone) {
        if (!m->rsi)
            return 0;
        unsigned long *f = child_frame(m->rsi, m);
        m->rax = (unsigned long)linuxu_raw_clone(NR_clone, (long)m->rdi, (long)f, (long)m->rdx,
                                                 (long)m->r10, (long)m->r8);
        return 1;
    }
    /* clone3 */
    unsigned long size = m->rsi;
    unsigned long copy[16];
    /* Unusual sizes and unreadable structs: the host's clone3 answers. */
    if (size < 64 || size > sizeof copy || linuxu_app_read(copy, (const void *)m->rdi, size))
        return 0;
    if (!copy[5])
        return 0;
    child_frame(copy[5] + copy[6], m);
    copy[6] -= 16 * 8;
    m->rax = (unsigned long)linuxu_raw_clone(NR_clone3, (long)copy, (long)size, 0, 0, 0);
    return 1;
}

/* rt_sigprocmask from a `syscall` instruction. The SIGSYS handler's return
 * (rt_sigreturn) restores the mask saved in its frame, which would undo a
 * change made by the host call here; so the change is made in that saved
 * mask and takes effect when the handler returns, before the app resumes
 * (newly unblocked pending signals are delivered right then, as natively). */
static long sud_sigprocmask(struct k_ucontext *uc, long how, const unsigned long *set,
                            unsigned long *oldset, long size)
{
    if (size != 8)
        return -EINVAL;
    unsigned long old = uc->uc_sigmask, s = 0;
    if (set && linuxu_app_read(&s, set, sizeof s))
        return -EFAULT;
    if (set && how != 0 && how != 1 && how != 2)   /* SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK */
        return -EINVAL;
    if (oldset && linuxu_app_write(oldset, &old, sizeof old))
        return -EFAULT;
    if (set) {
        unsigned long m = how == 0 ? old | s : how == 1 ? old & ~s : s;
        /* SIGKILL and SIGSTOP cannot be blocked; SIGSYS is the fallback's. */
        uc->uc_sigmask = m & ~(SIGSYS_BIT | (1UL << 8) | (1UL << 18));
    }
    return 0;
}

static void sigsys_handler(int sig, struct k_siginfo *si, void *ucv)
{
    struct k_ucontext *uc = ucv;
    struct k_mcontext *m = &uc->mc;
    if (si->si_code != SYS_USER_DISPATCH) {
        linuxu_foreign_sigsys(sig, si, ucv);
        return;
    }
    __atomic_add_fetch(&fallback_count, 1, __ATOMIC_RELAXED);
    long nr = si->syscall;
    if (nr == NR_rt_sigreturn) {
        /* The app's signal frame is at its rsp: resume in the allowed range
         * with that rsp and let the kernel restore the app's frame. */
        m->rip = (unsigned long)linuxu_sigreturn;
        return;
    }
    if ((nr == NR_clone || nr == NR_clone3) && sud_clone(m, nr))
        return;
    if (nr == NR_rt_sigprocmask) {
        long r = sud_sigprocmask(uc, (long)m->rdi, (const unsigned long *)m->rsi, (unsigned long *)m->rdx,
                                 (long)m->r10);
        if (shim_trace_enabled())
            shim_printk("rt_sigprocmask(%#lx, %#lx, %#lx, %#lx) = %ld\n", m->rdi, m->rsi, m->rdx, m->r10, r);
        m->rax = (unsigned long)r;
        return;
    }
    if (nr == NR_sigaltstack) {
        /* rt_sigreturn also restores the alternate stack from its frame:
         * make the change, then put the resulting setting in the frame. */
        long r = shim_dispatch(nr, (long)m->rdi, (long)m->rsi, 0, 0, 0, 0);
        if (r == 0 && m->rdi)
            host_syscall2(NR_sigaltstack, 0, &uc->uc_stack);
        m->rax = (unsigned long)r;
        return;
    }
    m->rax = (unsigned long)shim_dispatch(nr, (long)m->rdi, (long)m->rsi, (long)m->rdx,
                                          (long)m->r10, (long)m->r8, (long)m->r9);
}

void linuxu_install_sigsys(void)
{
    linuxu_sud_start = (unsigned long)__executable_start;
    linuxu_sud_len = (unsigned long)etext - (unsigned long)__executable_start;
    /* SA_NODEFER: an app signal handler that runs while this handler is
     * active (an async signal during a blocking host call) may itself trap;
     * a blocked SIGSYS would make the kernel kill the process instead.
     * No SA_ONSTACK: the frame goes on the thread's current stack like any
     * signal, and the app's own sigaltstack keeps its meaning. */
    struct k_sigaction sa = {
        .handler = (void *)sigsys_handler,
        .flags = SA_SIGINFO | SA_RESTORER | SA_NODEFER,
        .restorer = (void *)linuxu_sigreturn,
        .mask = 0,
    };
    long r = host_syscall4(NR_rt_sigaction, SIGSYS_NR, &sa, 0, 8);
    if (r < 0)
        linuxu_die("cannot install the SIGSYS handler (error %ld)", -r);
    /* Never run with SIGSYS blocked (inherited masks included). */
    unsigned long unblock = SIGSYS_BIT;
    host_syscall4(NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &unblock, 0, 8);
}
