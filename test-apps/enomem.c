/*
 * enomem MODE: asks for more memory than a small guest has (run under
 * `port-app run -m 32M`); not in cases.txt, since natively the host's RAM
 * decides. Modes:
 *   mmap     one private writable anonymous mapping of 1 GiB: ENOMEM where
 *            that exceeds RAM (Linux's default overcommit rule);
 *   brk      the break moved up by 1 GiB: the break stays where it was;
 *   threads  threads (64 KiB stacks, each waiting) until creation fails:
 *            prints the error (EAGAIN or ENOMEM) and joins them all;
 *   touch    64 MiB in 1 MiB mappings, each written: on a 32 MiB guest the
 *            out-of-memory report and a non-zero exit.
 * Each prints one result line and exits 0 (touch: "touched" if it survived).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"

static volatile int release;

static void *waiter(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&release, __ATOMIC_SEQ_CST))
        sched_yield();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "mmap")) {
        void *p = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("mmap 1 GiB: %s\n", p == MAP_FAILED ? errno_name(errno) : "ok");
    } else if (!strcmp(m, "brk")) {
        long cur = syscall(SYS_brk, 0);
        long got = syscall(SYS_brk, cur + (1l << 30));
        printf("brk +1 GiB: %s\n", got == cur ? "unchanged" : "moved");
    } else if (!strcmp(m, "threads")) {
        static pthread_t t[4096];
        pthread_attr_t a;
        CHECK(pthread_attr_init(&a) == 0);
        CHECK(pthread_attr_setstacksize(&a, 65536) == 0);
        int n = 0, e = 0;
        while (n < 4096 && (e = pthread_create(&t[n], &a, waiter, NULL)) == 0)
            n++;
        __atomic_store_n(&release, 1, __ATOMIC_SEQ_CST);
        for (int i = 0; i < n; i++)
            CHECK(pthread_join(t[i], NULL) == 0);
        printf("threads: %s after %s\n", n == 4096 ? "no failure" : errno_name(e), n > 100 ? "many" : "few");
    } else if (!strcmp(m, "touch")) {
        for (int i = 0; i < 64; i++) {
            char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            CHECK(p != MAP_FAILED);
            memset(p, 1, 1 << 20);
        }
        printf("touched\n");
    } else {
        return 1;
    }
    return 0;
}
