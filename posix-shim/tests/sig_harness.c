/* Host-side tests of the signal module across processes (posix-shim/signal):
 * per-process dispositions, queues and interval timers, the fork and exec
 * hooks, kill/tgkill/rt_sigqueueinfo to processes and groups, stop and
 * continue, SIGCHLD for the process module, default actions, and the
 * terminal's signals to the foreground group. The module is driven through
 * its sys_* entries and exported functions on a fake scheduler and process
 * module (fake_sched.c) where the test makes threads and processes and
 * switches between them. Prints one line per failed check and a summary;
 * exits 1 if any failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fake_sched.h"
#include "shim/signal.h"
#include "shim/process.h"
#include "shim_syscalls.h"

void signal_init(void);
uint64_t platform_monotonic_ns(void);

#include "checks.h"

/* Linux's numbers, spelled out: the host's headers are not the guest's. */
enum { HUP = 1, INT = 2, KILL = 9, USR1 = 10, USR2 = 12, ALRM = 14, TERM = 15, CHLD = 17, CONT = 18,
       STOP = 19, TSTP = 20, TTIN = 21, RT = 40, RT2 = 42 };
#define BIT(s) (1ull << ((s) - 1))
#define K_SA_NOCLDSTOP 1ul
#define K_SA_NOCLDWAIT 2ul
#define K_SA_SIGINFO 4ul
#define K_SA_RESTORER 0x04000000ul
#define K_SA_ONSTACK 0x08000000ul
#define K_SIG_DFL 0ul
#define K_SIG_IGN 1ul

struct kact { uint64_t handler, flags, restorer, mask; };
struct kstack { uint64_t sp; int32_t flags, pad; uint64_t size; };
struct kts { long sec, nsec; };
struct kitv { long isec, iusec, vsec, vusec; };

/* What the last handler saw. */
static int hits[65], seen_sig, seen_code, seen_pid, seen_status;
static void handler(long sig, void *info, void *uc)
{
    (void)uc;
    const int *i = info;
    hits[sig]++;
    seen_sig = i[0];
    seen_code = i[2];
    seen_pid = i[4];
    seen_status = i[6];
}

static long act(int sig, uint64_t h, uint64_t flags)
{
    struct kact ka = { h, flags | K_SA_RESTORER, 0, 0 };
    return C4(rt_sigaction, sig, &ka, 0, 8);
}
static uint64_t act_handler(int sig, uint64_t *flags)
{
    struct kact old;
    memset(&old, 0xff, sizeof old);
    C4(rt_sigaction, sig, 0, &old, 8);
    if (flags)
        *flags = old.flags;
    return old.handler;
}
static long mask(int how, uint64_t set)
{
    return C4(rt_sigprocmask, how, &set, 0, 8);
}
static uint64_t cur_mask(void)
{
    uint64_t old = 0;
    C4(rt_sigprocmask, 0, 0, &old, 8);
    return old;
}
/* Pending and blocked, as the current thread sees it. */
static uint64_t pending(void)
{
    uint64_t s = 0;
    C2(rt_sigpending, &s, 8);
    return s;
}
/* Takes sig if pending for the current thread (rt_sigtimedwait, no wait):
 * its si_pid, or 0 when not pending. */
static int take(int sig, int *code)
{
    uint64_t set = BIT(sig);
    int info[32];
    struct kts ts = { 0, 0 };
    memset(info, 0, sizeof info);
    long r = C4(rt_sigtimedwait, &set, info, &ts, 8);
    if (r != sig)
        return 0;
    if (code)
        *code = info[2];
    return info[4] ? info[4] : -1;
}
static void *part(struct proc_ctx *p) { return p->local + fake_proc_offset; }
static struct proc_ctx *forked(int pid, int pgid, struct proc_ctx *parent)
{
    struct proc_ctx *c = fake_proc(pid, pgid, false);
    int r = fake_proc_ops->fork(part(c), part(parent), 0);
    CHECK(r == 0, "fork hook: %d", r);
    return c;
}

static char altbuf[8192];
static struct proc_ctx *A, *B, *C, *D;
static struct thread *tA, *tB, *tB2, *tC, *tD;

