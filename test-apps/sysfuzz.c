/*
 * sysfuzz [-t TRACE_FROM] [-x net] [-x stack] N SEED: N random system calls with hostile
 * arguments, made by forked children that are replaced when they die. Not a differential test (it is
 * random by design): it checks that the kernel survives. Never run it natively
 * as root: its children call anything the table has with random arguments.
 *
 * Call i is drawn from SEED and i alone (splitmix64), so a run is reproduced by
 * its seed, and `-t TRACE_FROM` prints every call from TRACE_FROM on to stderr
 * before making it (the last line before a kernel fault names it). `-x net`
 * leaves out the socket calls (41-55, 288, 299, 307), counted as skipped: the
 * net module's conversion to checked user access is another change (issue 8),
 * and until it lands any bad pointer there is a kernel fault. `-x stack` gives
 * clone no new stack and leaves out clone3 (its stack is in a random struct):
 * a new thread whose stack pointer sits at the start of a mapping faults in the
 * kernel when the timer preempts it, because preempt_stub (like the shim) runs
 * on the app's stack until the private shim stack (issue 10 item 3) lands.
 *
 * Numbers: every number of port-app's syscall table (the generated
 * sysfuzz_table.h), plus out-of-range ones (past the table, negative, the x32
 * bit, huge). Arguments: by the table's types, a pointer argument usually gets
 * a pointer (NULL, a valid buffer, the last byte before an unmapped page, a
 * read-only and a PROT_NONE page, unmapped low pages, kernel-half and
 * non-canonical addresses, the program's own text and stack, strings), an fd
 * argument an fd (a file, /dev/null, a directory, pipe ends, an eventfd, AF_UNIX
 * and AF_INET sockets, an epoll fd, a memfd; or a bad one), anything else an
 * interesting number (0, -1, small, page sizes, 2^31, 2^32, huge, random bits).
 *
 * Skipped (they would end the run, which is not what is tested):
 *   - reboot;
 *   - the pid argument of kill, tkill, tgkill, rt_sigqueueinfo,
 *     rt_tgsigqueueinfo, pidfd_open, process_vm_readv/writev, prlimit64 and
 *     ptrace is never drawn from the pool: it is the child itself, its process
 *     group (0 or -pid) or a pid that exists nowhere, because the parent
 *     (pid 1 on the unikernel) would otherwise get signals, limits or writes
 *     into its memory. kill(-1, ...) is therefore never made.
 * exit and exit_group are made: they end the child, which is replaced. A
 * process or thread a call creates (fork, vfork, clone, clone3) leaves at once.
 *
 * The parent counts the calls made, the children and how they ended (exited,
 * killed by a signal, killed by the watchdog after WATCHDOG_MS without
 * progress: a blocked read or pause is a fine answer, and SIGKILL must end
 * it). It exits 0 after printing the summary; 3 if a child survives SIGKILL
 * (a kernel that cannot kill a blocked process hangs its users).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct sc {
    int nr;
    const char *name;
    int nargs;
    unsigned ptrmask; /* bit i: argument i is a pointer */
    unsigned fdmask;  /* bit i: argument i is an fd */
};

static const struct sc table[] = {
#include "sysfuzz_table.h"
};
#define NTABLE ((int) (sizeof table / sizeof table[0]))

#define PER_CHILD 200     /* calls per child before it is replaced anyway */
#define WATCHDOG_MS 400   /* no progress this long: SIGKILL */
#define KILL_GRACE_MS 5000
#define PAGE 4096L
#define WORK "/tmp/sysfuzz"

/* What a child tells its parent, in a MAP_SHARED page. */
struct progress {
    volatile long cur;   /* the call being made (or the last one made) */
    volatile long made;  /* calls made (skips not counted) by this child */
    volatile long skipped;
    volatile int nr;     /* number of the call in progress */
};

static struct progress *prog;
static int trace_fd = -1;
static long trace_from = -1;
static int no_net;
static int no_stack;

static int is_net(long nr)
{
    return (nr >= SYS_socket && nr <= SYS_getsockopt) || nr == SYS_accept4 || nr == SYS_recvmmsg
        || nr == SYS_sendmmsg;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *s, uint64_t n)
{
    return splitmix(s) % n;
}

/* ---- the child's pools ------------------------------------------------------ */

