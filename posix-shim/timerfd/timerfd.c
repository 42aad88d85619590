/* timerfd: a timer behind an fd, as Linux's fs/timerfd.c. read returns the
 * number of expirations since the last read as a u64 (blocking, or EAGAIN
 * with TFD_NONBLOCK, while there is none); poll/select/epoll see POLLIN
 * while one is pending.
 *
 * Expirations are counted lazily from the clock (tfd_update), whenever the
 * fd is read, polled or set: no kernel timer is armed. A reader blocked on
 * the fd sleeps until the next expiry; poll/select/epoll re-check every
 * waiter's readiness at least every few ms (the scheduler caps a sleep on
 * a queue, platforms/x86_64/sched.c WQ_POLL_NS), so they see an expiry
 * within that time. The event counter (vnode_ops.event_seq) grows with
 * the first expiry after each read or settime, as Linux's one wake-up. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/kernel.h"
#include "shim/vfs.h"
#include "shim/wait.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NS 1000000000ull

struct k_itimerspec { struct k_timespec interval, value; };

struct tfd {
    int realtime;             /* CLOCK_REALTIME(_ALARM): else the monotonic clock */
    uint64_t next;            /* absolute ns on the fd's clock; 0: disarmed */
    uint64_t interval;        /* ns; 0: one-shot */
    uint64_t ticks;           /* expirations not read yet */
    uint64_t seq;             /* first expiries after a read, and settimes (event_seq) */
    struct wait_queue wq;
};

static const struct vnode_ops tfd_ops;

static uint64_t tfd_now(const struct tfd *t)
{
    return t->realtime ? platform_realtime_ns() : platform_monotonic_ns();
}

/* Counts the expirations up to now. */
static void tfd_update(struct tfd *t, uint64_t now)
{
    if (!t->next || now < t->next)
        return;
    uint64_t n = 1;
    if (t->interval) {
        n = (now - t->next) / t->interval + 1;
        t->next += n * t->interval;
    } else {
        t->next = 0;
    }
    /* One event per expiry after a read or settime: Linux's timer fires
     * once and is re-armed only by the next read (timerfd_read forwards
     * it over the missed periods), so edge-triggered epoll sees one
     * wake-up until then. */
    if (!t->ticks)
        t->seq++;
    t->ticks += n;
}

static struct tfd *tfd_of(struct file *f) { return f->vn->data; }

static long tfd_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct tfd *t = tfd_of(f);
    if (n < 8)
        return -EINVAL;
    for (;;) {
        uint64_t now = tfd_now(t);
        tfd_update(t, now);
        if (t->ticks)
            break;
        if (f->flags & K_O_NONBLOCK)
            return -EAGAIN;
        /* Sleep until the next expiry (on the monotonic clock), or until
         * timerfd_settime changes the timer. A handler with SA_RESTART
         * lets the read go on, as Linux restarts it. */
        uint64_t dl = 0;
        if (t->next)
            dl = platform_monotonic_ns() + (t->next - now);
        if (wait_queue_sleep_intr(&t->wq, dl))
            return -EINTR;
    }
    uint64_t v = t->ticks;
    t->ticks = 0;
    if (copy_out_nocheck(buf, &v, 8))
        return -EFAULT;       /* the expirations are consumed all the same, as Linux */
    return 8;
}

static unsigned tfd_poll(struct file *f)
{
    struct tfd *t = tfd_of(f);
    tfd_update(t, tfd_now(t));
    return t->ticks ? K_POLLIN | K_POLLRDNORM : 0;
}

static uint64_t tfd_event_seq(struct file *f)
{
    struct tfd *t = tfd_of(f);
    tfd_update(t, tfd_now(t));
    return t->seq;
}

static void tfd_destroy(struct vnode *vn)
{
    shim_free(vn->data);
    vn->data = NULL;
}

