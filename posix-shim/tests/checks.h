/* The host-side harnesses' checks (harness.c, sig_harness.c): a failed
 * check prints one FAIL line with its section and source line; main prints
 * "N checks, M failed" (ShimModulesTest reads it). Included once per
 * harness: the counters are that program's. */
#ifndef TESTS_CHECKS_H
#define TESTS_CHECKS_H
#include <stdarg.h>
#include <stdio.h>

#define C0(n) sys_##n(0, 0, 0, 0, 0, 0)
#define C1(n, a) sys_##n((long)(a), 0, 0, 0, 0, 0)
#define C2(n, a, b) sys_##n((long)(a), (long)(b), 0, 0, 0, 0)
#define C3(n, a, b, c) sys_##n((long)(a), (long)(b), (long)(c), 0, 0, 0)
#define C4(n, a, b, c, d) sys_##n((long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define C5(n, a, b, c, d, e) sys_##n((long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static int checks, failures;
static const char *section = "";

static void check(int ok, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(int ok, int line, const char *fmt, ...)
{
    checks++;
    if (ok)
        return;
    failures++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "FAIL [%s] line %d: ", section, line);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}
#define CHECK(cond, ...) check((cond) ? 1 : 0, __LINE__, __VA_ARGS__)
/* A syscall's result must equal an expected value. */
#define EXPECT(call, want) do { long r_ = (call); long w_ = (long)(want); \
        check(r_ == w_, __LINE__, "%s = %ld, expected %ld", #call, r_, w_); } while (0)
#endif
