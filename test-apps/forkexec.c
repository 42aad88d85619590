/*
 * forkexec: fork, vfork, exec and wait edge cases, printed as relations
 * (never pids), so a run under port-app compares byte for byte with a native
 * one. Not in cases.txt: its `#!` case needs /bin/sh in the guest (the tests
 * put busybox there) and it must be the first process of its run for the
 * orphan case (see orphan()).
 *
 * Without arguments it runs every case in order. The other modes are what
 * the cases exec (argv[0] is this program's path, as given by whoever
 * started it):
 *   exit-with N             exit(N)
 *   cloexec-check A B OFF   fd A (O_CLOEXEC before the exec) is closed, fd B
 *                           is open with its offset OFF kept
 *   print-args ARGS...      argv[1..] and $FORKEXEC_VAR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

extern char **environ;

static const char *self;      /* this program's path, to exec it again */
static char tmpdir[64];

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* fork() with stdout flushed first, so no buffered line is printed twice. */
static pid_t xfork(void)
{
    fflush(stdout);
    pid_t p = fork();
    CHECK(p >= 0);
    return p;
}

static int wait_for(pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
    }
    CHECK(r == pid);
    return st;
}

/* Signal names: musl has no sigabbrev_np. */
static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGUSR1: return "SIGUSR1";
    default: return "SIG?";
    }
}

/* A wait status as Linux encodes it, and in words. */
static void print_status(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d (status 0x%04x)\n", what, WEXITSTATUS(st), st);
    else if (WIFSIGNALED(st))
        printf("%s: killed by %s (status 0x%04x)\n", what, sig_name(WTERMSIG(st)), st);
    else if (WIFSTOPPED(st))
        printf("%s: stopped by %s\n", what, sig_name(WSTOPSIG(st)));
    else
        printf("%s: status 0x%04x\n", what, st);
}

/* A child that waits for signals (in process group pgid when >= 0: 0 for its own). */
static pid_t pauser(pid_t pgid)
{
    pid_t c = xfork();
    if (c == 0) {
        if (pgid >= 0)
            setpgid(0, pgid);
        for (;;)
            pause();
    }
    return c;
}

static void exec_self(char *const args[])
{
    char *argv[16] = {(char *)self};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    execve(self, argv, environ);
    printf("FAIL exec of self: %s\n", errno_name(errno));
    fflush(stdout);
    _exit(99);
}

static void identity(void)
{
    puts("== fork identity");
    pid_t parent = getpid();
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t c = xfork();
    if (c == 0) {
        char r[3] = {getppid() == parent ? 'y' : 'n', getpid() != parent ? 'y' : 'n', 0};
        CHECK(write(pfd[1], r, 2) == 2);
        _exit(0);
    }
    close(pfd[1]);
    char r[3] = {0};
    CHECK(read(pfd[0], r, 2) == 2);
    close(pfd[0]);
    printf("fork returned the child's pid: %s\n", c != parent ? "yes" : "no");
    printf("child: ppid==parent: %s, own pid: %s\n", r[0] == 'y' ? "yes" : "no", r[1] == 'y' ? "yes" : "no");
    print_status("child", wait_for(c));
}

/* Private memory is copied (on write), MAP_SHARED stays shared. */
static void memory(void)
{
    puts("== memory after fork");
    static int data_var = 1;
    int stack_var = 2;
    char *heap = malloc(100000);
    CHECK(heap);
    memset(heap, 'p', 100000);
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED);
    *shared = 0;
    volatile int *vstack = &stack_var;
    pid_t c = xfork();
    if (c == 0) {
        data_var = 10;
        *vstack = 20;
        memset(heap, 'c', 100000);
        *shared = 42;
        _exit(heap[99999] == 'c' && data_var == 10 ? 0 : 1);
    }
    print_status("writer child", wait_for(c));
    printf("parent's data/stack/heap unchanged: %s %s %s\n", data_var == 1 ? "yes" : "no",
           *vstack == 2 ? "yes" : "no", heap[0] == 'p' && heap[99999] == 'p' ? "yes" : "no");
    printf("MAP_SHARED write seen: %d\n", *shared);
    munmap(shared, 4096);
    free(heap);
}

