/*
 * eintr: a signal that arrives while the main thread is blocked in a system
 * call, with and without SA_RESTART, for each blocking call the unikernel
 * implements itself: read/readv/write/writev on pipes (a full pipe, and a
 * big write that has moved bytes), a FIFO's open, eventfd read and write,
 * futex FUTEX_WAIT and FUTEX_WAIT_BITSET with and without a timeout (and a
 * handler that changes the word before the restart), nanosleep and
 * clock_nanosleep (relative: the time left; absolute), wait4 and waitid,
 * pause, rt_sigsuspend, rt_sigtimedwait, select, pselect6, poll, ppoll and
 * epoll_wait (the timeouts written back). The signal comes from a second
 * thread (tgkill, or kill of the process), or from an ITIMER_REAL.
 *
 * Each case: a helper thread (all signals blocked) waits until the main
 * thread is asleep in the call (wait_asleep), sends SIGUSR1, waits for the
 * handler to have run, waits until a restarted call is asleep again, and
 * then "finishes" the wait (writes the byte, wakes the futex, ...), so a
 * restarted call returns its normal result and an interrupted one -1 EINTR.
 * The interval timer's cases arm a 100 ms ITIMER_REAL instead.
 * Raw syscall() throughout, so neither libc retries or rewrites a call.
 * Printed: the result or errno name, and how many times the handler ran;
 * times left are printed as "in range" facts, never as numbers.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define DELAY_MS 20

/* linux/futex.h's values (musl-gcc has no kernel headers). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY (-1)

static volatile sig_atomic_t handled;
/* When set, the handler stores 1 there (a futex word changed under a
 * restarting FUTEX_WAIT). */
static volatile int *volatile handler_store;

static void on_sig(int sig)
{
    (void)sig;
    if (handler_store)
        *handler_store = 1;
    handled++;
}

enum how { BY_TGKILL, BY_KILL, BY_ITIMER };

static pid_t main_tid;
static enum how plan_how;
static void (*plan_finish)(void);

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Returns once the main thread is asleep in its call: natively (and on
 * linuxu) when /proc/self/task/TID/stat says "S"; where there is no such
 * file (the unikernel, whose shim is not preempted: the helper runs only
 * once the main thread blocks), after DELAY_MS. */
static void wait_asleep(void)
{
    char path[64], b[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)main_tid);
    for (int i = 0; i < 5000; i++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            sleep_ms(DELAY_MS);
            return;
        }
        ssize_t n = read(fd, b, sizeof b - 1);
        close(fd);
        if (n > 0) {
            b[n] = 0;
            char *p = strrchr(b, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                return;
        }
        sleep_ms(1);
    }
}

static int plan_restart;

static void *helper(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    if (plan_how != BY_ITIMER)
        wait_asleep();
    if (plan_how == BY_TGKILL)
        syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
    else if (plan_how == BY_KILL)
        kill(getpid(), SIGUSR1);
    for (int i = 0; i < 10000 && !handled; i++)
        sleep_ms(1);
    /* A restarted call is asleep again before it is finished; an
     * interrupted one has returned (the finish only tidies up). */
    if (plan_restart && plan_finish)
        wait_asleep();
    if (plan_finish)
        plan_finish();
    return NULL;
}

/* Runs call() in the main thread with the helper's signal (and finish)
 * and prints "<name>[ (SA_RESTART)]: <result>, handler ran N". */
static long run_case(const char *name, int restart, enum how how, long (*call)(void),
                     void (*finish)(void))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    handled = 0;
    plan_how = how;
    plan_finish = finish;
    plan_restart = restart;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, helper, NULL) == 0);
    if (how == BY_ITIMER) {
        /* 100 ms: the main thread must be in its call by then, on a
         * loaded machine too. */
        struct itimerval it = { { 0, 0 }, { 0, 100 * 1000 } };
        CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    }
    errno = 0;
    long r = call();
    int e = errno;
    CHECK(pthread_join(th, NULL) == 0);
    if (r == -1)
        printf("%s%s: -1 %s, handler ran %d\n", name, restart ? " (SA_RESTART)" : "", errno_name(e),
               (int)handled);
    else
        printf("%s%s: %ld, handler ran %d\n", name, restart ? " (SA_RESTART)" : "", r, (int)handled);
    errno = e;
    return r;
}

