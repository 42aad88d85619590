/* posix-shim/futex (module.conf). Atomicity: the shim is not preempted
 * (shim/sched.h) and the word is read with interrupts off, so
 * "the word still holds val" and "this thread sleeps" happen together, as
 * the futex contract requires. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/signal.h"
#include "shim/wait.h"

#define FUTEX_WAIT            0
#define FUTEX_WAKE            1
#define FUTEX_REQUEUE         3
#define FUTEX_CMP_REQUEUE     4
#define FUTEX_WAKE_OP         5
#define FUTEX_WAIT_BITSET     9
#define FUTEX_WAKE_BITSET     10
#define FUTEX_PRIVATE_FLAG    128
#define FUTEX_CLOCK_REALTIME  256
#define FUTEX_BITSET_ANY      0xffffffffu

struct kts { long sec, nsec; };

/* Linux's get_futex_key: a misaligned word is EINVAL, one outside the
 * app's half EFAULT; a shared (non-private) futex must be mapped (Linux
 * looks its page up), a private one is a key only until it is read. */
static long futex_key(const uint32_t *uaddr, bool private)
{
    if ((uintptr_t)uaddr & 3)
        return -EINVAL;
    if (!access_ok(uaddr, sizeof *uaddr))
        return -EFAULT;
    uint32_t v;
    if (!private && get_user(v, uaddr))
        return -EFAULT;
    return 0;
}

static long futex_wait(uint32_t *uaddr, uint32_t val, const struct kts *ts, bool absolute,
                       bool realtime, uint32_t bits)
{
    uint64_t deadline = 0;
    if (ts) {
        if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000L)
            return -EINVAL;
        uint64_t ns = (uint64_t)ts->sec * 1000000000ull + (uint64_t)ts->nsec;
        uint64_t now = platform_monotonic_ns();
        if (!absolute)
            deadline = now + ns;
        else if (realtime) {
            uint64_t rt = platform_realtime_ns();
            deadline = ns > rt ? now + (ns - rt) : now;
        } else
            deadline = ns;
        if (!deadline)
            deadline = 1;
    }
    /* Linux's restart classes: without a timeout the wait is ERESTARTSYS
     * (restarted under SA_RESTART), with one ERESTART_RESTARTBLOCK (EINTR
     * after any handler; restarted, with the same deadline, only when no
     * handler ran). A restart goes round again: the word is read anew, as
     * Linux's re-executed call (or futex_wait_restart) reads it. */
    enum wait_restart cls = ts ? RESTART_NOHAND : RESTART_SYS;
    for (;;) {
        uint64_t irq = platform_irq_save();
        uint32_t cur;
        if (get_user(cur, uaddr)) {
            platform_irq_restore(irq);
            return -EFAULT;
        }
        if (cur != val) {
            platform_irq_restore(irq);
            return -EAGAIN;
        }
        enum wake_reason why = WAKE_SIGNAL;
        if (!(signal_deliverable && signal_deliverable()))
            why = sched_block(sched_futex_chan(uaddr), bits, deadline);
        platform_irq_restore(irq);
        if (why == WAKE_TIMEOUT)
            return -ETIMEDOUT;
        if (why != WAKE_SIGNAL)
            return 0;
        /* Woken for a signal (perhaps one another thread took). */
        if (wait_signal_restart(cls))
            return -EINTR;
        if (deadline && platform_monotonic_ns() >= deadline)
            return -ETIMEDOUT;
    }
}

/* FUTEX_WAKE_OP's operation on *uaddr2 (atomically, through the checked
 * compare-and-exchange); returns the old value's comparison or -errno. */
static int wake_op(uint32_t *uaddr2, uint32_t encoded)
{
    uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
    if ((encoded >> 31) & 1)   /* FUTEX_OP_OPARG_SHIFT */
        oparg = 1u << (oparg & 31);
    if (op > 4)
        return -ENOSYS;
    uint32_t old, nv, seen;
    if (get_user(old, uaddr2))
        return -EFAULT;
    for (;;) {
        switch (op) {
        case 0: nv = oparg; break;          /* SET */
        case 1: nv = old + oparg; break;    /* ADD */
        case 2: nv = old | oparg; break;    /* OR */
        case 3: nv = old & ~oparg; break;   /* ANDN */
        default: nv = old ^ oparg; break;   /* XOR */
        }
        if (platform_cmpxchg_user_u32(uaddr2, old, nv, &seen))
            return -EFAULT;
        if (seen == old)
            break;
        old = seen;
    }
    int32_t o = (int32_t)old, c = (int32_t)cmparg;
    switch (cmp) {
    case 0: return o == c;
    case 1: return o != c;
    case 2: return o < c;
    case 3: return o <= c;
    case 4: return o > c;
    case 5: return o >= c;
    default: return -ENOSYS;
    }
}

SHIM_SYSCALL(futex)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    bool private = op & FUTEX_PRIVATE_FLAG;
    long r = futex_key(uaddr, private);
    if (r < 0)
        return r;
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
        return -ENOSYS;
    uint64_t irq;
    struct kts ts;
    bool waits = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET;
    if (waits && utime && copy_from_user(&ts, utime, sizeof ts))
        return -EFAULT;
    switch (cmd) {
    case FUTEX_WAIT:
        r = futex_wait(uaddr, val, utime ? &ts : NULL, false, false, FUTEX_BITSET_ANY);
        break;
    case FUTEX_WAIT_BITSET:
        if (!val3)
            return -EINVAL;
        r = futex_wait(uaddr, val, utime ? &ts : NULL, true, realtime, val3);
        break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
        uint32_t bits = cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : val3;
        if (!bits)
            return -EINVAL;
        irq = platform_irq_save();
        r = sched_wake_chan(sched_futex_chan(uaddr), bits, (int)(val > 0x7fffffff ? 0x7fffffff : val));
        platform_irq_restore(irq);
        break;
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
        if ((r = futex_key(uaddr2, private)) < 0)
            return r;
        int nwake = (int)val, nmove = (int)(uint32_t)(uintptr_t)utime;   /* val2 is the timeout slot */
        if (nwake < 0 || nmove < 0)
            return -EINVAL;
        irq = platform_irq_save();
        uint32_t cur = 0;
        if (cmd == FUTEX_CMP_REQUEUE && get_user(cur, uaddr)) {
            platform_irq_restore(irq);
            return -EFAULT;
        }
        if (cmd == FUTEX_CMP_REQUEUE && cur != val3) {
            platform_irq_restore(irq);
            return -EAGAIN;
        }
        const void *from = sched_futex_chan(uaddr), *to = sched_futex_chan(uaddr2);
        int woken = sched_wake_chan(from, FUTEX_BITSET_ANY, nwake);
        int moved = to == from ? 0 : sched_requeue_chan(from, to, nmove);
        platform_irq_restore(irq);
        r = woken + (cmd == FUTEX_CMP_REQUEUE ? moved : 0);
        break;
    }
    case FUTEX_WAKE_OP: {
        if ((r = futex_key(uaddr2, private)) < 0)
            return r;
        irq = platform_irq_save();
        int c = wake_op(uaddr2, val3);
        if (c < 0) {
            platform_irq_restore(irq);
            return c;
        }
        r = sched_wake_chan(sched_futex_chan(uaddr), FUTEX_BITSET_ANY, (int)val);
        if (c)
            r += sched_wake_chan(sched_futex_chan(uaddr2), FUTEX_BITSET_ANY, (int)(uint32_t)(uintptr_t)utime);
        platform_irq_restore(irq);
        break;
    }
    default:
        return -ENOSYS;
    }
    return r;
}
