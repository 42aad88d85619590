/*
 * badptr: every system call port-app provides that takes a pointer, given
 * bad pointers: NULL, an unmapped page, kernel-half addresses (the unikernel's
 * image base, its text, its direct map of RAM; natively all are kernel
 * memory too), the first non-canonical address, a PROT_NONE page, and an
 * object whose last byte lies on an unmapped page. Each call's result is
 * printed (a count, "ok" where the value itself is not stable, or the errno
 * name); natively Linux returns EFAULT or its documented result and the
 * program keeps running, and so must the shim.
 *
 * Calls go through syscall(2), never libc wrappers: wrappers differ between
 * musl and glibc (and clock_gettime/gettimeofday/time use the vDSO natively,
 * which faults in user space instead of returning EFAULT).
 *
 * Left out on purpose:
 *  - execve/execveat: the unikernel has no second program to exec (it says so
 *    on stderr); fork/vfork likewise.
 *  - clone with CLONE_PARENT_SETTID/CHILD_SETTID on a bad address: Linux
 *    ignores the fault and the thread runs; nothing to compare but "a thread
 *    exists". The thread-exit path is checked instead (bad clear_child_tid and
 *    robust list, below).
 *  - a bad stack for a signal frame kills the process (Linux's force_sigsegv):
 *    `sigdeath altstack` checks that, as its own case.
 *  - getgroups: the native process's supplementary groups vary by host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

/* <linux/futex.h>'s values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_OP_PRIVATE (5 | 128)
#define FUTEX_CMP_REQUEUE_PRIVATE (4 | 128)

#define PAGE 4096

enum { K_NULL, K_UNMAPPED, K_KBASE, K_KTEXT, K_KDMAP, K_NONCANON, K_PROTNONE, K_PARTIAL, NKINDS };
static const char *const kind_name[NKINDS] = {
    "null", "unmapped", "kbase", "ktext", "kdmap", "noncanon", "protnone", "partial",
};

static char *unmapped;   /* a page known to be unmapped */
static char *protnone;   /* a PROT_NONE page */
static char *edge;       /* the end of a mapped page followed by an unmapped one */

/* A pointer of the given kind to an object of `size` bytes. "partial": the
 * object's last byte is the first byte of the unmapped page. */
static void *bad(int kind, size_t size)
{
    switch (kind) {
    case K_NULL: return NULL;
    case K_UNMAPPED: return unmapped;
    case K_KBASE: return (void *)0xffffffff80000000ul;    /* the unikernel's -2 GiB base */
    case K_KTEXT: return (void *)0xffffffff80100000ul;    /* its text (mapped, executable) */
    case K_KDMAP: return (void *)0xffff800000100000ul;    /* its direct map of RAM (mapped) */
    case K_NONCANON: return (void *)0x0000800000000000ul; /* the first address past the app's half */
    case K_PROTNONE: return protnone;
    default: return edge + 2 - size;
    }
}

static void result(const char *call, int kind, long r)
{
    printf("%-26s %-9s %s\n", call, kind_name[kind], r < 0 ? errno_name(errno) : "ok");
}

/* Results whose value is stable (byte counts): printed as numbers. */
static void count(const char *call, int kind, long r)
{
    if (r < 0)
        printf("%-26s %-9s %s\n", call, kind_name[kind], errno_name(errno));
    else
        printf("%-26s %-9s =%ld\n", call, kind_name[kind], r);
}

/* A NUL-terminated path of the given kind. "partial": "/" whose NUL is on
 * the unmapped page. */
static const char *bad_path(int kind)
{
    *edge = '/';   /* an earlier partial write may have changed it */
    return kind == K_PARTIAL ? (const char *)edge : (const char *)bad(kind, 1);
}

static int pipefd[2];
static char dir[64];
static char file[96];

static void fill_pipe(void)
{
    char c = 'x';
    CHECK(write(pipefd[1], &c, 1) == 1);
}

static void drain_pipe(void)
{
    char buf[64];
    int n = 0;
    CHECK(ioctl(pipefd[0], FIONREAD, &n) == 0);
    if (n > 0)
        CHECK(read(pipefd[0], buf, (size_t)n) == n);
}