/* ---- pipes ---------------------------------------------------------------- */

static int pfd[2];
static char big[100000];

static void new_pipe(void) { CHECK(pipe(pfd) == 0); }
static void close_pipe(void) { close(pfd[0]); close(pfd[1]); }

/* Fills the pipe with non-blocking writes until EAGAIN; returns the count. */
static long fill_pipe(void)
{
    int fl = fcntl(pfd[1], F_GETFL);
    CHECK(fcntl(pfd[1], F_SETFL, fl | O_NONBLOCK) == 0);
    long total = 0, r;
    while ((r = write(pfd[1], big, 4096)) > 0)
        total += r;
    CHECK(r == -1 && errno == EAGAIN);
    CHECK(fcntl(pfd[1], F_SETFL, fl) == 0);
    return total;
}

static void put_byte(void) { CHECK(write(pfd[1], "x", 1) == 1); }

/* Empties the pipe (a write that was not ended by the signal can finish). */
static void drain(void)
{
    int fl = fcntl(pfd[0], F_GETFL);
    CHECK(fcntl(pfd[0], F_SETFL, fl | O_NONBLOCK) == 0);
    while (read(pfd[0], big, 4096) > 0)
        ;
    CHECK(fcntl(pfd[0], F_SETFL, fl) == 0);
}
static void take_page(void) { CHECK(read(pfd[0], big, 4096) == 4096); }

static long call_read(void)
{
    char b[16];
    return syscall(SYS_read, pfd[0], b, sizeof b);
}

static long call_readv(void)
{
    char a[1], b[8];
    struct iovec iov[2] = { { a, sizeof a }, { b, sizeof b } };
    return syscall(SYS_readv, pfd[0], iov, 2);
}

static long call_write1(void) { return syscall(SYS_write, pfd[1], "y", 1); }

static long call_writev(void)
{
    struct iovec iov[2] = { { "a", 1 }, { "b", 1 } };
    return syscall(SYS_writev, pfd[1], iov, 2);
}

static long call_write_big(void) { return syscall(SYS_write, pfd[1], big, sizeof big); }

static void pipes(void)
{
    for (int restart = 0; restart < 2; restart++) {
        new_pipe();
        run_case("pipe read", restart, BY_TGKILL, call_read, put_byte);
        close_pipe();
        new_pipe();
        run_case("pipe readv", restart, BY_TGKILL, call_readv, put_byte);
        close_pipe();
        new_pipe();
        printf("pipe filled with %ld bytes\n", fill_pipe());
        run_case("pipe write, full", restart, BY_TGKILL, call_write1, take_page);
        close_pipe();
        new_pipe();
        fill_pipe();
        run_case("pipe writev, full", restart, BY_TGKILL, call_writev, take_page);
        close_pipe();
        /* 100000 bytes into an empty pipe: 65536 go in, then it blocks; the
         * signal ends the write with that count, SA_RESTART or not. */
        new_pipe();
        run_case("pipe write, partial", restart, BY_TGKILL, call_write_big, drain);
        close_pipe();
        /* A process-directed signal (the interval timer) while another
         * thread, which blocks it, runs too. */
        new_pipe();
        run_case("pipe read, SIGALRM", restart, BY_ITIMER, call_read, put_byte);
        close_pipe();
    }
}

/* ---- FIFO open -------------------------------------------------------------- */

static char fifo_path[64];
static int fifo_w = -1;

static int fifo_r = -1;

