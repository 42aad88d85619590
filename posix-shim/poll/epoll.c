/* epoll: an interest list per epoll fd, level-triggered by default, with
 * EPOLLET (an event is reported again only after the fd was seen not ready,
 * its ready set grew, or its file had a new event: vnode_ops.event_seq) and EPOLLONESHOT. Readiness comes from
 * vfs_poll_file, like poll.
 *
 * Like Linux, an item goes away when its file is closed: an item remembers
 * the open file description's id and is dropped once its fd no longer holds
 * that description.
 *
 * EPOLLEXCLUSIVE: every epoll waiter wakes on shim_poll_wq, so instead of
 * waking one, an event is handed to one epoll instance: each event of a
 * file (its vnode_ops.event_seq value) is claimed by the first exclusive
 * item that reports it, and the other exclusive items on that file treat
 * the file as not ready until its next event (or until the claimer sees it
 * not ready, for files without an event counter). The claimer keeps
 * reporting it while it stays ready (level-triggered), as Linux keeps a
 * woken item on its ready list; the others go back to sleep, as Linux
 * leaves them asleep. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"

struct epitem {
    struct epitem *next;
    int fd;
    uint64_t file_id;
    uint32_t events;
    uint64_t data;
    unsigned last;           /* EPOLLET: ready set last reported */
    uint64_t last_seq;       /* EPOLLET: the file's event counter then */
    int disabled;            /* EPOLLONESHOT fired */
    /* EPOLLEXCLUSIVE: on the excl list; the event this item has claimed. */
    struct epitem *next_excl;
    int claimed;
    uint64_t claim_seq;
};

/* Every EPOLLEXCLUSIVE item of every epoll instance (of every process). */
static struct epitem *excl_items;

static void item_free(struct epitem *it)
{
    if (it->events & K_EPOLLEXCLUSIVE)
        for (struct epitem **pp = &excl_items; *pp; pp = &(*pp)->next_excl)
            if (*pp == it) {
                *pp = it->next_excl;
                break;
            }
    shim_free(it);
}

/* Whether another exclusive item on the same file has claimed event seq. */
static int excl_taken(const struct epitem *it, uint64_t seq)
{
    for (const struct epitem *x = excl_items; x; x = x->next_excl)
        if (x != it && x->file_id == it->file_id && x->claimed && x->claim_seq == seq)
            return 1;
    return 0;
}

struct epoll {
    struct epitem *items;
};

static struct epoll *ep_of(struct file *f) { return f->vn->data; }

static int alive(const struct epitem *it)
{
    struct file *f = fd_file(it->fd);
    return f && f->id == it->file_id;
}

static void prune(struct epoll *ep)
{
    for (struct epitem **pp = &ep->items; *pp;) {
        if (!alive(*pp)) {
            struct epitem *dead = *pp;
            *pp = dead->next;
            item_free(dead);
        } else {
            pp = &(*pp)->next;
        }
    }
}

static unsigned item_ready(struct epitem *it)
{
    if (it->disabled)
        return 0;
    unsigned m = vfs_poll_file(fd_file(it->fd));
    return m & (it->events | K_POLLERR | K_POLLHUP);
}

static unsigned ep_poll(struct file *f)
{
    struct epoll *ep = ep_of(f);
    for (struct epitem *it = ep->items; it; it = it->next)
        if (alive(it) && item_ready(it))
            return K_POLLIN | K_POLLRDNORM;
    return 0;
}

static void ep_destroy(struct vnode *vn)
{
    struct epoll *ep = vn->data;
    if (!ep)
        return;
    for (struct epitem *it = ep->items, *n; it; it = n) {
        n = it->next;
        item_free(it);
    }
    shim_free(ep);
    vn->data = NULL;
}

static const struct vnode_ops epoll_ops = {
    .poll = ep_poll,
    .destroy = ep_destroy,
    .noseek = 1,
};

static int is_epoll(struct file *f) { return f->vn->ops == &epoll_ops; }

