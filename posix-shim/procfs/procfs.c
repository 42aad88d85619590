/* procfs: the few /proc and /sys files that libcs and small tools read.
 *
 *   /proc/self          symlink to "1", the one process (as getpid says)
 *   /proc/self/exe      symlink to the app's path (vfs_set_exe_path)
 *   /proc/self/cwd      symlink to the current directory
 *   /proc/self/fd/N     "magic" links: following one reaches the open file
 *                       itself (so /dev/stdin works on a pipe), readlink
 *                       gives its path ("pipe:[ino]" for pipes)
 *   /proc/self/maps     from the mm module's mm_format_maps (empty without)
 *   /proc/self/{stat,statm,status}  the machine's RAM in use as the RSS
 *   /proc/cpuinfo       from CPUID; /proc/{meminfo,mounts,uptime,loadavg}
 *   /sys/devices/system/cpu/{online,possible,present}  "0\n" (one CPU)
 *
 * Text files are generated when opened and read from that snapshot. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/kernel.h"
#include "shim/mm.h"


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

static void gen_cpuinfo(struct textbuf *tb)
{
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

static void gen_meminfo(struct textbuf *tb)
{
    uint64_t total = 0, freeb = 0;
    platform_memory_info(&total, &freeb);
    tb_printf(tb, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
              (unsigned long)(total >> 10), (unsigned long)(freeb >> 10), (unsigned long)(freeb >> 10));
    tb_printf(tb, "Buffers:               0 kB\nCached:                0 kB\n"
                  "SwapTotal:             0 kB\nSwapFree:              0 kB\n");
    tb_printf(tb, "Slab:           %8lu kB\n", (unsigned long)(shim_heap_pages_in_use() * 4));
}

/* The mm module's text when it is selected; empty without it. */
static void gen_maps(struct textbuf *tb)
{
#if SHIM_HAVE_mm
    size_t need = mm_format_maps(NULL, 0);
    tb->p = shim_alloc(need + 1);
    if (!tb->p)
        return;
    tb->cap = need + 1;
    tb->len = mm_format_maps(tb->p, need + 1);
    if (tb->len > need)
        tb->len = need;
#else
    (void)tb;
#endif
}

static void gen_mounts(struct textbuf *tb)
{
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

static void gen_uptime(struct textbuf *tb)
{
    uint64_t ns = platform_monotonic_ns();
    tb_printf(tb, "%lu.%02lu 0.00\n", (unsigned long)(ns / 1000000000),
              (unsigned long)(ns / 10000000 % 100));
}

static void gen_cpu0(struct textbuf *tb) { tb_printf(tb, "0\n"); }

static void comm(char out[16]);
static unsigned long rss_pages(void);

static void gen_status(struct textbuf *tb)
{
    char c[16];
    comm(c);
    tb_printf(tb, "Name:\t%s\nState:\tR (running)\nTgid:\t1\nPid:\t1\nPPid:\t0\n"
                  "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmRSS:\t%lu kB\nThreads:\t1\n",
              c, rss_pages() * 4);
}

static void comm(char out[16])
{
    const char *p = vfs_exe_path(), *slash = strrchr(p, '/');
    shim_strlcpy(out, slash ? slash + 1 : p, 16);    /* TASK_COMM_LEN */
    if (!out[0])
        shim_strlcpy(out, "app", 16);
}

/* The whole machine is the process: its resident set is the RAM in use. */
static unsigned long rss_pages(void)
{
    uint64_t total = 0, freeb = 0;
    platform_memory_info(&total, &freeb);
    return (unsigned long)((total - freeb) / 4096);
}

static void gen_stat(struct textbuf *tb)
{
    char c[16];
    comm(c);
    unsigned long ticks = (unsigned long)(platform_monotonic_ns() / 10000000);   /* USER_HZ 100 */
    unsigned long rss = rss_pages();
    /* Fields 1..52 of proc(5); what does not exist here is 0. */
    tb_printf(tb, "1 (%s) R 0 1 1 0 -1 4194560 0 0 0 0 %lu 0 0 0 20 0 1 0 0 %lu %lu "
                  "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
              c, ticks, rss * 4096, rss);
}

static void gen_statm(struct textbuf *tb)
{
    unsigned long rss = rss_pages();
    tb_printf(tb, "%lu %lu 0 0 0 %lu 0\n", rss, rss, rss);
}

static void gen_cmdline(struct textbuf *tb)
{
    size_t len;
    const char *p = vfs_cmdline(&len);
    tb->p = shim_alloc(len + 1);
    if (!tb->p)
        return;
    memcpy(tb->p, p, len);
    tb->len = len;
    tb->cap = len + 1;
}

static void gen_loadavg(struct textbuf *tb) { tb_printf(tb, "0.00 0.00 0.00 1/1 1\n"); }

typedef void (*gen_fn)(struct textbuf *);

static long text_open(struct vnode *vn, struct file *f)
{
    struct textbuf tb = { 0, 0, 0 };
    ((gen_fn)(uintptr_t)vn->priv)(&tb);
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

/* ---- /proc/self links and the fd directory ------------------------------- */

static long exe_readlink(struct vnode *vn, char *buf, size_t n)
{
    (void)vn;
    const char *p = vfs_exe_path();
    size_t len = strlen(p);
    if (!len)
        return -ENOENT;
    size_t c = len < n ? len : n;
    memcpy(buf, p, c);
    return (long)c;
}

static long cwd_readlink(struct vnode *vn, char *buf, size_t n)
{
    (void)vn;
    char path[512];
    size_t len = vfs_path_of(vfs_cwd_vnode(), path, sizeof path);
    if (len > sizeof path - 1)
        len = sizeof path - 1;
    size_t c = len < n ? len : n;
    memcpy(buf, path, c);
    return (long)c;
}

static long self_readlink(struct vnode *vn, char *buf, size_t n)
{
    (void)vn;
    if (n == 0)
        return 0;
    buf[0] = '1';
    return 1;
}

static const struct vnode_ops exe_ops = { .readlink = exe_readlink };
static const struct vnode_ops self_ops = { .readlink = self_readlink };
static const struct vnode_ops cwd_ops = { .readlink = cwd_readlink };

/* /proc/self/fd/N: priv = N. The vnode lives while looked-up or opened. */
static long fdlink_readlink(struct vnode *vn, char *buf, size_t n)
{
    struct file *f = fd_file(vn->priv);
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
    size_t c = len < n ? len : n;
    memcpy(buf, path, c);
    return (long)c;
}

static long fdlink_follow(struct vnode *vn, struct vnode **out)
{
    struct file *f = fd_file(vn->priv);
    if (!f)
        return -ENOENT;
    vnode_get(f->vn);
    *out = f->vn;
    return 0;
}

static const struct vnode_ops fdlink_ops = { .readlink = fdlink_readlink, .follow = fdlink_follow };

static long fddir_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    long fd = 0;
    if (len == 0 || len > 4)
        return -ENOENT;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -ENOENT;
        fd = fd * 10 + (name[i] - '0');
    }
    if ((len > 1 && name[0] == '0') || !fd_file(fd))
        return -ENOENT;
    struct vnode *vn = vnode_new(K_S_IFLNK | 0700, &fdlink_ops);
    if (!vn)
        return -ENOMEM;
    vn->priv = fd;
    vn->parent = dir;
    vn->refs = 1;
    *out = vn;
    return 0;
}

