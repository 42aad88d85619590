/*
 * sigproc: signals across processes. A parent forks children and signals
 * them: kill with a default action (WIFSIGNALED/WTERMSIG), a handler in the
 * child that sees the parent's pid, kill(-pgid) reaching a whole group,
 * SIGCHLD's siginfo (CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED
 * with si_pid and si_status), SIGSTOP/SIGCONT with WUNTRACED/WCONTINUED, a
 * signal sent to a stopped child waiting for SIGCONT, SIGKILL of a stopped
 * child, an ignored SIGTERM, SIGCHLD set to SIG_IGN reaping children, and
 * dispositions across fork (mask, actions, alternate stack kept, pending
 * signals not) and execve (caught ones reset, ignored ones kept).
 * Prints only facts that do not depend on pids or timing.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static const char *code_name(int code)
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

static void describe(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signaled %d\n", what, WTERMSIG(st));
    else if (WIFSTOPPED(st))
        printf("%s: stopped %d\n", what, WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        printf("%s: continued\n", what);
    else
        printf("%s: status 0x%x\n", what, st);
}

/* fork, with stdout flushed first (the child must not print it again). */
static pid_t fork_flushed(void)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    return pid;
}

/* A child that waits for signals for ever (its parent ends it). */
static pid_t child_pausing(void)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static int wait_for(pid_t pid, int flags)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(pid, &st, flags);
    while (r < 0 && errno == EINTR);
    CHECK(r == pid);
    return st;
}

/* Whether child c, given ms milliseconds, has still no state change to
 * report (alive and not stopped or ended). */
static int unchanged_after(pid_t c, long ms)
{
    struct timespec ts = { 0, ms * 1000 * 1000 };
    nanosleep(&ts, NULL);
    int st;
    return waitpid(c, &st, WNOHANG) == 0;
}

/* SIGCHLD taken synchronously (blocked, sigtimedwait): its siginfo. */
static void expect_sigchld(pid_t pid, int code, int status)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    siginfo_t si;
    struct timespec ts = { 10, 0 };
    int s = sigtimedwait(&set, &si, &ts);
    CHECK(s == SIGCHLD);
    printf("  SIGCHLD %s status %d pid %s\n", code_name(si.si_code), si.si_status,
           si.si_pid == pid ? "right" : "wrong");
    CHECK(si.si_code == code && si.si_status == status && si.si_pid == pid);
}

/* Takes a pending SIGCHLD, if any: SIGCHLD does not queue, so two
 * notifications close together (continued, then killed) may be one. */
static void drain_sigchld(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    struct timespec ts = { 0, 0 };
    while (sigtimedwait(&set, NULL, &ts) == SIGCHLD)
        ;
}

static volatile sig_atomic_t usr1_from_parent;
static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    usr1_from_parent = si->si_pid == getppid() && si->si_code == SI_USER;
}

/* fork: the child has the parent's mask, dispositions and alternate
 * stack, and none of its pending signals. */
static void test_fork_inherits(void)
{
    static char alt[65536];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
    CHECK(sigaltstack(&ss, NULL) == 0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0);
    CHECK(signal(SIGHUP, SIG_IGN) != SIG_ERR);
    CHECK(raise(SIGUSR2) == 0);
    pid_t c = fork_flushed();
    if (c == 0) {
        sigset_t m, pend;
        sigprocmask(SIG_BLOCK, NULL, &m);
        sigpending(&pend);
        stack_t cur;
        sigaltstack(NULL, &cur);
        struct sigaction a;
        sigaction(SIGHUP, NULL, &a);
        printf("fork: USR2 %s, %s; HUP %s; altstack %s\n", sigismember(&m, SIGUSR2) ? "blocked" : "unblocked",
               sigismember(&pend, SIGUSR2) ? "pending" : "not pending",
               a.sa_handler == SIG_IGN ? "ignored" : "not ignored",
               cur.ss_sp == alt && cur.ss_size == sizeof alt && !(cur.ss_flags & SS_DISABLE) ? "inherited" : "not inherited");
        fflush(stdout);
        _exit(0);
    }
    describe("fork child", wait_for(c, 0));
    sigset_t pend;
    sigpending(&pend);
    printf("parent's USR2 still %s\n", sigismember(&pend, SIGUSR2) ? "pending" : "not pending");
    signal(SIGUSR2, SIG_IGN);   /* discards it */
    signal(SIGUSR2, SIG_DFL);
    CHECK(sigprocmask(SIG_UNBLOCK, &usr2, NULL) == 0);
    signal(SIGHUP, SIG_DFL);
    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL) == 0);
}

