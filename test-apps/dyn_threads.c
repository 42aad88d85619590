/*
 * dyn_threads: built dynamically linked (make dyn), so it runs through ld.so
 * and libc.so.6. 8 workers share a bounded queue (one mutex, two condition
 * variables): a producer pushes 8 * 2000 jobs, each worker sums the jobs it
 * takes into its own slot and a mutex-protected global, and a condvar-based
 * "all done" handshake ends the run. Also dlopen of libm (a library mapped
 * after start-up) and thread-local storage in each worker.
 *
 * Output is only totals and per-check facts, never who took which job, so
 * it is the same whatever the scheduling.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define NW 8
#define JOBS_PER_WORKER 2000
#define QCAP 16

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static int qhead, qlen, closed, finished;
static long total;
static long taken_total;

static _Thread_local long tls_sum = 0;
static _Thread_local char tls_tag[16] = "fresh";

struct worker {
    int id;
    long sum;
    int tls_ok;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    int tls_fresh = tls_sum == 0 && strcmp(tls_tag, "fresh") == 0;
    snprintf(tls_tag, sizeof tls_tag, "w%d", w->id);
    for (;;) {
        CHECK(pthread_mutex_lock(&mu) == 0);
        while (qlen == 0 && !closed)
            CHECK(pthread_cond_wait(&not_empty, &mu) == 0);
        if (qlen == 0 && closed) {
            finished++;
            CHECK(pthread_cond_signal(&all_done) == 0);
            CHECK(pthread_mutex_unlock(&mu) == 0);
            break;
        }
        long job = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        total += job;
        taken_total++;
        CHECK(pthread_cond_signal(&not_full) == 0);
        CHECK(pthread_mutex_unlock(&mu) == 0);
        tls_sum += job;
    }
    w->sum = tls_sum;
    char want[16];
    snprintf(want, sizeof want, "w%d", w->id);
    w->tls_ok = tls_fresh && strcmp(tls_tag, want) == 0;
    return w;
}

int main(void)
{
    pthread_t t[NW];
    struct worker w[NW];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NW; i++) {
        w[i].id = i;
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    long expect = 0;
    for (long j = 1; j <= (long)NW * JOBS_PER_WORKER; j++) {
        CHECK(pthread_mutex_lock(&mu) == 0);
        while (qlen == QCAP)
            CHECK(pthread_cond_wait(&not_full, &mu) == 0);
        queue[(qhead + qlen) % QCAP] = j;
        qlen++;
        expect += j;
        CHECK(pthread_cond_signal(&not_empty) == 0);
        CHECK(pthread_mutex_unlock(&mu) == 0);
    }
    CHECK(pthread_mutex_lock(&mu) == 0);
    closed = 1;
    CHECK(pthread_cond_broadcast(&not_empty) == 0);
    while (finished < NW)
        CHECK(pthread_cond_wait(&all_done, &mu) == 0);
    CHECK(pthread_mutex_unlock(&mu) == 0);

    long sum = 0;
    int tls_ok = 0;
    for (int i = 0; i < NW; i++) {
        void *ret;
        CHECK(pthread_join(t[i], &ret) == 0);
        CHECK(ret == &w[i]);
        sum += w[i].sum;
        tls_ok += w[i].tls_ok;
    }
    printf("workers %d\n", NW);
    printf("jobs %ld (expected %ld)\n", taken_total, (long)NW * JOBS_PER_WORKER);
    printf("total %ld (expected %ld)\n", total, expect);
    printf("per-worker sums add up: %s\n", sum == expect ? "yes" : "no");
    printf("thread-local storage private and fresh: %d/%d\n", tls_ok, NW);
    printf("main tls untouched: %s\n", tls_sum == 0 && strcmp(tls_tag, "fresh") == 0 ? "yes" : "no");

    void *m = dlopen("libm.so.6", RTLD_NOW);
    CHECK(m != NULL);
    double (*cbrt_fn)(double) = (double (*)(double))dlsym(m, "cbrt");
    CHECK(cbrt_fn != NULL);
    printf("dlopen libm: cbrt(27) = %.1f\n", cbrt_fn(27.0));
    CHECK(dlclose(m) == 0);
    return 0;
}
