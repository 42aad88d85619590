/*
 * clocks: clock_gettime, clock_getres, nanosleep, clock_nanosleep,
 * gettimeofday, time, times.
 *
 * Only relations are printed (monotonic, >= requested, within a bound),
 * never a time value, so the output is identical from run to run.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int64_t now_ns(clockid_t c)
{
    struct timespec t;
    CHECK(clock_gettime(c, &t) == 0);
    CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
    return ts_ns(&t);
}

/* Spins until the process CPU clock has advanced by at least ns. */
static void burn_cpu(int64_t ns)
{
    int64_t start = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    volatile uint64_t x = 1;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) - start < ns)
        for (int i = 0; i < 10000; i++)
            x = x * 6364136223846793005u + 1442695040888963407u;
}

int main(void)
{
    /* --- monotonic clocks never go back --- */
    static const struct { clockid_t id; const char *name; } mono[] = {
        { CLOCK_MONOTONIC, "MONOTONIC" },
        { CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" },
        { CLOCK_BOOTTIME, "BOOTTIME" },
    };
    for (size_t c = 0; c < sizeof mono / sizeof mono[0]; c++) {
        int64_t prev = now_ns(mono[c].id);
        int back = 0;
        for (int i = 0; i < 10000; i++) {
            int64_t t = now_ns(mono[c].id);
            back += t < prev;
            prev = t;
        }
        printf("%s 10000 reads, went back %d times\n", mono[c].name, back);
        CHECK(back == 0);
    }

    /* --- REALTIME is a plausible date (after 2020-01-01) and advances --- */
    int64_t r1 = now_ns(CLOCK_REALTIME);
    printf("REALTIME after 2020 %s\n", r1 > 1577836800LL * 1000000000 ? "yes" : "no");
    CHECK(r1 > 1577836800LL * 1000000000);

    /* --- resolutions --- */
    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0);
    printf("MONOTONIC res <= 1ms %s\n", ts_ns(&res) > 0 && ts_ns(&res) <= 1000000 ? "yes" : "no");
    CHECK(clock_getres(CLOCK_REALTIME, &res) == 0);
    printf("REALTIME res <= 1ms %s\n", ts_ns(&res) > 0 && ts_ns(&res) <= 1000000 ? "yes" : "no");
    CHECK_ERR("clock_gettime bad clock", clock_gettime((clockid_t)12345, &res), EINVAL);

    /* --- nanosleep sleeps at least as long as asked --- */
    struct timespec req = { 0, 20 * 1000 * 1000 }, rem = { 7, 7 };
    int64_t m0 = now_ns(CLOCK_MONOTONIC);
    CHECK(nanosleep(&req, &rem) == 0);
    int64_t slept = now_ns(CLOCK_MONOTONIC) - m0;
    printf("nanosleep 20ms: slept >= 20ms %s, < 2s %s\n",
           slept >= 20000000 ? "yes" : "no", slept < 2000000000 ? "yes" : "no");
    CHECK(slept >= 20000000 && slept < 2000000000);

    req.tv_nsec = 1000000000; /* out of range */
    CHECK_ERR("nanosleep tv_nsec=1e9", nanosleep(&req, NULL), EINVAL);

    /* clock_nanosleep returns the error number instead of setting errno */
    req.tv_sec = 0;
    req.tv_nsec = 10 * 1000 * 1000;
    m0 = now_ns(CLOCK_MONOTONIC);
    CHECK_RC("clock_nanosleep rel 10ms", clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), 0);
    slept = now_ns(CLOCK_MONOTONIC) - m0;
    printf("clock_nanosleep slept >= 10ms %s\n", slept >= 10000000 ? "yes" : "no");
    CHECK(slept >= 10000000);

    struct timespec deadline;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &deadline) == 0);
    deadline.tv_nsec += 15 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    CHECK_RC("clock_nanosleep abs +15ms",
             clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL), 0);
    printf("after abs deadline %s\n", now_ns(CLOCK_MONOTONIC) >= ts_ns(&deadline) ? "yes" : "no");
    CHECK(now_ns(CLOCK_MONOTONIC) >= ts_ns(&deadline));

    /* --- gettimeofday and time() agree with CLOCK_REALTIME --- */
    struct timeval tv;
    int64_t before = now_ns(CLOCK_REALTIME);
    CHECK(gettimeofday(&tv, NULL) == 0);
    int64_t after = now_ns(CLOCK_REALTIME);
    int64_t g = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
    CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    /* gettimeofday truncates to microseconds, so allow 1us below 'before' */
    int within = g >= before - 1000 && g <= after;
    printf("gettimeofday between two REALTIME reads %s\n", within ? "yes" : "no");
    CHECK(within);
    time_t t0 = time(NULL);
    int64_t rt = now_ns(CLOCK_REALTIME);
    time_t t1 = time(NULL);
    within = (int64_t)t0 <= rt / 1000000000 && rt / 1000000000 <= (int64_t)t1;
    printf("time() brackets REALTIME seconds %s\n", within ? "yes" : "no");
    CHECK(within);
    time_t tt;
    CHECK(time(&tt) == tt);
    printf("time(&t) stores its result yes\n");

    /* --- times(): elapsed ticks advance; user CPU time grows while busy --- */
    long hz = sysconf(_SC_CLK_TCK);
    printf("_SC_CLK_TCK %ld\n", hz);
    CHECK(hz > 0);
    struct tms tm0, tm1;
    clock_t e0 = times(&tm0);
    CHECK(e0 != (clock_t)-1);
    int64_t cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    int64_t th0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    burn_cpu(60 * 1000 * 1000); /* 60ms of CPU: several 10ms ticks */
    req.tv_sec = 0;
    req.tv_nsec = 30 * 1000 * 1000;
    CHECK(nanosleep(&req, NULL) == 0);
    clock_t e1 = times(&tm1);
    CHECK(e1 != (clock_t)-1);
    int64_t cpu1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    int64_t th1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    printf("times elapsed advanced %s\n", e1 > e0 ? "yes" : "no");
    CHECK(e1 > e0);
    printf("times utime+stime advanced %s\n",
           tm1.tms_utime + tm1.tms_stime > tm0.tms_utime + tm0.tms_stime ? "yes" : "no");
    CHECK(tm1.tms_utime + tm1.tms_stime > tm0.tms_utime + tm0.tms_stime);
    printf("children times zero %s\n", tm1.tms_cutime == 0 && tm1.tms_cstime == 0 ? "yes" : "no");
    CHECK(tm1.tms_cutime == 0 && tm1.tms_cstime == 0);
    printf("PROCESS_CPUTIME advanced >= 60ms %s\n", cpu1 - cpu0 >= 60000000 ? "yes" : "no");
    CHECK(cpu1 - cpu0 >= 60000000);
    printf("THREAD_CPUTIME advanced >= 60ms %s\n", th1 - th0 >= 60000000 ? "yes" : "no");
    CHECK(th1 - th0 >= 60000000);

    /* --- gmtime_r on a fixed value: pure libc, no host state involved --- */
    time_t fixed = 1700000000; /* 2023-11-14 22:13:20 UTC */
    struct tm tmv;
    CHECK(gmtime_r(&fixed, &tmv) != NULL);
    char buf[64];
    CHECK(strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tmv) > 0);
    printf("gmtime_r(1700000000) %s\n", buf);
    printf("clocks done\n");
    return 0;
}