static unsigned char *buf;   /* 4 pages, read-write, random contents */
static unsigned char *edge;  /* last byte of a page followed by an unmapped one */
static unsigned char *ro;    /* a read-only page */
static unsigned char *none;  /* a PROT_NONE page */
static int fds[12];
static int nfds;

static const char *const paths[] = {
    WORK "/f", WORK "/g", WORK "/d", WORK, "/", ".", "", "/dev/null", "/proc/self/maps",
    "/nonexistent/x", WORK "/f/x", "..",
};
#define NPATHS ((int) (sizeof paths / sizeof paths[0]))

static void setup_child(uint64_t seed)
{
    unsigned char *m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        _exit(90);
    buf = m;
    munmap(m + 5 * PAGE, PAGE);           /* the hole after edge's page */
    edge = m + 5 * PAGE - 1;
    ro = m + 6 * PAGE;
    none = m + 7 * PAGE;
    for (long i = 0; i < 5 * PAGE; i++)
        m[i] = (unsigned char) splitmix(&seed);
    mprotect(ro, PAGE, PROT_READ);
    mprotect(none, PAGE, PROT_NONE);

    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        /* the children never write to the console: random writes would flood it */
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
    }
    nfds = 0;
    int p[2], s[2];
    fds[nfds++] = open(WORK "/f", O_RDWR | O_CREAT, 0644);
    fds[nfds++] = devnull;
    fds[nfds++] = open("/", O_RDONLY | O_DIRECTORY);
    if (pipe2(p, O_NONBLOCK) == 0) {
        fds[nfds++] = p[0];
        fds[nfds++] = p[1];
    }
    fds[nfds++] = eventfd(1, 0);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0) {
        fds[nfds++] = s[0];
        fds[nfds++] = s[1];
    }
    fds[nfds++] = socket(AF_INET, SOCK_DGRAM, 0);
    fds[nfds++] = socket(AF_INET, SOCK_STREAM, 0);
    fds[nfds++] = epoll_create1(0);
    fds[nfds++] = (int) syscall(SYS_memfd_create, "sysfuzz", 0);
}

static long pick_pointer(uint64_t *s)
{
    static long stack_marker;
    long local = 0;
    switch (below(s, 20)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return 0x1000;                          /* unmapped, low */
    case 3: case 4: case 5: return (long) buf + (long) below(s, 4) * 64;
    case 6: return (long) edge;                     /* one valid byte */
    case 7: return (long) edge - (long) below(s, 16);
    case 8: return (long) ro;
    case 9: return (long) none;
    case 10: return (long) 0xffff800000000000UL;    /* kernel half: the direct map */
    case 11: return (long) 0xffffffff80100000UL;    /* the unikernel's text */
    case 12: return (long) 0xffffffff80000000UL;
    case 13: return 0x0000800000000000L;            /* first non-canonical */
    case 14: return (long) 0xdead000000000000UL;
    case 15: return (long) &pick_pointer;           /* own text */
    case 16: return (long) &local;                  /* own stack (the frame is gone after the call) */
    case 17: return (long) paths[below(s, NPATHS)];
    case 18: return (long) &stack_marker;
    default: return -1;
    }
}

static long pick_fd(uint64_t *s)
{
    switch (below(s, 10)) {
    case 0: return -1;
    case 1: return 1000;
    case 2: return 0x7fffffff;
    case 3: return AT_FDCWD;
    default: return nfds ? fds[below(s, nfds)] : 0;
    }
}

static long pick_number(uint64_t *s)
{
    switch (below(s, 24)) {
    case 0: case 1: return 0;
    case 2: return 1;
    case 3: return -1;
    case 4: return (long) below(s, 8);
    case 5: return (long) below(s, 64);
    case 6: return (long) below(s, 1024);
    case 7: return PAGE;
    case 8: return PAGE - 1;
    case 9: return 0x7fffffffL;
    case 10: return 0x80000000L;
    case 11: return 0xffffffffL;
    case 12: return 0x100000000L;
    case 13: return (long) 0x7fffffffffffffffUL;
    case 14: return (long) 0x8000000000000000UL;
    case 15: return -4096;
    case 16: return 1L << below(s, 64);
    case 17: return (long) (splitmix(s) & splitmix(s)); /* random flag bits */
    case 18: return (long) splitmix(s);
    case 19: return (long) below(s, 0x10000) * PAGE;
    case 20: return -(long) below(s, 200);
    default: return (long) below(s, 32);
    }
}

