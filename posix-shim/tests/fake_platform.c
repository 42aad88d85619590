/* A fake platform for the host-side test harness: the console is a pair of
 * memory buffers (stdout, stderr) and a scripted input, pages come from
 * mmap, "idle" runs a hook the test installs (standing in for another thread
 * or an interrupt), the clock is CLOCK_MONOTONIC. Compiled with the host's
 * libc, unlike the modules under test. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "fake_platform.h"
#include "shim/mm.h"
#include "shim/kernel.h"

char fake_out[1 << 16];
size_t fake_out_len;
char fake_err[1 << 16];
size_t fake_err_len;
static const char *in_data;
static size_t in_len, in_pos;
static int in_eof;
void (*fake_idle_hook)(void);
int fake_tty[3] = { 1, 1, 1 };

int platform_console_isatty(int fd)
{
    return fake_tty[fd];
}

uint16_t fake_rows, fake_cols;     /* 0: the host's size is not known */

int platform_console_winsize(uint16_t *rows, uint16_t *cols)
{
    if (!fake_rows)
        return 0;
    *rows = fake_rows;
    *cols = fake_cols;
    return 1;
}
unsigned long fake_idle_calls;
long fake_pages_out;

long platform_console_write(const void *buf, size_t len)
{
    size_t c = len < sizeof fake_out - fake_out_len ? len : sizeof fake_out - fake_out_len;
    memcpy(fake_out + fake_out_len, buf, c);
    fake_out_len += c;
    return (long)len;
}

long platform_console_write_err(const void *buf, size_t len)
{
    size_t c = len < sizeof fake_err - fake_err_len ? len : sizeof fake_err - fake_err_len;
    memcpy(fake_err + fake_err_len, buf, c);
    fake_err_len += c;
    return (long)len;
}

long platform_console_read(void *buf, size_t len, int nonblock)
{
    (void)nonblock;
    if (in_pos < in_len) {
        size_t c = len < in_len - in_pos ? len : in_len - in_pos;
        memcpy(buf, in_data + in_pos, c);
        in_pos += c;
        return (long)c;
    }
    return in_eof ? 0 : -EAGAIN;
}

void fake_console_input(const char *data, size_t len, int eof_after)
{
    in_data = data;
    in_len = len;
    in_pos = 0;
    in_eof = eof_after;
}

void fake_out_reset(void)
{
    fake_out_len = 0;
    fake_err_len = 0;
}

void *platform_alloc_pages(size_t n)
{
    void *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    fake_pages_out += (long)n;
    return p;
}

void platform_free_pages(void *p, size_t n)
{
    munmap(p, n * 4096);
    fake_pages_out -= (long)n;
}

void platform_idle(void)
{
    fake_idle_calls++;
    if (fake_idle_hook) {
        fake_idle_hook();
        return;
    }
    /* No hook: a real wait (poll timeouts); guard against a test that would
     * block for ever. */
    if (fake_idle_calls > 2000000) {
        fprintf(stderr, "harness: blocked for ever in platform_idle (deadlock)\n");
        exit(99);
    }
    struct timespec ts = { 0, 100000 };
    nanosleep(&ts, NULL);
}

uint64_t platform_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void platform_memory_info(uint64_t *total, uint64_t *avail)
{
    *total = 64ull << 20;
    *avail = 48ull << 20;
}

uint64_t platform_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void platform_write_err(const char *buf, size_t len)
{
    /* The shim's log (initrd warnings ...): keep it for the checks too. */
    ssize_t r = write(2, buf, len);
    (void)r;
}

_Noreturn void platform_abort(int code)
{
    fprintf(stderr, "harness: platform_abort(%d)\n", code);
    exit(98);
}

void platform_out_of_memory(const char *what)
{
    fprintf(stderr, "harness: out of memory: %s\n", what);
    exit(98);
}

/* The harness builds with SHIM_HAVE_mm (tests/Makefile): these stand in for
 * the mm module's functions other modules call.
 * The /proc/PID/maps provider, as the real one will be called. */
size_t mm_format_maps_of(struct proc_ctx *p, char *buf, size_t size)
{
    (void)p;
    const char *text = "00400000-00401000 r-xp 00000000 00:00 0 /bin/app\n";
    size_t len = strlen(text);
    if (size) {
        size_t c = len < size - 1 ? len : size - 1;
        memcpy(buf, text, c);
        buf[c] = 0;
    }
    return len;
}

/* The mm module's hook for ramfs: nothing is ever mapped in the harness. */
void mm_file_pages_moved(struct vnode *vn)
{
    (void)vn;
}

/* ---- shim/uaccess.h primitives ----------------------------------------------
 * The harness's "app" is this process, and its pointers are valid host
 * memory, except the first page (NULL and small offsets), which stands in
 * for an unmapped page: a copy touching it fails where it starts. */
#include "shim/uaccess.h"

static size_t fake_bad_from(const void *a, const void *b, size_t n)
{
    uintptr_t lo = 4096, x = (uintptr_t)a, y = (uintptr_t)b;
    if (x < lo || y < lo)
        return 0;
    return n;
}