/* ---- fork and exec ---- */
static void test_fork_exec(void)
{
    section = "fork-exec";
    fake_set_current(tA);
    EXPECT(act(USR1, (uint64_t)handler, K_SA_SIGINFO | K_SA_ONSTACK), 0);
    EXPECT(act(USR2, K_SIG_IGN, 0), 0);
    struct kstack ss = { (uint64_t)altbuf, 0, 0, sizeof altbuf };
    EXPECT(C2(sigaltstack, &ss, 0), 0);
    EXPECT(mask(0, BIT(HUP)), 0);
    struct kitv tv = { 0, 0, 10, 0 };
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    EXPECT(C2(kill, 1, HUP), 0);
    CHECK(pending() == BIT(HUP), "parent pending %llx", (unsigned long long)pending());

    B = forked(5, 5, A);
    tB = fake_thread(B, 5);   /* made by tA: fork's thread */
    fake_set_current(tB);
    CHECK(cur_mask() == BIT(HUP), "child mask %llx", (unsigned long long)cur_mask());
    CHECK(pending() == 0, "child inherits pending %llx", (unsigned long long)pending());
    struct kitv cur;
    memset(&cur, 0xff, sizeof cur);
    EXPECT(C2(getitimer, 0, &cur), 0);
    CHECK(cur.vsec == 0 && cur.vusec == 0, "child itimer %ld.%06ld", cur.vsec, cur.vusec);
    uint64_t fl;
    CHECK(act_handler(USR1, &fl) == (uint64_t)handler && (fl & K_SA_ONSTACK), "child USR1 handler");
    CHECK(act_handler(USR2, NULL) == K_SIG_IGN, "child USR2 ignored");
    struct kstack old;
    memset(&old, 0, sizeof old);
    EXPECT(C2(sigaltstack, 0, &old), 0);
    CHECK(old.sp == (uint64_t)altbuf && old.size == sizeof altbuf && old.flags == 0,
          "fork keeps the altstack: sp %llx flags %d", (unsigned long long)old.sp, old.flags);

    /* A thread (not a fork) gets the mask but no altstack. */
    tB2 = fake_thread(B, 8);
    fake_set_current(tB2);
    CHECK(cur_mask() == BIT(HUP), "thread mask");
    EXPECT(C2(sigaltstack, 0, &old), 0);
    CHECK(old.flags == 2, "new thread has no altstack: flags %d", old.flags);

    /* The child's changes are its own. */
    fake_set_current(tB);
    EXPECT(act(USR2, (uint64_t)handler, 0), 0);
    fake_set_current(tA);
    CHECK(act_handler(USR2, NULL) == K_SIG_IGN, "parent keeps USR2 ignored");
    CHECK(pending() == BIT(HUP), "parent keeps its pending HUP");

    /* exec in B (by tB): caught → default, ignored stays, flags go, the
     * altstack goes, the mask, pending signals and the itimer stay. */
    fake_set_current(tB);
    EXPECT(act(USR2, K_SIG_IGN, K_SA_ONSTACK), 0);
    EXPECT(act(TERM, (uint64_t)handler, 0), 0);
    EXPECT(C2(kill, 5, HUP), 0);
    tv.vsec = 20;
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    EXPECT(fake_proc_ops->exec(part(B)), 0);
    CHECK(act_handler(USR1, &fl) == K_SIG_DFL && fl == 0, "exec: USR1 back to default, flags %llx",
          (unsigned long long)fl);
    CHECK(act_handler(TERM, NULL) == K_SIG_DFL, "exec: TERM back to default");
    CHECK(act_handler(USR2, &fl) == K_SIG_IGN && fl == 0, "exec: USR2 stays ignored");
    EXPECT(C2(sigaltstack, 0, &old), 0);
    CHECK(old.flags == 2, "exec: altstack cleared (flags %d)", old.flags);
    CHECK(cur_mask() == BIT(HUP), "exec keeps the mask");
    CHECK(pending() == BIT(HUP), "exec keeps pending HUP");
    EXPECT(C2(getitimer, 0, &cur), 0);
    CHECK(cur.vsec >= 19, "exec keeps the itimer (%ld s left)", cur.vsec);
    tv.vsec = 0;
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    fake_set_current(tA);
    CHECK(act_handler(USR1, NULL) == (uint64_t)handler, "parent's USR1 untouched by the child's exec");
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    /* Leave every thread blocking HUP with nothing pending. */
    CHECK(take(HUP, NULL) != 0, "parent's HUP taken");
    fake_set_current(tB);
    CHECK(take(HUP, NULL) != 0, "child's HUP taken");
}