static void test_default_term(void)
{
    pid_t c = child_pausing();
    CHECK(kill(c, SIGTERM) == 0);
    describe("kill SIGTERM", wait_for(c, 0));
}

static void test_handler_in_child(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork_flushed();
    if (c == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_usr1;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        sigset_t none, usr1;
        sigemptyset(&none);
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        if (write(p[1], "r", 1) != 1)
            _exit(3);
        sigsuspend(&none);
        _exit(usr1_from_parent ? 42 : 43);
    }
    char b;
    CHECK(read(p[0], &b, 1) == 1);
    CHECK(kill(c, SIGUSR1) == 0);
    describe("handler in child (42: si_pid is the parent)", wait_for(c, 0));
    close(p[0]);
    close(p[1]);
}

static void test_group(void)
{
    pid_t a = child_pausing();
    CHECK(setpgid(a, a) == 0);
    pid_t b = child_pausing();
    CHECK(setpgid(b, a) == 0);
    pid_t outside = child_pausing();
    CHECK(getpgid(a) == a && getpgid(b) == a && getpgid(outside) == getpgrp());
    CHECK(kill(-a, SIGUSR2) == 0);
    describe("kill(-pgid) first", wait_for(a, 0));
    describe("kill(-pgid) second", wait_for(b, 0));
    int st;
    printf("outside the group: %s\n", waitpid(outside, &st, WNOHANG) == 0 ? "alive" : "gone");
    CHECK(kill(outside, SIGKILL) == 0);
    describe("outside, SIGKILL", wait_for(outside, 0));
    errno = 0;
    int r = kill(-a, SIGUSR2);
    printf("kill(-pgid) of an empty group -> %s\n", r == -1 ? errno_name(errno) : "success");
}

static void test_stop_cont(void)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);

    pid_t c = child_pausing();
    CHECK(kill(c, SIGSTOP) == 0);
    describe("SIGSTOP, WUNTRACED", wait_for(c, WUNTRACED));
    expect_sigchld(c, CLD_STOPPED, SIGSTOP);
    CHECK(kill(c, SIGCONT) == 0);
    describe("SIGCONT, WCONTINUED", wait_for(c, WCONTINUED));
    expect_sigchld(c, CLD_CONTINUED, SIGCONT);

    /* A SIGTERM to a stopped child waits for its SIGCONT. */
    CHECK(kill(c, SIGTSTP) == 0);
    describe("SIGTSTP, WUNTRACED", wait_for(c, WUNTRACED));
    expect_sigchld(c, CLD_STOPPED, SIGTSTP);
    CHECK(kill(c, SIGTERM) == 0);
    printf("stopped with SIGTERM pending: %s\n", unchanged_after(c, 100) ? "still stopped" : "changed");
    CHECK(kill(c, SIGCONT) == 0);
    describe("then SIGCONT", wait_for(c, 0));
    drain_sigchld();

    /* SIGKILL ends a stopped child. */
    c = child_pausing();
    CHECK(kill(c, SIGSTOP) == 0);
    describe("SIGSTOP again", wait_for(c, WUNTRACED));
    expect_sigchld(c, CLD_STOPPED, SIGSTOP);
    CHECK(kill(c, SIGKILL) == 0);
    describe("SIGKILL while stopped", wait_for(c, 0));
    expect_sigchld(c, CLD_KILLED, SIGKILL);

    /* An exit: CLD_EXITED with the exit code. */
    c = fork_flushed();
    if (c == 0)
        _exit(7);
    describe("exit 7", wait_for(c, 0));
    expect_sigchld(c, CLD_EXITED, 7);
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
}

static volatile sig_atomic_t chld_code, chld_status, chld_pid_right, chld_runs;
static pid_t chld_expected;
static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_right = si->si_pid == chld_expected;
    chld_runs++;
}

/* A SIGCHLD handler (SA_SIGINFO) run while the parent waits in sigsuspend. */
static void test_sigchld_handler(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGCHLD, &sa, &old) == 0);
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t c = fork_flushed();
    if (c == 0)
        _exit(9);
    chld_expected = c;
    while (!chld_runs)
        sigsuspend(&none);
    printf("SIGCHLD handler: %s status %d pid %s\n", code_name(chld_code), chld_status,
           chld_pid_right ? "right" : "wrong");
    describe("its child", wait_for(c, 0));
    sigprocmask(SIG_UNBLOCK, &chld, NULL);
    sigaction(SIGCHLD, &old, NULL);
}

