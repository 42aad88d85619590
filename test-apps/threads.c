/*
 * threads: pthread_create/join with 4 threads, return values, mutexes
 * (normal and error-checking), condition variables (a token ring that fixes
 * the order of turns, and a timed wait that times out), thread-local storage,
 * pthread_once, thread-specific data destructors, pthread_barrier, a
 * hand-made generation barrier, a detached thread with a semaphore, and C11
 * atomics.
 *
 * Threads never print: they record into shared arrays, and main prints after
 * joining, so the output is the same whatever the scheduling.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NT 4
#define ROUNDS 5
#define INCS 100000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static atomic_long acounter;

/* token ring: thread id may act only when turn % NT == id */
static int turn;
static char ring_log[NT * ROUNDS + 1];

static _Thread_local int tls_val = 5;
static _Thread_local char tls_buf[64] = "init";
static int tls_ok[NT];
static uintptr_t tls_addr[NT];
static long tids[NT];

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs;
static void once_init(void) { atomic_fetch_add(&once_runs, 1); }

static pthread_key_t key;
static atomic_int dtor_runs;
static int dtor_sum;
static void key_dtor(void *v)
{
    atomic_fetch_add(&dtor_runs, 1);
    pthread_mutex_lock(&mu);
    dtor_sum += (int)(intptr_t)v;
    pthread_mutex_unlock(&mu);
}

static pthread_barrier_t barrier;
static atomic_int serial_count;

/* A barrier built from a mutex and a condvar, with a generation counter so
 * it can be reused; phase_data checks that writes before it are seen after. */
static pthread_mutex_t hb_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hb_cv = PTHREAD_COND_INITIALIZER;
static int hb_waiting, hb_gen;
static int phase_data[NT];
static int phase_seen_sum[NT];

static void hand_barrier(void)
{
    pthread_mutex_lock(&hb_mu);
    int gen = hb_gen;
    if (++hb_waiting == NT) {
        hb_waiting = 0;
        hb_gen++;
        pthread_cond_broadcast(&hb_cv);
    } else {
        while (gen == hb_gen)
            pthread_cond_wait(&hb_cv, &hb_mu);
    }
    pthread_mutex_unlock(&hb_mu);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    tids[id] = (long)syscall(SYS_gettid);

    /* TLS starts at its initializer in every thread, and stays private */
    int ok = tls_val == 5 && strcmp(tls_buf, "init") == 0;
    tls_val = 1000 + id;
    snprintf(tls_buf, sizeof tls_buf, "thread-%d", id);
    tls_addr[id] = (uintptr_t)&tls_val;

    pthread_once(&once, once_init);
    pthread_setspecific(key, (void *)(intptr_t)(id + 1));

    for (int i = 0; i < INCS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
        atomic_fetch_add_explicit(&acounter, 1, memory_order_relaxed);
    }

    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&mu);
        while (turn % NT != id)
            pthread_cond_wait(&cv, &mu);
        ring_log[turn] = (char)('0' + id);
        turn++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }

    int rc = pthread_barrier_wait(&barrier);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        atomic_fetch_add(&serial_count, 1);

    phase_data[id] = (id + 1) * 10;
    hand_barrier();
    int s = 0;
    for (int i = 0; i < NT; i++)
        s += phase_data[i];
    phase_seen_sum[id] = s;
    hand_barrier(); /* reuse: second generation */

    ok = ok && tls_val == 1000 + id;
    char want[64];
    snprintf(want, sizeof want, "thread-%d", id);
    ok = ok && strcmp(tls_buf, want) == 0;
    tls_ok[id] = ok;
    return (void *)(intptr_t)(id * 10 + 1);
}

static sem_t sem;
static atomic_int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    atomic_store(&detached_ran, 1);
    sem_post(&sem);
    return NULL;
}