static void files_and_paths(int k)
{
    size_t big = 16;
#define p bad_path(k)   /* re-made at each use: the partial reads below overwrite it */
    /* read/write move bytes: a partly mapped buffer gives a short count on
     * a regular file (Linux's page cache), EFAULT on a pipe. */
    int fd = open(file, O_RDWR);
    CHECK(fd >= 0);
    count("read(file)", k, syscall(SYS_read, fd, bad(k, big), big));
    count("write(file)", k, syscall(SYS_write, fd, bad(k, big), big));
    count("pread64(file)", k, syscall(SYS_pread64, fd, bad(k, big), big, 0));
    count("pwrite64(file)", k, syscall(SYS_pwrite64, fd, bad(k, big), big, 0));
    fill_pipe();
    count("read(pipe)", k, syscall(SYS_read, pipefd[0], bad(k, big), big));
    drain_pipe();
    count("write(pipe)", k, syscall(SYS_write, pipefd[1], bad(k, big), big));
    drain_pipe();
    /* stdout: a pipe or terminal gives EFAULT for "partial" too (a regular
     * file would take the 9 readable bytes; the harnesses use pipes). */
    count("write(stdout)", k, syscall(SYS_write, 1, bad(k, 10), 10));
    fflush(stdout);
    struct iovec iov = { bad(k, big), big };
    count("readv(iov.base)", k, syscall(SYS_readv, fd, &iov, 1));
    count("writev(iov.base)", k, syscall(SYS_writev, pipefd[1], &iov, 1));
    drain_pipe();
    count("readv(iov)", k, syscall(SYS_readv, fd, bad(k, sizeof iov), 1));
    count("writev(iov)", k, syscall(SYS_writev, pipefd[1], bad(k, sizeof iov), 1));
    drain_pipe();
    count("preadv(iov)", k, syscall(SYS_preadv, fd, bad(k, sizeof iov), 1, 0, 0));
    count("pwritev(iov.base)", k, syscall(SYS_pwritev, fd, &iov, 1, 0, 0));
    CHECK(ftruncate(fd, 4) == 0);

    result("open", k, syscall(SYS_open, p, O_RDONLY));
    result("openat", k, syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
    result("creat", k, syscall(SYS_creat, p, 0600));
    struct stat st;
    result("stat(path)", k, syscall(SYS_stat, p, &st));
    result("stat(buf)", k, syscall(SYS_stat, file, bad(k, sizeof st)));
    result("lstat(path)", k, syscall(SYS_lstat, p, &st));
    result("lstat(buf)", k, syscall(SYS_lstat, file, bad(k, sizeof st)));
    result("newfstatat(path)", k, syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
    result("newfstatat(buf)", k, syscall(SYS_newfstatat, AT_FDCWD, file, bad(k, sizeof st), 0));
    result("fstat(buf)", k, syscall(SYS_fstat, fd, bad(k, sizeof st)));
    char sx[256];
    result("statx(path)", k, syscall(SYS_statx, AT_FDCWD, p, 0, 0x7ff, sx));
    result("statx(buf)", k, syscall(SYS_statx, AT_FDCWD, file, 0, 0x7ff, bad(k, 256)));
    char sf[120];
    result("statfs(path)", k, syscall(SYS_statfs, p, sf));
    result("statfs(buf)", k, syscall(SYS_statfs, file, bad(k, 120)));
    result("fstatfs(buf)", k, syscall(SYS_fstatfs, fd, bad(k, 120)));
    result("access", k, syscall(SYS_access, p, F_OK));
    result("faccessat", k, syscall(SYS_faccessat, AT_FDCWD, p, F_OK));
    result("mkdir", k, syscall(SYS_mkdir, p, 0700));
    result("mkdirat", k, syscall(SYS_mkdirat, AT_FDCWD, p, 0700));
    result("rmdir", k, syscall(SYS_rmdir, p));
    result("unlink", k, syscall(SYS_unlink, p));
    result("unlinkat", k, syscall(SYS_unlinkat, AT_FDCWD, p, 0));
    result("rename(old)", k, syscall(SYS_rename, p, file));
    result("rename(new)", k, syscall(SYS_rename, file, p));
    result("renameat2(new)", k, syscall(SYS_renameat2, AT_FDCWD, file, AT_FDCWD, p, 0));
    result("link(old)", k, syscall(SYS_link, p, file));
    result("symlink(target)", k, syscall(SYS_symlink, p, "/tmp/badptr-never"));
    result("symlink(name)", k, syscall(SYS_symlink, "x", p));
    result("chdir", k, syscall(SYS_chdir, p));
    result("truncate", k, syscall(SYS_truncate, p, 0));
    result("chmod", k, syscall(SYS_chmod, p, 0600));
    result("fchmodat", k, syscall(SYS_fchmodat, AT_FDCWD, p, 0600, 0));
    result("chown", k, syscall(SYS_chown, p, -1, -1));
    result("utimensat(path)", k, syscall(SYS_utimensat, AT_FDCWD, p, NULL, 0));
    result("utimensat(times)", k, syscall(SYS_utimensat, AT_FDCWD, file, bad(k, 32), 0));
    result("getxattr(path)", k, syscall(SYS_getxattr, p, "user.x", sx, sizeof sx));
    result("readlink(path)", k, syscall(SYS_readlink, p, sx, sizeof sx));
    char link[128];
    snprintf(link, sizeof link, "%s/lnk", dir);
    result("readlink(buf)", k, syscall(SYS_readlink, link, bad(k, 8), 8));
    result("readlinkat(buf)", k, syscall(SYS_readlinkat, AT_FDCWD, link, bad(k, 8), 8));
    result("getcwd", k, syscall(SYS_getcwd, bad(k, 4096), 4096));
    result("memfd_create", k, syscall(SYS_memfd_create, p, 0));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    result("getdents64", k, syscall(SYS_getdents64, dfd, bad(k, 256), 256));
    close(dfd);
    result("ioctl(FIONREAD,file)", k, syscall(SYS_ioctl, fd, FIONREAD, bad(k, sizeof(int))));
    result("ioctl(FIONREAD,pipe)", k, syscall(SYS_ioctl, pipefd[0], FIONREAD, bad(k, sizeof(int))));
    result("ioctl(FIONBIO)", k, syscall(SYS_ioctl, pipefd[0], FIONBIO, bad(k, sizeof(int))));
    result("fcntl(F_GETLK)", k, syscall(SYS_fcntl, fd, F_GETLK, bad(k, 32)));
    result("fcntl(F_SETLK)", k, syscall(SYS_fcntl, fd, F_SETLK, bad(k, 32)));
    int out = open("/dev/null", O_WRONLY);
    CHECK(out >= 0);
    result("sendfile(offset)", k, syscall(SYS_sendfile, out, fd, bad(k, 8), 4));
    close(out);
    int fd2 = open(file, O_RDWR);
    CHECK(fd2 >= 0);
    result("copy_file_range(off)", k, syscall(SYS_copy_file_range, fd, bad(k, 8), fd2, NULL, 4, 0));
    close(fd2);
    result("pipe", k, syscall(SYS_pipe, bad(k, 8)));
    result("pipe2", k, syscall(SYS_pipe2, bad(k, 8), O_CLOEXEC));
    close(fd);
}

/* The pipe is readable throughout, so a NULL timeout (none: wait forever)
 * returns at once, as with a real one of zero. */
static void waits(int k)
{
    fill_pipe();
    struct pollfd pfd = { pipefd[0], POLLIN, 0 };
    result("poll(fds)", k, syscall(SYS_poll, bad(k, sizeof pfd), 1, 0));
    struct timespec ts = { 0, 0 };
    result("ppoll(fds)", k, syscall(SYS_ppoll, bad(k, sizeof pfd), 1, &ts, NULL, 8));
    result("ppoll(timeout)", k, syscall(SYS_ppoll, &pfd, 1, bad(k, sizeof ts), NULL, 8));
    result("ppoll(sigmask)", k, syscall(SYS_ppoll, &pfd, 1, &ts, bad(k, 8), 8));
    struct timeval tv = { 0, 0 };
    result("select(readfds)", k, syscall(SYS_select, pipefd[0] + 1, bad(k, 8), NULL, NULL, &tv));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pipefd[0], &rd);
    result("select(timeout)", k, syscall(SYS_select, pipefd[0] + 1, &rd, NULL, NULL, bad(k, sizeof tv)));
    FD_SET(pipefd[0], &rd);
    result("pselect6(timeout)", k, syscall(SYS_pselect6, pipefd[0] + 1, &rd, NULL, NULL, bad(k, sizeof ts), NULL));
    FD_SET(pipefd[0], &rd);
    result("pselect6(sig)", k, syscall(SYS_pselect6, pipefd[0] + 1, &rd, NULL, NULL, &ts, bad(k, 16)));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    result("epoll_ctl(event)", k, syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, pipefd[0], bad(k, 12)));
    struct epoll_event ev = { .events = EPOLLIN }, got0;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev) == 0);
    /* An event is ready (the pipe): it must be delivered to the bad array. */
    result("epoll_wait(events)", k, syscall(SYS_epoll_wait, ep, bad(k, 12), 1, 0));
    result("epoll_pwait(events)", k, syscall(SYS_epoll_pwait, ep, bad(k, 12), 1, 0, NULL, 8));
    result("epoll_pwait(sigmask)", k, syscall(SYS_epoll_pwait, ep, &got0, 1, 0, bad(k, 8), 8));
    struct epoll_event got;
    result("epoll_pwait2(timeout)", k, syscall(SYS_epoll_pwait2, ep, &got, 1, bad(k, sizeof ts), NULL, 8));
    drain_pipe();
    close(ep);
    result("nanosleep(req)", k, syscall(SYS_nanosleep, bad(k, sizeof ts), NULL));
    count("clock_nanosleep(req)", k, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, bad(k, sizeof ts), NULL));
    uint32_t *word = (uint32_t *)bad(k, 4);
    result("futex(WAIT_PRIVATE)", k, syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    result("futex(WAIT)", k, syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0));
    uint32_t w = 1;
    result("futex(WAIT,timeout)", k, syscall(SYS_futex, &w, FUTEX_WAIT_PRIVATE, 0, bad(k, sizeof ts), NULL, 0));
    result("futex(WAKE_OP,uaddr2)", k, syscall(SYS_futex, &w, FUTEX_WAKE_OP_PRIVATE, 1, 1, word, 0));
    result("futex(CMP_REQUEUE)", k, syscall(SYS_futex, word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &w, 0));
}

