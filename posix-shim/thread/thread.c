/* posix-shim/thread: clone/clone3 for threads, the exit of one thread,
 * per-thread ids and robust lists (module.conf). The threads themselves
 * are the platform's (shim/sched.h); what this module keeps per thread
 * (struct thread_local below) lives in the platform's per-thread area. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/thread.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif

#define CLONE_VM             0x00000100ul
#define CLONE_FS             0x00000200ul
#define CLONE_FILES          0x00000400ul
#define CLONE_SIGHAND        0x00000800ul
#define CLONE_VFORK          0x00004000ul
#define CLONE_THREAD         0x00010000ul
#define CLONE_SETTLS         0x00080000ul
#define CLONE_PARENT_SETTID  0x00100000ul
#define CLONE_CHILD_CLEARTID 0x00200000ul
#define CLONE_CHILD_SETTID   0x01000000ul

struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* What the thread module keeps per thread: the CLONE_CHILD_CLEARTID
 * address and the robust list (set_robust_list). Zero in a new thread. */
struct thread_local {
    uintptr_t clear_child_tid;
    uintptr_t robust_head;
    size_t robust_len;
};
static size_t local_offset;

static struct thread_local *tl(struct thread *t)
{
    return sched_local(t, local_offset);
}

void thread_init(void);
void thread_init(void)
{
    local_offset = sched_local_claim("thread", sizeof(struct thread_local), NULL);
}

/* mode bit 0: clone3 (else clone); bit 1: from the LSTAR entry (r->rip and
 * r->rsp are the app's own; else from a rewritten site, where they are
 * the return into the trampoline just above r). */
/* clone3's arguments in, as Linux's copy_struct_from_user with its
 * 88-byte version 2 struct: smaller than version 0 (64 bytes) is EINVAL,
 * larger than a page E2BIG, the whole size is read (EFAULT on a fault) and
 * bytes past version 2 must be zero (E2BIG). Fields we do not use are
 * read all the same. */
static long clone_args_in(struct clone_args *ca, const void *uargs, uint64_t size)
{
    if (size < 64)
        return -EINVAL;
    if (size > 4096)
        return -E2BIG;
    uint64_t v2[11] = { 0 };
    if (copy_from_user(v2, uargs, size < sizeof v2 ? size : sizeof v2))
        return -EFAULT;
    for (uint64_t off = sizeof v2; off < size; off++) {
        uint8_t b;
        if (copy_from_user(&b, (const uint8_t *)uargs + off, 1))
            return -EFAULT;
        if (b)
            return -E2BIG;
    }
    memcpy(ca, v2, sizeof *ca);
    return 0;
}