/* ---- kill, tgkill, rt_sigqueueinfo ---- */
static void test_kill(void)
{
    section = "kill";
    fake_set_current(tA);
    EXPECT(mask(0, BIT(RT)), 0);   /* every thread made from here on blocks RT */
    fake_set_current(tB);
    EXPECT(mask(0, BIT(RT)), 0);
    fake_set_current(tB2);
    EXPECT(mask(0, BIT(RT)), 0);
    fake_set_current(tA);
    C = forked(6, 5, A);
    tC = fake_thread(C, 6);
    D = forked(7, 1, A);
    tD = fake_thread(D, 7);
    struct thread *all[] = { tA, tB, tB2, tC, tD };
    const char *names[] = { "A", "B", "B2", "C", "D" };
    /* Which threads see RT pending (process or thread queue), then drained
     * as each: the bitmask of threads, with every si_pid checked. */
#define SEEN(want_pid) ({ int m_ = 0; for (int i_ = 0; i_ < 5; i_++) { fake_set_current(all[i_]); \
        if (pending() & BIT(RT)) m_ |= 1 << i_; } \
        for (int i_ = 0; i_ < 5; i_++) { fake_set_current(all[i_]); int p_; while ((p_ = take(RT, NULL))) \
        CHECK(p_ == (want_pid), "%s: si_pid %d, expected %d", names[i_], p_, (want_pid)); } \
        fake_set_current(tD); m_; })
    enum { mA = 1, mB = 2, mB2 = 4, mC = 8, mD = 16 };

    fake_set_current(tD);
    EXPECT(C2(kill, 5, RT), 0);
    EXPECT(SEEN(7), mB | mB2);   /* a process signal: both of B's threads see it */
    EXPECT(C2(kill, -5, RT), 0);
    EXPECT(SEEN(7), mB | mB2 | mC);
    EXPECT(C2(kill, 0, RT), 0);
    EXPECT(SEEN(7), mA | mD);
    EXPECT(C2(kill, -1, RT), 0);
    EXPECT(SEEN(7), mB | mB2 | mC);   /* not init, not the caller */
    EXPECT(C2(kill, 8, RT), 0);       /* a tid: its process */
    EXPECT(SEEN(7), mB | mB2);
    EXPECT(C2(kill, 99, RT), -ESRCH);
    EXPECT(C2(kill, -99, RT), -ESRCH);
    EXPECT(C2(kill, 5, 0), 0);
    EXPECT(C2(kill, -5, 0), 0);
    EXPECT(C2(kill, -99, 0), -ESRCH);
    EXPECT(C2(kill, 5, 65), -EINVAL);
    EXPECT(SEEN(7), 0);
    fake_set_current(tA);
    EXPECT(C2(kill, 6, RT), 0);
    EXPECT(SEEN(1), mC);
    /* From init, kill(-1) reaches everyone else. */
    fake_set_current(tA);
    EXPECT(C2(kill, -1, RT), 0);
    EXPECT(SEEN(1), mB | mB2 | mC | mD);

    /* tgkill: the thread must be in tgid; it alone sees the signal. */
    fake_set_current(tD);
    EXPECT(C3(tgkill, 5, 8, RT), 0);
    EXPECT(SEEN(7), mB2);
    EXPECT(C3(tgkill, 6, 8, RT), -ESRCH);
    EXPECT(C3(tgkill, 5, 99, RT), -ESRCH);
    EXPECT(C2(tkill, 8, RT), 0);
    EXPECT(SEEN(7), mB2);

    /* rt_sigqueueinfo to another process (SI_QUEUE), and the EPERM rule. */
    int info[32];
    memset(info, 0, sizeof info);
    info[2] = -1;          /* SI_QUEUE */
    info[4] = 7;
    EXPECT(C3(rt_sigqueueinfo, 6, RT, info), 0);
    fake_set_current(tC);
    int code = 0;
    CHECK(take(RT, &code) == 7 && code == -1, "sigqueue to C: code %d", code);
    fake_set_current(tD);
    info[2] = 0;           /* SI_USER: only towards itself */
    EXPECT(C3(rt_sigqueueinfo, 6, RT, info), -EPERM);
    EXPECT(C3(rt_sigqueueinfo, 99, RT, info), -ESRCH);
    info[2] = -1;
    EXPECT(C4(rt_tgsigqueueinfo, 5, 8, RT, info), 0);
    EXPECT(SEEN(7), mB2);
    EXPECT(C4(rt_tgsigqueueinfo, 6, 8, RT, info), -ESRCH);

    /* Only a thread of the target that does not block the signal is woken,
     * and the handler runs in the target with the sender's pid. */
    fake_set_current(tC);
    EXPECT(act(RT2, (uint64_t)handler, K_SA_SIGINFO), 0);
    fake_set_current(tB);
    EXPECT(mask(0, BIT(RT2)), 0);
    tC->blocked = tB->blocked = tB2->blocked = true;
    tC->wakes = tB->wakes = tB2->wakes = 0;
    fake_set_current(tD);
    EXPECT(C2(kill, -5, RT2), 0);
    CHECK(tC->wakes == 1 && tB->wakes == 0 && tB2->wakes == 1,
          "wakes: C %d B %d B2 %d", tC->wakes, tB->wakes, tB2->wakes);
    tC->blocked = tB->blocked = tB2->blocked = false;
    fake_set_current(tC);
    hits[RT2] = 0;
    EXPECT(signal_deliver_pending(), 1 | 2);   /* ran, without SA_RESTART */
    CHECK(hits[RT2] == 1 && seen_pid == 7 && seen_code == 0 && seen_sig == RT2,
          "handler in C: hits %d pid %d code %d", hits[RT2], seen_pid, seen_code);
}

