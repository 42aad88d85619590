/* Test input for LinuxuPlatformTest: built with musl-gcc -static-pie and
 * with glibc -static, run natively and under portapp-linuxu (rewritten and
 * not). Exercises what the loader and the fallback path must get right:
 * argv/envp/auxv, /proc/self/exe, -EFAULT from the intercepted calls, the
 * loader's address range left alone, brk,
 * threads (clone/clone3 with a new stack; a detached one unmapping its own
 * stack on exit), signal delivery and return (rt_sigreturn), sigaltstack,
 * fork + wait, vfork + exec, posix_spawn. Prints facts only
 * (no pids or addresses). Exits 5 when argv[1] is "fail". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int sig_seen;
static void on_usr1(int s) { sig_seen = s; }

static char altstack[64 * 1024];
static volatile int on_alt;
static void on_usr2(int s)
{
    char here;
    on_alt = s == SIGUSR2 && &here >= altstack && &here < altstack + sizeof altstack;
}

static void *worker(void *arg)
{
    long *v = arg;
    *v *= 2;
    return v;
}

static volatile pid_t detached_tid;
static void *detached(void *arg)
{
    detached_tid = (pid_t)syscall(SYS_gettid);
    return arg;   /* musl: a detached thread unmaps its own stack, then exits */
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    printf("env PROBE_VAR=%s\n", getenv("PROBE_VAR") ? getenv("PROBE_VAR") : "(unset)");

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n < 0 ? 0 : n] = 0;
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("exe=%s execfn=%s\n", exe, execfn ? execfn : "(none)");
    printf("pagesz=%lu random=%s\n", getauxval(AT_PAGESZ), getauxval(AT_RANDOM) ? "yes" : "no");

    /* Bad pointers to the calls the loader intercepts: -EFAULT, as natively. */
    char buf[16];
    void *bad = (void *)16;
    int efault = 0;
    efault += syscall(SYS_readlink, bad, buf, sizeof buf) == -1 && errno == EFAULT;
    efault += syscall(SYS_readlink, "/proc/self/exe", bad, sizeof buf) == -1 && errno == EFAULT;
    efault += syscall(SYS_rt_sigaction, SIGUSR2, bad, NULL, 8) == -1 && errno == EFAULT;
    efault += syscall(SYS_rt_sigaction, SIGSYS, NULL, bad, 8) == -1 && errno == EFAULT;
    efault += syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad, NULL, 8) == -1 && errno == EFAULT;
    efault += syscall(SYS_execve, bad, NULL, NULL) == -1 && errno == EFAULT;
    char *bad_argv[] = { "x", bad, NULL };
    efault += syscall(SYS_execve, "/bin/busybox", bad_argv, NULL) == -1 && errno == EFAULT;
    printf("efault=%d/7\n", efault);

    /* Where the loader sits nothing is mapped natively: the app must get
     * the same answers there, and must not be able to break the loader. */
    void *lr = (void *)0x200000000000UL;
    int mu = munmap(lr, 1 << 20);
    int mp = mprotect(lr, 4096, PROT_READ);
    int mp_errno = errno;
    int ma = madvise(lr, 1 << 20, MADV_DONTNEED);
    int ma_errno = errno;
    printf("loader-range munmap=%d mprotect=%s madvise=%s\n", mu, mp == -1 && mp_errno == ENOMEM ? "ENOMEM" : "?",
           ma == -1 && ma_errno == ENOMEM ? "ENOMEM" : "?");

    /* musl's sbrk refuses to move the break: use the raw syscall. */
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + (1 << 20));
    if (b1 != b0 + (1 << 20)) {
        printf("brk failed\n");
        return 2;
    }
    memset(b0, 7, 1 << 20);
    printf("brk-grew=yes shrink=%s\n", (char *)syscall(SYS_brk, b0) == b0 ? "yes" : "no");

    long vals[4] = { 1, 2, 3, 4 };
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, worker, &vals[i]) != 0)
            return 3;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("threads=%ld,%ld,%ld,%ld\n", vals[0], vals[1], vals[2], vals[3]);

    pthread_t d;
    pthread_attr_t da;
    pthread_attr_init(&da);
    pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&d, &da, detached, NULL) != 0)
        return 3;
    int gone = 0;
    for (int i = 0; i < 5000 && !gone; i++) {   /* up to 5 s */
        usleep(1000);
        gone = detached_tid && syscall(SYS_tgkill, getpid(), detached_tid, 0) == -1 && errno == ESRCH;
    }
    printf("detached-thread-exited=%s\n", gone ? "yes" : "no");

    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("signal=%s\n", sig_seen == SIGUSR1 ? "delivered" : "lost");

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 }, cur;
    struct sigaction sa2;
    memset(&sa2, 0, sizeof sa2);
    sa2.sa_handler = on_usr2;
    sa2.sa_flags = SA_ONSTACK;
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR2, &sa2, NULL) != 0 || sigaltstack(NULL, &cur) != 0)
        return 6;
    raise(SIGUSR2);
    printf("altstack=%s handler-on-altstack=%s\n", cur.ss_sp == altstack ? "set" : "lost", on_alt ? "yes" : "no");

    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(42);
    int st = 0;
    waitpid(c, &st, 0);
    printf("fork-child-exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    fflush(stdout);
    c = vfork();
    if (c == 0) {
        execl("/bin/busybox", "echo", "exec-ok", (char *)NULL);
        _exit(99);
    }
    waitpid(c, &st, 0);
    printf("vfork-exec-exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* musl's posix_spawn: clone(CLONE_VM | CLONE_VFORK) on a new stack. */
    fflush(stdout);
    char *sargv[] = { "echo", "spawn-ok", NULL };
    extern char **environ;
    if (posix_spawn(&c, "/bin/busybox", NULL, NULL, sargv, environ) != 0)
        return 4;
    waitpid(c, &st, 0);
    printf("spawn-exit=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return argc > 1 && strcmp(argv[1], "fail") == 0 ? 5 : 0;
}
