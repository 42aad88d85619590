/* procfs: the few /proc and /sys files that libcs and small tools read.
 *
 *   /proc/PID/          one directory per live process (shim/process.h's
 *                       table; pid 1 alone without the process module),
 *                       made on lookup and listed by readdir of /proc:
 *     exe               symlink to its executable (vfs_exe_path_of)
 *     cwd               symlink to its current directory
 *     fd/N              "magic" links: following one reaches the open file
 *                       itself (so /dev/stdin works on a pipe), readlink
 *                       gives its path ("pipe:[ino]" for pipes)
 *     maps              from the mm module's mm_format_maps_of (empty without)
 *     stat, status, statm   pid, comm, state, ppid, pgrp, session, threads;
 *                       the RSS is the process's own memory (sched_proc_memory)
 *                       with the process module, else the machine's RAM in use
 *     cmdline, comm, mounts
 *   /proc/self          symlink to the caller's pid (getpid)
 *   /proc/cpuinfo       from CPUID; /proc/{meminfo,mounts,uptime,loadavg}
 *   /sys/devices/system/cpu/{online,possible,present}  "0\n" (one CPU)
 *
 * Text files are generated when opened and read from that snapshot. The
 * vnodes below /proc/PID are made by each lookup and hold a reference on
 * their directory (so ".." and paths work while one is open); an open file
 * of a process that has gone reads as it was when opened. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/kernel.h"
#include "shim/mm.h"
#include "shim/sched.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif

/* ---- which processes there are --------------------------------------------- */

static int pid_of(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_pid(p);
#else
    (void)p;
    return 1;                 /* the one process (the proc module's getpid) */
#endif
}

/* The live process with this pid, or NULL. */
static struct proc_ctx *proc_by_pid(long pid)
{
#if SHIM_HAVE_process
    return pid > 0 && pid <= 0x7fffffff ? process_find((int)pid) : NULL;
#else
    return pid == 1 ? sched_proc_current() : NULL;
#endif
}

static struct proc_ctx *proc_next(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_next(p);
#else
    return p ? NULL : sched_proc_current();
#endif
}


/* ---- generated text files ------------------------------------------------- */

struct textbuf { char *p; size_t len, cap; };

static void tb_printf(struct textbuf *tb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = shim_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (tb->len + len + 1 > tb->cap) {
        size_t ncap = tb->cap ? tb->cap * 2 : 1024;
        while (ncap < tb->len + len + 1)
            ncap *= 2;
        char *np = shim_realloc(tb->p, ncap);
        if (!np)
            return;
        tb->p = np;
        tb->cap = ncap;
    }
    memcpy(tb->p + tb->len, line, len);
    tb->len += len;
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static void gen_cpuinfo(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    uint32_t r[4];
    char vendor[13];
    cpuid(0, 0, r);
    uint32_t max = r[0];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    cpuid(1, 0, r);
    uint32_t eax1 = r[0], ecx1 = r[2], edx1 = r[3];
    uint32_t family = (eax1 >> 8) & 0xf, model = (eax1 >> 4) & 0xf;
    if (family == 0xf)
        family += (eax1 >> 20) & 0xff;
    if (family >= 6)
        model |= ((eax1 >> 16) & 0xf) << 4;
    char brand[49] = "unknown";
    cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(brand + 16 * i, r, 16);
        }
        brand[48] = 0;
    }
    const char *b = brand;
    while (*b == ' ')
        b++;
    tb_printf(tb, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n",
              vendor, family, model);
    tb_printf(tb, "model name\t: %s\nstepping\t: %u\n", b, eax1 & 0xf);
    if (platform_tsc_hz)
        tb_printf(tb, "cpu MHz\t\t: %lu.%03lu\n", (unsigned long)(platform_tsc_hz() / 1000000),
                  (unsigned long)(platform_tsc_hz() / 1000 % 1000));
    tb_printf(tb, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\n");
    tb_printf(tb, "fpu\t\t: %s\nflags\t\t:", (edx1 & 1) ? "yes" : "no");
    static const struct { uint8_t reg, bit; const char *name; } flags[] = {
        { 0, 0, "fpu" }, { 0, 4, "tsc" }, { 0, 5, "msr" }, { 0, 6, "pae" }, { 0, 8, "cx8" },
        { 0, 9, "apic" }, { 0, 15, "cmov" }, { 0, 23, "mmx" }, { 0, 24, "fxsr" },
        { 0, 25, "sse" }, { 0, 26, "sse2" }, { 1, 0, "pni" }, { 1, 1, "pclmulqdq" },
        { 1, 9, "ssse3" }, { 1, 12, "fma" }, { 1, 13, "cx16" }, { 1, 19, "sse4_1" },
        { 1, 20, "sse4_2" }, { 1, 22, "movbe" }, { 1, 23, "popcnt" }, { 1, 25, "aes" },
        { 1, 26, "xsave" }, { 1, 28, "avx" }, { 1, 29, "f16c" }, { 1, 30, "rdrand" },
        { 2, 3, "bmi1" }, { 2, 5, "avx2" }, { 2, 8, "bmi2" }, { 2, 18, "rdseed" },
        { 2, 19, "adx" }, { 2, 16, "avx512f" },
    };
    uint32_t ebx7 = 0;
    if (max >= 7) {
        cpuid(7, 0, r);
        ebx7 = r[1];
    }
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        uint32_t reg = flags[i].reg == 0 ? edx1 : flags[i].reg == 1 ? ecx1 : ebx7;
        if ((reg >> flags[i].bit) & 1)
            tb_printf(tb, " %s", flags[i].name);
    }
    tb_printf(tb, "\n\n");
}