static long fddir_readdir(struct vnode *dir, long idx, struct vfs_dirent *de)
{
    (void)dir;
    long seen = 0;
    for (int fd = 0; fd <= fd_max_open(); fd++) {
        if (!fd_file(fd))
            continue;
        if (seen++ == idx) {
            de->ino = 0x10000 + (uint64_t)fd;
            de->type = K_DT_LNK;
            shim_snprintf(de->name, sizeof de->name, "%d", fd);
            return 1;
        }
    }
    return 0;
}

static const struct vnode_ops fddir_ops = { .lookup = fddir_lookup, .readdir = fddir_readdir };
static const struct vnode_ops ro_dir_ops;

static void add(const char *path, uint32_t mode, const struct vnode_ops *ops, long priv)
{
    struct vnode *vn = vnode_new(mode, ops);
    if (!vn)
        return;
    vn->priv = priv;
    if (vfs_install(path, vn) < 0) {
        vn->refs++;
        vnode_put(vn);
    }
}

static void add_text(const char *path, gen_fn g)
{
    add(path, K_S_IFREG | 0444, &text_ops, (long)(uintptr_t)g);
}

static void make_readonly(const char *path)
{
    struct vnode *d = vfs_mkdir_p(path);
    if (d)
        d->ops = &ro_dir_ops;    /* no mknode: the app cannot create here */
}

void procfs_init(void)
{
    /* The one process is pid 1 (the proc module's getpid); /proc/self links
     * to it, as on Linux. */
    add("/proc/1/exe", K_S_IFLNK | 0777, &exe_ops, 0);
    add("/proc/1/cwd", K_S_IFLNK | 0777, &cwd_ops, 0);
    add("/proc/1/fd", K_S_IFDIR | 0500, &fddir_ops, 0);
    add_text("/proc/1/maps", gen_maps);
    add_text("/proc/1/status", gen_status);
    add_text("/proc/1/stat", gen_stat);
    add_text("/proc/1/cmdline", gen_cmdline);
    add_text("/proc/1/statm", gen_statm);
    add_text("/proc/1/mounts", gen_mounts);
    add("/proc/self", K_S_IFLNK | 0777, &self_ops, 0);
    add_text("/proc/cpuinfo", gen_cpuinfo);
    add_text("/proc/meminfo", gen_meminfo);
    add_text("/proc/mounts", gen_mounts);
    add_text("/proc/uptime", gen_uptime);
    add_text("/proc/loadavg", gen_loadavg);
    add_text("/sys/devices/system/cpu/online", gen_cpu0);
    add_text("/sys/devices/system/cpu/possible", gen_cpu0);
    add_text("/sys/devices/system/cpu/present", gen_cpu0);
    vfs_mkdir_p("/sys/devices/system/cpu/cpu0");     /* glibc's get_nprocs_conf counts these */
    make_readonly("/proc/1");
    make_readonly("/proc");
    make_readonly("/sys/devices/system/cpu/cpu0");
    make_readonly("/sys/devices/system/cpu");
    make_readonly("/sys/devices/system");
    make_readonly("/sys/devices");
    make_readonly("/sys");
}
