/* Pipes: pipe, pipe2, and named FIFOs (mknod, through vfs). A 64 KiB ring per pipe (Linux's default capacity),
 * reader and writer counts, and the usual semantics: read blocks while the
 * pipe is empty and has writers (EOF without), write blocks while full and
 * fails with EPIPE when there are no readers; writes of at most PIPE_BUF
 * bytes are atomic; O_NONBLOCK gives EAGAIN instead of blocking.
 *
 * A signal handler that runs while a read, a write or a FIFO's open
 * waits ends the call with -EINTR, or lets it go on under SA_RESTART
 * (RESTART_SYS, shim/wait.h); a write that had moved bytes returns their
 * count. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/signal.h"
#include "shim/pipe.h"

#define PIPE_SIZE 65536u

struct pipe {
    unsigned char *buf;
    size_t head, count;      /* bytes at buf[head .. head+count) mod PIPE_SIZE */
    uint32_t readers, writers;
    struct wait_queue wq;
};

static struct pipe *pipe_of(struct file *f) { return f->vn->data; }

static void wake(struct pipe *p)
{
    wake_all(&p->wq);
    wake_all(&shim_poll_wq);
}

#define FIFO_MARK 1            /* vn->priv of a named FIFO (mknod) */

static void pipe_release(struct file *f);

static long pipe_open(struct vnode *vn, struct file *f)
{
    struct pipe *p = vn->data;
    uint32_t acc = f->flags & K_O_ACCMODE;
    int nonblock = (f->flags & K_O_NONBLOCK) != 0;
    if (vn->priv == FIFO_MARK && acc == K_O_WRONLY && nonblock && p->readers == 0)
        return -ENXIO;            /* as Linux: no reader to write to */
    if (acc == K_O_RDONLY || acc == K_O_RDWR)
        p->readers++;
    if (acc == K_O_WRONLY || acc == K_O_RDWR)
        p->writers++;
    wake(p);
    /* A named FIFO's open waits for the other side (not O_RDWR, not
     * O_NONBLOCK), like Linux; a signal handler without SA_RESTART ends
     * the wait with -EINTR (Linux's wait_for_partner: ERESTARTSYS), and
     * this end is closed again. */
    long r = 0;
    if (vn->priv == FIFO_MARK && !nonblock) {
        if (acc == K_O_RDONLY)
            r = wait_event_interruptible(&p->wq, p->writers > 0);
        else if (acc == K_O_WRONLY)
            r = wait_event_interruptible(&p->wq, p->readers > 0);
    }
    if (r)
        pipe_release(f);
    return r;
}

static void pipe_release(struct file *f)
{
    struct pipe *p = pipe_of(f);
    uint32_t acc = f->flags & K_O_ACCMODE;
    if ((acc == K_O_RDONLY || acc == K_O_RDWR) && p->readers)
        p->readers--;
    if ((acc == K_O_WRONLY || acc == K_O_RDWR) && p->writers)
        p->writers--;
    wake(p);
}

static void pipe_destroy(struct vnode *vn)
{
    struct pipe *p = vn->data;
    if (p) {
        shim_free(p->buf);
        shim_free(p);
    }
    vn->data = NULL;
}

static long pipe_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct pipe *p = pipe_of(f);
    if (p->count == 0) {
        if (p->writers == 0)
            return 0;
        if (f->flags & K_O_NONBLOCK)
            return -EAGAIN;
        /* Nothing read yet: a handler without SA_RESTART makes it -EINTR
         * (ERESTARTSYS), one with it goes on waiting (the restart). */
        long r = wait_event_interruptible(&p->wq, p->count > 0 || p->writers == 0);
        if (r)
            return r;
        if (p->count == 0)
            return 0;
    }
    size_t c = n < p->count ? n : p->count;
    unsigned char *out = buf;
    for (size_t done = 0; done < c;) {
        size_t run = PIPE_SIZE - p->head;
        if (run > c - done)
            run = c - done;
        /* A fault stops the read there and leaves that run in the pipe, as
         * Linux's pipe_read leaves the buffer it could not copy. */
        if (copy_out_nocheck(out + done, p->buf + p->head, run)) {
            c = done;
            break;
        }
        p->head = (p->head + run) % PIPE_SIZE;
        done += run;
    }
    if (c == 0) {
        if (p->count == 0)
            p->head = 0;
        return -EFAULT;
    }
    p->count -= c;
    if (p->count == 0)
        p->head = 0;
    wake(p);
    return (long)c;
}