static void gen_meminfo(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    uint64_t total = 0, freeb = 0;
    platform_memory_info(&total, &freeb);
    tb_printf(tb, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
              (unsigned long)(total >> 10), (unsigned long)(freeb >> 10), (unsigned long)(freeb >> 10));
    tb_printf(tb, "Buffers:               0 kB\nCached:                0 kB\n"
                  "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
    tb_printf(tb, "Slab:           %8lu kB\n", (unsigned long)(shim_heap_pages_in_use() * 4));
}

/* The mm module's text when it is selected; empty without it. */
static void gen_maps(struct textbuf *tb, struct proc_ctx *p)
{
#if SHIM_HAVE_mm
    size_t need = mm_format_maps_of(p, NULL, 0);
    tb->p = shim_alloc(need + 1);
    if (!tb->p)
        return;
    tb->cap = need + 1;
    tb->len = mm_format_maps_of(p, tb->p, need + 1);
    if (tb->len > need)
        tb->len = need;
#else
    (void)tb;
    (void)p;
#endif
}

static void gen_mounts(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    /* One tree, one device number (st_dev): listing /proc, /sys and /dev as
     * mounts of their own would make tools that match st_dev (df) pick one
     * of them for every path. */
    tb_printf(tb, "rootfs / rootfs rw 0 0\n");
    /* Mounted stores do have devices of their own (vfs_mount). */
    const char *path;
    const struct vfs_fs *fs;
    for (int i = 0; vfs_mount_nth(i, &path, &fs); i++)
        tb_printf(tb, "%s %s %s %s 0 0\n", fs->source ? fs->source : "none", path, fs->type ? fs->type : "none",
                  fs->readonly ? "ro" : "rw");
}

static void gen_uptime(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    uint64_t ns = platform_monotonic_ns();
    tb_printf(tb, "%lu.%02lu 0.00\n", (unsigned long)(ns / 1000000000),
              (unsigned long)(ns / 10000000 % 100));
}

/* The highest pid + 1, as a 64-bit Linux's default (LTP's library reads
 * it to bound its pid guesses). */
static void gen_pid_max(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    tb_printf(tb, "4194304\n");
}

static void gen_cpu0(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    tb_printf(tb, "0\n");
}

/* Its name: the process module's comm, else the executable's base name. */
static void comm(struct proc_ctx *p, char out[16])
{
#if SHIM_HAVE_process
    const char *c = process_comm(p);
    if (c && *c) {
        shim_strlcpy(out, c, 16);
        return;
    }
#endif
    const char *e = vfs_exe_path_of(p), *slash = strrchr(e, '/');
    shim_strlcpy(out, slash ? slash + 1 : e, 16);    /* TASK_COMM_LEN */
    if (!out[0])
        shim_strlcpy(out, "app", 16);
}

static char state_of(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    /* The process reading this is running, whatever else it has. */
    char s = process_state(p);
    return s == 'S' && p == sched_proc_current() ? 'R' : s;
#else
    (void)p;
    return 'R';
#endif
}

static const char *state_name(char s)
{
    switch (s) {
    case 'S': return "S (sleeping)";
    case 'T': return "T (stopped)";
    case 'Z': return "Z (zombie)";
    default: return "R (running)";
    }
}

/* Resident pages: the process's own memory with the process module (page
 * tables and the private pages it alone holds); without it the whole
 * machine is the process, and its resident set is the RAM in use. */
static unsigned long rss_pages(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return (unsigned long)(sched_proc_memory(p) / 4096);
#else
    (void)p;
    uint64_t total = 0, freeb = 0;
    platform_memory_info(&total, &freeb);
    return (unsigned long)((total - freeb) / 4096);
#endif
}

static int ppid_of(struct proc_ctx *p)
{
#if SHIM_HAVE_process
    return process_ppid(p);
#else
    (void)p;
    return 0;
#endif
}

static void ids_of(struct proc_ctx *p, int *pgid, int *sid)
{
#if SHIM_HAVE_process
    *pgid = process_pgid(p);
    *sid = process_sid(p);
#else
    (void)p;
    *pgid = *sid = 1;
#endif
}

static void gen_status(struct textbuf *tb, struct proc_ctx *p)
{
    char c[16];
    comm(p, c);
    int pid = pid_of(p);
    tb_printf(tb, "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
                  "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmRSS:\t%lu kB\nThreads:\t%d\n",
              c, state_name(state_of(p)), pid, pid, ppid_of(p), rss_pages(p) * 4, sched_proc_threads(p));
}

static void gen_stat(struct textbuf *tb, struct proc_ctx *p)
{
    char c[16];
    comm(p, c);
    int pgid, sid;
    ids_of(p, &pgid, &sid);
    /* CPU time is not accounted per process: the first process is charged
     * the machine's uptime (as when it was the only one), the others 0. */
    unsigned long ticks = pid_of(p) == 1 ? (unsigned long)(platform_monotonic_ns() / 10000000) : 0;  /* USER_HZ */
    unsigned long rss = rss_pages(p);
    /* Fields 1..52 of proc(5); what does not exist here is 0. */
    tb_printf(tb, "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 %d 0 0 %lu %lu "
                  "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
              pid_of(p), c, state_of(p), ppid_of(p), pgid, sid, ticks, sched_proc_threads(p), rss * 4096, rss);
}

static void gen_statm(struct textbuf *tb, struct proc_ctx *p)
{
    unsigned long rss = rss_pages(p);
    tb_printf(tb, "%lu %lu 0 0 0 %lu 0\n", rss, rss, rss);
}

static void gen_comm(struct textbuf *tb, struct proc_ctx *p)
{
    char c[16];
    comm(p, c);
    tb_printf(tb, "%s\n", c);
}

static void gen_cmdline(struct textbuf *tb, struct proc_ctx *p)
{
    size_t len;
    const char *c = vfs_cmdline_of(p, &len);
    tb->p = shim_alloc(len + 1);
    if (!tb->p)
        return;
    memcpy(tb->p, c, len);
    tb->len = len;
    tb->cap = len + 1;
}

static void gen_loadavg(struct textbuf *tb, struct proc_ctx *p)
{
    (void)p;
    int n = 0, last = 1;
    for (struct proc_ctx *q = proc_next(NULL); q; q = proc_next(q)) {
        n++;
        if (pid_of(q) > last)
            last = pid_of(q);
    }
    tb_printf(tb, "0.00 0.00 0.00 1/%d %d\n", n, last);
}

/* A generated text file: vn->data is its generator, vn->priv the pid whose
 * file it is (0: not a process's). */
typedef void (*gen_fn)(struct textbuf *, struct proc_ctx *);

static long text_open(struct vnode *vn, struct file *f)
{
    struct proc_ctx *p = NULL;
    if (vn->priv && !(p = proc_by_pid(vn->priv)))
        return -ESRCH;            /* the process is gone, as Linux answers */
    struct textbuf tb = { 0, 0, 0 };
    ((gen_fn)(uintptr_t)vn->data)(&tb, p);
    f->priv = tb.p;
    f->priv_len = tb.len;
    return 0;
}

static void text_release(struct file *f)
{
    shim_free(f->priv);
}

static long text_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    if (*pos >= f->priv_len)
        return 0;
    size_t c = f->priv_len - (size_t)*pos;
    if (c > n)
        c = n;
    c -= copy_out_nocheck(buf, (char *)f->priv + *pos, c);   /* short at a fault */
    if (c == 0)
        return -EFAULT;
    *pos += c;
    return (long)c;
}

