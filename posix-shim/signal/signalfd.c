/* signalfd, signalfd4: signals read from an fd instead of taken by a
 * handler. PostgreSQL 15 waits for its latches this way (SIGURG blocked,
 * a signalfd for it in every epoll set), so the fd must be readable in
 * poll/epoll while a signal of its mask is pending for the reader, and a
 * read takes the signals off the queue as struct signalfd_siginfo. As on
 * Linux the mask belongs to the fd, readiness and reads to the calling
 * thread; the signals should be blocked, or a handler may take them first.
 * Every signal sent wakes shim_poll_wq (signal.c's send). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/signal.h"
#include "shim/wait.h"
#if SHIM_HAVE_vfs
#include "shim/vfs.h"

#define SFD_CLOEXEC K_O_CLOEXEC
#define SFD_NONBLOCK K_O_NONBLOCK
#define SIGKILL_STOP ((1ull << (9 - 1)) | (1ull << (19 - 1)))

struct sfd {
    uint64_t mask;
};

/* struct signalfd_siginfo (linux/signalfd.h): 128 bytes. */
struct signalfd_siginfo {
    uint32_t ssi_signo;
    int32_t ssi_errno;
    int32_t ssi_code;
    uint32_t ssi_pid;
    uint32_t ssi_uid;
    int32_t ssi_fd;
    uint32_t ssi_tid;
    uint32_t ssi_band;
    uint32_t ssi_overrun;
    uint32_t ssi_trapno;
    int32_t ssi_status;
    int32_t ssi_int;
    uint64_t ssi_ptr;
    uint64_t ssi_utime;
    uint64_t ssi_stime;
    uint64_t ssi_addr;
    uint16_t ssi_addr_lsb;
    uint16_t pad2;
    int32_t ssi_syscall;
    uint64_t ssi_call_addr;
    uint32_t ssi_arch;
    uint8_t pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "signalfd_siginfo is 128 bytes");

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Linux's signalfd_copyinfo from a siginfo: signo, errno, code at 0/4/8,
 * then the union at 16 (kill/sigqueue: pid, uid, value; SIGCHLD: pid, uid,
 * status; faults: addr). */
static void to_ssi(const uint8_t info[128], struct signalfd_siginfo *o)
{
    memset(o, 0, sizeof *o);
    o->ssi_signo = rd32(info);
    o->ssi_errno = (int32_t)rd32(info + 4);
    o->ssi_code = (int32_t)rd32(info + 8);
    o->ssi_pid = rd32(info + 16);
    o->ssi_uid = rd32(info + 20);
    o->ssi_status = (int32_t)rd32(info + 24);
    o->ssi_int = (int32_t)rd32(info + 24);
    o->ssi_ptr = rd64(info + 24);
    o->ssi_addr = rd64(info + 16);
}

static long sfd_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    const struct sfd *s = f->vn->data;
    if (n < sizeof(struct signalfd_siginfo))
        return -EINVAL;
    size_t done = 0;
    while (done + sizeof(struct signalfd_siginfo) <= n) {
        uint8_t info[128];
        int sig = signal_take_current(s->mask, info);
        if (!sig) {
            if (done)
                break;
            if (f->flags & K_O_NONBLOCK)
                return -EAGAIN;
            if (wait_queue_sleep_intr(&shim_poll_wq, 0))
                return -EINTR;
            continue;
        }
        struct signalfd_siginfo o;
        to_ssi(info, &o);
        if (copy_out_nocheck((char *)buf + done, &o, sizeof o))
            return done ? (long)done : -EFAULT;
        done += sizeof o;
    }
    return (long)done;
}

static unsigned sfd_poll(struct file *f)
{
    const struct sfd *s = f->vn->data;
    return signal_pending_current(s->mask) ? (K_POLLIN | K_POLLRDNORM) : 0;
}

static void sfd_destroy(struct vnode *vn)
{
    shim_free(vn->data);
    vn->data = NULL;
}

static const struct vnode_ops sfd_ops = {
    .read = sfd_read,
    .poll = sfd_poll,
    .destroy = sfd_destroy,
    .noseek = 1,
};

static long signalfd_new(long ufd, long user_mask, long sizemask, long flags)
{
    if (flags & ~(long)(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    if (sizemask != 8)
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, (const void *)user_mask, sizeof mask))
        return -EFAULT;
    mask &= ~SIGKILL_STOP;              /* as Linux: never through a signalfd */
    if ((int)ufd != -1) {
        struct file *f = fd_file(ufd);
        if (!f)
            return -EBADF;
        if (f->vn->ops != &sfd_ops)
            return -EINVAL;
        ((struct sfd *)f->vn->data)->mask = mask;
        wake_all(&shim_poll_wq);        /* readiness follows the new mask */
        return ufd;
    }
    struct sfd *s = shim_alloc(sizeof *s);
    struct vnode *vn = vnode_new(0600, &sfd_ops);     /* anon inode: no type bits */
    if (!s || !vn) {
        shim_free(s);
        shim_free(vn);
        return -ENOMEM;
    }
    s->mask = mask;
    vn->data = s;
    vn->priv = (long)(uintptr_t)"signalfd";
    struct file *f = file_new(vn, K_O_RDONLY | ((uint32_t)flags & K_O_NONBLOCK));
    if (!f) {
        vn->refs = 1;
        vnode_put(vn);
        return -ENOMEM;
    }
    return fd_install(f, 0, (flags & SFD_CLOEXEC) != 0);
}

#endif

SHIM_SYSCALL(signalfd4)
{
#if SHIM_HAVE_vfs
    return signalfd_new((long)ufd, (long)user_mask, (long)sizemask, (long)flags);
#else  /* no vfs: no fds */
    (void)ufd, (void)user_mask, (void)sizemask, (void)flags;
    return -ENOSYS;
#endif
}

SHIM_SYSCALL(signalfd)
{
    return sys_signalfd4(ufd, (long)user_mask, (long)sizemask, 0, 0, 0);
}
