/*
 * sigdeath MODE EXPECTED: dies of a signal's default action, so the exit
 * status a shell sees is 128 + the signal (run-native.sh checks EXPECTED).
 * Modes: abort (SIGABRT, 134), bus (raise SIGBUS, 135), busmap (a read past
 * the end of a shared file mapping: a real SIGBUS fault, 135), fpe (integer
 * division by zero, 136), ill (ud2, 132), trap (int3, 133), segv (a NULL
 * write, 139), altstack (a handler on a PROT_NONE sigaltstack: the frame
 * cannot be written, Linux forces SIGSEGV, 139), badfpstate (a handler
 * breaks the XSAVE header in its frame: rt_sigreturn refuses it, SIGSEGV,
 * 139), term (143), kill (137).
 * Core dumps are turned off first (PR_SET_DUMPABLE), so a native run leaves
 * no core file behind and takes no longer than the unikernel's.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <ucontext.h>
#include <unistd.h>
#include "check.h"

static void handler(int sig) { (void)sig; }

/* Bytes 8..15 of the XSAVE header (after the 512-byte legacy area) must be
 * zero for the standard-form XRSTOR that sigreturn does. */
static void break_fpstate(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    ((volatile unsigned char *)uc->uc_mcontext.fpregs)[512 + 8] = 1;
}

/* SIGUSR1 with handler h, or with sh and SA_SIGINFO. */
static void raise_handled(void (*h)(int), void (*sh)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (sh)
        sa.sa_sigaction = sh;
    else
        sa.sa_handler = h;
    sa.sa_flags = flags | (sh ? SA_SIGINFO : 0);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    raise(SIGUSR1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 1;
    CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0);
    const char *m = argv[1];
    printf("dying: %s\n", m);
    fflush(stdout);
    if (!strcmp(m, "abort")) {
        abort();
    } else if (!strcmp(m, "bus")) {
        raise(SIGBUS);
    } else if (!strcmp(m, "busmap")) {
        char path[] = "/tmp/sigdeath-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(unlink(path) == 0);
        volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);   /* an empty file */
        CHECK(p != MAP_FAILED);
        (void)p[0];
    } else if (!strcmp(m, "fpe")) {
        /* In assembly: gcc turns 1 / x into a comparison, no division. */
        __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\tcltd\n\tidiv %%ecx" ::: "eax", "ecx", "edx");
    } else if (!strcmp(m, "ill")) {
        __asm__ volatile("ud2");
    } else if (!strcmp(m, "trap")) {
        __asm__ volatile("int3");
    } else if (!strcmp(m, "segv")) {
        *(volatile int *)0 = 1;
    } else if (!strcmp(m, "altstack")) {
        void *st = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(st != MAP_FAILED);
        stack_t ss = { .ss_sp = st, .ss_size = 65536, .ss_flags = 0 };
        CHECK(sigaltstack(&ss, NULL) == 0);
        raise_handled(handler, NULL, SA_ONSTACK);
    } else if (!strcmp(m, "badfpstate")) {
        raise_handled(NULL, break_fpstate, 0);
    } else if (!strcmp(m, "term")) {
        raise(SIGTERM);
    } else if (!strcmp(m, "kill")) {
        raise(SIGKILL);
    }
    printf("still alive\n");
    return 1;
}
