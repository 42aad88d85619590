/* Probe of the unikernel's proc, mm, time and sysinfo modules (UnikernelRunTest):
 * prints facts that are the same natively and on the unikernel; 'wx' checks W^X.
 * Build with -mno-red-zone (see redzone_words_changed). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/utsname.h>

static const char *err(long r)
{
    if (r >= 0 && r != (long)MAP_FAILED)
        return "ok";
    switch (errno) {
    case EEXIST: return "EEXIST";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    default: return "other";
    }
}

/* Fills the 16 words below rsp (the red zone), makes a raw `syscall`
 * (getpid), and counts the words that changed: the kernel's syscall paths
 * (rewritten site and LSTAR entry alike) must leave the red zone alone. The
 * file is compiled with -mno-red-zone so the compiler keeps nothing there. */
static int redzone_words_changed(void)
{
    int bad;
    __asm__ volatile(
        "xor %%edx, %%edx\n"
        "1: lea 0x5a5a(%%rdx), %%rax\n"
        "mov %%rax, -128(%%rsp,%%rdx,8)\n"
        "inc %%edx\n"
        "cmp $16, %%edx\n"
        "jne 1b\n"
        "mov $39, %%eax\n"
        "syscall\n"
        "xor %%edx, %%edx\n"
        "xor %0, %0\n"
        "2: lea 0x5a5a(%%rdx), %%rax\n"
        "cmp %%rax, -128(%%rsp,%%rdx,8)\n"
        "je 3f\n"
        "inc %0\n"
        "3: inc %%edx\n"
        "cmp $16, %%edx\n"
        "jne 2b\n"
        : "=&r"(bad) : : "rax", "rcx", "rdx", "r11", "memory", "cc");
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "wx") == 0) {
        void *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        const char *m = err(mprotect(w, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
        printf("mprotect rwx: %s\n", m);
        printf("mmap rwx: %s\n", err((long)mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
        return 0;
    }
    long pg = sysconf(_SC_PAGESIZE);
    const char *e;
    /* anonymous memory: zero, writable, 64 pages touched sparsely */
    unsigned char *p = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int zero = 1;
    for (long i = 0; i < 64 * pg; i += 4096) { zero &= p[i] == 0; p[i] = 1; }
    printf("mmap anon: %s, zero %d\n", err((long)p), zero);
    printf("munmap middle: %s\n", err(munmap(p + 8 * pg, 8 * pg)));
    printf("mmap fixed_noreplace over mapped: %s\n",
           err((long)mmap(p, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)));
    void *f = mmap(p + 8 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap fixed into hole: %s, at hole %d\n", err((long)f), f == p + 8 * pg);
    /* mremap: grow with move keeps contents */
    unsigned char *q = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(q, 7, 2 * pg);
    unsigned char *q2 = mremap(q, 2 * pg, 512 * pg, MREMAP_MAYMOVE);
    printf("mremap grow: %s, kept %d %d, tail %d\n", err((long)q2), q2[0], q2[2 * pg - 1], q2[511 * pg]);
    printf("mremap shrink: %s\n", err((long)mremap(q2, 512 * pg, pg, 0)));
    /* W^X */
    void *x = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mprotect rx: %s\n", err(mprotect(x, pg, PROT_READ | PROT_EXEC)));
    printf("mprotect unmapped: %s\n", err(mprotect((char *)x + 1024 * 1024 * 1024L * 16, pg, PROT_READ)));
    printf("madvise dontneed: %s\n", err(madvise(p, pg, MADV_DONTNEED)));
    printf("after dontneed: %d\n", p[0]);
    /* brk */
    /* the raw call: musl's sbrk refuses to grow */
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + (1 << 20));
    if (b1 == b0 + (1 << 20))
        b0[(1 << 20) - 1] = 1;
    printf("brk +1 MiB: moved %d\n", b1 == b0 + (1 << 20));
    /* identity, limits, cpus */
    printf("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
    struct rlimit rl;
    e = err(getrlimit(RLIMIT_NOFILE, &rl));
    printf("getrlimit nofile: %s, cur<=max %d\n", e, rl.rlim_cur <= rl.rlim_max);
    rl.rlim_cur = 64;
    printf("setrlimit nofile 64: %s\n", err(setrlimit(RLIMIT_NOFILE, &rl)));
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("nofile now %ld\n", (long)rl.rlim_cur);
    cpu_set_t set;
    CPU_ZERO(&set);
    e = err(sched_getaffinity(0, sizeof set, &set));
    printf("sched_getaffinity: %s, cpus %d\n", e, CPU_COUNT(&set) >= 1);
    struct utsname u;
    e = err(uname(&u));
    printf("uname: %s %s %s\n", e, u.sysname, u.machine);
    struct sysinfo si;
    e = err(sysinfo(&si));
    printf("sysinfo: %s, ram>0 %d, free<=total %d\n", e, si.totalram > 0, si.freeram <= si.totalram);
    /* time */
    struct timespec a, c, r = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    printf("nanosleep 20ms: %s\n", err(nanosleep(&r, NULL)));
    clock_gettime(CLOCK_MONOTONIC, &c);
    long ms = (c.tv_sec - a.tv_sec) * 1000 + (c.tv_nsec - a.tv_nsec) / 1000000;
    printf("slept >= 20ms %d\n", ms >= 20);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    printf("realtime after 2020 %d, time() agrees %d\n", rt.tv_sec > 1577836800, labs(time(NULL) - rt.tv_sec) <= 1);
    printf("clock_getres monotonic: %s; bad clock: %s\n", err(clock_getres(CLOCK_MONOTONIC, &r)),
           err(clock_getres(99, &r)));
    struct tms t;
    printf("times: %s\n", err(times(&t) == (clock_t)-1 ? -1 : 0));
    printf("getpid>0 %d, gettid==getpid %d\n", getpid() > 0, gettid() == getpid());
    int fd = open("/proc/self/exe", O_RDONLY);
    unsigned char *m = fd < 0 ? MAP_FAILED : mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
    unsigned char *h = fd < 0 ? MAP_FAILED : mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0);
    unsigned char buf[16];
    int same = fd >= 0 && pread(fd, buf, sizeof buf, pg) == (ssize_t)sizeof buf && m != MAP_FAILED &&
               memcmp(m, buf, sizeof buf) == 0;
    printf("mmap file: %s, ELF header %d, offset page matches read %d\n", err((long)m),
           h != MAP_FAILED && memcmp(h, "\177ELF", 4) == 0, same);
    printf("red zone across a raw syscall: %d of 16 words changed\n", redzone_words_changed());
    return 0;
}
