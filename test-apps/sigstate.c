/*
 * sigstate: prints the signal mask and dispositions the program started with
 * (what exec gave it: the loader must give an app the same as a shell would),
 * then, with "wait", catches SIGUSR1 and SIGHUP (printing them) and waits;
 * SIGUSR2 ends it with exit code 0, other signals act by default.
 *
 *   sigstate [wait [MARKER]]    (MARKER: ignored; a name for pgrep -f)
 *
 * Output: "blocked: N..." and "ignored: N..." (signal numbers, "-" for
 * none), then "ready" when waiting, and "caught N" per caught signal.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
}

/* Signals 1..31 and the real-time ones the libc leaves to apps. */
static void print_set(const char *what, int (*has)(int))
{
    printf("%s:", what);
    int any = 0;
    for (int s = 1; s < 65; s++) {
        if (s > 31 && s < SIGRTMIN)
            continue;   /* the libc's own (glibc's and musl's differ) */
        if (has(s)) {
            printf(" %d", s);
            any = 1;
        }
    }
    printf("%s\n", any ? "" : " -");
}

static sigset_t start_mask;

static int blocked(int s)
{
    return sigismember(&start_mask, s) == 1;
}

static int ignored(int s)
{
    struct sigaction sa;
    return sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int main(int argc, char **argv)
{
    sigprocmask(SIG_SETMASK, NULL, &start_mask);
    print_set("blocked", blocked);
    print_set("ignored", ignored);
    if (argc < 2 || strcmp(argv[1], "wait") != 0)
        return 0;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigset_t all, none;
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1);
    sigaddset(&all, SIGUSR2);
    sigaddset(&all, SIGHUP);
    sigprocmask(SIG_BLOCK, &all, &none);
    sigdelset(&none, SIGUSR1);
    sigdelset(&none, SIGUSR2);
    sigdelset(&none, SIGHUP);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        /* Caught signals stay blocked outside sigsuspend: none is lost. */
        sigsuspend(&none);
        int s = caught;
        caught = 0;
        if (s == SIGUSR2)
            return 0;
        if (s) {
            printf("caught %d\n", s);
            fflush(stdout);
        }
    }
}