/* The child's write moves the offset the parent sees: one open file description. */
static void shared_offset(void)
{
    puts("== shared file offset");
    char path[96];
    snprintf(path, sizeof path, "%s/offset", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "abc", 3) == 3);
    pid_t c = xfork();
    if (c == 0) {
        _exit(write(fd, "hello", 5) == 5 ? 0 : 1);
    }
    print_status("child", wait_for(c));
    printf("parent's offset after the child's write: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    int fl = fcntl(fd, F_GETFL);
    c = xfork();
    if (c == 0) {
        _exit(fcntl(fd, F_SETFL, fl | O_APPEND) == 0 ? 0 : 1);
    }
    wait_for(c);
    printf("child's O_APPEND seen by the parent: %s\n", (fcntl(fd, F_GETFL) & O_APPEND) ? "yes" : "no");
    char buf[16] = {0};
    CHECK(pread(fd, buf, sizeof buf - 1, 0) == 8);
    printf("file: %s\n", buf);
    close(fd);
    unlink(path);
}

static void cloexec(void)
{
    puts("== close-on-exec");
    char path[96];
    snprintf(path, sizeof path, "%s/cloexec", tmpdir);
    int a = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int b = open(path, O_RDWR);
    CHECK(a >= 0 && b >= 0);
    CHECK(write(b, "0123456", 7) == 7);
    printf("before exec: FD_CLOEXEC %d %d\n", fcntl(a, F_GETFD) & FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC);
    pid_t c = xfork();
    if (c == 0) {
        char sa[16], sb[16];
        snprintf(sa, sizeof sa, "%d", a);
        snprintf(sb, sizeof sb, "%d", b);
        exec_self((char *[]){"cloexec-check", sa, sb, "7", NULL});
    }
    print_status("exec'd child", wait_for(c));
    close(a);
    close(b);
    unlink(path);
}

static int cloexec_check(char **argv)
{
    int a = atoi(argv[2]), b = atoi(argv[3]);
    errno = 0;
    int r = fcntl(a, F_GETFD);
    printf("after exec: O_CLOEXEC fd: %s\n", r == -1 ? errno_name(errno) : "open");
    r = fcntl(b, F_GETFD);
    printf("after exec: plain fd: %s, offset kept: %s\n", r == -1 ? errno_name(errno) : "open",
           lseek(b, 0, SEEK_CUR) == atol(argv[4]) ? "yes" : "no");
    return 0;
}

static void exec_args(void)
{
    puts("== exec arguments and environment");
    pid_t c = xfork();
    if (c == 0) {
        setenv("FORKEXEC_VAR", "from the parent", 1);
        exec_self((char *[]){"print-args", "one", "two words", "", "last", NULL});
    }
    print_status("exec'd child", wait_for(c));
}

static void vfork_cases(void)
{
    puts("== vfork");
    static volatile int order, shared_write;
    order = 0;
    shared_write = 0;
    fflush(stdout);
    pid_t c = vfork();
    if (c == 0) {
        /* The parent is suspended: whatever it does next comes after this. */
        order = order * 10 + 1;
        shared_write = 42;
        _exit(0);
    }
    CHECK(c > 0);
    order = order * 10 + 2;
    printf("child ran first: %s\n", order == 12 ? "yes" : "no");
    printf("child's write seen by the parent: %d\n", shared_write);
    print_status("vfork child", wait_for(c));

    /* vfork then exec: the parent resumes once the child has exec'd. */
    order = 0;
    fflush(stdout);
    c = vfork();
    if (c == 0) {
        order = 1;
        char *argv[] = {(char *)self, "exit-with", "7", NULL};
        execve(self, argv, environ);
        _exit(98);
    }
    CHECK(c > 0);
    printf("resumed after the child's exec: %s\n", order == 1 ? "yes" : "no");
    print_status("vfork+exec child", wait_for(c));

    /* posix_spawn: glibc's is clone(CLONE_VM|CLONE_VFORK), musl's vfork-like too. */
    pid_t sp;
    char *argv[] = {(char *)self, "exit-with", "6", NULL};
    fflush(stdout);
    int rc = posix_spawn(&sp, self, NULL, NULL, argv, environ);
    printf("posix_spawn: %s\n", errno_name(rc));
    if (rc == 0)
        print_status("spawned child", wait_for(sp));
}