static long pipe_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct pipe *p = pipe_of(f);
    const unsigned char *in = buf;
    size_t done = 0;
    while (done < n) {
        if (p->readers == 0) {
#if SHIM_HAVE_signal
            shim_raise_sigpipe();   /* the signal module, when selected */
#endif
            return done ? (long)done : -EPIPE;
        }
        size_t space = PIPE_SIZE - p->count;
        /* Atomic small writes: wait until the whole write fits. */
        size_t need = (n - done <= K_PIPE_BUF && done == 0) ? n : 1;
        if (space < need) {
            if (f->flags & K_O_NONBLOCK)
                return done ? (long)done : -EAGAIN;
            /* Full: sleep. A signal handler that runs meanwhile ends a
             * write that has moved bytes with their count, SA_RESTART or
             * not (Linux's pipe_write breaks out on signal_pending); one
             * that has not is -EINTR, or restarted under SA_RESTART. */
            int ran = wait_queue_sleep_ran(&p->wq, 0);
            if (ran && done)
                return (long)done;
            if (wait_interrupts(ran, RESTART_SYS))
                return -EINTR;
            continue;
        }
        size_t c = n - done < space ? n - done : space;
        size_t tail = (p->head + p->count) % PIPE_SIZE;
        for (size_t k = 0; k < c;) {
            size_t run = PIPE_SIZE - tail;
            if (run > c - k)
                run = c - k;
            /* A fault discards this chunk, as Linux discards the page it
             * was filling: -EFAULT, or the bytes written before it. */
            if (copy_in_nocheck(p->buf + tail, in + done + k, run))
                return done ? (long)done : -EFAULT;
            tail = (tail + run) % PIPE_SIZE;
            k += run;
        }
        p->count += c;
        done += c;
        wake(p);
    }
    return (long)done;
}

static unsigned pipe_poll(struct file *f)
{
    struct pipe *p = pipe_of(f);
    unsigned m = 0;
    uint32_t acc = f->flags & K_O_ACCMODE;
    if (acc == K_O_RDONLY || acc == K_O_RDWR) {
        if (p->count)
            m |= K_POLLIN | K_POLLRDNORM;
        if (p->writers == 0)
            m |= K_POLLHUP;
    }
    if (acc == K_O_WRONLY || acc == K_O_RDWR) {
        if (PIPE_SIZE - p->count >= K_PIPE_BUF)
            m |= K_POLLOUT | K_POLLWRNORM;
        if (p->readers == 0)
            m |= K_POLLERR;
    }
    return m;
}

/* wq.seq grows with every wake: each write, read, open and close. */
static uint64_t pipe_event_seq(struct file *f)
{
    return pipe_of(f)->wq.seq;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, long arg)
{
    if (cmd == K_FIONREAD) {
        return put_user((int)pipe_of(f)->count, (int *)arg);
    }
    return -ENOTTY;
}

static const struct vnode_ops pipe_ops = {
    .open = pipe_open,
    .release = pipe_release,
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .event_seq = pipe_event_seq,
    .ioctl = pipe_ioctl,
    .destroy = pipe_destroy,
    .noseek = 1,
};

static struct vnode *new_pipe_vnode(void)
{
    struct pipe *p = shim_alloc(sizeof *p);
    unsigned char *buf = shim_alloc(PIPE_SIZE);
    struct vnode *vn = vnode_new(K_S_IFIFO | 0600, &pipe_ops);
    if (!p || !buf || !vn) {
        shim_free(p);
        shim_free(buf);
        shim_free(vn);
        return NULL;
    }
    p->buf = buf;
    vn->data = p;
    return vn;
}

/* A named FIFO for mknod (vfs): unlinked, unreferenced. */
long pipe_new_fifo(struct vnode **out)
{
    struct vnode *vn = new_pipe_vnode();
    if (!vn)
        return -ENOSPC;
    vn->priv = FIFO_MARK;
    *out = vn;
    return 0;
}

static long open_end(struct vnode *vn, uint32_t flags, int cloexec)
{
    struct file *f = file_new(vn, flags);
    if (!f)
        return -ENOMEM;
    pipe_open(vn, f);
    return fd_install(f, 0, cloexec);
}

SHIM_SYSCALL(pipe2)
{
    if (flags & ~(uint32_t)(K_O_CLOEXEC | K_O_NONBLOCK | 040000 /* O_DIRECT */))
        return -EINVAL;
    struct vnode *vn = new_pipe_vnode();
    if (!vn)
        return -ENFILE;
    vn->refs = 1;            /* held until both ends exist */
    int cloexec = (flags & K_O_CLOEXEC) != 0;
    uint32_t nb = flags & K_O_NONBLOCK;
    long rfd = open_end(vn, K_O_RDONLY | nb, cloexec);
    if (rfd < 0) {
        vnode_put(vn);
        return rfd;
    }
    long wfd = open_end(vn, K_O_WRONLY | nb, cloexec);
    if (wfd < 0) {
        fd_close(rfd);
        vnode_put(vn);
        return wfd;
    }
    vnode_put(vn);
    /* As Linux: the fds exist before the copy out, and a fault closes them. */
    int fds[2] = { (int)rfd, (int)wfd };
    if (copy_to_user(fildes, fds, sizeof fds)) {
        fd_close(rfd);
        fd_close(wfd);
        return -EFAULT;
    }
    return 0;
}

SHIM_SYSCALL(pipe)
{
    return sys_pipe2((long)fildes, 0, 0, 0, 0, 0);
}
