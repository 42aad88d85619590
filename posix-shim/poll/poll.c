/* poll, ppoll, select, pselect6: readiness of any fd through vfs_poll_file,
 * sleeping on shim_poll_wq (which every fd kind wakes) until something is
 * ready, the timeout passes, or a signal handler runs (EINTR, SA_RESTART or
 * not, as Linux). Signal masks (ppoll, pselect6) are accepted and ignored. */
#include "shim/shim.h"
#include "shim/vfs.h"
#include "shim/wait.h"

/* Absolute deadline for a relative timeout in ns; -1 = none, 0 = now. */
static uint64_t deadline_of(int64_t ns)
{
    if (ns < 0)
        return 0;
    uint64_t d = platform_monotonic_ns() + (uint64_t)ns;
    return d ? d : 1;
}

static int64_t remaining(uint64_t deadline)
{
    uint64_t now = platform_monotonic_ns();
    return now >= deadline ? 0 : (int64_t)(deadline - now);
}

static long scan_poll(struct k_pollfd *pfd, unsigned long n)
{
    long ready = 0;
    for (unsigned long i = 0; i < n; i++) {
        pfd[i].revents = 0;
        if (pfd[i].fd < 0)
            continue;
        struct file *f = fd_file(pfd[i].fd);
        unsigned m;
        if (!f)
            m = K_POLLNVAL;
        else
            m = vfs_poll_file(f) & ((unsigned)(uint16_t)pfd[i].events | K_POLLERR | K_POLLHUP);
        pfd[i].revents = (int16_t)m;
        if (m)
            ready++;
    }
    return ready;
}

static long do_poll(struct k_pollfd *pfd, unsigned long n, int64_t timeout_ns, int64_t *left)
{
    if (n > VFS_MAX_FDS)
        return -EINVAL;
    if (n && !pfd)
        return -EFAULT;
    uint64_t dl = deadline_of(timeout_ns);
    long r;
    for (;;) {
        r = scan_poll(pfd, n);
        if (r || timeout_ns == 0)
            break;
        if (dl && platform_monotonic_ns() >= dl)
            break;
        if (wait_queue_sleep_handled(&shim_poll_wq, dl)) {
            r = -EINTR;
            break;
        }
    }
    if (left && dl)
        *left = remaining(dl);
    return r;
}

SHIM_SYSCALL(poll)
{
    int64_t ms = timeout;
    return do_poll((struct k_pollfd *)ufds, nfds, ms < 0 ? -1 : ms * 1000000, NULL);
}

static long ts_to_ns(const struct k_timespec *ts, int64_t *ns)
{
    if (!ts) {
        *ns = -1;
        return 0;
    }
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -EINVAL;
    *ns = ts->tv_sec > 9000000000L ? INT64_MAX / 2 : ts->tv_sec * 1000000000 + ts->tv_nsec;
    return 0;
}

SHIM_SYSCALL(ppoll)
{
    struct k_timespec *ts = (struct k_timespec *)tsp;
    int64_t ns, left = 0;
    long r = ts_to_ns(ts, &ns);
    if (r < 0)
        return r;
    r = do_poll((struct k_pollfd *)ufds, nfds, ns, &left);
    if (ts && r >= 0) {
        ts->tv_sec = left / 1000000000;
        ts->tv_nsec = left % 1000000000;
    }
    return r;
}

/* ---- select --------------------------------------------------------------- */

#define BITS_PER_WORD (8 * sizeof(unsigned long))

static int bit(const unsigned long *set, int fd)
{
    return set && ((set[fd / BITS_PER_WORD] >> (fd % BITS_PER_WORD)) & 1);
}

static long do_select(int nfds, unsigned long *rd, unsigned long *wr, unsigned long *ex,
                      int64_t timeout_ns, int64_t *left)
{
    if (nfds < 0)
        return -EINVAL;
    if (nfds > VFS_MAX_FDS)
        nfds = VFS_MAX_FDS;
    size_t words = ((size_t)nfds + BITS_PER_WORD - 1) / BITS_PER_WORD;
    unsigned long in_rd[VFS_MAX_FDS / BITS_PER_WORD], in_wr[VFS_MAX_FDS / BITS_PER_WORD],
        in_ex[VFS_MAX_FDS / BITS_PER_WORD];
    for (size_t i = 0; i < words; i++) {
        in_rd[i] = rd ? rd[i] : 0;
        in_wr[i] = wr ? wr[i] : 0;
        in_ex[i] = ex ? ex[i] : 0;
    }
    for (int fd = 0; fd < nfds; fd++)
        if ((bit(in_rd, fd) || bit(in_wr, fd) || bit(in_ex, fd)) && !fd_file(fd))
            return -EBADF;
    uint64_t dl = deadline_of(timeout_ns);
    long ready;
    for (;;) {
        ready = 0;
        for (size_t i = 0; i < words; i++) {
            if (rd) rd[i] = 0;
            if (wr) wr[i] = 0;
            if (ex) ex[i] = 0;
        }
        for (int fd = 0; fd < nfds; fd++) {
            int want_r = bit(in_rd, fd), want_w = bit(in_wr, fd), want_x = bit(in_ex, fd);
            if (!want_r && !want_w && !want_x)
                continue;
            unsigned m = vfs_poll_file(fd_file(fd));
            unsigned long mask = 1UL << (fd % BITS_PER_WORD);
            if (want_r && (m & (K_POLLIN | K_POLLHUP | K_POLLERR))) {
                rd[fd / BITS_PER_WORD] |= mask;
                ready++;
            }
            if (want_w && (m & (K_POLLOUT | K_POLLERR))) {
                wr[fd / BITS_PER_WORD] |= mask;
                ready++;
            }
            if (want_x && (m & K_POLLPRI)) {
                ex[fd / BITS_PER_WORD] |= mask;
                ready++;
            }
        }
        if (ready || timeout_ns == 0)
            break;
        if (dl && platform_monotonic_ns() >= dl)
            break;
        if (wait_queue_sleep_handled(&shim_poll_wq, dl)) {
            for (size_t i = 0; i < words; i++) {   /* the sets as given, as Linux leaves them */
                if (rd) rd[i] = in_rd[i];
                if (wr) wr[i] = in_wr[i];
                if (ex) ex[i] = in_ex[i];
            }
            ready = -EINTR;
            break;
        }
    }
    if (left && dl)
        *left = remaining(dl);
    return ready;
}

SHIM_SYSCALL(select)
{
    struct k_timeval *tv = (struct k_timeval *)tvp;
    int64_t ns = -1, left = 0;
    if (tv) {
        if (tv->tv_sec < 0 || tv->tv_usec < 0)
            return -EINVAL;
        ns = tv->tv_sec * 1000000000 + tv->tv_usec * 1000;
    }
    long r = do_select(n, (unsigned long *)inp, (unsigned long *)outp, (unsigned long *)exp, ns, &left);
    if (tv && r >= 0) {           /* Linux reports the time not slept */
        tv->tv_sec = left / 1000000000;
        tv->tv_usec = left % 1000000000 / 1000;
    }
    return r;
}

SHIM_SYSCALL(pselect6)
{
    struct k_timespec *ts = (struct k_timespec *)tsp;
    int64_t ns, left = 0;
    long r = ts_to_ns(ts, &ns);
    if (r < 0)
        return r;
    r = do_select(n, (unsigned long *)inp, (unsigned long *)outp, (unsigned long *)exp, ns, &left);
    if (ts && r >= 0) {
        ts->tv_sec = left / 1000000000;
        ts->tv_nsec = left % 1000000000;
    }
    return r;
}
