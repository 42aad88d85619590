/*
 * timerfd: timerfd_create/settime/gettime compared with native Linux:
 * argument errors, one-shot and interval timers on CLOCK_MONOTONIC,
 * CLOCK_REALTIME and CLOCK_BOOTTIME, TFD_TIMER_ABSTIME, the u64 expiration
 * count from read (EAGAIN with TFD_NONBLOCK, blocking otherwise), poll and
 * epoll readiness (level and edge triggered), bad pointers, CLOEXEC.
 * Times are chosen so that the printed facts do not depend on the
 * machine's speed: counts are bounded ("at least"), not exact.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define MS 1000000L

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / MS;
}

static struct itimerspec its(long value_ms, long interval_ms)
{
    struct itimerspec it;
    it.it_value.tv_sec = value_ms / 1000;
    it.it_value.tv_nsec = value_ms % 1000 * MS;
    it.it_interval.tv_sec = interval_ms / 1000;
    it.it_interval.tv_nsec = interval_ms % 1000 * MS;
    return it;
}

static const char *err(long r) { return r < 0 ? errno_name(errno) : "ok"; }

/* read(2) of the count, its result as text (v is set before printing). */
static const char *rd(int fd, uint64_t *v)
{
    *v = 0;
    return err(read(fd, v, sizeof *v));
}

static void errors(void)
{
    printf("-- errors\n");
    printf("create bad clock      %s\n", err(timerfd_create(12345, 0)));
    printf("create bad flags      %s\n", err(timerfd_create(CLOCK_MONOTONIC, 0x10)));
    printf("create PROCESS_CPUTIME %s\n", err(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)));
    struct itimerspec it = its(10, 0), old;
    printf("settime bad fd        %s\n", err(timerfd_settime(999, 0, &it, NULL)));
    int nt = open("/", O_RDONLY);
    printf("settime not timerfd   %s\n", err(timerfd_settime(nt, 0, &it, NULL)));
    printf("gettime not timerfd   %s\n", err(timerfd_gettime(nt, &old)));
    close(nt);
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(fd >= 0);
    it.it_value.tv_nsec = 1000000000;
    printf("settime nsec 1e9      %s\n", err(timerfd_settime(fd, 0, &it, NULL)));
    it = its(10, 0);
    it.it_interval.tv_sec = -1;
    printf("settime neg interval  %s\n", err(timerfd_settime(fd, 0, &it, NULL)));
    it = its(10, 0);
    printf("settime bad flags     %s\n", err(timerfd_settime(fd, 8, &it, NULL)));
    printf("settime new NULL      %s\n", err(syscall(SYS_timerfd_settime, fd, 0, NULL, NULL)));
    printf("settime new kernel    %s\n", err(syscall(SYS_timerfd_settime, fd, 0, (void *)0xffffffff80000000ul, NULL)));
    printf("settime old bad       %s\n", err(syscall(SYS_timerfd_settime, fd, 0, &it, (void *)16)));
    printf("gettime bad           %s\n", err(syscall(SYS_timerfd_gettime, fd, (void *)16)));
    uint64_t v;
    char small[4];
    printf("read 4 bytes          %s\n", err(read(fd, small, sizeof small)));
    printf("write                 %s\n", err(write(fd, &v, sizeof v)));
    close(fd);
}