static const struct vnode_ops text_ops = { .open = text_open, .release = text_release, .read = text_read };

/* ---- generated nodes ------------------------------------------------------- */

/* Inode numbers of generated nodes are a function of what they show, so a
 * lookup and readdir agree and tools comparing st_ino see one file. */
#define PID_INO(pid, k) (0x100000000ull + ((uint64_t)(pid) << 6) + (uint64_t)(k))
#define FD_INO(pid, fd) (0x80000000000ull + ((uint64_t)(pid) << 10) + (uint64_t)(fd))

/* A generated node holds a reference on its directory (its destroy drops
 * it): ".." and the paths of open files need the directory to stay. */
static void put_parent(struct vnode *vn) { vnode_put(vn->parent); }

static long gen_node(struct vnode *dir, uint32_t mode, const struct vnode_ops *ops, uint64_t ino, long priv,
                     void *data, struct vnode **out)
{
    struct vnode *vn = vnode_new(mode, ops);
    if (!vn)
        return -ENOMEM;
    vn->ino = ino;
    vn->priv = priv;
    vn->data = data;
    vn->parent = dir;
    vnode_get(dir);
    vn->refs = 1;
    *out = vn;
    return 0;
}

/* A decimal name without leading zeros (a pid, an fd), or -1. */
static long parse_num(const char *name, size_t len)
{
    if (len == 0 || len > 9 || (len > 1 && name[0] == '0'))
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static long copy_link(const char *text, size_t len, char *buf, size_t n)
{
    size_t c = len < n ? len : n;
    memcpy(buf, text, c);
    return (long)c;
}

/* ---- /proc/PID links and the fd directory ------------------------------------ */

/* exe and cwd: priv = the pid. */
static long exe_readlink(struct vnode *vn, char *buf, size_t n)
{
    struct proc_ctx *p = proc_by_pid(vn->priv);
    if (!p)
        return -ENOENT;
    const char *e = vfs_exe_path_of(p);
    size_t len = strlen(e);
    if (!len)
        return -ENOENT;
    return copy_link(e, len, buf, n);
}

static long cwd_readlink(struct vnode *vn, char *buf, size_t n)
{
    struct proc_ctx *p = proc_by_pid(vn->priv);
    if (!p)
        return -ENOENT;
    char path[512];
    size_t len = vfs_path_of(vfs_cwd_of(p), path, sizeof path);
    if (len > sizeof path - 1)
        len = sizeof path - 1;
    return copy_link(path, len, buf, n);
}

static long self_readlink(struct vnode *vn, char *buf, size_t n)
{
    (void)vn;
    char pid[16];
    int len = shim_snprintf(pid, sizeof pid, "%d", pid_of(sched_proc_current()));
    return copy_link(pid, (size_t)len, buf, n);
}

static const struct vnode_ops exe_ops = { .readlink = exe_readlink, .destroy = put_parent };
static const struct vnode_ops cwd_ops = { .readlink = cwd_readlink, .destroy = put_parent };
static const struct vnode_ops self_ops = { .readlink = self_readlink };

/* /proc/PID/fd/N: priv = N; its directory's priv is the pid. */
static struct file *fdlink_file(struct vnode *vn)
{
    struct proc_ctx *p = proc_by_pid(vn->parent->priv);
    return p ? vfs_fd_file_of(p, vn->priv) : NULL;
}

static long fdlink_readlink(struct vnode *vn, char *buf, size_t n)
{
    struct file *f = fdlink_file(vn);
    if (!f)
        return -ENOENT;
    char path[512];
    size_t len;
    uint32_t type = f->vn->mode & K_S_IFMT;
    if (type == K_S_IFIFO && !f->vn->parent)
        len = (size_t)shim_snprintf(path, sizeof path, "pipe:[%lu]", (unsigned long)f->vn->ino);
    else if (type == K_S_IFSOCK)
        len = (size_t)shim_snprintf(path, sizeof path, "socket:[%lu]", (unsigned long)f->vn->ino);
    else if (type == 0)
        len = (size_t)shim_snprintf(path, sizeof path, "anon_inode:[%s]",
                                    f->vn->priv ? (const char *)f->vn->priv : "unknown");
    else if (f->vn->priv >= 0 && f->vn->priv <= 3 && type == K_S_IFCHR && f->vn->rdev == (5 << 8 | 1))
        len = (size_t)shim_snprintf(path, sizeof path, "/dev/console");
    else
        len = vfs_path_of(f->vn, path, sizeof path);
    if (len > sizeof path - 1)
        len = sizeof path - 1;
    return copy_link(path, len, buf, n);
}

static long fdlink_follow(struct vnode *vn, struct vnode **out)
{
    struct file *f = fdlink_file(vn);
    if (!f)
        return -ENOENT;
    vnode_get(f->vn);
    *out = f->vn;
    return 0;
}

static const struct vnode_ops fdlink_ops = { .readlink = fdlink_readlink, .follow = fdlink_follow,
                                             .destroy = put_parent };

static long fddir_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct proc_ctx *p = proc_by_pid(dir->priv);
    long fd = parse_num(name, len);
    if (!p || fd < 0 || !vfs_fd_file_of(p, fd))
        return -ENOENT;
    return gen_node(dir, K_S_IFLNK | 0700, &fdlink_ops, FD_INO(dir->priv, fd), fd, NULL, out);
}