size_t platform_copy_nofault(void *dst, const void *src, size_t n)
{
    size_t ok = fake_bad_from(dst, src, n);
    memmove(dst, src, ok);
    return n - ok;
}

size_t platform_clear_nofault(void *dst, size_t n)
{
    size_t ok = fake_bad_from(dst, dst, n);
    memset(dst, 0, ok);
    return n - ok;
}

long platform_strncpy_nofault(char *dst, const char *src, size_t n)
{
    if (!fake_bad_from(dst, src, 1))
        return -1;
    size_t len = strnlen(src, n);
    memcpy(dst, src, len < n ? len + 1 : n);
    return (long)len;
}

int platform_cmpxchg_user_u32(uint32_t *uaddr, uint32_t old, uint32_t new_val, uint32_t *cur)
{
    if (!fake_bad_from(uaddr, uaddr, 4) || ((uintptr_t)uaddr & 3))
        return -EFAULT;
    __atomic_compare_exchange_n(uaddr, &old, new_val, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *cur = old;
    return 0;
}

/* The signal harness brings its own processes (fake_sched.c): FAKE_SCHED. */
#ifndef FAKE_SCHED
/* ---- process contexts (shim/sched.h) -------------------------------------------
 * The harness has no threads and no process module: "the current process"
 * is whichever fake context the test switched to. sched_proc_fork runs the
 * claimed fork hooks as the platform does, fake_proc_exec the exec hooks and
 * fake_proc_release the release hooks, so a test can play parent and child
 * by switching between them. */
#include "shim/sched.h"

struct proc_ctx {
    int used;
    _Alignas(16) uint8_t local[SHIM_PROCESS_LOCAL_MAX];
};
static struct proc_ctx fake_procs[8] = { [0] = { .used = 1 } };
static struct proc_ctx *fake_cur = &fake_procs[0];
static struct {
    size_t offset, size;
    const struct proc_local_ops *ops;
} claims[16];
static int nclaims;
static size_t proc_local_used;
int fake_fork_fail_at = -1;

size_t sched_proc_local_claim(const char *module, size_t size, const struct proc_local_ops *ops)
{
    size_t end = proc_local_used + ((size + 15) & ~(size_t)15);
    if (end > SHIM_PROCESS_LOCAL_MAX || nclaims == 16) {
        fprintf(stderr, "harness: module %s: per-process state does not fit\n", module);
        exit(98);
    }
    claims[nclaims].offset = proc_local_used;
    claims[nclaims].size = size;
    claims[nclaims++].ops = ops;
    size_t off = proc_local_used;
    proc_local_used = end;
    return off;
}

void *sched_proc_local(struct proc_ctx *p, size_t offset) { return p->local + offset; }
void *sched_proc_local_current(size_t offset) { return fake_cur->local + offset; }
struct proc_ctx *sched_proc(const struct thread *t) { (void)t; return fake_cur; }
struct proc_ctx *sched_proc_current(void) { return fake_cur; }
int sched_proc_threads(const struct proc_ctx *p) { (void)p; return 1; }
uint64_t sched_proc_memory(const struct proc_ctx *p) { (void)p; return 0; }

void sched_proc_drain(void)
{
    /* no reaper here: contexts are freed at once */
}

struct proc_ctx *sched_proc_fork(unsigned long clone_flags)
{
    struct proc_ctx *c = NULL;
    for (size_t i = 0; i < sizeof fake_procs / sizeof fake_procs[0] && !c; i++)
        if (!fake_procs[i].used)
            c = &fake_procs[i];
    if (!c)
        return NULL;
    memset(c->local, 0, sizeof c->local);
    /* fake_fork_fail_at == nclaims stands for a module after all the
     * claimed ones failing. */
    for (int i = 0; i <= nclaims; i++) {
        int r = -ENOMEM;
        if (i == nclaims && i != fake_fork_fail_at)
            break;
        if (i == fake_fork_fail_at)
            ;
        else if (claims[i].ops && claims[i].ops->fork)
            r = claims[i].ops->fork(c->local + claims[i].offset, fake_cur->local + claims[i].offset, clone_flags);
        else
            r = (memcpy(c->local + claims[i].offset, fake_cur->local + claims[i].offset, claims[i].size), 0);
        if (r < 0) {
            for (int j = 0; j < i; j++)
                if (claims[j].ops && claims[j].ops->release)
                    claims[j].ops->release(c->local + claims[j].offset);
            return NULL;
        }
    }
    c->used = 1;
    return c;
}

void sched_proc_discard(struct proc_ctx *p) { fake_proc_release(p); }

void fake_proc_switch(struct proc_ctx *p) { fake_cur = p; }

int fake_proc_exec(void)
{
    for (int i = 0; i < nclaims; i++)
        if (claims[i].ops && claims[i].ops->exec) {
            int r = claims[i].ops->exec(fake_cur->local + claims[i].offset);
            if (r < 0)
                return r;
        }
    return 0;
}

void fake_proc_release(struct proc_ctx *p)
{
    for (int i = 0; i < nclaims; i++)
        if (claims[i].ops && claims[i].ops->release)
            claims[i].ops->release(p->local + claims[i].offset);
    p->used = 0;
    if (fake_cur == p)
        fake_cur = &fake_procs[0];
}
#endif
