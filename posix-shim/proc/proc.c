/* posix-shim/proc: process identity and exit (module.conf). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/thread.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#endif

#define APP_PID 1

static char comm[16] = "app";
static int dumpable = 1;

SHIM_SYSCALL(exit)
{
#if SHIM_HAVE_thread
    /* Ends the calling thread; returns only for the process's last
     * thread, and then the process ends with it. */
    shim_thread_exit(error_code);
#endif
#if SHIM_HAVE_process
    process_exit(PROCESS_EXITED(error_code));
#else
    platform_abort((int)(error_code & 0xff));
#endif
}

SHIM_SYSCALL(exit_group)
{
#if SHIM_HAVE_process
    process_exit(PROCESS_EXITED(error_code));
#else
    platform_abort((int)(error_code & 0xff));
#endif
}

#define APP_PGID APP_PID
#if SHIM_HAVE_process
/* With the process module: the caller's ids, or those of a live process
 * (pid 0 = the caller; a zombie is not found). Without it: one process,
 * pid 1, leader of its own group and session. */
static struct proc_ctx *target(int pid)
{
    return pid == 0 ? sched_proc_current() : process_find(pid);
}
#endif

SHIM_SYSCALL(getpid)
{
#if SHIM_HAVE_process
    return process_pid(sched_proc_current());
#else
    return APP_PID;
#endif
}

SHIM_SYSCALL(getppid)
{
#if SHIM_HAVE_process
    return process_ppid(sched_proc_current());
#else
    return 0;
#endif
}

SHIM_SYSCALL(getpgrp)
{
#if SHIM_HAVE_process
    return process_pgid(sched_proc_current());
#else
    return APP_PGID;
#endif
}

SHIM_SYSCALL(getsid)
{
#if SHIM_HAVE_process
    struct proc_ctx *p = target(pid);
    return p ? process_sid(p) : -ESRCH;
#else
    return (pid == 0 || pid == APP_PID) ? APP_PID : -ESRCH;
#endif
}

SHIM_SYSCALL(getpgid)
{
#if SHIM_HAVE_process
    struct proc_ctx *p = target(pid);
    return p ? process_pgid(p) : -ESRCH;
#else
    return (pid == 0 || pid == APP_PID) ? APP_PGID : -ESRCH;
#endif
}

SHIM_SYSCALL(setpgid)
{
#if SHIM_HAVE_process
    return process_setpgid(pid, pgid);
#else
    return ((pid == 0 || pid == APP_PID) && (pgid == 0 || pgid == APP_PID)) ? 0 : -ESRCH;
#endif
}

SHIM_SYSCALL(setsid)
{
#if SHIM_HAVE_process
    return process_setsid();
#else
    return -EPERM;   /* already a session leader (pid 1 of its own session) */
#endif
}

SHIM_SYSCALL(getcpu)
{
    if ((cpu && put_user(0u, cpu)) || (node && put_user(0u, node)))
        return -EFAULT;
    return 0;
}

/* glibc and musl probe rseq and work without it. */
SHIM_SYSCALL(rseq) { return -ENOSYS; }

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

SHIM_SYSCALL(arch_prctl)
{
    switch (option) {
    case ARCH_SET_FS:
        if (arg2 >= 0x0000800000000000UL)
            return -EPERM;   /* not a lower-half (app) address */
        platform_set_fs_base((uintptr_t)arg2);
        return 0;
    case ARCH_GET_FS:
        return put_user((unsigned long)platform_get_fs_base(), (unsigned long *)arg2);
    case ARCH_GET_GS:
        return put_user(0ul, (unsigned long *)arg2);
    case ARCH_SET_GS:
        /* GS base points at the kernel's per-CPU data: not the app's. */
        return -EPERM;
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define PR_SET_NAME 15
#define PR_GET_NAME 16

SHIM_SYSCALL(prctl)
{
    switch (option) {
    case PR_SET_NAME: {
        /* At most 15 bytes are read (a longer name is cut), as Linux. */
        char name[sizeof comm];
        long n = strncpy_from_user(name, (const char *)arg2, sizeof comm - 1);
        if (n == -EFAULT)
            return -EFAULT;
        name[n < 0 ? sizeof comm - 1 : (size_t)n] = 0;
#if SHIM_HAVE_process
        process_set_comm(name);
#else
        memcpy(comm, name, sizeof comm);
#endif
        return 0;
    }
    case PR_GET_NAME: {
#if SHIM_HAVE_process
        char name[sizeof comm] = { 0 };
        shim_strlcpy(name, process_comm(sched_proc_current()), sizeof name);
        return copy_to_user((void *)arg2, name, sizeof name) ? -EFAULT : 0;
#else
        return copy_to_user((void *)arg2, comm, sizeof comm) ? -EFAULT : 0;
#endif
    }
    case PR_GET_DUMPABLE:
        return dumpable;
    case PR_SET_DUMPABLE:
        if (arg2 != 0 && arg2 != 1)
            return -EINVAL;
        dumpable = (int)arg2;
        return 0;
    case PR_SET_PDEATHSIG:
        return 0;   /* the parent (the VM) never dies before us */
    case PR_GET_PDEATHSIG:
        return put_user(0, (int *)arg2);
    default:
        return -EINVAL;
    }
}
