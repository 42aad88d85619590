/*
 * Threads and signals under load, for ThreadsSignalsOnQemuTest: a futex
 * stress (many threads incrementing under one mutex, with a condition
 * variable hand-off), raw futex calls (EAGAIN, ETIMEDOUT, WAKE counts,
 * CMP_REQUEUE), and signals interrupting blocking calls (EINTR) in the
 * thread that is blocked, sent from another thread; and two threads
 * spinning on each other's flags without syscalls (only preemption lets
 * that finish on one CPU). Output is the same whatever the scheduling,
 * natively and on the unikernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* linux/futex.h values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_CMP_REQUEUE_PRIVATE 132

#define NT 16
#define INCS 3000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int finished;

static void *incr(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
        if (i % 500 == 0)
            sched_yield();
    }
    pthread_mutex_lock(&mu);
    finished++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static long futex(atomic_int *w, int op, int val, const struct timespec *ts, atomic_int *w2, int val3)
{
    return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

static atomic_int word, word2;
static atomic_int waiting;
static void *waiter(void *arg)
{
    atomic_int *w = arg;
    atomic_fetch_add(&waiting, 1);
    while (atomic_load(w) == 0)
        futex(w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static volatile sig_atomic_t handled;
static volatile pid_t handled_tid;
static void on_usr(int sig)
{
    (void)sig;
    handled++;
    handled_tid = (pid_t)syscall(SYS_gettid);
}

static atomic_int intr_result;
static atomic_int blocked_tid;
static void *futex_blocker(void *arg)
{
    (void)arg;
    atomic_int never = 0;
    atomic_store(&blocked_tid, (int)syscall(SYS_gettid));
    long r = futex(&never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    atomic_store(&intr_result, r == -1 ? errno : 1000);
    return NULL;
}

/* Spinning without syscalls: on one CPU only preemption lets the other run. */
static volatile int spin_flag, spin_ack;
static void *spinner(void *arg)
{
    (void)arg;
    while (!spin_flag)
        ;
    spin_ack = 1;
    return NULL;
}

static pthread_t main_thread;
static void *kicker(void *arg)
{
    (void)arg;
    struct timespec d = { 0, 30 * 1000 * 1000 };
    nanosleep(&d, NULL);
    pthread_kill(main_thread, SIGUSR1);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* --- the stress --- */
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        if (pthread_create(&th[i], NULL, incr, NULL) != 0)
            return 2;
    pthread_mutex_lock(&mu);
    while (finished < NT)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    printf("%d threads x %d increments under one mutex: %ld\n", NT, INCS, counter);

    /* --- preemption: both sides spin without a syscall --- */
    pthread_t sp;
    pthread_create(&sp, NULL, spinner, NULL);
    for (volatile long i = 0; i < 1000000; i++)
        ;
    spin_flag = 1;
    while (!spin_ack)
        ;
    pthread_join(sp, NULL);
    printf("spin-wait on a flag set by another thread: ok\n");

    /* --- raw futex --- */
    struct timespec tmo = { 0, 10 * 1000 * 1000 };
    errno = 0;
    printf("FUTEX_WAIT on a changed word: %s\n", futex(&word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0) == -1 && errno == EAGAIN ? "EAGAIN" : "other");
    errno = 0;
    printf("FUTEX_WAIT 10ms: %s\n", futex(&word, FUTEX_WAIT_PRIVATE, 0, &tmo, NULL, 0) == -1 && errno == ETIMEDOUT ? "ETIMEDOUT" : "other");
    printf("FUTEX_WAKE with no waiters: %ld\n", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    pthread_t w[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&w[i], NULL, waiter, &word);
    while (atomic_load(&waiting) < 3)
        sched_yield();
    struct timespec settle = { 0, 50 * 1000 * 1000 };
    nanosleep(&settle, NULL);
    /* Move two of the three waiters to word2, wake the third. */
    errno = 0;
    printf("CMP_REQUEUE with a stale value: %s\n",
           futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &word2, 7) == -1 && errno == EAGAIN ? "EAGAIN" : "other");
    atomic_store(&word, 1);
    long r = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &word2, 1);
    printf("CMP_REQUEUE woke+moved: %ld\n", r);
    atomic_store(&word2, 1);
    long woke2 = 0;
    while (woke2 < 2)
        woke2 += futex(&word2, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        pthread_join(w[i], NULL);
    printf("requeued waiters woken from the second word: %ld\n", woke2);

    /* --- EINTR: nanosleep in main, interrupted by a signal from a thread --- */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    main_thread = pthread_self();
    pthread_t k;
    pthread_create(&k, NULL, kicker, NULL);
    struct timespec req = { 5, 0 }, rem = { 0, 0 };
    errno = 0;
    int nr = nanosleep(&req, &rem);
    printf("nanosleep(5s) with SIGUSR1 from a thread: %s, remaining > 4s %s, handler in main %s\n",
           nr == -1 && errno == EINTR ? "EINTR" : "other", rem.tv_sec >= 4 ? "yes" : "no",
           handled == 1 && handled_tid == getpid() ? "yes" : "no");
    pthread_join(k, NULL);

    /* --- EINTR: a thread blocked in futex, signalled until it returns --- */
    handled = 0;
    pthread_t b;
    pthread_create(&b, NULL, futex_blocker, NULL);
    while (atomic_load(&intr_result) == 0) {
        if (atomic_load(&blocked_tid))
            pthread_kill(b, SIGUSR2);
        struct timespec d = { 0, 20 * 1000 * 1000 };
        nanosleep(&d, NULL);
    }
    pthread_join(b, NULL);
    printf("futex wait in a thread hit by SIGUSR2: %s, handler ran in that thread %s\n",
           atomic_load(&intr_result) == EINTR ? "EINTR" : "other",
           handled >= 1 && handled_tid == atomic_load(&blocked_tid) ? "yes" : "no");

    /* --- EINTR: pause() ended by SIGALRM --- */
    signal(SIGALRM, on_usr);
    handled = 0;
    alarm(1);
    errno = 0;
    int pr = pause();
    printf("pause() ended by alarm: %s, handler ran %d\n", pr == -1 && errno == EINTR ? "EINTR" : "other",
           (int)handled);
    printf("stress done\n");
    return 0;
}