static void oneshot(clockid_t clk, const char *name)
{
    printf("-- one-shot %s\n", name);
    int fd = timerfd_create(clk, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK(fd >= 0);
    printf("cloexec %d nonblock %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    uint64_t v = 0;
    printf("read disarmed         %s\n", err(read(fd, &v, sizeof v)));
    struct itimerspec it = its(60, 0), old;
    CHECK(timerfd_settime(fd, 0, &it, NULL) == 0);
    CHECK(timerfd_gettime(fd, &old) == 0);
    long left = old.it_value.tv_sec * 1000 + old.it_value.tv_nsec / MS;
    printf("gettime armed         value in (0,60]: %d interval 0: %d\n", left >= 0 && left <= 60 && (old.it_value.tv_sec || old.it_value.tv_nsec),
           !old.it_interval.tv_sec && !old.it_interval.tv_nsec);
    printf("read before           %s\n", err(read(fd, &v, sizeof v)));
    struct pollfd p = { fd, POLLIN, 0 };
    printf("poll before           %d\n", poll(&p, 1, 0));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = poll(&p, 1, 2000);
    long el = ms_since(&t0);
    printf("poll waits            %d revents %#x waited>=40ms %d\n", n, p.revents, el >= 40);
    {
        const char *r_ = rd(fd, &v);
        printf("read                  %s v=%llu\n", r_, (unsigned long long)v);
    }
    printf("read again            %s\n", err(read(fd, &v, sizeof v)));
    CHECK(timerfd_gettime(fd, &old) == 0);
    printf("gettime expired       %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);
    /* Re-arm, then disarm: old value comes back, nothing fires. */
    it = its(5000, 0);
    CHECK(timerfd_settime(fd, 0, &it, NULL) == 0);
    struct itimerspec zero = its(0, 0);
    CHECK(timerfd_settime(fd, 0, &zero, &old) == 0);
    printf("disarm old value      >4s %d\n", old.it_value.tv_sec >= 4);
    printf("read disarmed         %s\n", err(read(fd, &v, sizeof v)));
    close(fd);
}

static void interval(void)
{
    printf("-- interval, blocking read\n");
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    CHECK(fd >= 0);
    struct itimerspec it = its(30, 30), cur;
    CHECK(timerfd_settime(fd, 0, &it, NULL) == 0);
    uint64_t v = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    {
        const char *r_ = rd(fd, &v);
        printf("read blocks           %s v>=1 %d waited>=20ms %d\n", r_, v >= 1, ms_since(&t0) >= 20);
    }
    usleep(200000);
    {
        const char *r_ = rd(fd, &v);
        printf("read after 200ms      %s v>=5 %d\n", r_, v >= 5);
    }
    CHECK(timerfd_gettime(fd, &cur) == 0);
    printf("gettime interval      %ld.%09ld value<=30ms %d\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 30 * MS);
    close(fd);
}

static void absolute(clockid_t clk, const char *name)
{
    printf("-- absolute %s\n", name);
    int fd = timerfd_create(clk, TFD_NONBLOCK);
    CHECK(fd >= 0);
    struct timespec now;
    /* The unikernel's monotonic clock starts at its boot: wait until 400 ms
     * in the past is a valid (non-negative) time. */
    do {
        clock_gettime(clk, &now);
    } while (now.tv_sec == 0 && now.tv_nsec < 500 * MS && usleep(50000) == 0);
    struct itimerspec it = { { 0, 0 }, { 0, 1 } };   /* in the past: expired at once */
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &it, NULL) == 0);
    uint64_t v = 0;
    {
        const char *r_ = rd(fd, &v);
        printf("past                  %s v=%llu\n", r_, (unsigned long long)v);
    }
    clock_gettime(clk, &now);
    it.it_value = now;
    it.it_value.tv_nsec += 50 * MS;
    if (it.it_value.tv_nsec >= 1000000000L) {
        it.it_value.tv_sec++;
        it.it_value.tv_nsec -= 1000000000L;
    }
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &it, NULL) == 0);
    printf("future now            %s\n", err(read(fd, &v, sizeof v)));
    struct pollfd p = { fd, POLLIN, 0 };
    printf("poll                  %d\n", poll(&p, 1, 2000));
    {
        const char *r_ = rd(fd, &v);
        printf("future later          %s v=%llu\n", r_, (unsigned long long)v);
    }
    /* Past with an interval: all the missed periods at once. */
    clock_gettime(clk, &now);
    it.it_value = now;
    it.it_value.tv_nsec -= 400 * MS;
    if (it.it_value.tv_nsec < 0) {
        it.it_value.tv_sec--;
        it.it_value.tv_nsec += 1000000000L;
    }
    it.it_interval = (struct timespec){ 0, 100 * MS };
    CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &it, NULL) == 0);
    {
        const char *r_ = rd(fd, &v);
        printf("past periods          %s v in [5,9] %d\n", r_, v >= 5 && v <= 9);
    }
    close(fd);
}

static void epolled(void)
{
    printf("-- epoll\n");
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    int ep = epoll_create1(0);
    CHECK(fd >= 0 && ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = 7 }, out[2];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    printf("wait idle             %d\n", epoll_wait(ep, out, 2, 0));
    struct itimerspec it = its(40, 40);
    CHECK(timerfd_settime(fd, 0, &it, NULL) == 0);
    int n = epoll_wait(ep, out, 2, 2000);
    printf("wait fires            %d data %u events %#x\n", n, n > 0 ? out[0].data.u32 : 0, n > 0 ? out[0].events : 0);
    /* Edge triggered: not reported again until a new expiration. */
    printf("wait again at once    %d\n", epoll_wait(ep, out, 2, 0));
    /* ... nor after more periods: Linux re-arms the timer only on read. */
    n = epoll_wait(ep, out, 2, 300);
    printf("wait without a read   %d\n", n);
    uint64_t v;
    {
        const char *r_ = rd(fd, &v);
        printf("read                  %s v>=2 %d\n", r_, v >= 2);
    }
    close(ep);
    close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    errors();
    oneshot(CLOCK_MONOTONIC, "monotonic");
    oneshot(CLOCK_REALTIME, "realtime");
    oneshot(CLOCK_BOOTTIME, "boottime");
    interval();
    absolute(CLOCK_MONOTONIC, "monotonic");
    absolute(CLOCK_REALTIME, "realtime");
    epolled();
    printf("done\n");
    return 0;
}
