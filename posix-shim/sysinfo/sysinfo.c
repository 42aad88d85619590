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

/* ---- users and groups: root ---- */
SHIM_SYSCALL(getuid) { return 0; }
SHIM_SYSCALL(geteuid) { return 0; }
SHIM_SYSCALL(getgid) { return 0; }
SHIM_SYSCALL(getegid) { return 0; }

SHIM_SYSCALL(getresuid)
{
    return put_user(0u, ruid) || put_user(0u, euid) || put_user(0u, suid) ? -EFAULT : 0;
}

SHIM_SYSCALL(getresgid)
{
    return put_user(0u, rgid) || put_user(0u, egid) || put_user(0u, sgid) ? -EFAULT : 0;
}

SHIM_SYSCALL(getgroups) { return 0; }

/* Only root exists: becoming root again succeeds, anything else cannot. */
SHIM_SYSCALL(setuid) { return uid == 0 ? 0 : -EINVAL; }
SHIM_SYSCALL(setgid) { return gid == 0 ? 0 : -EINVAL; }
static int root_or_keep(long id) { return id == 0 || id == -1; }
SHIM_SYSCALL(setresuid)
{
    return root_or_keep((int)ruid) && root_or_keep((int)euid) && root_or_keep((int)suid) ? 0 : -EINVAL;
}
SHIM_SYSCALL(setresgid)
{
    return root_or_keep((int)rgid) && root_or_keep((int)egid) && root_or_keep((int)sgid) ? 0 : -EINVAL;
}
SHIM_SYSCALL(setgroups) { return gidsetsize == 0 ? 0 : -EINVAL; }

static int nice_value;
/* getpriority returns 20 - nice (the raw syscall's convention). */
SHIM_SYSCALL(getpriority) { return 20 - nice_value; }
SHIM_SYSCALL(setpriority)
{
    long n = niceval < -20 ? -20 : niceval > 19 ? 19 : niceval;
    nice_value = (int)n;
    return 0;
}