/* 0 for an fd (its number differs in the guest), or -1. */
static long call_fifo_open(void)
{
    fifo_r = (int)syscall(SYS_openat, AT_FDCWD, fifo_path, O_RDONLY);
    return fifo_r >= 0 ? 0 : -1;
}
static void fifo_writer(void) { fifo_w = open(fifo_path, O_WRONLY | O_NONBLOCK); }

static void fifo(void)
{
    snprintf(fifo_path, sizeof fifo_path, "/tmp/eintr-fifo-%d", (int)getpid());
    CHECK(mkfifo(fifo_path, 0600) == 0);
    for (int restart = 0; restart < 2; restart++) {
        run_case("fifo open", restart, BY_TGKILL, call_fifo_open, fifo_writer);
        printf("fifo writer opened: %s\n", fifo_w >= 0 ? "yes" : "no");
        if (fifo_r >= 0)
            close(fifo_r);
        fifo_r = -1;
        if (fifo_w >= 0)
            close(fifo_w);
        fifo_w = -1;
    }
    CHECK(unlink(fifo_path) == 0);
}

/* ---- eventfd ---------------------------------------------------------------- */

static int efd;

static long call_efd_read(void)
{
    uint64_t v;
    return syscall(SYS_read, efd, &v, sizeof v);
}

static long call_efd_write(void)
{
    uint64_t v = 1;
    return syscall(SYS_write, efd, &v, sizeof v);
}

static void efd_add(void)
{
    uint64_t v = 1;
    CHECK(write(efd, &v, sizeof v) == 8);
}

static void efd_take(void)
{
    uint64_t v;
    CHECK(read(efd, &v, sizeof v) == 8);
}

static void eventfds(void)
{
    for (int restart = 0; restart < 2; restart++) {
        CHECK((efd = eventfd(0, 0)) >= 0);
        run_case("eventfd read", restart, BY_TGKILL, call_efd_read, efd_add);
        close(efd);
        CHECK((efd = eventfd(0, 0)) >= 0);
        uint64_t most = 0xfffffffffffffffeull;
        CHECK(write(efd, &most, sizeof most) == 8);
        run_case("eventfd write, at the maximum", restart, BY_TGKILL, call_efd_write, efd_take);
        close(efd);
    }
}

/* ---- futex ----------------------------------------------------------------- */

static int word;

static long futex(int *uaddr, int op, int val, const struct timespec *ts, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

/* Private and shared waiters are told apart (their keys differ): both. */
static void wake_word(void)
{
    futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0);
    futex(&word, FUTEX_WAKE, 1, NULL, 0);
}

static long call_wait(void) { return futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, 0); }

static long call_wait_timeout(void)
{
    struct timespec ts = { 5, 0 };
    return futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts, 0);
}

static long call_wait_shared(void) { return futex(&word, FUTEX_WAIT, 0, NULL, 0); }

static long call_bitset(void)
{
    return futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, FUTEX_BITSET_MATCH_ANY);
}

static long call_bitset_abs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 5;
    return futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &ts, FUTEX_BITSET_MATCH_ANY);
}

static void futexes(void)
{
    for (int restart = 0; restart < 2; restart++) {
        word = 0;
        run_case("futex WAIT", restart, BY_TGKILL, call_wait, wake_word);
        word = 0;
        run_case("futex WAIT, shared", restart, BY_TGKILL, call_wait_shared, wake_word);
        word = 0;
        run_case("futex WAIT, 5 s timeout", restart, BY_TGKILL, call_wait_timeout, wake_word);
        word = 0;
        run_case("futex WAIT_BITSET", restart, BY_TGKILL, call_bitset, wake_word);
        word = 0;
        run_case("futex WAIT_BITSET, absolute timeout", restart, BY_TGKILL, call_bitset_abs, wake_word);
        /* The handler changes the word: a restarted wait reads it again. */
        word = 0;
        handler_store = &word;
        run_case("futex WAIT, handler changes the word", restart, BY_TGKILL, call_wait, wake_word);
        handler_store = NULL;
        word = 0;
        run_case("futex WAIT, kill of the process", restart, BY_KILL, call_wait, wake_word);
    }
}

