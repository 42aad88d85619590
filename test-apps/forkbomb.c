/*
 * forkbomb [MAX]: forks until fork fails (or MAX children, default 100000),
 * then proves the system still answers. Not in cases.txt and never run
 * natively by the tests (root has no RLIMIT_NPROC on the host): it is meant
 * for a small guest, `port-app run -m 64 ...`, where memory runs out first.
 *
 * Each child touches one private page (a copy-on-write fault in the child)
 * and blocks reading a pipe; the parent then prints the errno name fork gave
 * (EAGAIN or ENOMEM), closes the pipe so every child exits, reaps them all
 * (one killed for want of memory, as by Linux's OOM killer, only shows on
 * stderr), and forks once more to show the system recovered: "alive".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

static char page[4096];

int main(int argc, char **argv)
{
    long max = argc > 1 ? atol(argv[1]) : 100000;
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    fflush(stdout);
    long n = 0;
    int err = 0;
    while (n < max) {
        pid_t c = fork();
        if (c < 0) {
            err = errno;
            break;
        }
        if (c == 0) {
            char ch;
            page[0] = 1;
            close(pfd[1]);
            _exit(read(pfd[0], &ch, 1) == 0 ? 0 : 1);
        }
        n++;
    }
    printf("fork failed: %s\n", err ? errno_name(err) : "no (reached the limit)");
    printf("children before the failure: %s\n", n >= 8 ? "at least 8" : "fewer than 8");
    fflush(stdout);
    close(pfd[1]);
    close(pfd[0]);
    long reaped = 0, bad = 0;
    int st;
    pid_t r;
    while ((r = wait(&st)) > 0 || errno == EINTR) {
        if (r > 0) {
            reaped++;
            bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
    }
    CHECK(errno == ECHILD);
    /* A child the guest could not give its page may have been killed, as by
     * Linux's OOM killer: that is said on stderr, not counted as a failure. */
    printf("reaped all: %s\n", reaped == n ? "yes" : "no");
    fflush(stdout);
    pid_t c = fork();
    CHECK(c >= 0);
    if (c == 0)
        _exit(7);
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    printf("alive\n");
    fprintf(stderr, "forkbomb: %ld children, %ld of them killed or failed\n", n, bad);
    return 0;
}