static void nohang_and_zombie(void)
{
    puts("== WNOHANG and zombies");
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t c = xfork();
    if (c == 0) {
        char ch;
        close(pfd[1]);
        _exit(read(pfd[0], &ch, 1) == 0 ? 5 : 6);  /* EOF once the parent closes its end */
    }
    close(pfd[0]);
    int st = 0;
    printf("WNOHANG on a running child: %d\n", (int)waitpid(c, &st, WNOHANG));
    close(pfd[1]);
    print_status("child", wait_for(c));

    c = xfork();
    if (c == 0)
        _exit(5);
    sleep_ms(200);                               /* it has exited by now: a zombie */
    printf("zombie answers kill(pid, 0): %s\n", kill(c, 0) == 0 ? "yes" : errno_name(errno));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0);
    printf("WNOWAIT peek: code %s status %d\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status);
    print_status("zombie reaped later", wait_for(c));
    errno = 0;
    printf("again: %s\n", waitpid(c, &st, 0) == -1 ? errno_name(errno) : "found");
    printf("no children left, wait: %s\n", wait(&st) == -1 ? errno_name(errno) : "found");
}

static volatile sig_atomic_t got_chld, chld_code, chld_status, chld_pid_ok;
static volatile pid_t expect_pid;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got_chld++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == expect_pid;
}

static const char *cld_name(int code)
{
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static void wait_chld(sigset_t *old)
{
    while (!got_chld)
        sigsuspend(old);
}

static void sigchld(void)
{
    puts("== SIGCHLD");
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &block, &old) == 0);

    got_chld = 0;
    pid_t c = xfork();
    if (c == 0)
        _exit(9);
    expect_pid = c;
    wait_chld(&old);
    printf("SIGCHLD: %s si_status %d si_pid is the child: %s\n", cld_name(chld_code), (int)chld_status,
           chld_pid_ok ? "yes" : "no");
    print_status("child", wait_for(c));

    int pfd[2];
    CHECK(pipe(pfd) == 0);
    got_chld = 0;
    c = xfork();
    if (c == 0) {
        char ch;
        close(pfd[1]);
        _exit(read(pfd[0], &ch, 1) == 1 ? 4 : 5);
    }
    close(pfd[0]);
    expect_pid = c;
    CHECK(kill(c, SIGSTOP) == 0);
    wait_chld(&old);
    printf("SIGCHLD: %s si_status %s\n", cld_name(chld_code), sig_name(chld_status));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, c, &si, WEXITED | WSTOPPED) == 0);
    printf("waitid WEXITED|WSTOPPED: %s %s\n", cld_name(si.si_code), sig_name(si.si_status));
    got_chld = 0;
    CHECK(kill(c, SIGCONT) == 0);
    wait_chld(&old);
    printf("SIGCHLD: %s si_status %s\n", cld_name(chld_code), sig_name(chld_status));
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, c, &si, WCONTINUED) == 0);
    printf("waitid WCONTINUED: %s\n", cld_name(si.si_code));
    got_chld = 0;
    CHECK(write(pfd[1], "x", 1) == 1);
    close(pfd[1]);
    wait_chld(&old);
    printf("SIGCHLD: %s si_status %d\n", cld_name(chld_code), (int)chld_status);
    memset(&si, 0, sizeof si);
    CHECK(waitid(P_PID, c, &si, WEXITED | WSTOPPED) == 0);
    printf("waitid WEXITED|WSTOPPED: %s %d\n", cld_name(si.si_code), si.si_status);

    got_chld = 0;
    c = pauser(-1);
    expect_pid = c;
    CHECK(kill(c, SIGTERM) == 0);
    wait_chld(&old);
    printf("SIGCHLD: %s si_status %s\n", cld_name(chld_code), sig_name(chld_status));
    print_status("child", wait_for(c));

    CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
}