/* ---- stop, continue, default actions ---- */
static void test_stop_cont(void)
{
    section = "stop-cont";
    /* B's RT2 from the group kill above is pending (its default action
     * would end B): block it in B2 too and take it. */
    fake_set_current(tB2);
    EXPECT(mask(0, BIT(RT2)), 0);
    fake_set_current(tB);
    CHECK(take(RT2, NULL) == 7, "B's RT2 from the group kill");

    fake_set_current(tD);
    EXPECT(C2(kill, 5, STOP), 0);
    fake_set_current(tB);
    CHECK(signal_deliverable(), "SIGSTOP pending for B");
    fake_set_current(tD);
    int c0 = B->continues;
    EXPECT(C2(kill, 5, CONT), 0);
    CHECK(B->continues == c0 + 1, "SIGCONT continues B");
    fake_set_current(tB);
    CHECK(!signal_deliverable(), "SIGCONT discards the pending SIGSTOP (and is ignored)");

    /* A stop signal's default action stops the process. */
    fake_set_current(tD);
    EXPECT(C2(kill, 5, TSTP), 0);
    fake_set_current(tB);
    int s0 = B->stops;
    signal_deliver_pending();
    CHECK(B->stops == s0 + 1 && B->stopped_by == TSTP, "TSTP stops B (by %d)", B->stopped_by);
    /* Ignored or caught, it does not. */
    EXPECT(act(TSTP, K_SIG_IGN, 0), 0);
    fake_set_current(tD);
    EXPECT(C2(kill, 5, TSTP), 0);
    fake_set_current(tB);
    CHECK(!signal_deliverable(), "ignored TSTP discarded");
    EXPECT(act(TSTP, K_SIG_DFL, 0), 0);

    /* A caught, blocked SIGCONT stays pending until a stop signal comes. */
    EXPECT(act(CONT, (uint64_t)handler, 0), 0);
    EXPECT(mask(0, BIT(CONT)), 0);
    fake_set_current(tB2);
    EXPECT(mask(0, BIT(CONT)), 0);
    fake_set_current(tD);
    EXPECT(C2(kill, 5, CONT), 0);
    fake_set_current(tB);
    CHECK(pending() & BIT(CONT), "caught SIGCONT pending");
    fake_set_current(tD);
    EXPECT(C2(kill, 5, TTIN), 0);
    fake_set_current(tB);
    CHECK(!(pending() & BIT(CONT)), "TTIN discards pending SIGCONT");
    CHECK(signal_deliverable(), "TTIN pending");
    s0 = B->stops;
    signal_deliver_pending();
    CHECK(B->stops == s0 + 1 && B->stopped_by == TTIN, "TTIN stops B");

    /* A stopped process's threads are not woken for a signal: it waits
     * for SIGCONT (Linux's wants_signal). */
    tB->blocked = tB2->blocked = true;
    tB->wakes = tB2->wakes = 0;
    fake_set_current(tD);
    EXPECT(C2(kill, 5, TERM), 0);
    CHECK(tB->wakes == 0 && tB2->wakes == 0, "stopped B woken for SIGTERM: %d %d", tB->wakes, tB2->wakes);

    /* SIGKILL wakes the stopped process's threads (without continuing
     * it: the parent hears of the kill only), and kills it. */
    c0 = B->continues;
    EXPECT(C2(kill, 5, KILL), 0);
    CHECK(B->continues == c0 && B->stopped, "SIGKILL does not continue B");
    CHECK(tB->wakes == 1 && tB2->wakes == 1, "SIGKILL wakes B's threads: %d %d", tB->wakes, tB2->wakes);
    tB->blocked = tB2->blocked = false;
    fake_set_current(tB);
    fake_log_len = 0;
    fake_log[0] = 0;
    fake_exit_armed = true;
    if (!setjmp(fake_exit_jmp)) {
        signal_deliver_pending();
        CHECK(0, "SIGKILL did not end B");
    }
    CHECK(fake_exit_proc == B && fake_exit_status == PROCESS_KILLED(KILL, 0),
          "B ended with status 0x%x", fake_exit_status);
    CHECK(strstr(fake_log, "[kernel] process 5 killed by signal 9\n") != NULL, "log: %s", fake_log);
    CHECK(strstr(fake_log, "app killed") == NULL, "no app line for pid 5: %s", fake_log);
    CHECK(take(TERM, NULL) == 7, "the SIGTERM sent while B was stopped is still pending");

    /* SIGTERM's default action on pid 1: the line port-app reads. */
    fake_set_current(tA);
    fake_log_len = 0;
    fake_exit_armed = true;
    if (!setjmp(fake_exit_jmp)) {
        C2(kill, 1, TERM);
        CHECK(0, "SIGTERM did not end pid 1");
    }
    CHECK(fake_exit_proc == A && fake_exit_status == PROCESS_KILLED(TERM, 0), "A status 0x%x",
          fake_exit_status);
    CHECK(strstr(fake_log, "[kernel] app killed by signal 15\n") != NULL, "log: %s", fake_log);
}