/* ---- sleeps ------------------------------------------------------------------- */

static struct timespec rem;

/* A 3 s sleep ended early (after some ms): more than 1 s left, and at most
 * 3 s plus a little (Linux's timers add a slack of 50 us, so a sleep cut
 * short at once has a little more than 3 s left). */
static void print_left(const char *what, const struct timespec *t)
{
    long long ns = (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
    int ok = t->tv_nsec >= 0 && t->tv_nsec < 1000000000L && ns > 1000000000LL && ns <= 3100000000LL;
    printf("%s time left in (1 s, 3.1 s]: %s\n", what, ok ? "yes" : "no");
}

/* select, pselect6, ppoll with 3 s: the time left is written back, so it
 * is below the 3 s passed in (no slack there: Linux subtracts from the
 * exact end time). */
static void print_written_left(const char *what, const struct timespec *t)
{
    long long ns = (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
    int ok = t->tv_nsec >= 0 && t->tv_nsec < 1000000000L && ns > 1000000000LL && ns < 3000000000LL;
    printf("%s time left written, in (1 s, 3 s): %s\n", what, ok ? "yes" : "no");
}

static long call_nanosleep(void)
{
    struct timespec req = { 3, 0 };
    return syscall(SYS_nanosleep, &req, &rem);
}

static long call_clock_nanosleep(void)
{
    struct timespec req = { 3, 0 };
    return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &rem);
}

static long call_clock_nanosleep_abs(void)
{
    struct timespec req;
    clock_gettime(CLOCK_REALTIME, &req);
    req.tv_sec += 3;
    return syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &req, &rem);
}

static void sleeps(void)
{
    for (int restart = 0; restart < 2; restart++) {
        rem = (struct timespec){ 0, 0 };
        run_case("nanosleep 3 s", restart, BY_TGKILL, call_nanosleep, NULL);
        print_left("nanosleep", &rem);
        rem = (struct timespec){ 0, 0 };
        run_case("clock_nanosleep MONOTONIC 3 s", restart, BY_TGKILL, call_clock_nanosleep, NULL);
        print_left("clock_nanosleep", &rem);
        rem = (struct timespec){ 7, 7 };
        run_case("clock_nanosleep REALTIME absolute", restart, BY_TGKILL, call_clock_nanosleep_abs, NULL);
        printf("absolute: rem untouched: %s\n", rem.tv_sec == 7 && rem.tv_nsec == 7 ? "yes" : "no");
        rem = (struct timespec){ 0, 0 };
        run_case("nanosleep 3 s, SIGALRM", restart, BY_ITIMER, call_nanosleep, NULL);
        print_left("nanosleep", &rem);
    }
}

/* ---- wait4, waitid ---------------------------------------------------------- */

static pid_t child;
static int child_pipe[2];

static void child_go(void) { CHECK(write(child_pipe[1], "x", 1) == 1); }

static void start_child(void)
{
    CHECK(pipe(child_pipe) == 0);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        char c;
        while (read(child_pipe[0], &c, 1) == -1 && errno == EINTR)
            ;
        _exit(3);
    }
    close(child_pipe[0]);
}

static void end_child(long r)
{
    if (r == -1)
        CHECK(waitpid(child, NULL, 0) == child);
    close(child_pipe[1]);
}

static long call_wait4(void)
{
    int status = 0;
    long r = syscall(SYS_wait4, child, &status, 0, NULL);
    if (r == child)
        printf("wait4: the child, exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return r == child ? 0 : r;
}

static long call_waitid(void)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r = syscall(SYS_waitid, P_PID, child, &si, WEXITED, NULL);
    if (r == 0)
        printf("waitid: the child %s, status %d\n", si.si_pid == child ? "yes" : "no", si.si_status);
    return r;
}