/* The child itself, its group, or a pid nobody has: never the parent (see the top). */
static long own_pid(uint64_t *s)
{
    long me = syscall(SYS_getpid);
    switch (below(s, 4)) {
    case 0: return 0;
    case 1: return -me;
    case 2: return 0x3ffffff0;
    default: return me;
    }
}

struct call {
    long nr;
    const char *name;
    long a[6];
    int skip;
};

/* Draws call i; the same in the parent (to name it) and the child. */
static void draw(uint64_t seed, long i, struct call *c)
{
    uint64_t s = seed ^ ((uint64_t) i * 0xd1342543de82ef95ULL);
    splitmix(&s);
    const struct sc *e = NULL;
    if (below(&s, 16) != 0) {
        e = &table[below(&s, NTABLE)];
        c->nr = e->nr;
        c->name = e->name;
    } else {
        c->name = "(out of range)";
        switch (below(&s, 5)) {
        case 0: c->nr = table[NTABLE - 1].nr + 1 + (long) below(&s, 600); break;
        case 1: c->nr = -1 - (long) below(&s, 4); break;
        case 2: c->nr = 0x40000000L | (long) below(&s, 548); break; /* the x32 bit */
        case 3: c->nr = (long) splitmix(&s); break;
        default: c->nr = 0x7fffffffL; break;
        }
    }
    for (int k = 0; k < 6; k++) {
        unsigned bit = 1u << k;
        int any = below(&s, 8) == 0;
        if (e && (e->ptrmask & bit) && !any)
            c->a[k] = pick_pointer(&s);
        else if (e && (e->fdmask & bit) && !any)
            c->a[k] = pick_fd(&s);
        else
            switch (below(&s, 4)) {
            case 0: c->a[k] = pick_pointer(&s); break;
            case 1: c->a[k] = pick_fd(&s); break;
            default: c->a[k] = pick_number(&s); break;
            }
    }
    c->skip = (no_net && is_net(c->nr)) || (no_stack && c->nr == SYS_clone3);
    if (no_stack && c->nr == SYS_clone)
        c->a[1] = 0;
    switch (c->nr) {
    case SYS_reboot:
        c->skip = 1;
        break;
    case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo: case SYS_pidfd_open:
    case SYS_process_vm_readv: case SYS_process_vm_writev: case SYS_prlimit64:
        c->a[0] = own_pid(&s);
        break;
    case SYS_tgkill: case SYS_rt_tgsigqueueinfo:
        c->a[0] = own_pid(&s);
        c->a[1] = own_pid(&s);
        break;
    case SYS_ptrace:
        c->a[1] = own_pid(&s);
        break;
    default:
        break;
    }
}