/* ---- SIGCHLD from the process module ---- */
static void test_sigchld(void)
{
    section = "sigchld";
    fake_set_current(tA);
    CHECK(!signal_child_autoreap(A), "default SIGCHLD: no autoreap");
    EXPECT(signal_send_process(A, CHLD, 1, 5, 0), 0);
    CHECK(!signal_deliverable(), "default SIGCHLD is discarded");
    EXPECT(act(CHLD, (uint64_t)handler, K_SA_SIGINFO), 0);
    CHECK(!signal_child_autoreap(A), "handler: no autoreap");
    hits[CHLD] = 0;
    EXPECT(signal_send_process(A, CHLD, 1, 5, 3), 0);
    signal_deliver_pending();
    CHECK(hits[CHLD] == 1 && seen_code == 1 && seen_pid == 5 && seen_status == 3,
          "CLD_EXITED: hits %d code %d pid %d status %d", hits[CHLD], seen_code, seen_pid, seen_status);
    EXPECT(signal_send_process(A, CHLD, 2, 6, KILL), 0);
    signal_deliver_pending();
    CHECK(hits[CHLD] == 2 && seen_code == 2 && seen_pid == 6 && seen_status == KILL, "CLD_KILLED");
    EXPECT(act(CHLD, (uint64_t)handler, K_SA_SIGINFO | K_SA_NOCLDSTOP), 0);
    EXPECT(signal_send_process(A, CHLD, 5, 6, STOP), 0);
    EXPECT(signal_send_process(A, CHLD, 6, 6, CONT), 0);
    CHECK(!signal_deliverable(), "SA_NOCLDSTOP: no SIGCHLD for stop/continue");
    EXPECT(signal_send_process(A, CHLD, 1, 6, 0), 0);
    signal_deliver_pending();
    CHECK(hits[CHLD] == 3, "SA_NOCLDSTOP still reports an exit");
    EXPECT(act(CHLD, K_SIG_IGN, 0), 0);
    CHECK(signal_child_autoreap(A), "SIG_IGN: autoreap");
    EXPECT(act(CHLD, K_SIG_DFL, K_SA_NOCLDWAIT), 0);
    CHECK(signal_child_autoreap(A), "SA_NOCLDWAIT: autoreap");
    EXPECT(act(CHLD, K_SIG_IGN, 0), 0);
    CHECK(!signal_child_autoreap(C), "autoreap is each process's own setting");
    EXPECT(act(CHLD, K_SIG_DFL, 0), 0);
}

