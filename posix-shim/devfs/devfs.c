/* devfs: character devices under /dev, and the console streams bound to
 * fds 0 (stdin), 1 (stdout) and 2 (stderr).
 *
 * The three streams are separate vnodes (stdout and stderr may go to
 * different host streams, and each may or may not be a terminal), all
 * character devices 5:1 like /dev/console. devfs keeps the terminal's
 * settings (TCGETS/TCSETS) and hands them to the platform, whose line
 * discipline does echo, line editing and ^C when the host's stdin is a
 * terminal (platforms/qemu/tty.c); bytes from a pipe pass unchanged.
 * Terminal ioctls succeed only on a stream the platform says is a terminal
 * on the host (ENOTTY otherwise, as for a pipe), with the host's window
 * size when the platform knows it. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/random.h"
#include "shim/devfs.h"
#include "shim/ramfs.h"

/* ---- memory devices ----------------------------------------------------- */

static long null_read(struct file *f, void *b, size_t n, uint64_t *pos)
{
    (void)f; (void)b; (void)n; (void)pos;
    return 0;
}

static long sink_write(struct file *f, const void *b, size_t n, uint64_t *pos)
{
    (void)f; (void)b; (void)pos;
    return (long)n;
}

static long zero_read(struct file *f, void *b, size_t n, uint64_t *pos)
{
    (void)f; (void)pos;
    n -= platform_clear_nofault(b, n);   /* a fault part way: a short read */
    return n ? (long)n : -EFAULT;
}

static long full_write(struct file *f, const void *b, size_t n, uint64_t *pos)
{
    (void)f; (void)b; (void)n; (void)pos;
    return -ENOSPC;
}

static long random_read(struct file *f, void *b, size_t n, uint64_t *pos)
{
    (void)f; (void)pos;
    n = random_fill(b, n);
    return n ? (long)n : -EFAULT;
}

static long trunc_ok(struct vnode *vn, uint64_t size)
{
    (void)vn; (void)size;
    return 0;       /* "> /dev/null" opens with O_TRUNC */
}

static const struct vnode_ops null_ops = { .read = null_read, .write = sink_write, .truncate = trunc_ok };
static const struct vnode_ops zero_ops = { .read = zero_read, .write = sink_write, .truncate = trunc_ok };
static const struct vnode_ops full_ops = { .read = zero_read, .write = full_write, .truncate = trunc_ok };
static const struct vnode_ops random_ops = { .read = random_read, .write = sink_write, .truncate = trunc_ok };

/* ---- console -------------------------------------------------------------- */

enum { CON_IN, CON_OUT, CON_ERR, CON_TTY };

static struct k_termios termios = {
    .c_iflag = 0x500,        /* ICRNL | IXON */
    .c_oflag = 0x5,          /* OPOST | ONLCR */
    .c_cflag = 0x4bf,        /* B38400 | CS8 | CREAD | HUPCL */
    .c_lflag = 0x8a3b,       /* ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN */
    .c_cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0 },
};
static struct k_winsize winsize = { 24, 80, 0, 0 };
static uint16_t host_rows, host_cols;   /* the host's size when last asked */

/* The size to report: the host's, when it is known and has changed since it
 * was last looked at (so that a TIOCSWINSZ holds until then). */
static void refresh_winsize(void)
{
    uint16_t r, c;
    if (!platform_console_winsize || !platform_console_winsize(&r, &c) || !r || !c)
        return;
    if (r == host_rows && c == host_cols)
        return;
    host_rows = r;
    host_cols = c;
    winsize.ws_row = r;
    winsize.ws_col = c;
}

static int is_tty(long stream)
{
    if (!platform_console_isatty)
        return 1;
    if (stream == CON_TTY)       /* /dev/tty, /dev/console: the terminal, if any */
        return platform_console_isatty(0) || platform_console_isatty(1);
    return platform_console_isatty((int)stream);
}
static int32_t fg_pgrp = 1;

/* How long a blocked console read sleeps before it looks at the line again. */
#define CON_POLL_NS 500000ull

/* Input read ahead by poll (to learn whether stdin is readable), and by
 * read, which copies out to the app from here. */
static unsigned char pending[4096];
static size_t npending;
/* The platform said end of file: for good after a pipe's end, for the next
 * read only when stdin is a terminal (^D on an empty line). */
