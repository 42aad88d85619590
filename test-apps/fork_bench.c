/*
 * fork_bench N [poweroff]: a benchmark input (bench/fork.sh), not a
 * conformance test: its output is timings. Prints "name value" lines:
 *   fork_exit_wait_us   fork, the child _exits, the parent waitpid()s it
 *   vfork_exit_wait_us  the same with vfork
 *   fork_exec_wait_us   fork, the child execs this program ("exit" mode:
 *                       it _exits at once), waitpid
 *   vfork_exec_wait_us  the same with vfork (what posix_spawn does)
 * each the mean over N rounds after 5 warm-up rounds, and
 *   process_kib         free memory (sysinfo) lost per extra process,
 *                       measured with 16 idle children (each has dirtied
 *                       one page of its stack and waits on a pipe)
 *   free_kib            free memory before that
 * With "poweroff" it is a Linux guest's init (bench/fork.sh boots a Linux
 * kernel with it as the initramfs's only file): it mounts devtmpfs for a
 * console first and powers the machine off at the end.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

extern char **environ;
static const char *self;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void reap(pid_t c)
{
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void once(int use_vfork, int do_exec)
{
    pid_t c = use_vfork ? vfork() : fork();
    CHECK(c >= 0);
    if (c == 0) {
        if (do_exec) {
            char *argv[] = {(char *)self, "exit", NULL};
            execve(self, argv, environ);
        }
        _exit(do_exec ? 1 : 0);
    }
    reap(c);
}

static void measure(const char *name, int n, int use_vfork, int do_exec)
{
    for (int i = 0; i < 5; i++)
        once(use_vfork, do_exec);
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        once(use_vfork, do_exec);
    printf("%s %.1f\n", name, (now_us() - t0) / n);
    fflush(stdout);
}

static long free_kib(void)
{
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    return (long)(si.freeram * (unsigned long long)si.mem_unit / 1024);
}

static void process_cost(void)
{
    enum { K = 16 };
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0);
    long before = free_kib();
    pid_t kids[K];
    for (int i = 0; i < K; i++) {
        kids[i] = fork();
        CHECK(kids[i] >= 0);
        if (kids[i] == 0) {
            volatile char page[4096];
            page[0] = 1;
            char ch = page[0];
            close(ready[0]);
            close(go[1]);
            CHECK(write(ready[1], &ch, 1) == 1);
            _exit(read(go[0], &ch, 1) == 0 ? 0 : 1);
        }
    }
    close(ready[1]);
    close(go[0]);
    char ch;
    for (int i = 0; i < K; i++)
        CHECK(read(ready[0], &ch, 1) == 1);
    long after = free_kib();
    close(go[1]);
    for (int i = 0; i < K; i++)
        reap(kids[i]);
    close(ready[0]);
    printf("process_kib %.1f\n", (double)(before - after) / K);
    printf("free_kib %ld\n", before);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1 && !strcmp(argv[1], "exit"))
        _exit(0);
    int poweroff = argc > 2 && !strcmp(argv[2], "poweroff");
    if (poweroff) {
        mkdir("/dev", 0755);
        mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        self = "/fork_bench";
    }
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (n <= 0) {
        fprintf(stderr, "usage: fork_bench N [poweroff]\n");
        return 1;
    }
    measure("fork_exit_wait_us", n, 0, 0);
    measure("vfork_exit_wait_us", n, 1, 0);
    process_cost();
    measure("fork_exec_wait_us", n, 0, 1);
    measure("vfork_exec_wait_us", n, 1, 1);
    if (poweroff) {
        sync();
        reboot(RB_POWER_OFF);
    }
    return 0;
}