static void clocks_and_info(int k)
{
    result("clock_gettime", k, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad(k, 16)));
    result("clock_getres", k, syscall(SYS_clock_getres, CLOCK_MONOTONIC, bad(k, 16)));
    result("gettimeofday(tv)", k, syscall(SYS_gettimeofday, bad(k, 16), NULL));
    struct timeval tv;
    result("gettimeofday(tz)", k, syscall(SYS_gettimeofday, &tv, bad(k, 8)));
    result("time", k, syscall(SYS_time, bad(k, 8)));
    result("times", k, syscall(SYS_times, bad(k, 32)));
    result("uname", k, syscall(SYS_uname, bad(k, 390)));
    result("sysinfo", k, syscall(SYS_sysinfo, bad(k, 112)));
    count("getrandom", k, syscall(SYS_getrandom, bad(k, 16), 16, 0));
    result("getrlimit", k, syscall(SYS_getrlimit, RLIMIT_NOFILE, bad(k, 16)));
    result("setrlimit", k, syscall(SYS_setrlimit, RLIMIT_NOFILE, bad(k, 16)));
    result("prlimit64(new)", k, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, bad(k, 16), NULL));
    result("prlimit64(old)", k, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, bad(k, 16)));
    result("sched_getaffinity", k, syscall(SYS_sched_getaffinity, 0, 128, bad(k, 128)));
    result("sched_setaffinity", k, syscall(SYS_sched_setaffinity, 0, 8, bad(k, 8)));
    unsigned u;
    result("getresuid", k, syscall(SYS_getresuid, &u, bad(k, 4), &u));
    result("getresgid", k, syscall(SYS_getresgid, bad(k, 4), &u, &u));
    result("getcpu", k, syscall(SYS_getcpu, bad(k, 4), NULL, NULL));
    result("prctl(PR_GET_NAME)", k, syscall(SYS_prctl, 16, bad(k, 16), 0, 0, 0));
    result("prctl(PR_SET_NAME)", k, syscall(SYS_prctl, 15, bad_path(k), 0, 0, 0));
    result("prctl(PR_GET_PDEATHSIG)", k, syscall(SYS_prctl, 2, bad(k, 4), 0, 0, 0));
    result("arch_prctl(ARCH_GET_FS)", k, syscall(SYS_arch_prctl, 0x1003, bad(k, 8)));
    void *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    result("mincore(vec)", k, syscall(SYS_mincore, m, PAGE, bad(k, 1)));
    munmap(m, PAGE);
    result("wait4(status)", k, syscall(SYS_wait4, -1, bad(k, 4), 1 /* WNOHANG */, NULL));
}

