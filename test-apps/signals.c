/*
 * signals: sigaction with SA_SIGINFO, raise, kill(getpid()), sigqueue,
 * sigprocmask blocking + sigpending + delivery order on unblock, SIG_IGN,
 * sigsuspend, sigtimedwait, SIGALRM via alarm and setitimer, EINTR,
 * sigaltstack, and synchronous faults (SIGSEGV from a NULL write, SIGFPE)
 * left with siglongjmp.
 *
 * Handlers only record into arrays; all printing happens outside them.
 * Real-time signals are printed relative to SIGRTMIN, because musl and glibc
 * reserve a different number of them for themselves.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAXLOG 32
static volatile sig_atomic_t nlog;
static volatile sig_atomic_t log_sig[MAXLOG], log_code[MAXLOG], log_val[MAXLOG];
static volatile sig_atomic_t log_pid_ok[MAXLOG], log_alt[MAXLOG];

static char *alt_base;
static size_t alt_size;

static void recorder(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int i = nlog;
    if (i >= MAXLOG)
        return;
    char here;
    log_sig[i] = sig;
    log_code[i] = si->si_code;
    log_val[i] = (si->si_code == SI_QUEUE) ? si->si_value.sival_int : -1;
    log_pid_ok[i] = si->si_pid == getpid() && si->si_uid == getuid();
    log_alt[i] = alt_base && &here >= alt_base && &here < alt_base + alt_size;
    nlog = i + 1;
}

static void sig_name(int sig, char *buf, size_t cap)
{
    switch (sig) {
    case SIGUSR1: snprintf(buf, cap, "SIGUSR1"); return;
    case SIGUSR2: snprintf(buf, cap, "SIGUSR2"); return;
    case SIGALRM: snprintf(buf, cap, "SIGALRM"); return;
    case SIGSEGV: snprintf(buf, cap, "SIGSEGV"); return;
    case SIGFPE: snprintf(buf, cap, "SIGFPE"); return;
    case SIGCHLD: snprintf(buf, cap, "SIGCHLD"); return;
    case SIGTERM: snprintf(buf, cap, "SIGTERM"); return;
    }
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
        snprintf(buf, cap, "RTMIN+%d", sig - SIGRTMIN);
    else
        snprintf(buf, cap, "sig%d", sig);
}

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_TIMER: return "SI_TIMER";
    default: return "other";
    }
}

/* Prints and clears the log: one line per delivered signal. */
static void dump_log(const char *what)
{
    printf("%s: %d delivered\n", what, (int)nlog);
    for (int i = 0; i < nlog; i++) {
        char n[32];
        sig_name(log_sig[i], n, sizeof n);
        printf("  %s %s", n, code_name(log_code[i]));
        if (log_val[i] >= 0)
            printf(" value %d", (int)log_val[i]);
        printf(" sender-is-self %s%s\n", log_pid_ok[i] ? "yes" : "no",
               log_alt[i] ? " on-altstack" : "");
    }
    nlog = 0;
}