static void waits(void)
{
    for (int restart = 0; restart < 2; restart++) {
        start_child();
        end_child(run_case("wait4", restart, BY_TGKILL, call_wait4, child_go));
        start_child();
        end_child(run_case("waitid", restart, BY_TGKILL, call_waitid, child_go));
    }
}

/* ---- pause, sigsuspend, sigtimedwait ---------------------------------------- */

static long call_pause(void) { return syscall(SYS_pause); }

static long call_sigsuspend(void)
{
    uint64_t none = 0;
    return syscall(SYS_rt_sigsuspend, &none, 8);
}

static long call_sigtimedwait(void)
{
    uint64_t set = 1ull << (SIGUSR2 - 1);
    struct timespec ts = { 5, 0 };
    return syscall(SYS_rt_sigtimedwait, &set, NULL, &ts, 8);
}

static void sigwaits(void)
{
    for (int restart = 0; restart < 2; restart++) {
        run_case("pause", restart, BY_TGKILL, call_pause, NULL);
        run_case("rt_sigsuspend", restart, BY_TGKILL, call_sigsuspend, NULL);
        run_case("rt_sigtimedwait for SIGUSR2", restart, BY_TGKILL, call_sigtimedwait, NULL);
    }
}

/* ---- select, pselect6, poll, ppoll, epoll_wait ------------------------------ */

static struct timeval tv;
static struct timespec tsp;
static int epfd;

static long call_select(void)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pfd[0], &rd);
    tv = (struct timeval){ 3, 0 };
    return syscall(SYS_select, pfd[0] + 1, &rd, NULL, NULL, &tv);
}

static long call_pselect6(void)
{
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pfd[0], &rd);
    tsp = (struct timespec){ 3, 0 };
    return syscall(SYS_pselect6, pfd[0] + 1, &rd, NULL, NULL, &tsp, NULL);
}

static long call_poll(void)
{
    struct pollfd p = { pfd[0], POLLIN, 0 };
    return syscall(SYS_poll, &p, 1, 3000);
}

static long call_ppoll(void)
{
    struct pollfd p = { pfd[0], POLLIN, 0 };
    tsp = (struct timespec){ 3, 0 };
    return syscall(SYS_ppoll, &p, 1, &tsp, NULL, 8);
}

static long call_epoll_wait(void)
{
    struct epoll_event ev;
    return syscall(SYS_epoll_wait, epfd, &ev, 1, 3000);
}

static void polls(void)
{
    for (int restart = 0; restart < 2; restart++) {
        new_pipe();
        run_case("select", restart, BY_TGKILL, call_select, NULL);
        struct timespec t = { tv.tv_sec, tv.tv_usec * 1000L };
        print_written_left("select", &t);
        run_case("pselect6", restart, BY_TGKILL, call_pselect6, NULL);
        print_written_left("pselect6", &tsp);
        run_case("poll", restart, BY_TGKILL, call_poll, NULL);
        run_case("ppoll", restart, BY_TGKILL, call_ppoll, NULL);
        print_written_left("ppoll", &tsp);
        CHECK((epfd = epoll_create1(0)) >= 0);
        struct epoll_event ev = { .events = EPOLLIN };
        CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, pfd[0], &ev) == 0);
        run_case("epoll_wait", restart, BY_TGKILL, call_epoll_wait, NULL);
        close(epfd);
        close_pipe();
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    main_tid = (pid_t)syscall(SYS_gettid);
    const char *only = argc > 1 ? argv[1] : NULL;
    struct { const char *name; void (*fn)(void); } parts[] = {
        { "pipes", pipes }, { "fifo", fifo }, { "eventfd", eventfds }, { "futex", futexes },
        { "sleeps", sleeps }, { "waits", waits }, { "sigwaits", sigwaits }, { "polls", polls },
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!only || strcmp(only, parts[i].name) == 0)
            parts[i].fn();
    printf("done\n");
    return 0;
}