static long fddir_readdir(struct vnode *dir, long idx, struct vfs_dirent *de)
{
    struct proc_ctx *p = proc_by_pid(dir->priv);
    if (!p)
        return 0;
    long seen = 0;
    int top = vfs_fd_max_open_of(p);
    for (int fd = 0; fd <= top; fd++) {
        if (!vfs_fd_file_of(p, fd))
            continue;
        if (seen++ == idx) {
            de->ino = FD_INO(dir->priv, fd);
            de->type = K_DT_LNK;
            shim_snprintf(de->name, sizeof de->name, "%d", fd);
            return 1;
        }
    }
    return 0;
}

static const struct vnode_ops fddir_ops = { .lookup = fddir_lookup, .readdir = fddir_readdir,
                                            .destroy = put_parent };

/* ---- /proc/PID and /proc --------------------------------------------------------- */

static const struct vnode_ops pid_text_ops = { .open = text_open, .release = text_release, .read = text_read,
                                               .destroy = put_parent };

static const struct pid_entry {
    const char *name;
    uint32_t mode;
    const struct vnode_ops *ops;
    gen_fn gen;              /* text files */
} pid_entries[] = {
    { "cmdline", K_S_IFREG | 0444, &pid_text_ops, gen_cmdline },
    { "comm", K_S_IFREG | 0444, &pid_text_ops, gen_comm },
    { "cwd", K_S_IFLNK | 0777, &cwd_ops, NULL },
    { "exe", K_S_IFLNK | 0777, &exe_ops, NULL },
    { "fd", K_S_IFDIR | 0500, &fddir_ops, NULL },
    { "maps", K_S_IFREG | 0444, &pid_text_ops, gen_maps },
    { "mounts", K_S_IFREG | 0444, &pid_text_ops, gen_mounts },
    { "stat", K_S_IFREG | 0444, &pid_text_ops, gen_stat },
    { "statm", K_S_IFREG | 0444, &pid_text_ops, gen_statm },
    { "status", K_S_IFREG | 0444, &pid_text_ops, gen_status },
};
#define N_PID_ENTRIES (sizeof pid_entries / sizeof pid_entries[0])