static void handler(int sig) { (void)sig; }

static void signals(int k)
{
    struct { void *h; unsigned long flags; void *restorer; uint64_t mask; } sa;
    result("rt_sigaction(act)", k, syscall(SYS_rt_sigaction, SIGUSR1, bad(k, sizeof sa), NULL, 8));
    result("rt_sigaction(oact)", k, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad(k, sizeof sa), 8));
    result("rt_sigprocmask(set)", k, syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad(k, 8), NULL, 8));
    result("rt_sigprocmask(oset)", k, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad(k, 8), 8));
    result("rt_sigpending", k, syscall(SYS_rt_sigpending, bad(k, 8), 8));
    result("rt_sigsuspend", k, syscall(SYS_rt_sigsuspend, bad(k, 8), 8));
    struct timespec ts = { 0, 0 };
    result("rt_sigtimedwait(set)", k, syscall(SYS_rt_sigtimedwait, bad(k, 8), NULL, &ts, 8));
    uint64_t set = 1ull << (SIGUSR2 - 1);
    if (k != K_NULL)   /* NULL: no timeout, waits for ever */
        result("rt_sigtimedwait(ts)", k, syscall(SYS_rt_sigtimedwait, &set, NULL, bad(k, sizeof ts), 8));
    /* A pending SIGUSR2, blocked, taken by sigtimedwait into a bad info:
     * EFAULT, and the signal is consumed (as Linux). */
    sigset_t b;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &b, NULL) == 0);
    CHECK(raise(SIGUSR2) == 0);
    result("rt_sigtimedwait(info)", k, syscall(SYS_rt_sigtimedwait, &set, bad(k, 128), &ts, 8));
    result("  then pending", k, syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8));
    CHECK(sigprocmask(SIG_UNBLOCK, &b, NULL) == 0);
    signal(SIGUSR1, handler);
    result("rt_sigqueueinfo", k, syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, bad(k, 128)));
    result("sigaltstack(ss)", k, syscall(SYS_sigaltstack, bad(k, 24), NULL));
    result("sigaltstack(oss)", k, syscall(SYS_sigaltstack, NULL, bad(k, 24)));
    result("getitimer", k, syscall(SYS_getitimer, ITIMER_REAL, bad(k, 32)));
    result("setitimer(new)", k, syscall(SYS_setitimer, ITIMER_REAL, bad(k, 32), NULL));
    struct itimerval zero = { { 0, 0 }, { 0, 0 } };
    result("setitimer(old)", k, syscall(SYS_setitimer, ITIMER_REAL, &zero, bad(k, 32)));
}

