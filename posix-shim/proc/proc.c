/* posix-shim/proc: process identity and exit (module.conf). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/thread.h"

#define APP_PID 1

static char comm[16] = "app";
static int dumpable = 1;

SHIM_SYSCALL(exit)
{
#if SHIM_HAVE_thread
    /* Ends the calling thread; returns only for the last thread, and then
     * the process ends with it. */
    shim_thread_exit(error_code);
#endif
    platform_abort((int)(error_code & 0xff));
}

SHIM_SYSCALL(exit_group)
{
    platform_abort((int)(error_code & 0xff));
}

SHIM_SYSCALL(getpid) { return APP_PID; }
SHIM_SYSCALL(getppid) { return 0; }
SHIM_SYSCALL(getpgrp) { return APP_PID; }
SHIM_SYSCALL(getsid) { return (pid == 0 || pid == APP_PID) ? APP_PID : -ESRCH; }
SHIM_SYSCALL(getpgid) { return (pid == 0 || pid == APP_PID) ? APP_PID : -ESRCH; }
SHIM_SYSCALL(setpgid)
{
    return ((pid == 0 || pid == APP_PID) && (pgid == 0 || pgid == APP_PID)) ? 0 : -ESRCH;
}
/* Already a session leader (pid 1 of its own session). */
SHIM_SYSCALL(setsid) { return -EPERM; }
SHIM_SYSCALL(getcpu)
{
    if ((cpu && put_user(0u, cpu)) || (node && put_user(0u, node)))
        return -EFAULT;
    return 0;
}

/* No children can exist. */
SHIM_SYSCALL(wait4) { return -ECHILD; }
SHIM_SYSCALL(waitid) { return -ECHILD; }

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
        memcpy(comm, name, sizeof comm);
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_user((void *)arg2, comm, sizeof comm) ? -EFAULT : 0;
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

/* One address space, one process: there is nothing to fork into and no
 * second program to exec. Say so on stderr (one line naming the call) and
 * fail like a kernel without the call. */
static long unavailable(const char *call)
{
    shim_printk("port-app: %s() is not available in the unikernel (single address space); "
                "run that program as its own app\n", call);
    return -ENOSYS;
}

SHIM_SYSCALL(fork) { return unavailable("fork"); }
SHIM_SYSCALL(vfork) { return unavailable("vfork"); }
SHIM_SYSCALL(execve) { return unavailable("execve"); }
SHIM_SYSCALL(execveat) { return unavailable("execveat"); }