long thread_clone_c(struct shim_regs *r, int mode);
long thread_clone_c(struct shim_regs *r, int mode)
{
    bool is_clone3 = mode & 1, lstar = mode & 2;
    uint64_t flags, stack, ptid, ctid, tls;
    if (is_clone3) {
        struct clone_args cak, *ca = &cak;
        long e = clone_args_in(ca, (const void *)r->rdi, r->rsi);
        if (e < 0)
            return e;
        flags = ca->flags;
        stack = ca->stack ? ca->stack + ca->stack_size : 0;
        ptid = ca->parent_tid;
        ctid = ca->child_tid;
        tls = ca->tls;
    } else {
        flags = r->rdi;
        stack = r->rsi;
        ptid = r->rdx;
        ctid = r->r10;
        tls = r->r8;
    }
    if ((flags & CLONE_VFORK) || !(flags & CLONE_VM) || !(flags & CLONE_THREAD)) {
#if SHIM_HAVE_process
        /* A new process (fork, vfork, posix_spawn's clone): the process
         * module's. */
        long pid = process_clone(r, lstar, flags, stack, ptid, ctid, tls);
        if (pid > 0 && (flags & CLONE_CHILD_CLEARTID)) {
            struct thread *t = sched_find((int)pid);
            if (t)
                tl(t)->clear_child_tid = ctid;
        }
        return pid;
#else
        shim_printk("port-app: %s() is not available in the unikernel (single address space); "
                    "run that program as its own app\n", (flags & CLONE_VFORK) ? "vfork" : "fork");
        return -ENOSYS;
#endif
    }
    if (!(flags & CLONE_THREAD) || !(flags & CLONE_SIGHAND) || !stack)
        return -EINVAL;   /* a second process sharing memory, or no stack: not supported */
    if ((flags & CLONE_SETTLS) && tls >= SHIM_USER_TOP)
        return -EPERM;    /* as Linux's ARCH_SET_FS: the TLS base must be the app's */

    struct shim_regs child = *r;
    child.rax = 0;
    if (lstar) {
        /* As after a Linux syscall: rcx = return RIP, r11 = RFLAGS. */
        child.rsp = stack;
        child.rcx = r->rip;
        child.r11 = r->rflags;
    } else {
        /* The parent's own return: rip/rsp as the trampoline will see them. */
        child.rip = r->rip;
        child.rsp = stack - SHIM_TRAMPOLINE_SKIP;
    }
    uint64_t fs = (flags & CLONE_SETTLS) ? tls : platform_get_fs_base();
    uint64_t irq = platform_irq_save();
    /* The signal module copies the blocked mask from this thread (its
     * per-thread initialiser, run by sched_spawn). */
    struct thread *t = sched_spawn(&child, fs);
    if (!t) {
        platform_irq_restore(irq);
        /* Linux: EAGAIN at the thread limit, ENOMEM when memory for the new
         * task runs out (copy_process). */
        return sched_live_count() >= SCHED_MAX_THREADS ? -EAGAIN : -ENOMEM;
    }
    int tid = sched_tid(t);
    if (flags & CLONE_CHILD_CLEARTID)
        tl(t)->clear_child_tid = ctid;
    /* Linux ignores a fault on either store: the thread exists. */
    if ((flags & CLONE_PARENT_SETTID) && ptid)
        (void)put_user(tid, (int *)ptid);
    if ((flags & CLONE_CHILD_SETTID) && ctid)
        (void)put_user(tid, (int *)ctid);
    platform_irq_restore(irq);
    return tid;
}

/* Reached only through the plain C path (a `syscall` the rewriter left,
 * through the LSTAR entry), where the caller's registers are not captured:
 * a child could not be started with them. */
static long clone_without_entry(const char *call)
{
    shim_printk("port-app: %s through an unrewritten syscall instruction is not supported "
                "on the unikernel\n", call);
    return -ENOSYS;
}

SHIM_SYSCALL(clone)
{
    if (!(clone_flags & CLONE_VM) || (clone_flags & CLONE_VFORK)) {
        shim_printk("port-app: %s() is not available in the unikernel (single address space); "
                    "run that program as its own app\n", (clone_flags & CLONE_VFORK) ? "vfork" : "fork");
        return -ENOSYS;
    }
    return clone_without_entry("clone");
}

SHIM_SYSCALL(clone3)
{
    struct clone_args cak, *ca = &cak;
    long e = clone_args_in(ca, uargs, size);
    if (e < 0)
        return e;
    if (!(ca->flags & CLONE_VM) || (ca->flags & CLONE_VFORK)) {
        shim_printk("port-app: %s() is not available in the unikernel (single address space); "
                    "run that program as its own app\n", (ca->flags & CLONE_VFORK) ? "vfork" : "fork");
        return -ENOSYS;
    }
    return clone_without_entry("clone3");
}

SHIM_SYSCALL(gettid)
{
    return sched_tid(sched_current());
}

SHIM_SYSCALL(set_tid_address)
{
    tl(sched_current())->clear_child_tid = (uintptr_t)tidptr;
    return sched_tid(sched_current());
}

SHIM_SYSCALL(set_robust_list)
{
    if (len != 24)   /* sizeof(struct robust_list_head) */
        return -EINVAL;
    tl(sched_current())->robust_head = (uintptr_t)head;
    tl(sched_current())->robust_len = len;
    return 0;
}

SHIM_SYSCALL(get_robust_list)
{
    struct thread *t = pid ? sched_find(pid) : sched_current();
    if (!t)
        return -ESRCH;
    if (put_user(tl(t)->robust_len, len_ptr) ||
        put_user((struct robust_list_head *)tl(t)->robust_head, head_ptr))
        return -EFAULT;
    return 0;
}