static void threads(int k)
{
    char args[88];
    memset(args, 0, sizeof args);
    result("clone3(args)", k, syscall(SYS_clone3, bad(k, 88), 88));
    result("clone3(small)", k, syscall(SYS_clone3, args, 8));
    void *head;
    size_t len;
    result("get_robust_list(head)", k, syscall(SYS_get_robust_list, 0, bad(k, 8), &len));
    result("get_robust_list(len)", k, syscall(SYS_get_robust_list, 0, &head, bad(k, 8)));
}

/* A thread that leaves bad addresses for the exit path: clear_child_tid
 * (written 0 and woken at exit) and a robust list (walked at exit). Linux
 * ignores both faults; the thread exits and the process goes on. It exits
 * with the raw exit call, as nobody can join it once its tid word is gone. */
static volatile int thread_state;

static void *exiter(void *arg)
{
    int k = (int)(intptr_t)arg;
    syscall(SYS_set_tid_address, bad(k, 4));
    syscall(SYS_set_robust_list, bad(k, 24), 24);
    __atomic_store_n(&thread_state, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_exit, 0);
    return NULL;
}

static void thread_exit(int k)
{
    pthread_t t;
    pthread_attr_t a;
    CHECK(pthread_attr_init(&a) == 0);
    CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0);
    thread_state = 0;
    CHECK(pthread_create(&t, &a, exiter, (void *)(intptr_t)k) == 0);
    while (!__atomic_load_n(&thread_state, __ATOMIC_SEQ_CST))
        sched_yield();
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    printf("%-26s %-9s ok\n", "thread exit", kind_name[k]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);   /* write(stdout) cases interleave with printf */
    char *pages = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pages != MAP_FAILED);
    CHECK(munmap(pages + PAGE, PAGE) == 0);
    CHECK(mprotect(pages + 2 * PAGE, PAGE, PROT_NONE) == 0);
    edge = pages + PAGE - 1;
    *edge = '/';         /* "partial" path: "/" with its NUL on the unmapped page */
    unmapped = pages + PAGE;
    protnone = pages + 2 * PAGE;

    CHECK(pipe(pipefd) == 0);
    CHECK(fcntl(pipefd[0], F_SETFL, O_NONBLOCK) == 0);
    strcpy(dir, "/tmp/badptr-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(file, sizeof file, "%s/f", dir);
    int fd = open(file, O_CREAT | O_RDWR, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "abcdefghijklmnopqrstuvwxyz", 26) == 26);
    close(fd);
    char link[128];
    snprintf(link, sizeof link, "%s/lnk", dir);
    CHECK(symlink("f", link) == 0);

    for (int k = 0; k < NKINDS; k++) {
        files_and_paths(k);
        waits(k);
        clocks_and_info(k);
        signals(k);
        threads(k);
        thread_exit(k);
    }
    CHECK(unlink(link) == 0);
    CHECK(unlink(file) == 0);
    CHECK(rmdir(dir) == 0);
    printf("done\n");
    return 0;
}