static void statuses(void)
{
    puts("== exit statuses");
    pid_t c = xfork();
    if (c == 0)
        exit(3);
    print_status("exit(3)", wait_for(c));
    c = xfork();
    if (c == 0)
        exit(300);
    print_status("exit(300)", wait_for(c));
    c = pauser(-1);
    CHECK(kill(c, SIGTERM) == 0);
    print_status("SIGTERM", wait_for(c));
    c = pauser(-1);
    CHECK(kill(c, SIGKILL) == 0);
    print_status("SIGKILL", wait_for(c));
    c = pauser(-1);
    int st;
    CHECK(kill(c, SIGSTOP) == 0);
    CHECK(waitpid(c, &st, WUNTRACED) == c);
    print_status("WUNTRACED", st);
    CHECK(kill(c, SIGCONT) == 0);
    CHECK(waitpid(c, &st, WCONTINUED) == c);
    printf("WCONTINUED: %s\n", WIFCONTINUED(st) ? "yes" : "no");
    CHECK(kill(c, SIGKILL) == 0);
    print_status("then SIGKILL", wait_for(c));
}

/* kill(-pgid) reaches both members of a group and not the caller. */
static void process_group(void)
{
    puts("== process group");
    pid_t a = pauser(0);
    CHECK(setpgid(a, a) == 0 || errno == EACCES);
    pid_t b = pauser(a);
    CHECK(setpgid(b, a) == 0 || errno == EACCES);
    printf("getpgid(first)==first: %s, getpgid(second)==first: %s, own group unchanged: %s\n",
           getpgid(a) == a ? "yes" : "no", getpgid(b) == a ? "yes" : "no", getpgrp() != a ? "yes" : "no");
    errno = 0;
    printf("setpgid to another session's group: %s\n", setpgid(0, getpid() + 100000) == -1 ? errno_name(errno) : "ok");
    CHECK(kill(-a, SIGTERM) == 0);
    print_status("first", wait_for(a));
    print_status("second", wait_for(b));
    errno = 0;
    printf("kill of the empty group: %s\n", kill(-a, SIGTERM) == -1 ? errno_name(errno) : "ok");

    pid_t s = xfork();
    if (s == 0) {
        pid_t sid = setsid();
        int ok = sid == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
        errno = 0;
        int again = setsid() == -1 && errno == EPERM;
        _exit(ok && again ? 0 : 1);
    }
    print_status("setsid child (leads a new session, second setsid EPERM)", wait_for(s));
}

/* Each exec that must fail runs in a child, so one that wrongly succeeds
 * shows as a line and cannot replace this process. */
static void exec_must_fail(const char *what, const char *path)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t c = xfork();
    if (c == 0) {
        char *argv[] = {(char *)path, NULL};
        close(pfd[0]);
        fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
        execve(path, argv, environ);
        int e = errno;
        CHECK(write(pfd[1], &e, sizeof e) == sizeof e);
        _exit(127);
    }
    close(pfd[1]);
    int e = 0;
    ssize_t n = read(pfd[0], &e, sizeof e);
    close(pfd[0]);
    int st = wait_for(c);
    if (n == sizeof e)
        printf("%s: %s\n", what, errno_name(e));
    else
        printf("%s: exec succeeded (exit status 0x%04x)\n", what, st);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs(text, f);
    CHECK(fclose(f) == 0);
    CHECK(chmod(path, mode) == 0);
}

