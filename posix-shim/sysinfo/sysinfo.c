/* posix-shim/sysinfo (module.conf): uname, sysinfo, rlimits, affinity, ids. */
#include "shim/shim.h"
#include "shim/sched.h"
#include "shim/sysinfo.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif
#include "shim/uaccess.h"
#include "shim/kernel.h"

struct utsname_k { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; };

static void setstr(char *d, const char *s)
{
    shim_strlcpy(d, s, 65);
}

SHIM_SYSCALL(uname)
{
    struct utsname_k uk, *u = &uk;
    memset(u, 0, sizeof *u);
    /* glibc checks the release against its minimum kernel version, so it
     * must look like a recent Linux. */
    setstr(u->sysname, "Linux");
    setstr(u->nodename, "port-app");
    setstr(u->release, "6.1.0-port-app");
    setstr(u->version, "#1 SMP port-app unikernel");
    setstr(u->machine, "x86_64");
    setstr(u->domainname, "(none)");
    return copy_to_user(name, u, sizeof *u) ? -EFAULT : 0;
}

struct sysinfo_k {
    long uptime;
    unsigned long loads[3];
    unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    unsigned short procs, pad;
    unsigned long totalhigh, freehigh;
    unsigned int mem_unit;
    char f[20 - 2 * sizeof(long) - sizeof(int)];
};

SHIM_SYSCALL(sysinfo)
{
    struct sysinfo_k sik, *si = &sik;
    uint64_t total, avail;
    platform_memory_info(&total, &avail);
    memset(si, 0, sizeof *si);
    si->uptime = (long)(platform_monotonic_ns() / 1000000000ull);
    si->totalram = total;
    si->freeram = avail;
#if SHIM_HAVE_process
    si->procs = 0;
    for (struct proc_ctx *p = process_next(NULL); p; p = process_next(p))
        si->procs++;
#else
    si->procs = 1;
#endif
    si->mem_unit = 1;
    return copy_to_user(info, si, sizeof *si) ? -EFAULT : 0;
}

/* ---- resource limits ---- */
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0UL)
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIMIT_NPROC 6
struct rlimit_k { unsigned long cur, max; };

/* Limits are per process (a fork child inherits a copy: the default
 * fork hook copies the bytes; exec keeps them), kept in the platform's
 * per-process area (shim/sched.h). */
static size_t limits_offset;
static void creds_init(void);
#define limits ((struct rlimit_k *)sched_proc_local_current(limits_offset))

void sysinfo_init(void);
void sysinfo_init(void)
{
    limits_offset = sched_proc_local_claim("sysinfo", RLIM_NLIMITS * sizeof(struct rlimit_k), NULL);
    for (int i = 0; i < RLIM_NLIMITS; i++)
        limits[i] = (struct rlimit_k){ RLIM_INFINITY, RLIM_INFINITY };
    limits[RLIMIT_STACK] = (struct rlimit_k){ 8UL << 20, RLIM_INFINITY };   /* the loader maps 8 MiB */
    limits[RLIMIT_NOFILE] = (struct rlimit_k){ 1024, 4096 };
    limits[RLIMIT_NPROC] = (struct rlimit_k){ SYSINFO_NPROC_MAX, SYSINFO_NPROC_MAX };
    limits[8] = (struct rlimit_k){ 8UL << 20, 8UL << 20 };                 /* MEMLOCK */
    limits[4] = (struct rlimit_k){ 0, RLIM_INFINITY };                     /* CORE */
    creds_init();
}

unsigned long sysinfo_rlimit_cur(int resource)
{
    return resource >= 0 && resource < RLIM_NLIMITS ? limits[resource].cur : RLIM_INFINITY;
}

/* new, old: kernel copies (NULL: none). */
static long do_prlimit(unsigned int resource, const struct rlimit_k *n, struct rlimit_k *old)
{
    if (resource >= RLIM_NLIMITS)
        return -EINVAL;
    struct rlimit_k *lim = &limits[resource];
    if (old)
        *old = *lim;
    if (n) {
        if (n->cur > n->max)
            return -EINVAL;
        if (n->max > lim->max)
            return -EPERM;   /* raising the hard limit: not even root may here */
        *lim = *n;
    }
    return 0;
}

SHIM_SYSCALL(prlimit64)
{
    struct rlimit_k n, old;
    if (new_rlim && copy_from_user(&n, new_rlim, sizeof n))
        return -EFAULT;
#if SHIM_HAVE_process
    if (pid != 0 && pid != process_pid(sched_proc_current()))
        return pid > 0 && process_find(pid) ? -EPERM : -ESRCH;   /* only our own */
#else
    if (pid != 0 && pid != 1)
        return -ESRCH;
#endif
    long r = do_prlimit(resource, new_rlim ? &n : NULL, &old);
    if (r == 0 && old_rlim && copy_to_user(old_rlim, &old, sizeof old))
        return -EFAULT;
    return r;
}