/* ---- the terminal's signals, interval timers per process ---- */
static void test_tty_timers(void)
{
    section = "tty";
    /* Make INT visible: every thread blocks it. */
    struct thread *all[] = { tA, tB, tB2, tC, tD };
    for (int i = 0; i < 5; i++) {
        fake_set_current(all[i]);
        mask(0, BIT(INT) | BIT(ALRM));
    }
    signal_raise_app(INT);
    int seen = 0;
    for (int i = 0; i < 5; i++) {
        fake_set_current(all[i]);
        if (pending() & BIT(INT))
            seen |= 1 << i;
        take(INT, NULL);
    }
    EXPECT(seen, 1 | 16);   /* pid 1's group: A and D */

    section = "itimer";
    uint64_t now = platform_monotonic_ns();
    struct kitv tv = { 0, 0, 1, 0 };
    fake_set_current(tB);
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    tv.vsec = 3;
    fake_set_current(tC);
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    tv.vsec = 0;
    tv.vusec = 500000;
    tv.isec = 5;
    fake_set_current(tD);
    EXPECT(C3(setitimer, 0, &tv, 0), 0);
    CHECK(fake_timer_at >= now + 400000000ull, "timer requested");
    signal_timer_tick(now + 2000000000ull);
    fake_set_current(tB);
    CHECK(pending() & BIT(ALRM), "B's alarm fired");
    take(ALRM, NULL);
    fake_set_current(tC);
    CHECK(!(pending() & BIT(ALRM)), "C's not yet");
    fake_set_current(tD);
    CHECK(pending() & BIT(ALRM), "D's fired");
    take(ALRM, NULL);
    fake_set_current(tA);
    CHECK(!(pending() & BIT(ALRM)), "A has no timer");
    signal_timer_tick(now + 4000000000ull);
    fake_set_current(tB);
    CHECK(!(pending() & BIT(ALRM)), "B's one-shot is done");
    fake_set_current(tC);
    CHECK(pending() & BIT(ALRM), "C's fired");
    take(ALRM, NULL);
    fake_set_current(tD);
    CHECK(!(pending() & BIT(ALRM)), "D's period is 5 s");
    signal_timer_tick(now + 6000000000ull);
    CHECK(pending() & BIT(ALRM), "D's fired again");
    take(ALRM, NULL);
    struct kitv cur;
    EXPECT(C2(getitimer, 0, &cur), 0);
    CHECK(cur.isec == 5, "D's interval %ld", cur.isec);
    /* D goes away with its timer armed: the release hook unlists it. */
    fake_thread_end(tD);
    fake_proc_ops->release(part(D));
    signal_timer_tick(now + 60000000000ull);
    fake_set_current(tA);
    CHECK(!(pending() & BIT(ALRM)), "a released process's timer is gone (its SIGALRM went nowhere)");
}

int main(void)
{
    A = fake_proc(1, 1, true);
    tA = fake_thread(A, 1);
    fake_set_current(tA);
    signal_init();   /* as in the kernel: in the main thread */
    CHECK(fake_proc_ops && fake_proc_ops->fork && fake_proc_ops->exec && fake_proc_ops->release,
          "the module claims per-process state with all three hooks");
    test_fork_exec();
    test_kill();
    test_stop_cont();
    test_sigchld();
    test_tty_timers();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