int main(void)
{
    pthread_t th[NT];
    CHECK_RC("pthread_key_create", pthread_key_create(&key, key_dtor), 0);
    CHECK_RC("pthread_barrier_init", pthread_barrier_init(&barrier, NULL, NT), 0);
    tls_val = 99; /* main's copy must not leak into the threads */

    for (int i = 0; i < NT; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
    int ret_ok = 1;
    for (int i = 0; i < NT; i++) {
        void *ret;
        CHECK(pthread_join(th[i], &ret) == 0);
        ret_ok &= (intptr_t)ret == i * 10 + 1;
    }
    printf("4 threads joined, return values ok %s\n", ret_ok ? "yes" : "no");
    CHECK(ret_ok);
    printf("mutex counter %ld (expect %d)\n", counter, NT * INCS);
    CHECK(counter == NT * INCS);
    printf("atomic counter %ld\n", (long)atomic_load(&acounter));
    CHECK(atomic_load(&acounter) == NT * INCS);
    printf("token ring order %s\n", ring_log);
    CHECK(strcmp(ring_log, "01230123012301230123") == 0);

    int tls_all = 1, distinct = 1, tid_distinct = 1;
    for (int i = 0; i < NT; i++) {
        tls_all &= tls_ok[i];
        for (int j = 0; j < i; j++) {
            distinct &= tls_addr[i] != tls_addr[j];
            tid_distinct &= tids[i] != tids[j];
        }
        tid_distinct &= tids[i] != getpid();
    }
    printf("TLS private and initialized per thread %s, distinct addresses %s, main keeps %d\n",
           tls_all ? "yes" : "no", distinct ? "yes" : "no", tls_val);
    CHECK(tls_all && distinct && tls_val == 99);
    printf("thread ids distinct from each other and the pid %s; main tid == pid %s\n",
           tid_distinct ? "yes" : "no", syscall(SYS_gettid) == getpid() ? "yes" : "no");
    CHECK(tid_distinct && syscall(SYS_gettid) == getpid());
    printf("pthread_once ran %d time(s)\n", atomic_load(&once_runs));
    CHECK(atomic_load(&once_runs) == 1);
    printf("key destructors ran %d, sum %d\n", atomic_load(&dtor_runs), dtor_sum);
    CHECK(atomic_load(&dtor_runs) == NT && dtor_sum == 1 + 2 + 3 + 4);
    printf("barrier serial threads %d\n", atomic_load(&serial_count));
    CHECK(atomic_load(&serial_count) == 1);
    printf("hand barrier sums %d %d %d %d\n", phase_seen_sum[0], phase_seen_sum[1],
           phase_seen_sum[2], phase_seen_sum[3]);
    for (int i = 0; i < NT; i++)
        CHECK(phase_seen_sum[i] == 100);
    CHECK(pthread_barrier_destroy(&barrier) == 0);

    /* --- mutex errors --- */
    CHECK(pthread_mutex_lock(&mu) == 0);
    CHECK_RC("trylock held mutex", pthread_mutex_trylock(&mu), EBUSY);
    CHECK(pthread_mutex_unlock(&mu) == 0);
    pthread_mutexattr_t ma;
    pthread_mutex_t em;
    CHECK(pthread_mutexattr_init(&ma) == 0);
    CHECK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK) == 0);
    CHECK(pthread_mutex_init(&em, &ma) == 0);
    CHECK_RC("errorcheck unlock unowned", pthread_mutex_unlock(&em), EPERM);
    CHECK(pthread_mutex_lock(&em) == 0);
    CHECK_RC("errorcheck relock", pthread_mutex_lock(&em), EDEADLK);
    CHECK(pthread_mutex_unlock(&em) == 0);
    CHECK(pthread_mutex_destroy(&em) == 0);
    CHECK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE) == 0);
    CHECK(pthread_mutex_init(&em, &ma) == 0);
    CHECK(pthread_mutex_lock(&em) == 0 && pthread_mutex_lock(&em) == 0);
    CHECK(pthread_mutex_unlock(&em) == 0 && pthread_mutex_unlock(&em) == 0);
    printf("recursive mutex locked twice ok\n");
    CHECK(pthread_mutex_destroy(&em) == 0 && pthread_mutexattr_destroy(&ma) == 0);

    /* --- timed wait that nobody signals --- */
    struct timespec dl;
    CHECK(clock_gettime(CLOCK_REALTIME, &dl) == 0);
    dl.tv_nsec += 20 * 1000 * 1000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    CHECK(pthread_mutex_lock(&mu) == 0);
    int rc;
    do
        rc = pthread_cond_timedwait(&cv, &mu, &dl);
    while (rc == 0); /* spurious wakeups are allowed */
    CHECK(pthread_mutex_unlock(&mu) == 0);
    printf("cond_timedwait 20ms -> %s\n", errno_name(rc));
    CHECK(rc == ETIMEDOUT);

    /* --- detached thread signals completion through a semaphore --- */
    CHECK(sem_init(&sem, 0, 0) == 0);
    CHECK_ERR("sem_trywait empty", sem_trywait(&sem), EAGAIN);
    pthread_attr_t at;
    pthread_t dt;
    CHECK(pthread_attr_init(&at) == 0);
    CHECK(pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) == 0);
    CHECK(pthread_attr_setstacksize(&at, 256 * 1024) == 0);
    CHECK(pthread_create(&dt, &at, detached, NULL) == 0);
    CHECK(pthread_attr_destroy(&at) == 0);
    while (sem_wait(&sem) != 0)
        CHECK(errno == EINTR);
    printf("detached thread ran %d\n", atomic_load(&detached_ran));
    CHECK(atomic_load(&detached_ran) == 1);
    CHECK(sem_destroy(&sem) == 0);

    /* --- pthread_self/equal (joining yourself is not tested: glibc says
     * EDEADLK, musl blocks forever; POSIX allows both) --- */
    CHECK(pthread_equal(pthread_self(), pthread_self()));
    CHECK(!pthread_equal(pthread_self(), th[0]));
    printf("pthread_equal ok\n");

    printf("threads done\n");
    return 0;
}