static void exec_errors(void)
{
    puts("== exec errors");
    exec_must_fail("missing file", "/nonexistent/program");
    exec_must_fail("directory", tmpdir);
    char path[96];
    snprintf(path, sizeof path, "%s/noexec", tmpdir);
    write_file(path, "#!/bin/sh\necho never\n", 0644);
    exec_must_fail("no x bit", path);
    snprintf(path, sizeof path, "%s/garbage", tmpdir);
    write_file(path, "this is neither ELF nor a script\n", 0755);
    exec_must_fail("not ELF, no #!", path);
    /* and in this process: a failed exec returns and changes nothing */
    char *argv[] = {"x", NULL};
    errno = 0;
    execve("/nonexistent/program", argv, environ);
    printf("in the caller: %s, still running\n", errno_name(errno));
    pid_t c = xfork();
    if (c == 0) {
        execve("/nonexistent/program", argv, environ);
        _exit(errno == ENOENT ? 127 : 126);
    }
    print_status("child whose exec failed", wait_for(c));
}

static void script(void)
{
    puts("== #! script");
    char path[96];
    snprintf(path, sizeof path, "%s/script.sh", tmpdir);
    write_file(path, "#!/bin/sh\necho script ok \"$1\"\nexit 4\n", 0755);
    pid_t c = xfork();
    if (c == 0) {
        char *argv[] = {path, "arg1", NULL};
        execve(path, argv, environ);
        printf("FAIL exec of the script: %s\n", errno_name(errno));
        fflush(stdout);
        _exit(99);
    }
    print_status("script", wait_for(c));
}

/*
 * A grandchild whose parent exits is reparented. Natively the top process
 * becomes the child subreaper, which is what pid 1 is in the guest (this
 * program is the first process there): both ways the orphan's new parent is
 * the top process, which then reaps it. prctl's result is not printed (the
 * unikernel needs no subreaper: its pid 1 is the reaper).
 */
static void orphan(void)
{
    puts("== orphan");
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t top = getpid();
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t a = xfork();
    if (a == 0) {
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0) {
            close(pfd[0]);
            int moved = 0;
            for (int i = 0; i < 500 && !moved; i++) {
                moved = getppid() != me;
                if (!moved)
                    sleep_ms(10);
            }
            char line[96];
            int n = snprintf(line, sizeof line, "reparented: %s\nnew parent is the top process: %s\n",
                             moved ? "yes" : "no", getppid() == top ? "yes" : "no");
            CHECK(write(pfd[1], line, n) == n);
            _exit(8);
        }
        _exit(g > 0 ? 0 : 1);
    }
    close(pfd[1]);
    print_status("middle process", wait_for(a));
    char buf[256];
    ssize_t n, len = 0;
    while ((n = read(pfd[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
    close(pfd[0]);
    fputs(buf, stdout);
    int st;
    pid_t r = wait(&st);
    printf("top reaps the orphan: %s\n", r > 0 && r != a ? "yes" : "no");
    if (r > 0)
        print_status("orphan", st);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 2 && !strcmp(argv[1], "exit-with"))
        exit(atoi(argv[2]));
    if (argc > 4 && !strcmp(argv[1], "cloexec-check"))
        return cloexec_check(argv);
    if (argc > 1 && !strcmp(argv[1], "print-args")) {
        printf("argc %d\n", argc);
        for (int i = 2; i < argc; i++)
            printf("arg[%d] \"%s\"\n", i - 1, argv[i]);
        const char *v = getenv("FORKEXEC_VAR");
        printf("FORKEXEC_VAR=%s\n", v ? v : "(unset)");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: forkexec [exit-with N | cloexec-check A B OFF | print-args ...]\n");
        return 1;
    }
    if (!strchr(self, '/')) {
        fprintf(stderr, "forkexec: run it by a path (it execs itself through argv[0])\n");
        return 1;
    }
    alarm(60);  /* a hang fails the run instead of blocking it */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/forkexec.XXXXXX");
    CHECK(mkdtemp(tmpdir));

    identity();
    memory();
    shared_offset();
    cloexec();
    exec_args();
    vfork_cases();
    nohang_and_zombie();
    sigchld();
    statuses();
    process_group();
    exec_errors();
    script();
    orphan();

    char path[96];
    const char *names[] = {"noexec", "garbage", "script.sh"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    CHECK(rmdir(tmpdir) == 0);
    puts("done");
    return 0;
}