SHIM_SYSCALL(epoll_create1)
{
    if (flags & ~(long)K_O_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = shim_alloc(sizeof *ep);
    struct vnode *vn = vnode_new(0600, &epoll_ops);   /* anon inode: no type bits */
    if (!ep || !vn) {
        shim_free(ep);
        shim_free(vn);
        return -ENOMEM;
    }
    vn->data = ep;
    vn->priv = (long)(uintptr_t)"eventpoll";
    struct file *f = file_new(vn, K_O_RDWR);
    if (!f) {
        vn->refs = 1;
        vnode_put(vn);
        return -ENOMEM;
    }
    return fd_install(f, 0, (flags & K_O_CLOEXEC) != 0);
}

SHIM_SYSCALL(epoll_create)
{
    if (size <= 0)
        return -EINVAL;
    return sys_epoll_create1(0, 0, 0, 0, 0, 0);
}

SHIM_SYSCALL(epoll_ctl)
{
    /* The event first, as Linux reads it before looking at the fds. */
    struct k_epoll_event evk;
    const struct k_epoll_event *ev = NULL;
    if (op != K_EPOLL_CTL_DEL) {
        if (copy_from_user(&evk, event, sizeof evk))
            return -EFAULT;
        ev = &evk;
    }
    struct file *epf = fd_file(epfd);
    struct file *tf = fd_file(fd);
    if (!epf || !tf)
        return -EBADF;
    if (!is_epoll(epf) || epfd == fd)
        return -EINVAL;
    if (K_S_ISREG(tf->vn->mode) || K_S_ISDIR(tf->vn->mode))
        return -EPERM;       /* Linux: regular files and directories are not pollable */
    /* EPOLLEXCLUSIVE: only when adding, with no more than these bits,
     * and not on an epoll fd (Linux's EPOLLEXCLUSIVE_OK_BITS). */
    if (ev && (ev->events & K_EPOLLEXCLUSIVE)) {
        uint32_t ok = K_POLLIN | K_POLLOUT | K_POLLERR | K_POLLHUP | K_EPOLLWAKEUP | K_EPOLLET |
                      K_EPOLLEXCLUSIVE;
        if (op == K_EPOLL_CTL_MOD || (op == K_EPOLL_CTL_ADD && (is_epoll(tf) || (ev->events & ~ok))))
            return -EINVAL;
    }
    struct epoll *ep = ep_of(epf);
    prune(ep);
    struct epitem *it = ep->items;
    while (it && it->fd != fd)
        it = it->next;
    switch (op) {
    case K_EPOLL_CTL_ADD: {
        if (!ev)
            return -EFAULT;
        if (it)
            return -EEXIST;
        struct epitem *n = shim_alloc(sizeof *n);
        if (!n)
            return -ENOMEM;
        n->fd = fd;
        n->file_id = tf->id;
        n->events = ev->events;
        n->data = ev->data;
        n->next = ep->items;
        ep->items = n;
        if (n->events & K_EPOLLEXCLUSIVE) {
            n->next_excl = excl_items;
            excl_items = n;
        }
        wake_all(&shim_poll_wq);
        return 0;
    }
    case K_EPOLL_CTL_MOD:
        if (!ev)
            return -EFAULT;
        if (!it)
            return -ENOENT;
        if (it->events & K_EPOLLEXCLUSIVE)
            return -EINVAL;     /* Linux: an exclusive item cannot be modified */
        it->events = ev->events;
        it->data = ev->data;
        it->disabled = 0;
        it->last = 0;
        return 0;
    case K_EPOLL_CTL_DEL:
        if (!it)
            return -ENOENT;
        for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->next)
            if (*pp == it) {
                *pp = it->next;
                break;
            }
        item_free(it);
        return 0;
    default:
        return -EINVAL;
    }
}

