/*
 * Synchronous faults and special signals, for ThreadsSignalsOnQemuTest:
 * #UD -> SIGILL, int3 -> SIGTRAP, a handler that resumes after the faulting
 * instruction by editing uc_mcontext (the frame must hold the real
 * registers), SIGSEGV with si_addr on an alternate stack, SIGPIPE from a
 * pipe with no reader, and finally abort() (SIGABRT, default action: the
 * exit status is 128 + 6).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;
static volatile int on_alt;
static char *alt;

static void jump_out(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char here;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    on_alt = alt && &here >= alt && &here < alt + 65536;
    siglongjmp(jb, 1);
}

/* Skips the 2-byte ud2 by moving the saved RIP: execution continues after it. */
static volatile int skipped;
static void skip_ud2(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] += 2;
    skipped++;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static volatile int pipes;
static void on_pipe(int sig) { (void)sig; pipes++; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);

    install(SIGILL, jump_out, 0);
    if (sigsetjmp(jb, 1) == 0)
        __asm__ volatile("ud2");
    printf("ud2: %s code ILL_ILLOPN %s\n", got_sig == SIGILL ? "SIGILL" : "other",
           got_code == ILL_ILLOPN ? "yes" : "no");

    install(SIGTRAP, jump_out, 0);
    if (sigsetjmp(jb, 1) == 0)
        __asm__ volatile("int3");
    printf("int3: %s\n", got_sig == SIGTRAP ? "SIGTRAP" : "other");

    install(SIGILL, skip_ud2, 0);
    int x = 1;
    __asm__ volatile("ud2");
    x++;
    printf("handler moved RIP past ud2: resumed %s, x %d\n", skipped == 1 ? "yes" : "no", x);

    alt = malloc(65536);
    stack_t ss = { .ss_sp = alt, .ss_size = 65536, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    install(SIGSEGV, jump_out, SA_ONSTACK);
    volatile int *bad = (volatile int *)(uintptr_t)0x1000;
    if (sigsetjmp(jb, 1) == 0)
        *bad = 1;
    printf("write to 0x1000: %s si_addr 0x%lx on altstack %s\n", got_sig == SIGSEGV ? "SIGSEGV" : "other",
           (unsigned long)(uintptr_t)got_addr, on_alt ? "yes" : "no");

    signal(SIGPIPE, on_pipe);
    int p[2];
    if (pipe(p) == 0) {
        close(p[0]);
        errno = 0;
        long w = write(p[1], "x", 1);
        printf("write to a pipe with no reader: %ld %s, SIGPIPE handled %d\n", w,
               errno == EPIPE ? "EPIPE" : "other", (int)pipes);
    }

    printf("abort next\n");
    abort();
}