SHIM_SYSCALL(getrlimit)
{
    struct rlimit_k old;
    long r = do_prlimit(resource, NULL, &old);
    if (r == 0 && copy_to_user(rlim, &old, sizeof old))
        return -EFAULT;
    return r;
}

SHIM_SYSCALL(setrlimit)
{
    struct rlimit_k n;
    if (copy_from_user(&n, rlim, sizeof n))
        return -EFAULT;
    return do_prlimit(resource, &n, NULL);
}

/* ---- CPU affinity: one CPU ---- */
SHIM_SYSCALL(sched_getaffinity)
{
#if SHIM_HAVE_process
    if (pid != 0 && pid != process_pid(sched_proc_current()))
        return pid > 0 && process_find(pid) ? -EPERM : -ESRCH;   /* only our own */
#else
    if (pid != 0 && pid != 1)
        return -ESRCH;
#endif
    if (len < sizeof(unsigned long) || (len & (sizeof(unsigned long) - 1)))
        return -EINVAL;
    unsigned long mask = 1;
    if (copy_to_user(user_mask_ptr, &mask, sizeof mask))
        return -EFAULT;
    return sizeof mask;   /* bytes the kernel's mask occupies */
}

SHIM_SYSCALL(sched_setaffinity)
{
#if SHIM_HAVE_process
    if (pid != 0 && pid != process_pid(sched_proc_current()))
        return pid > 0 && process_find(pid) ? -EPERM : -ESRCH;   /* only our own */
#else
    if (pid != 0 && pid != 1)
        return -ESRCH;
#endif
    /* Linux reads min(len, its mask size) bytes: ours is one long. */
    unsigned long mask = 0;
    if (len < 1)
        return -EINVAL;
    if (copy_from_user(&mask, user_mask_ptr, len < sizeof mask ? len : sizeof mask))
        return -EFAULT;
    if (!(mask & 1))
        return -EINVAL;   /* a mask without CPU 0 names no CPU that exists */
    return 0;
}

/* ---- users and groups ----
 * The app starts as root (uid 0, gid 0), like a container's init, or as
 * the user the kernel command line names (portapp.user=UID:GID, a recipe's
 * `user:`: postgres refuses to run as root). Ids may
 * change as Linux allows (root sets anything; others only among their
 * real, effective and saved ids) and are per process, inherited by fork
 * and kept by exec: nginx's workers become nobody. The ids are what the
 * calls report; the vfs does not check permissions against them. */
#define NGROUPS_KEPT 32
struct creds {
    unsigned ruid, euid, suid, rgid, egid, sgid;
    int ngroups;
    unsigned groups[NGROUPS_KEPT];
};
static size_t creds_offset;
static struct creds *my_creds(void)
{
    return sched_proc_local_current(creds_offset);
}

static bool creds_ready;     /* vfs asks for the owner of new files from boot on */

static void creds_init(void)
{
    creds_offset = sched_proc_local_claim("sysinfo ids", sizeof(struct creds), NULL);
    memset(my_creds(), 0, sizeof(struct creds));
    creds_ready = true;
}

/* A decimal id at *p (advanced past it); -1 if none or too large. */
static long parse_id(const char **p)
{
    long n = -1;
    while (**p >= '0' && **p <= '9') {
        n = (n < 0 ? 0 : n * 10) + (**p - '0');
        if (n > 0x7fffffffL)
            return -1;
        (*p)++;
    }
    return n;
}

void sysinfo_boot_ids(const char *cmdline)
{
    static const char key[] = "portapp.user=";
    for (const char *w = cmdline; *w; ) {
        while (*w == ' ')
            w++;
        if (strncmp(w, key, sizeof key - 1) == 0) {
            const char *p = w + sizeof key - 1;
            long uid = parse_id(&p), gid = -1;
            if (*p == ':') {
                p++;
                gid = parse_id(&p);
            }
            if (uid < 0 || gid < 0 || (*p && *p != ' ')) {
                /* port-app writes it: a bad one is a bug there, said once, the app stays root */
                shim_printk("[kernel] portapp.user: not UID:GID, ignored\n");
                return;
            }
            struct creds *c = my_creds();
            c->ruid = c->euid = c->suid = (unsigned)uid;
            c->rgid = c->egid = c->sgid = (unsigned)gid;
            c->ngroups = 1;                     /* as login: the primary group */
            c->groups[0] = (unsigned)gid;
        }
        while (*w && *w != ' ')
            w++;
    }
}