static int input_eof;

static void got_eof(void)
{
    input_eof = 1;
}

/* A read returned the end of file: a terminal goes on after it. */
static void eof_taken(void)
{
    if (is_tty(CON_IN))
        input_eof = 0;
}

static struct vnode *console_vn[4];

static long con_stream(struct file *f) { return f->vn->priv; }

static long fill_pending(void)
{
    if (npending || input_eof)
        return 0;
    long r = platform_console_read(pending, sizeof pending, 1);
    if (r > 0)
        npending = (size_t)r;
    else if (r == 0)
        got_eof();
    return r;
}

static long con_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    for (;;) {
        if (npending) {
            size_t c = n < npending ? n : npending;
            if (copy_out_nocheck(buf, pending, c))
                return -EFAULT;   /* the input stays for the next read */
            memmove(pending, pending + c, npending - c);
            npending -= c;
            return (long)c;
        }
        if (input_eof) {
            eof_taken();
            return 0;
        }
        /* Into the kernel's buffer: buf is the app's and may be bad. */
        long r = platform_console_read(pending, sizeof pending, 1);
        if (r > 0) {
            npending = (size_t)r;
            continue;
        }
        if (r == 0) {
            got_eof();
            eof_taken();
            return 0;
        }
        if (r != -EAGAIN)
            return r;
        if (f->flags & K_O_NONBLOCK)
            return -EAGAIN;
        /* A polled console (no receive interrupt wakes the queue): look
         * again soon, not only at the queue's cap of several ms. A signal
         * (^C) ends the read as on Linux's terminals and pipes. */
        uint64_t until = platform_console_wakes && platform_console_wakes() ? 0
                         : platform_monotonic_ns() + CON_POLL_NS;
        if (wait_queue_sleep_intr(&shim_poll_wq, until))
            return -EINTR;
    }
}

static long con_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    /* Through a kernel buffer: the platform writes from it without fault
     * handling. A bad chunk ends the write as Linux's tty_write does: the
     * bytes written so far, or -EFAULT. */
    char chunk[512];
    size_t done = 0;
    while (done < n) {
        size_t c = n - done < sizeof chunk ? n - done : sizeof chunk;
        if (copy_in_nocheck(chunk, (const char *)buf + done, c))
            return done ? (long)done : -EFAULT;
        long r = con_stream(f) == CON_ERR ? platform_console_write_err(chunk, c)
                                          : platform_console_write(chunk, c);
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        if ((size_t)r < c)
            break;
    }
    return (long)done;
}

static unsigned con_poll(struct file *f)
{
    unsigned m = K_POLLOUT | K_POLLWRNORM;
    uint32_t acc = f->flags & K_O_ACCMODE;
    if (acc != K_O_WRONLY && (con_stream(f) == CON_IN || con_stream(f) == CON_TTY)) {
        fill_pending();
        if (npending || input_eof)
            m |= K_POLLIN | K_POLLRDNORM;
        if (input_eof)
            m |= K_POLLHUP;
    }
    return m;
}

static long con_ioctl(struct file *f, unsigned long cmd, long arg)
{
    if (!is_tty(con_stream(f)))
        return -ENOTTY;
    switch (cmd) {
    case K_TCGETS:
        return copy_to_user((void *)arg, &termios, sizeof termios) ? -EFAULT : 0;
    case K_TCSETS:
    case K_TCSETSW:
    case K_TCSETSF:
        if (copy_from_user(&termios, (const void *)arg, sizeof termios))
            return -EFAULT;
        if (cmd == K_TCSETSF)
            npending = 0;
        if (platform_console_termios)
            platform_console_termios(&termios, cmd == K_TCSETSF);
        return 0;
    case K_TIOCGWINSZ:
        refresh_winsize();
        return copy_to_user((void *)arg, &winsize, sizeof winsize) ? -EFAULT : 0;
    case K_TIOCSWINSZ:
        return copy_from_user(&winsize, (const void *)arg, sizeof winsize) ? -EFAULT : 0;
    case K_TIOCGPGRP:
        return put_user(fg_pgrp, (int32_t *)arg);
    case K_TIOCSPGRP:
        return get_user(fg_pgrp, (const int32_t *)arg);
    case K_TIOCSCTTY:
        return 0;
    case K_FIONREAD:
        fill_pending();
        return put_user((int)npending, (int *)arg);
    default:
        return -ENOTTY;
    }
}