static uint8_t dtype(uint32_t mode)
{
    return K_S_ISDIR(mode) ? K_DT_DIR : K_S_ISLNK(mode) ? K_DT_LNK : K_DT_REG;
}

/* /proc/PID: priv = the pid. */
static long piddir_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    if (!proc_by_pid(dir->priv))
        return -ENOENT;
    for (size_t i = 0; i < N_PID_ENTRIES; i++) {
        const struct pid_entry *e = &pid_entries[i];
        if (strlen(e->name) == len && memcmp(e->name, name, len) == 0)
            return gen_node(dir, e->mode, e->ops, PID_INO(dir->priv, i + 1), dir->priv,
                            (void *)(uintptr_t)e->gen, out);
    }
    return -ENOENT;
}

static long piddir_readdir(struct vnode *dir, long idx, struct vfs_dirent *de)
{
    if (idx < 0 || (size_t)idx >= N_PID_ENTRIES || !proc_by_pid(dir->priv))
        return 0;
    const struct pid_entry *e = &pid_entries[idx];
    de->ino = PID_INO(dir->priv, idx + 1);
    de->type = dtype(e->mode);
    shim_strlcpy(de->name, e->name, sizeof de->name);
    return 1;
}

static const struct vnode_ops piddir_ops = { .lookup = piddir_lookup, .readdir = piddir_readdir,
                                             .destroy = put_parent };