SHIM_SYSCALL(sched_yield)
{
    sched_yield_now();
    return 0;
}

/* ---- the exit of one thread ------------------------------------------------ */

#define FUTEX_WAITERS    0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK   0x3fffffffu
#define ROBUST_LIST_LIMIT 2048

/* A robust futex the dying thread still holds: mark it OWNER_DIED and wake
 * one waiter, as Linux's handle_futex_death does. */
static void futex_death(uint32_t *word, int tid)
{
    /* The app's word, through the checked helpers: a bad entry is skipped. */
    uint32_t v, seen;
    if (get_user(v, word))
        return;
    for (;;) {
        if ((v & FUTEX_TID_MASK) != (uint32_t)tid)
            return;
        if (platform_cmpxchg_user_u32(word, v, (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED, &seen))
            return;
        if (seen == v)
            break;
        v = seen;
    }
    if (v & FUTEX_WAITERS)
        sched_wake_chan(sched_futex_chan(word), ~0u, 1);
}

static void robust_list_walk(struct thread *t)
{
    /* The list is the app's memory (Linux's exit_robust_list): the head
     * and each entry are copied in, and a fault ends the walk. */
    struct rhead { uintptr_t next; long offset; uintptr_t pending; };
    uintptr_t head = tl(t)->robust_head;
    struct rhead h;
    if (!head || tl(t)->robust_len != sizeof h || copy_from_user(&h, (const void *)head, sizeof h))
        return;
    int tid = sched_tid(t);
    uintptr_t e = h.next;
    for (int n = 0; e && e != head && n < ROBUST_LIST_LIMIT; n++) {
        uintptr_t next;
        if (get_user(next, (const uintptr_t *)(e & ~1ul)))
            break;
        if (e != h.pending)
            futex_death((uint32_t *)((e & ~1ul) + h.offset), tid);
        e = next;
    }
    if (h.pending)
        futex_death((uint32_t *)((h.pending & ~1ul) + h.offset), tid);
}

/* A stack unmap deferred until its thread has left it (mm's munmap). Only
 * the thread that is exiting can be on a stack it unmaps (musl's detached
 * threads: munmap(own stack) then exit, with no stack use between). */
static uintptr_t deferred_addr;
static size_t deferred_len;
static int deferred_owner;
static void finish_deferred_unmap(void);

int shim_thread_defer_unmap(uintptr_t addr, size_t len)
{
    /* The lowest address of the app's stack in use (the shim runs on the
     * shim stack; a trampoline still returns through the word below its
     * red zone). */
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (sched_on_kstack(sp))
        sp = sched_lstar_user_rsp();
    if (sp < addr || sp >= addr + len || sched_live_count() <= 1)
        return 0;
    if (deferred_len)   /* one at a time: finish the previous one now */
        sys_munmap((long)deferred_addr, (long)deferred_len, 0, 0, 0, 0);
    deferred_addr = addr;
    deferred_len = len;
    deferred_owner = sched_tid(sched_current());
    sched_after_switch = finish_deferred_unmap;
    return 1;
}

/* Runs on the next thread after a switch (sched.c's after-switch hook). */
static void finish_deferred_unmap(void)
{
    if (!deferred_len || sched_tid(sched_current()) == deferred_owner)
        return;
    uintptr_t a = deferred_addr;
    size_t l = deferred_len;
    deferred_len = 0;
    sys_munmap((long)a, (long)l, 0, 0, 0, 0);
}

/* Called by proc's exit: ends the calling thread unless it is the last one
 * (then it returns and the process exits). */
void shim_thread_exit(int code)
{
    (void)code;
    uint64_t irq = platform_irq_save();
    if (sched_proc_threads(sched_proc_current()) <= 1) {
        platform_irq_restore(irq);
        return;
    }
    struct thread *t = sched_current();
    robust_list_walk(t);
    uintptr_t ctid = tl(t)->clear_child_tid;
    if (ctid) {
        (void)put_user(0, (int *)ctid);   /* a bad address is ignored, as Linux */
        sched_wake_chan(sched_futex_chan((const void *)ctid), ~0u, 1);
    }
    /* No other thread runs before the switch below: the app stack this
     * code runs on may be unmapped by the joiner only after it. */
    sched_exit_current();
}