static void test_ignored(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = fork_flushed();
    if (c == 0) {
        signal(SIGTERM, SIG_IGN);
        if (write(p[1], "r", 1) != 1)
            _exit(3);
        for (;;)
            pause();
    }
    char b;
    CHECK(read(p[0], &b, 1) == 1);
    CHECK(kill(c, SIGTERM) == 0);
    printf("ignored SIGTERM: %s\n", unchanged_after(c, 100) ? "alive" : "gone");
    CHECK(kill(c, SIGKILL) == 0);
    describe("then SIGKILL", wait_for(c, 0));
    close(p[0]);
    close(p[1]);
}

static void test_autoreap(void)
{
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 2; i++) {
        pid_t c = fork_flushed();
        if (c == 0)
            _exit(0);
    }
    errno = 0;
    int st;
    pid_t r;
    do
        r = waitpid(-1, &st, 0);
    while (r < 0 && errno == EINTR);
    printf("SIGCHLD ignored, wait -> %s\n", r == -1 ? errno_name(errno) : "a child");
    signal(SIGCHLD, SIG_DFL);
}

static void exit33(int sig)
{
    (void)sig;
    _exit(33);
}

/* A child that runs without making syscalls: signals reach it from the
 * timer interrupt (on the unikernel), not on a syscall's way out. */
static pid_t child_spinning(int p[2])
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        signal(SIGUSR1, exit33);
        if (write(p[1], "r", 1) != 1)
            _exit(3);
        for (volatile unsigned long n = 0;; n++)
            ;
    }
    char b;
    CHECK(read(p[0], &b, 1) == 1);
    return pid;
}

static void test_spinning_and_faults(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t c = child_spinning(p);
    CHECK(kill(c, SIGTERM) == 0);
    describe("spinning child, SIGTERM", wait_for(c, 0));

    c = child_spinning(p);
    CHECK(kill(c, SIGSTOP) == 0);
    describe("spinning child, SIGSTOP", wait_for(c, WUNTRACED));
    CHECK(kill(c, SIGCONT) == 0);
    describe("then SIGCONT", wait_for(c, WCONTINUED));
    printf("spinning again: %s\n", unchanged_after(c, 50) ? "yes" : "no");
    CHECK(kill(c, SIGUSR1) == 0);
    describe("then SIGUSR1 (its handler exits 33)", wait_for(c, 0));
    close(p[0]);
    close(p[1]);

    /* A fault in a child ends the child only. */
    c = fork_flushed();
    if (c == 0) {
        prctl(PR_SET_DUMPABLE, 0);   /* no core file natively */
        *(volatile int *)0 = 1;
        _exit(4);
    }
    describe("NULL write in a child", wait_for(c, 0));
    c = fork_flushed();
    if (c == 0) {
        prctl(PR_SET_DUMPABLE, 0);
        abort();
    }
    describe("abort in a child", wait_for(c, 0));
}

static void noop(int sig) { (void)sig; }

/* The exec'd image reports what it inherited. */
static int exec_report(void)
{
    struct sigaction a;
    sigaction(SIGUSR1, NULL, &a);
    printf("after exec: USR1 %s, ", a.sa_handler == SIG_DFL ? "default" : "not default");
    sigaction(SIGUSR2, NULL, &a);
    printf("USR2 %s, ", a.sa_handler == SIG_IGN ? "ignored" : "not ignored");
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    sigset_t pend;
    sigpending(&pend);
    printf("HUP %s and %s\n", sigismember(&m, SIGHUP) ? "blocked" : "unblocked",
           sigismember(&pend, SIGHUP) ? "pending" : "not pending");
    return 0;
}

static void test_exec(const char *self)
{
    pid_t c = fork_flushed();
    if (c == 0) {
        signal(SIGUSR1, noop);
        signal(SIGUSR2, SIG_IGN);
        sigset_t hup;
        sigemptyset(&hup);
        sigaddset(&hup, SIGHUP);
        sigprocmask(SIG_BLOCK, &hup, NULL);
        raise(SIGHUP);
        execl(self, self, "exec-report", (char *)NULL);
        printf("exec failed: %s\n", errno_name(errno));
        fflush(stdout);
        _exit(5);
    }
    describe("exec'd child", wait_for(c, 0));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec-report") == 0)
        return exec_report();
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_fork_inherits();
    test_default_term();
    test_handler_in_child();
    test_group();
    test_stop_cont();
    test_sigchld_handler();
    test_ignored();
    test_spinning_and_faults();
    test_autoreap();
    test_exec(argv[0]);
    printf("done\n");
    return 0;
}
