/* posix-shim/proc: process identity and exit (module.conf). */
#include "shim/shim.h"
#include "shim/kernel.h"

#define APP_PID 1

static char comm[16] = "app";
static int dumpable = 1;

/* The thread module (when linked) ends the calling thread; it returns only
 * for the last thread, and then the process ends with it. */
void shim_thread_exit(int code) __attribute__((weak));

long sys_exit(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    if (shim_thread_exit)
        shim_thread_exit((int)a0);
    platform_abort((int)(a0 & 0xff));
}

long sys_exit_group(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    platform_abort((int)(a0 & 0xff));
}

long sys_getpid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return APP_PID; }
long sys_getppid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return 0; }
long sys_getpgrp(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return APP_PID; }
long sys_getsid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return (a0 == 0 || a0 == APP_PID) ? APP_PID : -ESRCH; }
long sys_getpgid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return (a0 == 0 || a0 == APP_PID) ? APP_PID : -ESRCH; }
long sys_setpgid(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    return ((a0 == 0 || a0 == APP_PID) && (a1 == 0 || a1 == APP_PID)) ? 0 : -ESRCH;
}
/* Already a session leader (pid 1 of its own session). */
long sys_setsid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return -EPERM; }
long sys_getcpu(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    if (a0)
        *(unsigned *)a0 = 0;
    if (a1)
        *(unsigned *)a1 = 0;
    return 0;
}

/* No children can exist. */
long sys_wait4(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return -ECHILD; }
long sys_waitid(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return -ECHILD; }

/* glibc and musl probe rseq and work without it. */
long sys_rseq(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return -ENOSYS; }

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

long sys_arch_prctl(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    switch (a0) {
    case ARCH_SET_FS:
        if ((unsigned long)a1 >= 0x0000800000000000UL)
            return -EPERM;   /* not a lower-half (app) address */
        platform_set_fs_base((uintptr_t)a1);
        return 0;
    case ARCH_GET_FS:
        *(unsigned long *)a1 = platform_get_fs_base();
        return 0;
    case ARCH_GET_GS:
        *(unsigned long *)a1 = 0;
        return 0;
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

long sys_prctl(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    switch (a0) {
    case PR_SET_NAME: {
        const char *s = (const char *)a1;
        size_t i = 0;
        for (; i < sizeof comm - 1 && s[i]; i++)
            comm[i] = s[i];
        comm[i] = 0;
        return 0;
    }
    case PR_GET_NAME:
        memcpy((void *)a1, comm, sizeof comm);
        return 0;
    case PR_GET_DUMPABLE:
        return dumpable;
    case PR_SET_DUMPABLE:
        if (a1 != 0 && a1 != 1)
            return -EINVAL;
        dumpable = (int)a1;
        return 0;
    case PR_SET_PDEATHSIG:
        return 0;   /* the parent (the VM) never dies before us */
    case PR_GET_PDEATHSIG:
        *(int *)a1 = 0;
        return 0;
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

long sys_fork(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return unavailable("fork"); }
long sys_vfork(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return unavailable("vfork"); }
long sys_execve(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return unavailable("execve"); }
long sys_execveat(SHIM_SYSCALL_ARGS) { SHIM_UNUSED_ARGS6; return unavailable("execveat"); }
