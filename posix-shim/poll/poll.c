/* poll, ppoll, select, pselect6: readiness of any fd through vfs_poll_file,
 * sleeping on shim_poll_wq (which every fd kind wakes) until something is
 * ready, the timeout passes, or a signal handler runs (EINTR, SA_RESTART or
 * not, as Linux). Signal masks (ppoll, pselect6) are accepted and ignored. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
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

static long do_poll_k(struct k_pollfd *pfd, unsigned long n, int64_t timeout_ns, int64_t *left);

/* upfd: the app's array, copied in and its revents copied back. */
static long do_poll(struct k_pollfd *upfd, unsigned long n, int64_t timeout_ns, int64_t *left)
{
    if (n > VFS_MAX_FDS)
        return -EINVAL;
    struct k_pollfd small[16];
    struct k_pollfd *pfd = n <= 16 ? small : shim_alloc(n * sizeof *pfd);
    if (!pfd)
        return -ENOMEM;
    long r = copy_from_user(pfd, upfd, n * sizeof *pfd) ? -EFAULT : do_poll_k(pfd, n, timeout_ns, left);
    for (unsigned long i = 0; r >= 0 && i < n; i++)
        if (put_user(pfd[i].revents, &upfd[i].revents))
            r = -EFAULT;
    if (pfd != small)
        shim_free(pfd);
    return r;
}

static long do_poll_k(struct k_pollfd *pfd, unsigned long n, int64_t timeout_ns, int64_t *left)
{
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

/* The timeout of ppoll/pselect6 in (NULL: none); -EFAULT or -EINVAL. */
static long ts_in(const void *uts, struct k_timespec *kts, int64_t *ns)
{
    if (uts && copy_from_user(kts, uts, sizeof *kts))
        return -EFAULT;
    return ts_to_ns(uts ? kts : NULL, ns);
}

/* Linux's update of the time left ignores a fault: the call succeeded. */
static void ts_out(void *uts, int64_t left)
{
    struct k_timespec t = { left / 1000000000, left % 1000000000 };
    (void)copy_to_user(uts, &t, sizeof t);
}

SHIM_SYSCALL(ppoll)
{
    struct k_timespec ts;
    int64_t ns, left = 0;
    long r = ts_in(tsp, &ts, &ns);
    if (r < 0)
        return r;
    /* The mask is not applied (see the top); it is still read, as Linux. */
    uint64_t mask;
    if (sigmask && sigsetsize != sizeof mask)
        return -EINVAL;
    if (sigmask && copy_from_user(&mask, sigmask, sizeof mask))
        return -EFAULT;
    r = do_poll((struct k_pollfd *)ufds, nfds, ns, &left);
    if (tsp && (r >= 0 || r == -EINTR))   /* interrupted too (poll_select_finish) */
        ts_out(tsp, left);
    return r;
}

/* ---- select --------------------------------------------------------------- */

#define BITS_PER_WORD (8 * sizeof(unsigned long))

static int bit(const unsigned long *set, int fd)
{
    return set && ((set[fd / BITS_PER_WORD] >> (fd % BITS_PER_WORD)) & 1);
}

/* The app's fd sets: copied in (each NULL or whole), the results copied
 * back out; a fault either way is -EFAULT, as Linux's get/set_fd_set. */
static long do_select(int nfds, unsigned long *urd, unsigned long *uwr, unsigned long *uex,
                      int64_t timeout_ns, int64_t *left)
{
    if (nfds < 0)
        return -EINVAL;
    if (nfds > VFS_MAX_FDS)
        nfds = VFS_MAX_FDS;
    size_t words = ((size_t)nfds + BITS_PER_WORD - 1) / BITS_PER_WORD;
    unsigned long in_rd[VFS_MAX_FDS / BITS_PER_WORD], in_wr[VFS_MAX_FDS / BITS_PER_WORD],
        in_ex[VFS_MAX_FDS / BITS_PER_WORD];
    unsigned long out_rd[VFS_MAX_FDS / BITS_PER_WORD], out_wr[VFS_MAX_FDS / BITS_PER_WORD],
        out_ex[VFS_MAX_FDS / BITS_PER_WORD];
    size_t bytes = words * sizeof(unsigned long);
    memset(in_rd, 0, sizeof in_rd);
    memset(in_wr, 0, sizeof in_wr);
    memset(in_ex, 0, sizeof in_ex);
    if ((urd && copy_from_user(in_rd, urd, bytes)) || (uwr && copy_from_user(in_wr, uwr, bytes)) ||
        (uex && copy_from_user(in_ex, uex, bytes)))
        return -EFAULT;
    unsigned long *rd = urd ? out_rd : NULL, *wr = uwr ? out_wr : NULL, *ex = uex ? out_ex : NULL;
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
    if ((urd && copy_to_user(urd, out_rd, bytes)) || (uwr && copy_to_user(uwr, out_wr, bytes)) ||
        (uex && copy_to_user(uex, out_ex, bytes)))
        return -EFAULT;
    return ready;
}

SHIM_SYSCALL(select)
{
    struct k_timeval tv;
    int64_t ns = -1, left = 0;
    if (tvp) {
        if (copy_from_user(&tv, tvp, sizeof tv))
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0)
            return -EINVAL;
        ns = tv.tv_sec * 1000000000 + tv.tv_usec * 1000;
    }
    long r = do_select(n, (unsigned long *)inp, (unsigned long *)outp, (unsigned long *)exp, ns, &left);
    /* Linux reports the time not slept, also when interrupted, ignoring a fault. */
    if (tvp && (r >= 0 || r == -EINTR)) {
        tv.tv_sec = left / 1000000000;
        tv.tv_usec = left % 1000000000 / 1000;
        (void)copy_to_user(tvp, &tv, sizeof tv);
    }
    return r;
}

SHIM_SYSCALL(pselect6)
{
    struct k_timespec ts;
    int64_t ns, left = 0;
    long r = ts_in(tsp, &ts, &ns);
    if (r < 0)
        return r;
    /* sig: { const sigset_t *ss; size_t ss_len } (not applied, read as Linux). */
    uint64_t sigarg[2], mask;
    if (sig && copy_from_user(sigarg, sig, sizeof sigarg))
        return -EFAULT;
    if (sig && sigarg[0] && sigarg[1] != sizeof mask)
        return -EINVAL;
    if (sig && sigarg[0] && copy_from_user(&mask, (const void *)sigarg[0], sizeof mask))
        return -EFAULT;
    r = do_select(n, (unsigned long *)inp, (unsigned long *)outp, (unsigned long *)exp, ns, &left);
    if (tsp && (r >= 0 || r == -EINTR))   /* interrupted too (poll_select_finish) */
        ts_out(tsp, left);
    return r;
}
