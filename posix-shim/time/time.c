/* posix-shim/time: clock_gettime & co. (module.conf). All clocks derive from
 * the platform's monotonic nanoseconds; CLOCK_REALTIME adds the boot-time
 * epoch the launcher passed in. CPU-time clocks equal the monotonic clock:
 * the one app owns the CPU. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/signal.h"
#include "shim/wait.h"

struct kts { long sec, nsec; };
struct ktv { long sec, usec; };

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9
#define CLOCK_TAI 11
#define TIMER_ABSTIME 1
#define NS 1000000000L
#define USER_HZ 100

/* ns on clock `clk`, or -EINVAL. */
static long long clock_ns(long clk)
{
    switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
        return (long long)platform_realtime_ns();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        return (long long)platform_monotonic_ns();
    default:
        return -EINVAL;
    }
}

SHIM_SYSCALL(clock_gettime)
{
    long long ns = clock_ns(which_clock);
    if (ns < 0)
        return (long)ns;
    struct kts ts = { (long)(ns / NS), (long)(ns % NS) };
    return copy_to_user(tp, &ts, sizeof ts) ? -EFAULT : 0;
}

SHIM_SYSCALL(clock_getres)
{
    if (clock_ns(which_clock) < 0)
        return -EINVAL;
    struct kts ts = { 0, 1 };
    return tp && copy_to_user(tp, &ts, sizeof ts) ? -EFAULT : 0;
}

SHIM_SYSCALL(gettimeofday)
{
    uint64_t ns = platform_realtime_ns();
    struct ktv out = { (long)(ns / NS), (long)(ns % NS / 1000) };
    if (tv && copy_to_user(tv, &out, sizeof out))
        return -EFAULT;
    int zone[2] = { 0, 0 };   /* struct timezone: UTC */
    if (tz && copy_to_user(tz, zone, sizeof zone))
        return -EFAULT;
    return 0;
}

SHIM_SYSCALL(time)
{
    long t = (long)(platform_realtime_ns() / NS);
    if (tloc && put_user(t, (long *)tloc))
        return -EFAULT;
    return t;
}

static int valid(const struct kts *ts)
{
    return ts->sec >= 0 && ts->nsec >= 0 && ts->nsec < NS;
}

/* Sleeps until the monotonic deadline: 0, or -EINTR when a signal handler
 * ran, SA_RESTART or not (nanosleep is ERESTART_RESTARTBLOCK,
 * clock_nanosleep with TIMER_ABSTIME ERESTARTNOHAND: RESTART_NOHAND,
 * shim/wait.h), with *left the time that was left when the signal came.
 * A signal without a handler (ignored, or a stop and SIGCONT) lets the
 * sleep go on to the same deadline, as Linux's restart_block does. */
static long sleep_until(uint64_t deadline, uint64_t *left)
{
    for (;;) {
        uint64_t irq = platform_irq_save();
        uint64_t now = platform_monotonic_ns();
        if (now >= deadline) {
            platform_irq_restore(irq);
            return 0;
        }
        enum wake_reason why = WAKE_SIGNAL;
        if (!(signal_deliverable && signal_deliverable()))
            why = sched_block(NULL, 0, deadline);
        now = platform_monotonic_ns();
        platform_irq_restore(irq);
        if (why == WAKE_TIMEOUT)
            return 0;
        *left = deadline > now ? deadline - now : 0;
        if (wait_signal_restart(RESTART_NOHAND))
            return -EINTR;
    }
}

/* rem of an interrupted relative sleep; a fault is EFAULT, as Linux. */
static long put_rem(void *rmtp, uint64_t left)
{
    struct kts rem = { (long)(left / NS), (long)(left % NS) };
    return rmtp && copy_to_user(rmtp, &rem, sizeof rem) ? -EFAULT : -EINTR;
}

SHIM_SYSCALL(nanosleep)
{
    struct kts req;
    if (copy_from_user(&req, rqtp, sizeof req))
        return -EFAULT;
    if (!valid(&req))
        return -EINVAL;
    uint64_t left = 0;
    uint64_t ns = (uint64_t)req.sec * NS + (uint64_t)req.nsec;
    if (sleep_until(platform_monotonic_ns() + ns, &left) == 0)
        return 0;
    return put_rem(rmtp, left);
}

SHIM_SYSCALL(clock_nanosleep)
{
    long long now = clock_ns(which_clock);
    if (now < 0 || which_clock == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;   /* clock_nanosleep returns the error, not -1/errno */
    struct kts req;
    if (copy_from_user(&req, rqtp, sizeof req))
        return -EFAULT;
    if (!valid(&req))
        return -EINVAL;
    long long want = (long long)req.sec * NS + req.nsec;
    if (flags & TIMER_ABSTIME)
        want -= now;
    uint64_t left = 0;
    if (want <= 0 || sleep_until(platform_monotonic_ns() + (uint64_t)want, &left) == 0)
        return 0;
    /* An absolute sleep has no time left to report (Linux writes none). */
    return flags & TIMER_ABSTIME ? -EINTR : put_rem(rmtp, left);
}

SHIM_SYSCALL(times)
{
    long ticks = (long)(platform_monotonic_ns() / (NS / USER_HZ));
    long tms[4] = { ticks, 0, 0, 0 };   /* utime, stime, cutime, cstime */
    if (tbuf && copy_to_user(tbuf, tms, sizeof tms))
        return -EFAULT;
    return ticks;
}