static void install(int sig, int extra_flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = recorder;
    sa.sa_flags = SA_SIGINFO | extra_flags;
    /* Block everything while a handler runs, so pending signals are taken
     * one at a time in the kernel's order instead of nesting. */
    sigfillset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static sigjmp_buf jb;
static volatile sig_atomic_t fault_sig, fault_code;
static void *volatile fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(jb, 1);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* Opaque to the optimizer, so the NULL store below is a real store and the
 * division a real division (not folded into a trap or removed as UB). */
static int *volatile null_ptr;
static volatile int zero_divisor;

static int is_blocked(int sig)
{
    sigset_t cur;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0);
    return sigismember(&cur, sig);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    char n1[32];

    /* --- initial disposition, and sigaction returns the previous one --- */
    struct sigaction old;
    CHECK(sigaction(SIGUSR1, NULL, &old) == 0);
    printf("SIGUSR1 initially SIG_DFL %s\n", old.sa_handler == SIG_DFL ? "yes" : "no");
    CHECK(old.sa_handler == SIG_DFL);
    install(SIGUSR1, 0);
    CHECK(sigaction(SIGUSR1, NULL, &old) == 0);
    printf("sigaction reads back handler %s, SA_SIGINFO %s\n",
           old.sa_sigaction == recorder ? "yes" : "no", (old.sa_flags & SA_SIGINFO) ? "yes" : "no");
    CHECK(old.sa_sigaction == recorder && (old.sa_flags & SA_SIGINFO));
    CHECK_ERR("sigaction SIGKILL", sigaction(SIGKILL, &old, NULL), EINVAL);
    CHECK_ERR("kill bad signal", kill(getpid(), 1000), EINVAL);
    CHECK(kill(getpid(), 0) == 0);
    printf("kill(self, 0) ok\n");

    /* --- synchronous delivery from raise, kill and sigqueue --- */
    CHECK(raise(SIGUSR1) == 0);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 77 }) == 0);
    dump_log("raise, kill, sigqueue");

    /* --- block, send, check pending, unblock: order of delivery --- */
    int rt0 = SIGRTMIN, rt1 = SIGRTMIN + 1;
    install(SIGUSR2, 0);
    install(rt0, 0);
    install(rt1, 0);
    sigset_t set, oldset, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, rt0);
    sigaddset(&set, rt1);
    CHECK(sigprocmask(SIG_BLOCK, &set, &oldset) == 0);
    CHECK(sigqueue(getpid(), rt1, (union sigval){ .sival_int = 9 }) == 0);
    CHECK(kill(getpid(), SIGUSR2) == 0);
    CHECK(sigqueue(getpid(), rt0, (union sigval){ .sival_int = 1 }) == 0);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(kill(getpid(), SIGUSR1) == 0); /* standard signals do not queue */
    CHECK(sigqueue(getpid(), rt0, (union sigval){ .sival_int = 2 }) == 0);
    CHECK(sigqueue(getpid(), rt0, (union sigval){ .sival_int = 3 }) == 0);
    printf("while blocked: %d delivered\n", (int)nlog);
    CHECK(nlog == 0);
    CHECK(sigpending(&pend) == 0);
    printf("pending USR1 %d USR2 %d RTMIN+0 %d RTMIN+1 %d TERM %d\n",
           sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
           sigismember(&pend, rt0), sigismember(&pend, rt1), sigismember(&pend, SIGTERM));
    CHECK(sigismember(&pend, SIGUSR1) && sigismember(&pend, SIGUSR2) && !sigismember(&pend, SIGTERM));
    CHECK(sigprocmask(SIG_SETMASK, &oldset, NULL) == 0);
    /* Everything is delivered before sigprocmask returns. */
    dump_log("after unblock");

    /* --- SIG_IGN discards a pending signal; ignored signals do nothing --- */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK(raise(SIGUSR2) == 0);
    CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR2));
    CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
    CHECK(sigpending(&pend) == 0);
    printf("SIG_IGN drops pending SIGUSR2 %s\n", sigismember(&pend, SIGUSR2) ? "no" : "yes");
    CHECK(!sigismember(&pend, SIGUSR2));
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);
    CHECK(raise(SIGUSR2) == 0);
    CHECK(raise(SIGCHLD) == 0); /* default action for SIGCHLD is to ignore */
    printf("ignored signals delivered %d\n", (int)nlog);
    CHECK(nlog == 0);

    /* --- sigsuspend unblocks atomically, returns EINTR after the handler --- */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    CHECK(raise(SIGUSR1) == 0);
    sigset_t none;
    sigemptyset(&none);
    CHECK_ERR("sigsuspend", sigsuspend(&none), EINTR);
    printf("sigsuspend ran handler %d time(s), USR1 blocked again %s\n", (int)nlog,
           is_blocked(SIGUSR1) ? "yes" : "no");
    CHECK(nlog == 1 && is_blocked(SIGUSR1));
    nlog = 0;

    /* --- sigtimedwait takes a blocked signal without running the handler --- */
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 5 }) == 0);
    siginfo_t si;
    struct timespec tmo = { 0, 10 * 1000 * 1000 };
    int got = sigtimedwait(&set, &si, &tmo);
    sig_name(got, n1, sizeof n1);
    printf("sigtimedwait -> %s %s value %d, handler ran %d\n", n1, code_name(si.si_code),
           si.si_value.sival_int, (int)nlog);
    CHECK(got == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 5 && nlog == 0);
    CHECK_ERR("sigtimedwait nothing pending", sigtimedwait(&set, &si, &tmo), EAGAIN);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);

    /* --- SIGALRM from alarm() --- */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0); /* no SA_RESTART: we want EINTR */
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
    printf("alarm(1) previous %u\n", alarm(1));
    while (alarms == 0)
        sigsuspend(&none);
    printf("alarm fired %d\n", (int)alarms);
    CHECK(alarms == 1);
    CHECK(alarm(10) == 0);
    unsigned left = alarm(0);
    printf("alarm(0) after alarm(10) left in 9..10 %s\n", left >= 9 && left <= 10 ? "yes" : "no");
    CHECK(left >= 9 && left <= 10);

    /* --- setitimer(ITIMER_REAL) periodic --- */
    alarms = 0;
    struct itimerval itv = { { 0, 20000 }, { 0, 30000 } }, cur;
    CHECK(setitimer(ITIMER_REAL, &itv, NULL) == 0);
    CHECK(getitimer(ITIMER_REAL, &cur) == 0);
    printf("getitimer interval 20ms %s, value armed %s\n",
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000 ? "yes" : "no",
           cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0 ? "yes" : "no");
    while (alarms < 3)
        sigsuspend(&none);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    printf("setitimer ticks seen >= 3 yes\n");
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0);

    /* --- a long nanosleep is interrupted (EINTR) and reports time left --- */
    alarms = 0;
    struct itimerval once = { { 0, 0 }, { 0, 20000 } };
    CHECK(setitimer(ITIMER_REAL, &once, NULL) == 0);
    struct timespec req = { 5, 0 }, rem = { 0, 0 };
    CHECK_ERR("nanosleep(5s) hit by SIGALRM", nanosleep(&req, &rem), EINTR);
    printf("remaining > 4s %s, handler ran %d\n", rem.tv_sec >= 4 ? "yes" : "no", (int)alarms);
    CHECK(rem.tv_sec >= 4 && alarms == 1);

    /* --- sigaltstack --- */
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    CHECK(alt_base != NULL);
    stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 }, oss;
    CHECK(sigaltstack(&ss, &oss) == 0);
    printf("previous altstack disabled %s\n", (oss.ss_flags & SS_DISABLE) ? "yes" : "no");
    CHECK(sigaltstack(NULL, &oss) == 0);
    printf("altstack installed: size matches %s, flags %d\n",
           oss.ss_size == alt_size ? "yes" : "no", oss.ss_flags);
    install(SIGUSR2, SA_ONSTACK);
    CHECK(raise(SIGUSR2) == 0);
    install(SIGUSR1, 0); /* no SA_ONSTACK: runs on the normal stack */
    CHECK(raise(SIGUSR1) == 0);
    dump_log("altstack");
    stack_t small = { .ss_sp = alt_base, .ss_size = 16, .ss_flags = 0 };
    CHECK_ERR("sigaltstack too small", sigaltstack(&small, NULL), ENOMEM);
    stack_t dis = { .ss_flags = SS_DISABLE };
    CHECK(sigaltstack(&dis, NULL) == 0);

    /* --- NULL write -> SIGSEGV, leave the handler with siglongjmp --- */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
    CHECK(sigaction(SIGFPE, &sa, NULL) == 0);
    for (int round = 0; round < 2; round++) { /* twice: the mask must be restored */
        if (sigsetjmp(jb, 1) == 0) {
            *null_ptr = 42;
            printf("NULL write did not fault\n");
            return 90;
        }
        printf("NULL write round %d: %s %s, si_addr NULL %s, SIGSEGV blocked after %s\n",
               round, fault_sig == SIGSEGV ? "SIGSEGV" : "other",
               fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other-code",
               fault_addr == NULL ? "yes" : "no", is_blocked(SIGSEGV) ? "yes" : "no");
        CHECK(fault_sig == SIGSEGV && fault_code == SEGV_MAPERR && fault_addr == NULL);
        CHECK(!is_blocked(SIGSEGV));
    }
    if (sigsetjmp(jb, 1) == 0) {
        int q = 7 / zero_divisor;
        printf("divide by zero gave %d\n", q);
        return 91;
    }
    printf("divide by zero: %s %s\n", fault_sig == SIGFPE ? "SIGFPE" : "other",
           fault_code == FPE_INTDIV ? "FPE_INTDIV" : "other-code");
    CHECK(fault_sig == SIGFPE && fault_code == FPE_INTDIV);

    printf("signals done\n");
    return 0;
}