static long collect(struct epoll *ep, struct k_epoll_event *out, int max)
{
    int n = 0;
    prune(ep);
    for (struct epitem *it = ep->items; it && n < max; it = it->next) {
        unsigned m = item_ready(it);
        if (it->events & K_EPOLLET) {
            /* New readiness, or a new event on a ready fd (more data on a
             * socket nginx has not drained to EAGAIN since the last report). */
            uint64_t seq = vfs_event_seq(fd_file(it->fd));
            unsigned fresh = m & ~it->last;
            if (!fresh && seq != it->last_seq)
                fresh = m;
            if (!fresh) {
                it->last = m;
                it->last_seq = seq;
                continue;
            }
        }
        if (it->events & K_EPOLLEXCLUSIVE) {
            uint64_t seq = vfs_event_seq(fd_file(it->fd));
            if (!m) {
                it->claimed = 0;
                continue;
            }
            if (!it->claimed || it->claim_seq != seq) {
                if (excl_taken(it, seq))
                    continue;       /* another instance has this event */
                it->claimed = 1;
                it->claim_seq = seq;
            }
        }
        if (!m)
            continue;
        /* Straight to the app's array; a fault leaves this event pending
         * (Linux's ep_send_events): the events so far, or -EFAULT. */
        struct k_epoll_event e = { .events = m, .data = it->data };
        if (copy_to_user(&out[n], &e, sizeof e))
            return n ? n : -EFAULT;
        if (it->events & K_EPOLLET) {
            it->last = m;
            it->last_seq = vfs_event_seq(fd_file(it->fd));
        }
        n++;
        if (it->events & K_EPOLLONESHOT)
            it->disabled = 1;
    }
    return n;
}

static long do_wait(long epfd, struct k_epoll_event *out, long max, int64_t timeout_ns)
{
    struct file *f = fd_file(epfd);
    if (!f)
        return -EBADF;
    if (!is_epoll(f) || max <= 0 || max > 1 << 24)
        return -EINVAL;
    if (!access_ok(out, (size_t)max * sizeof *out))
        return -EFAULT;
    struct epoll *ep = ep_of(f);
    uint64_t dl = timeout_ns < 0 ? 0 : platform_monotonic_ns() + (uint64_t)timeout_ns;
    for (;;) {
        long n = collect(ep, out, (int)max);
        if (n || timeout_ns == 0)
            return n;
        if (dl && platform_monotonic_ns() >= dl)
            return 0;
        if (wait_queue_sleep_handled(&shim_poll_wq, dl))
            return -EINTR;
    }
}

SHIM_SYSCALL(epoll_wait)
{
    int64_t ms = timeout;
    return do_wait(epfd, (struct k_epoll_event *)events, maxevents, ms < 0 ? -1 : ms * 1000000);
}

/* The mask of epoll_pwait/pwait2 is not applied, but read as Linux does:
 * a bad size is EINVAL, a bad pointer EFAULT. */
static long sigmask_in(const void *sigmask, size_t sigsetsize)
{
    uint64_t mask;
    if (!sigmask)
        return 0;
    if (sigsetsize != sizeof mask)
        return -EINVAL;
    return copy_from_user(&mask, sigmask, sizeof mask) ? -EFAULT : 0;
}

SHIM_SYSCALL(epoll_pwait)
{
    long r = sigmask_in(sigmask, sigsetsize);
    if (r < 0)
        return r;
    int64_t ms = timeout;
    return do_wait(epfd, (struct k_epoll_event *)events, maxevents, ms < 0 ? -1 : ms * 1000000);
}

SHIM_SYSCALL(epoll_pwait2)
{
    struct k_timespec tsk, *ts = NULL;
    int64_t ns = -1;
    if (timeout) {
        if (copy_from_user(&tsk, timeout, sizeof tsk))
            return -EFAULT;
        ts = &tsk;
        if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
            return -EINVAL;
        ns = ts->tv_sec * 1000000000 + ts->tv_nsec;
    }
    long r = sigmask_in(sigmask, sigsetsize);
    if (r < 0)
        return r;
    return do_wait(epfd, (struct k_epoll_event *)events, maxevents, ns);
}