void sysinfo_fs_ids(uint32_t *uid, uint32_t *gid)
{
    if (!creds_ready) {
        *uid = *gid = 0;
        return;
    }
    const struct creds *c = my_creds();
    *uid = c->euid;
    *gid = c->egid;
}

SHIM_SYSCALL(getuid) { return my_creds()->ruid; }
SHIM_SYSCALL(geteuid) { return my_creds()->euid; }
SHIM_SYSCALL(getgid) { return my_creds()->rgid; }
SHIM_SYSCALL(getegid) { return my_creds()->egid; }

SHIM_SYSCALL(getresuid)
{
    const struct creds *c = my_creds();
    return put_user(c->ruid, ruid) || put_user(c->euid, euid) || put_user(c->suid, suid) ? -EFAULT : 0;
}

SHIM_SYSCALL(getresgid)
{
    const struct creds *c = my_creds();
    return put_user(c->rgid, rgid) || put_user(c->egid, egid) || put_user(c->sgid, sgid) ? -EFAULT : 0;
}

SHIM_SYSCALL(getgroups)
{
    const struct creds *c = my_creds();
    if (gidsetsize < 0)
        return -EINVAL;
    if (gidsetsize == 0)
        return c->ngroups;
    if (gidsetsize < c->ngroups)
        return -EINVAL;
    return copy_to_user(grouplist, c->groups, (size_t)c->ngroups * sizeof(unsigned)) ? -EFAULT : c->ngroups;
}

/* Whether id (not -1) is one a non-root process may take: one of its own. */
static int own_id(unsigned id, unsigned r, unsigned e, unsigned s) { return id == r || id == e || id == s; }

/* setres[ug]id's rule, for ids r/e/s of triple (pr, pe, ps); -1 keeps. */
static long set_res(unsigned *pr, unsigned *pe, unsigned *ps, long r, long e, long s, int root)
{
    unsigned nr = (unsigned)r, ne = (unsigned)e, ns = (unsigned)s;
    if (!root && ((r != -1 && !own_id(nr, *pr, *pe, *ps)) || (e != -1 && !own_id(ne, *pr, *pe, *ps)) ||
                  (s != -1 && !own_id(ns, *pr, *pe, *ps))))
        return -EPERM;
    if (r != -1)
        *pr = nr;
    if (e != -1)
        *pe = ne;
    if (s != -1)
        *ps = ns;
    return 0;
}

SHIM_SYSCALL(setuid)
{
    struct creds *c = my_creds();
    if ((int)uid < 0)
        return -EINVAL;
    if (c->euid == 0) {      /* root: all three, as Linux */
        c->ruid = c->euid = c->suid = uid;
        return 0;
    }
    if (uid != c->ruid && uid != c->suid)
        return -EPERM;
    c->euid = uid;
    return 0;
}

SHIM_SYSCALL(setgid)
{
    struct creds *c = my_creds();
    if ((int)gid < 0)
        return -EINVAL;
    if (c->euid == 0) {
        c->rgid = c->egid = c->sgid = gid;
        return 0;
    }
    if (gid != c->rgid && gid != c->sgid)
        return -EPERM;
    c->egid = gid;
    return 0;
}

SHIM_SYSCALL(setresuid)
{
    struct creds *c = my_creds();
    return set_res(&c->ruid, &c->euid, &c->suid, (int)ruid, (int)euid, (int)suid, c->euid == 0);
}

SHIM_SYSCALL(setresgid)
{
    struct creds *c = my_creds();
    return set_res(&c->rgid, &c->egid, &c->sgid, (int)rgid, (int)egid, (int)sgid, c->euid == 0);
}

SHIM_SYSCALL(setgroups)
{
    struct creds *c = my_creds();
    if (c->euid != 0)
        return -EPERM;
    if (gidsetsize < 0 || gidsetsize > 65536)
        return -EINVAL;
    unsigned g[NGROUPS_KEPT];
    int n = gidsetsize < NGROUPS_KEPT ? gidsetsize : NGROUPS_KEPT;   /* the rest is dropped */
    if (n && copy_from_user(g, grouplist, (size_t)n * sizeof(unsigned)))
        return -EFAULT;
    memcpy(c->groups, g, (size_t)n * sizeof(unsigned));
    c->ngroups = n;
    return 0;
}

static int nice_value;
/* getpriority returns 20 - nice (the raw syscall's convention). */
SHIM_SYSCALL(getpriority) { return 20 - nice_value; }
SHIM_SYSCALL(setpriority)
{
    long n = niceval < -20 ? -20 : niceval > 19 ? 19 : niceval;
    nice_value = (int)n;
    return 0;
}