/* /proc itself: its static entries (self, cpuinfo ...), then one directory
 * per live process. */
static long proc_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    long pid = parse_num(name, len);
    if (pid <= 0 || !proc_by_pid(pid))
        return -ENOENT;
    return gen_node(dir, K_S_IFDIR | 0555, &piddir_ops, PID_INO(pid, 0), pid, NULL, out);
}

static long proc_readdir(struct vnode *dir, long idx, struct vfs_dirent *de)
{
    (void)dir;
    long seen = 0;
    for (struct proc_ctx *p = proc_next(NULL); p; p = proc_next(p)) {
        if (seen++ == idx) {
            de->ino = PID_INO(pid_of(p), 0);
            de->type = K_DT_DIR;
            shim_snprintf(de->name, sizeof de->name, "%d", pid_of(p));
            return 1;
        }
    }
    return 0;
}

static const struct vnode_ops proc_dir_ops = { .lookup = proc_lookup, .readdir = proc_readdir };
static const struct vnode_ops ro_dir_ops;

static void add(const char *path, uint32_t mode, const struct vnode_ops *ops, gen_fn gen)
{
    struct vnode *vn = vnode_new(mode, ops);
    if (!vn)
        return;
    vn->data = (void *)(uintptr_t)gen;
    if (vfs_install(path, vn) < 0) {
        vn->refs++;
        vnode_put(vn);
    }
}

static void add_text(const char *path, gen_fn g)
{
    add(path, K_S_IFREG | 0444, &text_ops, g);
}

static void make_readonly(const char *path)
{
    struct vnode *d = vfs_mkdir_p(path);
    if (d)
        d->ops = &ro_dir_ops;    /* no mknode: the app cannot create here */
}

void procfs_init(void)
{
    add("/proc/self", K_S_IFLNK | 0777, &self_ops, NULL);
    add_text("/proc/cpuinfo", gen_cpuinfo);
    add_text("/proc/meminfo", gen_meminfo);
    add_text("/proc/mounts", gen_mounts);
    add_text("/proc/uptime", gen_uptime);
    add_text("/proc/loadavg", gen_loadavg);
    add_text("/proc/sys/kernel/pid_max", gen_pid_max);
    add_text("/sys/devices/system/cpu/online", gen_cpu0);
    add_text("/sys/devices/system/cpu/possible", gen_cpu0);
    add_text("/sys/devices/system/cpu/present", gen_cpu0);
    vfs_mkdir_p("/sys/devices/system/cpu/cpu0");     /* glibc's get_nprocs_conf counts these */
    struct vnode *proc = vfs_mkdir_p("/proc");
    if (proc)
        proc->ops = &proc_dir_ops;   /* PID directories; no mknode: read-only */
    make_readonly("/proc/sys/kernel");
    make_readonly("/proc/sys");
    make_readonly("/sys/devices/system/cpu/cpu0");
    make_readonly("/sys/devices/system/cpu");
    make_readonly("/sys/devices/system");
    make_readonly("/sys/devices");
    make_readonly("/sys");
}