static const struct vnode_ops console_ops = {
    .read = con_read,
    .write = con_write,
    .poll = con_poll,
    .ioctl = con_ioctl,
    .truncate = trunc_ok,
    .noseek = 1,
};

/* ---- the device table ------------------------------------------------------ */

struct devdef {
    const char *name;
    uint32_t major, minor, perm;
    const struct vnode_ops *ops;
    long stream;
};

static const struct devdef devs[] = {
    { "null", 1, 3, 0666, &null_ops, 0 },
    { "zero", 1, 5, 0666, &zero_ops, 0 },
    { "full", 1, 7, 0666, &full_ops, 0 },
    { "random", 1, 8, 0666, &random_ops, 0 },
    { "urandom", 1, 9, 0666, &random_ops, 0 },
    { "tty", 5, 0, 0666, &console_ops, CON_TTY },
    { "console", 5, 1, 0600, &console_ops, CON_TTY },
};

static struct vnode *dev_vn[sizeof devs / sizeof devs[0]];

static struct vnode *make_dev(uint32_t major, uint32_t minor, uint32_t perm,
                              const struct vnode_ops *ops, long stream)
{
    struct vnode *vn = vnode_new(K_S_IFCHR | perm, ops);
    if (!vn)
        return NULL;
    vn->rdev = (uint64_t)major << 8 | minor;
    vn->priv = stream;
    vn->refs = 1;            /* devices live for ever */
    return vn;
}

struct vnode *devfs_node_for(uint32_t major, uint32_t minor)
{
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
        if (devs[i].major == major && devs[i].minor == minor) {
            if (!dev_vn[i])
                dev_vn[i] = make_dev(devs[i].major, devs[i].minor, devs[i].perm, devs[i].ops, devs[i].stream);
            return dev_vn[i];
        }
    return NULL;
}

static void symlink_at(const char *path, const char *target)
{
#if SHIM_HAVE_ramfs
    const struct vnode_ops *ops = &ramfs_link_ops;
#else
    static const struct vnode_ops plain_link_ops;
    const struct vnode_ops *ops = &plain_link_ops;
#endif
    struct vnode *vn = vnode_new(K_S_IFLNK | 0777, ops);
    if (!vn)
        return;
    size_t len = strlen(target);
    vn->data = (void *)(uintptr_t)target;   /* static string: cap 0, never freed */
    vn->size = len;
    vfs_install(path, vn);
}

static void bind_stdio(int fd, int stream, uint32_t flags)
{
    if (!console_vn[stream])
        console_vn[stream] = make_dev(5, 1, 0600, &console_ops, stream);
    struct file *f = console_vn[stream] ? file_new(console_vn[stream], flags) : NULL;
    if (!f) {
        shim_printk("devfs: out of memory binding fd %d\n", fd);
        return;
    }
    fd_install_at(fd, f, 0);
}

void devfs_init(void)
{
    if (!vfs_mkdir_p("/dev")) {
        shim_printk("devfs: cannot create /dev\n");
        return;
    }
    char path[32];
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        struct vnode *vn = devfs_node_for(devs[i].major, devs[i].minor);
        shim_snprintf(path, sizeof path, "/dev/%s", devs[i].name);
        if (vn)
            vfs_install(path, vn);
    }
    symlink_at("/dev/stdin", "/proc/self/fd/0");
    symlink_at("/dev/stdout", "/proc/self/fd/1");
    symlink_at("/dev/stderr", "/proc/self/fd/2");
    symlink_at("/dev/fd", "/proc/self/fd");
    vfs_mkdir_p("/dev/shm");
    vfs_mkdir_p("/dev/pts");
    /* fds 0/1/2 as a terminal's would be: stdin read-only is not enough
     * for shells that write prompts to fd 0's tty, so all are O_RDWR. */
    bind_stdio(0, CON_IN, K_O_RDWR);
    bind_stdio(1, CON_OUT, K_O_RDWR);
    bind_stdio(2, CON_ERR, K_O_RDWR);
    if (platform_console_termios)
        platform_console_termios(&termios, 0);
}
