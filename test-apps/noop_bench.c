/*
 * noop_bench N: a benchmark input, not a conformance test (its output is
 * timings). Times N calls each of
 *   function_call  a plain call to a non-inlined C function
 *   syscall_500    syscall(500): port-app's no-op system call (natively
 *                  the kernel answers -1/ENOSYS, which is fine)
 *   syscall_500_direct  the same through an inline `mov eax, 500; syscall`,
 *                  so the rewriter proves the number and the site calls the
 *                  handler directly (libc's syscall() takes the number in a
 *                  register, which only the run-time dispatcher can route)
 *   getpid         syscall(SYS_getpid), bypassing any libc pid cache
 * and, for the cost of checked copies of app memory (shim/uaccess.h), calls
 * that take pointers, all through syscall() (natively no vDSO):
 *   clock_gettime  CLOCK_MONOTONIC into a timespec (16 bytes out)
 *   fstat          fstat(0) into a struct stat (144 bytes out)
 *   read_64        64 bytes from /dev/zero
 *   write_64       64 bytes to /dev/null
 * and prints "name ns_per_call" lines.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) static long plain_function(long x)
{
    __asm__ volatile("" ::: "memory"); /* keeps the call from being elided */
    return x + 1;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void report(const char *name, int64_t ns, long n)
{
    printf("%s %.2f\n", name, (double)ns / (double)n);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0;
    if (n <= 0) {
        fprintf(stderr, "usage: noop_bench N   (N > 0 calls per measurement)\n");
        return 1;
    }
    volatile long sink = 0;

    int64_t t0 = now_ns();
    long acc = 0;
    for (long i = 0; i < n; i++)
        acc = plain_function(acc);
    int64_t t1 = now_ns();
    sink = acc;
    report("function_call", t1 - t0, n);

    t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink = syscall(500);
    t1 = now_ns();
    report("syscall_500", t1 - t0, n);

    t0 = now_ns();
    for (long i = 0; i < n; i++) {
        long r;
        __asm__ volatile("mov $500, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
        sink = r;
    }
    t1 = now_ns();
    report("syscall_500_direct", t1 - t0, n);

    t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink = syscall(SYS_getpid);
    t1 = now_ns();
    report("getpid", t1 - t0, n);

    struct timespec ts;
    t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    t1 = now_ns();
    report("clock_gettime", t1 - t0, n);

    struct stat st;
    t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink = syscall(SYS_fstat, 0, &st);
    t1 = now_ns();
    report("fstat", t1 - t0, n);

    char buf[64];
    int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
    if (zero >= 0 && null >= 0) {
        t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink = syscall(SYS_read, zero, buf, sizeof buf);
        t1 = now_ns();
        report("read_64", t1 - t0, n);
        t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink = syscall(SYS_write, null, buf, sizeof buf);
        t1 = now_ns();
        report("write_64", t1 - t0, n);
    }

    (void)sink;
    return 0;
}
