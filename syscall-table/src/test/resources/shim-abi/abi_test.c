/*
 * Links the generated shim_table.c + shim_entries.S (for the fake-shim test
 * modules) with stand-in handlers and checks the entry ABI of
 * docs/architecture.md: arguments arrive in C order (r10 -> 4th), the result
 * comes back in rax, only rcx/r11 change, RFLAGS (incl. DF) survive, the
 * handler runs with an aligned stack and DF clear, unprovided numbers reach
 * shim_entry_generic with rax = number, the special numbers reach their
 * hand-written entries, and the init functions run in the generated order.
 * Prints "ok" and exits 0 on success; otherwise names each failed check.
 */
#include <stdio.h>
#include <string.h>
#include "shim_syscalls.h"

struct regs {
    unsigned long rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rflags;
};
void call_entry(struct regs *r, void *entry, long misalign);
void shim_entry_generic(void);

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static long seen[6];

/* Records its arguments, then trashes every register C may clobber (and sets
 * DF, which a C function must never return with) so the entry has to restore
 * them. */
long sys_read(long a0, long a1, long a2, long a3, long a4, long a5)
{
    seen[0] = a0; seen[1] = a1; seen[2] = a2; seen[3] = a3; seen[4] = a4; seen[5] = a5;
    __asm__ volatile("movq $-1, %%rdi\n\tmovq $-1, %%rsi\n\tmovq $-1, %%rdx\n\tmovq $-1, %%r8\n\t"
                     "movq $-1, %%r9\n\tmovq $-1, %%r10\n\tmovq $-1, %%rcx\n\tmovq $-1, %%r11\n\t"
                     "cmpq $0, %%rdi\n\tstd\n\tcld"
                     ::: "rdi", "rsi", "rdx", "r8", "r9", "r10", "rcx", "r11", "cc", "memory");
    return a0 * 100000 + a1 * 10000 + a2 * 1000 + a3 * 100 + a4 * 10 + a5;
}

#define TRIVIAL(name, value) \
    long sys_##name(long a0, long a1, long a2, long a3, long a4, long a5) \
    { (void)a0; (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return value; }
TRIVIAL(getpid, 42)
TRIVIAL(exit, 0)
TRIVIAL(exit_group, 0)
TRIVIAL(rseq, -38)
TRIVIAL(getppid, 1)
TRIVIAL(getuid, 0)
TRIVIAL(geteuid, 0)
TRIVIAL(write, 0)
TRIVIAL(openat, 3)
TRIVIAL(close, 0)
TRIVIAL(fadvise64, 0)
TRIVIAL(portapp_noop, 0)

static char init_log[64];
void core_init(void) { strcat(init_log, "core "); }
void proc_init(void) { strcat(init_log, "proc "); }
void fs_init(void) { strcat(init_log, "fs "); }

#define FLAGS_MASK 0xcd5UL /* CF PF AF ZF SF DF OF */

static struct regs pattern(unsigned long rax, unsigned long rflags)
{
    struct regs r = {
        .rax = rax, .rbx = 0x1111111111111111UL, .rcx = 0xcccccccccccccccUL, .rdx = 3,
        .rsi = 2, .rdi = 1, .rbp = 0x5555555555555555UL, .r8 = 5, .r9 = 6, .r10 = 4,
        .r11 = 0xbbbbbbbbbbbbbbbUL, .r12 = 0x1212121212121212UL, .r13 = 0x1313131313131313UL,
        .r14 = 0x1414141414141414UL, .r15 = 0x1515151515151515UL, .rflags = rflags,
    };
    return r;
}

/* Every register except rax, rcx, r11 and the flags must come back unchanged. */
static void check_preserved(const char *what, const struct regs *in, const struct regs *out)
{
    static const char *const names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                        "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    const unsigned long *a = &in->rax, *b = &out->rax;
    for (int i = 1; i < 15; i++) {
        if (i == 2 || i == 10)
            continue; /* rcx, r11: clobbered by a real syscall too */
        CHECK(a[i] == b[i], "%s: %s changed from %#lx to %#lx", what, names[i], a[i], b[i]);
    }
    CHECK((in->rflags & FLAGS_MASK) == (out->rflags & FLAGS_MASK), "%s: rflags %#lx -> %#lx",
          what, in->rflags, out->rflags);
}

int main(void)
{
    /* Flags on entry: CF, ZF, SF, DF, OF set (bit 1 is always 1). */
    const unsigned long flags = 0x2UL | 0x1 | 0x40 | 0x80 | 0x400 | 0x800;
    for (long mis = 0; mis <= 8; mis += 8) {
        struct regs in = pattern(SHIM_NR_read, flags), out = in;
        call_entry(&out, shim_entries[SHIM_NR_read], mis);
        CHECK(out.rax == 123456, "read: rax %ld, expected 123456", (long)out.rax);
        for (int i = 0; i < 6; i++)
            CHECK(seen[i] == i + 1, "read: argument %d is %ld, expected %d", i, seen[i], i + 1);
        check_preserved("read", &in, &out);

        in = pattern(SHIM_NR_gettid, flags);
        out = in;
        call_entry(&out, shim_entries[SHIM_NR_gettid], mis);
        CHECK(out.rax == 0, "gettid: handler saw misalignment/DF %#lx (misalign %ld)", out.rax, mis);
        check_preserved("gettid", &in, &out);
    }

    struct regs in = pattern(SHIM_NR_open, 0x2), out = in; /* no module provides open */
    call_entry(&out, shim_entries[SHIM_NR_open], 0);
    CHECK(out.rax == 1000 + SHIM_NR_open, "open: expected shim_entry_generic, rax %ld", (long)out.rax);
    check_preserved("open", &in, &out);

    static const struct { int nr; unsigned long marker; } special[] = {
        {SHIM_NR_rt_sigreturn, 0x5115}, {SHIM_NR_clone, 0x5156}, {SHIM_NR_vfork, 0x5158},
        {SHIM_NR_clone3, 0x5435}};
    for (unsigned i = 0; i < sizeof special / sizeof special[0]; i++) {
        in = pattern(special[i].nr, 0x2);
        out = in;
        call_entry(&out, shim_entries[special[i].nr], 0);
        CHECK(out.rax == special[i].marker, "nr %d: rax %#lx, expected special entry %#lx",
              special[i].nr, out.rax, special[i].marker);
    }

    CHECK(shim_entries[SHIM_NR_COUNT - 1] == shim_entries[SHIM_NR_portapp_noop], "last entry");
    CHECK(shim_entries[400] == (void *)shim_entry_generic, "unused nr 400 must be generic");
    CHECK(shim_handlers[SHIM_NR_read] == sys_read, "handler of read");
    CHECK(shim_handlers[SHIM_NR_open] == NULL, "handler of open must be NULL");
    CHECK(shim_handlers[SHIM_NR_portapp_noop] == sys_portapp_noop, "handler of portapp_noop");
    CHECK(shim_syscall_names[400] == NULL, "name of unused 400");
    CHECK(strcmp(shim_syscall_names[SHIM_NR_exit_group], "exit_group") == 0, "name of exit_group");
    CHECK(SHIM_NR_COUNT == 501, "SHIM_NR_COUNT %d", SHIM_NR_COUNT);

    shim_init_modules();
    CHECK(strcmp(init_log, "core proc fs ") == 0, "init order '%s'", init_log);

    if (failures)
        return 1;
    printf("ok\n");
    return 0;
}
