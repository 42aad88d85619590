/* eventfd, eventfd2: a 64-bit counter behind an fd (event loops use it to
 * wake themselves). read takes the counter (or 1 with EFD_SEMAPHORE) and
 * blocks at 0; write adds and blocks before the counter would reach
 * 2^64 - 1. Both wake poll/epoll. A signal handler ends a blocked read or
 * write with -EINTR, or lets it go on under SA_RESTART (Linux's
 * ERESTARTSYS). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX 0xfffffffffffffffeull

struct efd {
    uint64_t count;
    int semaphore;
    struct wait_queue wq;
};

static struct efd *efd_of(struct file *f) { return f->vn->data; }

static long efd_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct efd *e = efd_of(f);
    if (n < 8)
        return -EINVAL;
    if (e->count == 0) {
        if (f->flags & K_O_NONBLOCK)
            return -EAGAIN;
        long r = wait_event_interruptible(&e->wq, e->count > 0);
        if (r)
            return r;
    }
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    if (copy_out_nocheck(buf, &v, 8))
        return -EFAULT;   /* the count is consumed all the same, as Linux */
    wake_all(&e->wq);
    wake_all(&shim_poll_wq);
    return 8;
}

static long efd_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct efd *e = efd_of(f);
    uint64_t v;
    if (n < 8)
        return -EINVAL;
    if (copy_in_nocheck(&v, buf, 8))
        return -EFAULT;
    if (v == ~0ull)
        return -EINVAL;
    if (EFD_MAX - e->count < v) {
        if (f->flags & K_O_NONBLOCK)
            return -EAGAIN;
        long r = wait_event_interruptible(&e->wq, EFD_MAX - e->count >= v);
        if (r)
            return r;
    }
    e->count += v;
    wake_all(&e->wq);
    wake_all(&shim_poll_wq);
    return 8;
}

static unsigned efd_poll(struct file *f)
{
    struct efd *e = efd_of(f);
    unsigned m = 0;
    if (e->count > 0)
        m |= K_POLLIN | K_POLLRDNORM;
    if (e->count < EFD_MAX)
        m |= K_POLLOUT | K_POLLWRNORM;
    return m;
}

static void efd_destroy(struct vnode *vn)
{
    shim_free(vn->data);
    vn->data = NULL;
}

static const struct vnode_ops efd_ops = {
    .read = efd_read,
    .write = efd_write,
    .poll = efd_poll,
    .destroy = efd_destroy,
    .noseek = 1,
};

SHIM_SYSCALL(eventfd2)
{
    if (flags & ~(long)(EFD_SEMAPHORE | K_O_NONBLOCK | K_O_CLOEXEC))
        return -EINVAL;
    struct efd *e = shim_alloc(sizeof *e);
    struct vnode *vn = vnode_new(0600, &efd_ops);     /* anon inode: no type bits */
    if (!e || !vn) {
        shim_free(e);
        shim_free(vn);
        return -ENOMEM;
    }
    e->count = count;
    e->semaphore = (flags & EFD_SEMAPHORE) != 0;
    vn->data = e;
    vn->priv = (long)(uintptr_t)"eventfd";
    struct file *f = file_new(vn, K_O_RDWR | ((uint32_t)flags & K_O_NONBLOCK));
    if (!f) {
        vn->refs = 1;
        vnode_put(vn);
        return -ENOMEM;
    }
    return fd_install(f, 0, (flags & K_O_CLOEXEC) != 0);
}

SHIM_SYSCALL(eventfd)
{
    return sys_eventfd2(count, 0, 0, 0, 0, 0);
}