static const struct vnode_ops tfd_ops = {
    .read = tfd_read,
    .poll = tfd_poll,
    .event_seq = tfd_event_seq,
    .destroy = tfd_destroy,
    .noseek = 1,
};

SHIM_SYSCALL(timerfd_create)
{
    if (flags & ~(long)(K_O_NONBLOCK | K_O_CLOEXEC))
        return -EINVAL;
    if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC && clockid != CLOCK_BOOTTIME &&
        clockid != CLOCK_REALTIME_ALARM && clockid != CLOCK_BOOTTIME_ALARM)
        return -EINVAL;
    struct tfd *t = shim_alloc(sizeof *t);
    struct vnode *vn = vnode_new(0600, &tfd_ops);     /* anon inode: no type bits */
    if (!t || !vn) {
        shim_free(t);
        shim_free(vn);
        return -ENOMEM;
    }
    t->realtime = clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
    vn->data = t;
    vn->priv = (long)(uintptr_t)"timerfd";
    struct file *f = file_new(vn, K_O_RDWR | ((uint32_t)flags & K_O_NONBLOCK));
    if (!f) {
        vn->refs = 1;
        vnode_put(vn);
        return -ENOMEM;
    }
    return fd_install(f, 0, (flags & K_O_CLOEXEC) != 0);
}

/* The timerfd behind fd: -EBADF, or -EINVAL for another kind of file. */
static long tfd_fd(int fd, struct tfd **out)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (f->vn->ops != &tfd_ops)
        return -EINVAL;
    *out = tfd_of(f);
    return 0;
}

static int ts_valid(const struct k_timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (int64_t)NS;
}

static uint64_t ts_ns(const struct k_timespec *ts)
{
    /* Far-future values saturate instead of wrapping. */
    if ((uint64_t)ts->tv_sec >= UINT64_MAX / NS - 1)
        return UINT64_MAX / 2;
    return (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
}

static struct k_timespec ns_ts(uint64_t ns)
{
    return (struct k_timespec){ (int64_t)(ns / NS), (int64_t)(ns % NS) };
}

/* The timer's setting now: time to the next expiry and the interval. */
static struct k_itimerspec tfd_get(struct tfd *t)
{
    uint64_t now = tfd_now(t);
    tfd_update(t, now);
    struct k_itimerspec it = { ns_ts(t->interval), ns_ts(0) };
    if (t->next)
        it.value = ns_ts(t->next - now);
    return it;
}

SHIM_SYSCALL(timerfd_settime)
{
    struct k_itimerspec nv;
    if (copy_from_user(&nv, utmr, sizeof nv))
        return -EFAULT;
    if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) || !ts_valid(&nv.value) ||
        !ts_valid(&nv.interval))
        return -EINVAL;
    struct tfd *t;
    long r = tfd_fd(ufd, &t);
    if (r < 0)
        return r;
    /* TFD_TIMER_CANCEL_ON_SET: the realtime clock is never set here, so
     * a read never fails with ECANCELED. */
    struct k_itimerspec old = tfd_get(t);
    uint64_t now = tfd_now(t), value = ts_ns(&nv.value);
    t->ticks = 0;
    t->interval = ts_ns(&nv.interval);
    if (!value)
        t->next = 0;
    else if (flags & TFD_TIMER_ABSTIME)
        t->next = value;
    else
        t->next = now + value;
    t->seq++;
    /* An absolute time already past counts as expired at once. */
    tfd_update(t, now);
    wake_all(&t->wq);
    wake_all(&shim_poll_wq);
    if (otmr && copy_to_user(otmr, &old, sizeof old))
        return -EFAULT;
    return 0;
}

SHIM_SYSCALL(timerfd_gettime)
{
    struct tfd *t;
    long r = tfd_fd(ufd, &t);
    if (r < 0)
        return r;
    struct k_itimerspec it = tfd_get(t);
    return copy_to_user(otmr, &it, sizeof it) ? -EFAULT : 0;
}
