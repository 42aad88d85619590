/*
 * shimstack: syscalls on small stacks, and the app's stack below its red
 * zone left alone (issue 10 item 3: the shim runs on its own stack).
 *
 *  - a pthread with a 16 KiB stack of its own (a PROT_NONE page below it)
 *    makes syscalls, blocking ones included;
 *  - a clone() thread with a 4 KiB stack (guard page below) does the same;
 *  - a SIGALRM handler on a MINSIGSTKSZ sigaltstack (guard page below; more
 *    only where the kernel's AT_MINSIGSTKSZ asks for more) makes syscalls
 *    and checks it runs on that stack;
 *  - canary_syscalls() (assembly, so the stack layout is exact) fills the
 *    words below the 128-byte red zone with a pattern, makes syscalls
 *    (getpid, clock_gettime, sched_yield, nanosleep: a blocking one) while
 *    another thread spins (the main thread is preempted in app code) and
 *    SIGALRM arrives (its handler runs on the alternate stack), then
 *    counts the words that changed. Natively nothing below the red zone
 *    is written by a syscall; under port-app the one word just below the
 *    red zone is the rewritten site's return address (the trampoline
 *    skips the red zone and `call`s the shim: docs/threads-signals.md,
 *    "The shim stack"), so that word is not compared; every other word
 *    must be intact;
 *  - 300 times, a SIGUSR1 handler run on the way out of kill() leaves with
 *    siglongjmp (on the unikernel that abandons the shim frames of the
 *    kill: the shim stack must not fill up with them).
 * Every line printed is a fixed fact, the same natively and under port-app.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#define FUTEX_WAIT 0                /* <linux/futex.h>, which musl-gcc lacks */
#define CLASSIC_MINSIGSTKSZ 2048   /* MINSIGSTKSZ of the x86_64 ABI (glibc may make it sysconf's) */

/* long canary_syscalls(long words, const struct timespec *sleep,
 *                      struct timespec *now, long rounds):
 * returns how many of the `words` 8-byte words below the red zone changed
 * (not counting the word right below it, see above). */
long canary_syscalls(long words, const struct timespec *sleep, struct timespec *now, long rounds);
__asm__(
    ".text\n"
    ".globl canary_syscalls\n"
    ".type canary_syscalls, @function\n"
    "canary_syscalls:\n"
    "    push %rbx\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    mov %rdi, %r12\n"                  /* words */
    "    mov %rsi, %r13\n"                  /* sleep */
    "    mov %rdx, %r14\n"                  /* now */
    "    mov %rcx, %r15\n"                  /* rounds */
    /* word i (1..words) at rsp - 128 - 8 i holds pattern + i */
    "    movabs $0x5ca1ab1e0ddba110, %r8\n"
    "    mov %r12, %rcx\n"
    "1:  lea (%r8,%rcx), %rax\n"
    "    mov %rcx, %rdx\n"
    "    shl $3, %rdx\n"
    "    neg %rdx\n"
    "    mov %rax, -128(%rsp,%rdx)\n"
    "    dec %rcx\n"
    "    jnz 1b\n"
    "2:  mov $39, %eax\n"                   /* getpid */
    "    syscall\n"
    "    mov $228, %eax\n"                  /* clock_gettime(CLOCK_MONOTONIC, now) */
    "    mov $1, %edi\n"
    "    mov %r14, %rsi\n"
    "    syscall\n"
    "    mov $24, %eax\n"                   /* sched_yield */
    "    syscall\n"
    "    mov $35, %eax\n"                   /* nanosleep(sleep, NULL) */
    "    mov %r13, %rdi\n"
    "    xor %esi, %esi\n"
    "    syscall\n"
    "    dec %r15\n"
    "    jnz 2b\n"
    "    xor %ebx, %ebx\n"
    "    movabs $0x5ca1ab1e0ddba110, %r8\n"
    "    mov %r12, %rcx\n"
    "3:  cmp $1, %rcx\n"                    /* the word right below the red zone */
    "    je 4f\n"
    "    lea (%r8,%rcx), %rax\n"
    "    mov %rcx, %rdx\n"
    "    shl $3, %rdx\n"
    "    neg %rdx\n"
    "    cmp %rax, -128(%rsp,%rdx)\n"
    "    je 4f\n"
    "    inc %rbx\n"
    "4:  dec %rcx\n"
    "    jnz 3b\n"
    "    mov %rbx, %rax\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbx\n"
    "    ret\n"
    ".size canary_syscalls, . - canary_syscalls\n");

static const struct timespec one_ms = { 0, 1000000 };

/* A stack of `size` bytes with a PROT_NONE page right below it: an
 * overflow faults instead of scribbling over something else. */
static void *guarded_stack(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t span = ((size + (size_t)page - 1) & ~((size_t)page - 1)) + (size_t)page;
    uint8_t *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK(mprotect(m, (size_t)page, PROT_NONE) == 0);
    return m + span - size;   /* the top `size` bytes; the guard is below them */
}

/* Syscalls of several kinds from whatever stack this runs on. */
static int some_syscalls(void)
{
    int p[2];
    char buf[8];
    struct timespec ts;
    if (pipe(p) != 0)
        return 0;
    int ok = write(p[1], "shim", 4) == 4 && read(p[0], buf, sizeof buf) == 4 && memcmp(buf, "shim", 4) == 0;
    ok = ok && syscall(SYS_getpid) == getpid() && clock_gettime(CLOCK_MONOTONIC, &ts) == 0;
    ok = ok && nanosleep(&one_ms, NULL) == 0 && sched_yield() == 0;
    close(p[0]);
    close(p[1]);
    return ok;
}