static void trace(long i, const struct call *c)
{
    char line[256];
    int n = snprintf(line, sizeof line, "sysfuzz: call %ld nr %ld %s %lx %lx %lx %lx %lx %lx\n", i, c->nr,
                     c->name, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
    if (n > 0)
        (void) !write(trace_fd, line, (size_t) n);
}

static _Noreturn void child(uint64_t seed, long from, long to)
{
    setpgid(0, 0); /* kill(0, ...) and kill(-pid, ...) then reach only this child's group */
    setup_child(seed ^ (uint64_t) from);
    long me = syscall(SYS_gettid);
    for (long i = from; i < to; i++) {
        struct call c;
        draw(seed, i, &c);
        prog->cur = i;
        prog->nr = (int) c.nr;
        if (c.skip) {
            prog->skipped++;
            continue;
        }
        if (i >= trace_from && trace_from >= 0)
            trace(i, &c);
        prog->made++;
        syscall(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
        /* a process or thread the call created leaves at once (a thread on a bad stack dies
           before it gets here, taking the child with it) */
        if (syscall(SYS_gettid) != me)
            syscall(SYS_exit, 0);
    }
    prog->cur = to;
    _exit(0);
}

/* ---- the parent ------------------------------------------------------------------ */

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for pid up to ms; 1 when it ended (status in *st). Reaps any other child too. */
static int wait_for(pid_t pid, int *st, long ms)
{
    long end = now_ms() + ms;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
        pid_t r;
        while ((r = waitpid(-1, st, WNOHANG)) > 0)
            if (r == pid)
                return 1;
        long left = end - now_ms();
        if (left <= 0)
            return 0;
        if (left > 20)
            left = 20;
        struct timespec ts = {0, left * 1000000};
        sigtimedwait(&chld, NULL, &ts);
    }
}

static void clean_work(void)
{
    const char *const names[] = {WORK "/f", WORK "/g", WORK "/d/x", WORK "/f/x"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        unlink(names[k]);
    rmdir(WORK "/d");
    rmdir(WORK "/g");
    mkdir(WORK, 0755);
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "t:x:")) != -1) {
        if (opt == 't') {
            trace_from = atol(optarg);
            trace_fd = dup(2);
        } else if (opt == 'x' && strcmp(optarg, "net") == 0) {
            no_net = 1;
        } else if (opt == 'x' && strcmp(optarg, "stack") == 0) {
            no_stack = 1;
        } else {
            optind = argc + 1;
            break;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: sysfuzz [-t TRACE_FROM] [-x net] [-x stack] N SEED\n");
        return 2;
    }
    long n = atol(argv[optind]);
    uint64_t seed = strtoull(argv[optind + 1], NULL, 0);
    prog = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (prog == MAP_FAILED) {
        perror("sysfuzz: mmap");
        return 1;
    }
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    long made = 0, skipped = 0, children = 0, exited = 0, watchdog = 0, next = 0;
    long bysig[65] = {0};
    int shown = 0;
    long t0 = now_ms();
    while (next < n) {
        long to = next + PER_CHILD < n ? next + PER_CHILD : n;
        clean_work();
        prog->cur = next;
        prog->made = 0;
        prog->skipped = 0;
        pid_t pid = fork();
        if (pid < 0) {
            /* out of processes or memory for a moment: reap and retry */
            int st;
            wait_for(-2, &st, 50);
            continue;
        }
        if (pid == 0) {
            sigprocmask(SIG_UNBLOCK, &chld, NULL);
            child(seed, next, to);
        }
        children++;
        int st = 0;
        long last = prog->cur, since = now_ms();
        for (;;) {
            if (wait_for(pid, &st, 20))
                break;
            if (prog->cur != last) {
                last = prog->cur;
                since = now_ms();
            } else if (now_ms() - since > WATCHDOG_MS) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                watchdog++;
                if (!wait_for(pid, &st, KILL_GRACE_MS)) {
                    struct call c;
                    draw(seed, prog->cur, &c);
                    printf("sysfuzz: HANG: child %d survives SIGKILL in call %ld (nr %ld %s)\n", (int) pid,
                           prog->cur, c.nr, c.name);
                    return 3;
                }
                st = -1;
                break;
            }
        }
        kill(-pid, SIGKILL); /* what it left behind in its group */
        made += prog->made;
        skipped += prog->skipped;
        if (st == -1) {
            /* counted above */
        } else if (WIFSIGNALED(st)) {
            int sig = WTERMSIG(st);
            bysig[sig > 0 && sig < 65 ? sig : 0]++;
            if (shown < 10) {
                struct call c;
                draw(seed, prog->cur, &c);
                printf("sysfuzz: child died of signal %d in call %ld (nr %ld %s)\n", sig, prog->cur, c.nr, c.name);
                shown++;
            }
        } else {
            exited++;
        }
        long after = prog->cur < to ? prog->cur + 1 : to;
        next = after > next ? after : next + 1;
    }
    long ms = now_ms() - t0;
    int st;
    while (waitpid(-1, &st, WNOHANG) > 0) {
    }
    printf("sysfuzz: seed 0x%llx: %ld calls made, %ld skipped%s, %ld children\n", (unsigned long long) seed, made,
           skipped, no_net && no_stack ? " (reboot, net, clone3)" : no_net ? " (reboot, net)"
                     : no_stack ? " (reboot, clone3)" : " (reboot)", children);
    if (no_stack)
        printf("sysfuzz: clone without a new stack\n");
    printf("sysfuzz: children exited %ld, killed by the watchdog %ld, died by signal:", exited, watchdog);
    for (int k = 0; k < 65; k++)
        if (bysig[k])
            printf(" %d=%ld", k, bysig[k]);
    printf("\n");
    printf("sysfuzz: %ld ms, %ld calls per second\n", ms, ms > 0 ? made * 1000 / ms : made);
    printf("sysfuzz: done\n");
    return 0;
}