/* ---- a pthread on a 16 KiB stack ---- */

static long pthread_changed = -1;
static int pthread_ok;

static void *small_pthread(void *arg)
{
    (void)arg;
    struct timespec now;
    pthread_ok = some_syscalls();
    pthread_changed = canary_syscalls(512, &one_ms, &now, 5);   /* 4 KiB below its red zone */
    return NULL;
}

/* ---- a clone() thread on a 4 KiB stack ---- */

static volatile int clone_tid = 1;   /* CLONE_CHILD_CLEARTID zeroes it and wakes us */
static long clone_changed = -1;
static int clone_ok;

static int tiny_clone(void *arg)
{
    (void)arg;
    struct timespec now;
    clone_ok = syscall(SYS_getpid) == getpid() && syscall(SYS_gettid) != getpid() &&
               syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now) == 0 &&
               syscall(SYS_nanosleep, &one_ms, NULL) == 0 && syscall(SYS_write, 1, "", 0) == 0;
    clone_changed = canary_syscalls(256, &one_ms, &now, 5);   /* 2 KiB of its 4 */
    return 0;
}

/* ---- a handler on a MINSIGSTKSZ alternate stack ---- */

static uint8_t *alt_base;
static size_t alt_size;
static volatile sig_atomic_t handled, handler_on_alt = 1, handler_syscalls = 1;

static void on_alarm(int sig)
{
    (void)sig;
    volatile uint8_t here;
    uintptr_t a = (uintptr_t)&here;
    if (a < (uintptr_t)alt_base || a >= (uintptr_t)alt_base + alt_size)
        handler_on_alt = 0;
    struct timespec ts;
    if (syscall(SYS_getpid) != getpid() || syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0 ||
        syscall(SYS_write, 1, "", 0) != 0)
        handler_syscalls = 0;
    handled++;
}

/* ---- handlers left with siglongjmp ---- */

static sigjmp_buf jump_back;

static void on_usr1(int sig)
{
    (void)sig;
    siglongjmp(jump_back, 1);
}

static int longjmp_out_of_handlers(int times)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    volatile int jumps = 0;
    for (volatile int i = 0; i < times; i++) {
        if (sigsetjmp(jump_back, 1) == 0)
            kill(getpid(), SIGUSR1);   /* the handler runs before kill returns */
        else
            jumps++;
    }
    return jumps;
}

/* ---- a spinner, so the main thread is preempted in app code ---- */

static atomic_int spin_stop;

static void *spinner(void *arg)
{
    (void)arg;
    while (!atomic_load(&spin_stop))
        ;
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    /* A pthread on a 16 KiB stack of its own. */
    pthread_attr_t at;
    pthread_t th;
    CHECK(pthread_attr_init(&at) == 0);
    CHECK(pthread_attr_setstack(&at, guarded_stack(16384), 16384) == 0);
    CHECK(pthread_create(&th, &at, small_pthread, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    printf("pthread on a 16 KiB stack: syscalls %s, words changed below its red zone: %ld\n",
           pthread_ok ? "ok" : "FAILED", pthread_changed);

    /* A clone() thread on a 4 KiB stack. */
    uint8_t *cs = guarded_stack(4096);
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                CLONE_CHILD_CLEARTID;
    int tid = clone(tiny_clone, cs + 4096, flags, NULL, NULL, NULL, (int *)&clone_tid);
    CHECK(tid > 0);
    while (clone_tid != 0)
        syscall(SYS_futex, &clone_tid, FUTEX_WAIT, 1, NULL, NULL, 0);
    printf("clone thread on a 4 KiB stack: syscalls %s, words changed below its red zone: %ld\n",
           clone_ok ? "ok" : "FAILED", clone_changed);

    /* SIGALRM every 2 ms, handled on a MINSIGSTKSZ alternate stack. */
    unsigned long need = getauxval(AT_MINSIGSTKSZ);
    alt_size = need > CLASSIC_MINSIGSTKSZ ? need + 512 : CLASSIC_MINSIGSTKSZ;
    alt_base = guarded_stack(alt_size);
    stack_t ss = { .ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0 };
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);

    /* The spinner must not take the process's SIGALRM: block it there. */
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    CHECK(pthread_sigmask(SIG_BLOCK, &alrm, &old) == 0);
    CHECK(pthread_create(&th, NULL, spinner, NULL) == 0);
    CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL) == 0);

    struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    struct timespec now;
    long changed = canary_syscalls(512, &one_ms, &now, 40);   /* 4 KiB below the red zone */
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
    atomic_store(&spin_stop, 1);
    CHECK(pthread_join(th, NULL) == 0);
    printf("main thread, 40 rounds with a spinning thread and SIGALRM: words changed below the red zone: %ld\n",
           changed);
    printf("SIGALRM handler on a MINSIGSTKSZ sigaltstack: ran %s, on that stack %s, its syscalls %s\n",
           handled > 0 ? "yes" : "no", handler_on_alt ? "yes" : "no", handler_syscalls ? "ok" : "FAILED");
    printf("siglongjmp out of 300 handlers run on the way out of kill(): %d\n", longjmp_out_of_handlers(300));
    return 0;
}
