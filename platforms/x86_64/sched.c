/*
 * The scheduler (thread.h): a run queue of kernel threads, round robin,
 * preemption of app code from the LAPIC timer, blocking on channels with
 * deadlines, idle = hlt with interrupts on.
 *
 * One CPU. The timer is one-shot and re-armed on every interrupt for the
 * earliest of: the end of the running thread's slice (when another thread
 * is runnable), the nearest sleeper deadline, a requested time (interval
 * timers). Interrupts are off in everything here that touches the queues.
 *
 * Memory: each thread owns a slot in a kernel window: a guard page, its
 * kernel stack, and its struct thread followed by the shim modules'
 * per-thread area and the XSAVE area. Slots of dead threads are reused
 * (never the running one's).
 */
#include "thread.h"
#include "shim/errno.h"

#define SLICE_NS        10000000ull          /* 10 ms */
#define TICK_MAX_NS     50000000ull          /* re-check at least this often */
#define KSTACK_PAGES    (THREAD_KSTACK_SIZE / PAGE_SIZE)
#define TSTRUCT_PAGES   3                    /* struct thread + modules' area + XSAVE area */
#define SLOT_PAGES      (1 + KSTACK_PAGES + TSTRUCT_PAGES)
#define SLOT_BASE       0xffffb00000000000ull
#define MAX_SLOTS       SCHED_MAX_THREADS

_Static_assert(sizeof(struct thread) + 16 + SHIM_THREAD_LOCAL_MAX + 64 + 4096 <= TSTRUCT_PAGES * PAGE_SIZE,
               "struct thread slot");
/* The shim's register frame and selectors (shim/regs.h) are this
 * platform's: regs_resume (switch.S) pops struct shim_regs in its field
 * order and iretqs into its cs/ss. */
_Static_assert(SHIM_SEL_CODE == SEL_KCODE && SHIM_SEL_DATA == SEL_KDATA, "shim/regs.h selectors");
/* The shim's entries find the thread's shim stack at gs:[this]. */
_Static_assert(SHIM_PERCPU_SHIM_STACK == PERCPU_SYSCALL_KSTACK, "shim/regs.h per-CPU shim stack");
_Static_assert(SHIM_PERCPU_SHIM_NESTED == PERCPU_SHIM_NESTED, "shim/regs.h per-CPU nesting");

/* A process context: its address space and the modules' per-process area.
 * The boot one (the app's, pid 1) is static; the others live in a page of
 * the direct map each. Service threads run in the boot context but never
 * switch address spaces (they only run kernel code). */
struct proc_ctx {
    struct vm_space *space;
    uint8_t *local;              /* SHIM_PROCESS_LOCAL_MAX bytes */
    int nthreads;                /* live app threads */
    struct proc_ctx *next_free;  /* released, waiting for the reaper */
};
_Static_assert(sizeof(struct proc_ctx) + 16 + SHIM_PROCESS_LOCAL_MAX <= PAGE_SIZE, "proc_ctx page");

static struct proc_ctx boot_proc;
static uint8_t boot_proc_local[SHIM_PROCESS_LOCAL_MAX] ALIGNED(16);
static struct proc_ctx *pending_release;    /* ended, released after the switch */
void (*sched_proc_gone)(struct proc_ctx *p);

static struct thread *cur;
static struct thread *rq_head, *rq_tail;
static struct thread *all;
static unsigned slots_used;
static int next_tid = 1;
static int live;
static uint64_t slice_end;
static uint64_t timer_request;       /* absolute nanotime, 0 = none */
static bool started;
static uint64_t block_seq;
void (*sched_after_switch)(void);
static void finish_switch(void);
static struct proc_ctx *release_queue;   /* contexts for the reaper (finish_switch) */
static struct thread *reaper;
static void reap_loop(void *arg);

struct thread *sched_current(void) { return cur; }
int sched_tid(const struct thread *t) { return t->tid; }
int sched_live_count(void) { return live; }

bool sched_blocked(const struct thread *t, const void **chan)
{
    if (t->state != T_BLOCKED)
        return false;
    *chan = t->chan;
    return true;
}

struct thread *sched_find(int tid)
{
    for (struct thread *t = all; t; t = t->all_next)
        if (t->tid == tid && t->state != T_DEAD && !t->service)
            return t;
    return NULL;
}

struct thread *sched_next_live(struct thread *t)
{
    for (t = t ? t->all_next : all; t; t = t->all_next)
        if (t->state != T_DEAD && !t->service)
            return t;
    return NULL;
}

static void rq_push(struct thread *t)
{
    t->state = T_RUNNABLE;
    t->rq_next = NULL;
    if (rq_tail)
        rq_tail->rq_next = t;
    else
        rq_head = t;
    rq_tail = t;
}

static struct thread *rq_pop(void)
{
    struct thread *t = rq_head;
    if (t) {
        rq_head = t->rq_next;
        if (!rq_head)
            rq_tail = NULL;
    }
    return t;
}

/* ---- the timer ---------------------------------------------------------- */

static void timer_arm(void)
{
    uint64_t now = nanotime();
    uint64_t when = now + TICK_MAX_NS;
    if (rq_head && slice_end < when)
        when = slice_end;
    for (struct thread *t = all; t; t = t->all_next)
        if (t->state == T_BLOCKED && t->deadline && t->deadline < when)
            when = t->deadline;
    if (timer_request && timer_request < when)
        when = timer_request;
    timer_oneshot_ns(when > now ? when - now : 1);
}

void sched_timer_at(uint64_t when)
{
    uint64_t flags = irq_save();
    if (!timer_request || when < timer_request || timer_request <= nanotime())
        timer_request = when;
    timer_arm();
    irq_restore(flags);
}

static void wake(struct thread *t, enum wake_reason why)
{
    t->wake_reason = why;
    t->chan = NULL;
    t->deadline = 0;
    rq_push(t);
}

static void wake_expired(uint64_t now)
{
    for (struct thread *t = all; t; t = t->all_next)
        if (t->state == T_BLOCKED && t->deadline && t->deadline <= now)
            wake(t, WAKE_TIMEOUT);
}

/* ---- switching ------------------------------------------------------------ */

/* Switch to the next runnable thread; the current one has already been put
 * on the queue, blocked or killed. With nothing runnable: idle (hlt with
 * interrupts on) until an interrupt makes a thread runnable. */
static void schedule(void)
{
    struct thread *prev = cur, *next;
    for (;;) {
        next = rq_pop();
        if (next)
            break;
        if (prev->state == T_RUNNING) {
            next = prev;
            break;
        }
        timer_arm();
        __asm__ volatile("sti; hlt; cli" ::: "memory");
        wake_expired(nanotime());
    }
    next->state = T_RUNNING;
    slice_end = nanotime() + SLICE_NS;
    if (next == prev)
        return;
    if (prev->state != T_DEAD) {
        fpu_save(prev->xsave);
        prev->fs_base = rdmsr(MSR_FS_BASE);
    }
    cur = next;
    wrmsr(MSR_FS_BASE, next->fs_base);
    fpu_restore(next->xsave);
    this_cpu()->syscall_kstack = next->syscall_sp;
    this_cpu()->shim_nested = (uint64_t)next->nested;
    timer_arm();
    /* Another process's thread: its address space. Every thread switches
     * on its kernel stack (the shim and preempt_stub run there, never on
     * the app's stack), which is in the kernel half that every space
     * shares, so no fault can come from switch_context's pushes. Service
     * threads run kernel code only and keep whatever is loaded. */
    uint64_t cr3 = 0;
    if (!next->service && next->proc->space != vm_space_active())
        cr3 = vm_space_activate(next->proc->space);
    switch_context(&prev->ksp, next->ksp, cr3);
    /* running as prev again */
    finish_switch();
    if (sched_after_switch)
        sched_after_switch();
}

void sched_yield_now(void)
{
    if (!started)
        return;
    uint64_t flags = irq_save();
    if (rq_head) {
        rq_push(cur);
        schedule();
    }
    irq_restore(flags);
}

/* Called by preempt_stub on the preempted thread's stack. */
void sched_preempted(void);
void sched_preempted(void)
{
    rq_push(cur);
    schedule();
}

const struct shim_regs *sched_start_regs(void);
const struct shim_regs *sched_start_regs(void)
{
    finish_switch();
    if (sched_after_switch)
        sched_after_switch();
    if (cur->first_fn) {
        void (*fn)(void *) = cur->first_fn;
        cur->first_fn = NULL;
        fn(cur->first_arg);
    }
    return &cur->start;
}

enum wake_reason sched_block(const void *chan, uint32_t bits, uint64_t deadline)
{
    cur->state = T_BLOCKED;
    cur->chan = chan;
    cur->chan_bits = bits;
    cur->deadline = deadline;
    cur->wait_seq = ++block_seq;
    cur->wake_reason = WAKE_NONE;
    if (deadline && deadline <= nanotime()) {
        cur->state = T_RUNNING;
        cur->chan = NULL;
        return WAKE_TIMEOUT;
    }
    schedule();
    return cur->wake_reason;
}

int sched_wake_chan(const void *chan, uint32_t bits, int n)
{
    int woken = 0;
    /* The longest waiter first (futex and wait-queue fairness). */
    while (n < 0 || woken < n) {
        struct thread *best = NULL;
        for (struct thread *t = all; t; t = t->all_next)
            if (t->state == T_BLOCKED && t->chan == chan && (t->chan_bits & bits) &&
                (!best || t->wait_seq < best->wait_seq))
                best = t;
        if (!best)
            break;
        wake(best, WAKE_EVENT);
        woken++;
    }
    return woken;
}

int sched_requeue_chan(const void *from, const void *to, int n)
{
    int moved = 0;
    while (moved < n) {
        struct thread *best = NULL;
        for (struct thread *t = all; t; t = t->all_next)
            if (t->state == T_BLOCKED && t->chan == from && (!best || t->wait_seq < best->wait_seq))
                best = t;
        if (!best)
            break;
        best->chan = to;
        moved++;
    }
    return moved;
}

void sched_wake_thread(struct thread *t, enum wake_reason why)
{
    if (t->state == T_BLOCKED)
        wake(t, why);
}

uint64_t sched_sleep_ns(uint64_t ns)
{
    if (!started) {
        sleep_ns(ns);
        return 0;
    }
    uint64_t flags = irq_save();
    uint64_t deadline = nanotime() + ns, left = 0;
    for (;;) {
        if (signal_deliverable && signal_deliverable()) {
            uint64_t now = nanotime();
            left = deadline > now ? deadline - now : 0;
            break;
        }
        if (sched_block(NULL, 0, deadline) == WAKE_TIMEOUT)
            break;
    }
    irq_restore(flags);
    if (left && signal_deliver_pending)
        signal_deliver_pending();
    return left;
}

/* ---- thread creation and exit --------------------------------------------- */

static struct thread *slot_thread(unsigned slot)
{
    return (struct thread *)(SLOT_BASE + ((uint64_t)slot * SLOT_PAGES + 1 + KSTACK_PAGES) * PAGE_SIZE);
}

bool sched_is_kstack_guard(uint64_t va)
{
    if (va < SLOT_BASE || va >= SLOT_BASE + (uint64_t)MAX_SLOTS * SLOT_PAGES * PAGE_SIZE)
        return false;
    return (va - SLOT_BASE) / PAGE_SIZE % SLOT_PAGES == 0;
}

static struct thread *thread_alloc(void)
{
    struct thread *t = NULL;
    for (struct thread *d = all; d; d = d->all_next)
        if (d->state == T_DEAD && d != cur) {
            t = d;
            break;
        }
    if (t) {
        struct thread *keep_next = t->all_next;
        unsigned slot = t->slot;
        memset(t, 0, sizeof *t);
        t->all_next = keep_next;
        t->slot = slot;
    } else {
        if (slots_used >= MAX_SLOTS)
            return NULL;
        unsigned slot = slots_used;
        uint64_t base = SLOT_BASE + (uint64_t)slot * SLOT_PAGES * PAGE_SIZE;
        /* page 0 stays unmapped: a guard below the kernel stack */
        if (vm_alloc_range(base + PAGE_SIZE, KSTACK_PAGES + TSTRUCT_PAGES, VM_READ | VM_WRITE) < 0)
            return NULL;
        slots_used++;
        t = slot_thread(slot);
        t->slot = slot;
        t->all_next = all;
        all = t;
    }
    uint64_t base = SLOT_BASE + (uint64_t)t->slot * SLOT_PAGES * PAGE_SIZE;
    t->kstack_top = base + (1 + KSTACK_PAGES) * PAGE_SIZE;
    t->syscall_sp = t->kstack_top;
    t->local = (uint8_t *)(((uint64_t)(t + 1) + 15) & ~15ull);
    memset(t->local, 0, SHIM_THREAD_LOCAL_MAX);   /* a reused slot keeps a dead thread's */
    t->xsave = (uint8_t *)(((uint64_t)t->local + SHIM_THREAD_LOCAL_MAX + 63) & ~63ull);
    t->tid = next_tid++;
    return t;
}

/* ---- the shim modules' per-thread state (shim/sched.h) -------------------- */

#define LOCAL_INITS 16
static size_t local_used;
static struct { size_t offset; sched_local_init_t init; } local_inits[LOCAL_INITS];
static unsigned nlocal_inits;

size_t sched_local_claim(const char *module, size_t size, sched_local_init_t init)
{
    uint64_t flags = irq_save();
    size_t offset = local_used;
    size_t end = offset + ((size + 15) & ~(size_t)15);
    if (end > SHIM_THREAD_LOCAL_MAX || (init && nlocal_inits == LOCAL_INITS))
        panic("module %s: %lu bytes of per-thread state do not fit (%lu of SHIM_THREAD_LOCAL_MAX %u used)",
              module, (unsigned long)size, (unsigned long)local_used, SHIM_THREAD_LOCAL_MAX);
    local_used = end;
    if (init) {
        local_inits[nlocal_inits].offset = offset;
        local_inits[nlocal_inits].init = init;
        nlocal_inits++;
        for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t))
            init(t->local + offset, NULL);
    }
    irq_restore(flags);
    return offset;
}

void *sched_local(struct thread *t, size_t offset)
{
    return t->local + offset;
}

/* A new thread's first switch: it inherits the creator's vector state, as
 * on Linux, and switch_context pops r15..rbp and returns into
 * thread_first_run, which resumes t->start. */
static void first_run_frame(struct thread *t)
{
    fpu_save(t->xsave);
    uint64_t *sp = (uint64_t *)(t->kstack_top - 64);
    sp[6] = (uint64_t)thread_first_run;
    for (int i = 0; i < 6; i++)
        sp[i] = 0;
    t->ksp = (uint64_t)sp;
}

static struct proc_ctx *boot_ctx(void);

/* A new app thread in process p, its module-local state initialised from
 * the current thread's. */
static struct thread *spawn(struct proc_ctx *p, const struct shim_regs *start, uint64_t fs_base)
{
    uint64_t flags = irq_save();
    struct thread *t = thread_alloc();
    if (!t) {
        irq_restore(flags);
        return NULL;
    }
    for (unsigned i = 0; i < nlocal_inits; i++)
        local_inits[i].init(t->local + local_inits[i].offset, cur->local + local_inits[i].offset);
    t->start = *start;
    t->start.cs = SEL_KCODE;
    t->start.ss = SEL_KDATA;
    t->start.rflags |= 1u << 9;
    t->fs_base = fs_base;
    t->proc = p;
    p->nthreads++;
    first_run_frame(t);
    live++;
    rq_push(t);
    irq_restore(flags);
    return t;
}

struct thread *sched_spawn(const struct shim_regs *start, uint64_t fs_base)
{
    return spawn(cur->proc, start, fs_base);
}

/* A service thread (shim/sched.h): no app context, so it starts at fn with
 * arg on its own kernel stack, in kernel code (never preempted: it runs
 * until it blocks). It takes no tid from the app's sequence and is not
 * live: the app's last thread still ends the process, and signals and
 * /proc never see it. */
struct thread *sched_spawn_service(void (*fn)(void *), void *arg)
{
    uint64_t flags = irq_save();
    struct thread *t = thread_alloc();
    if (!t) {
        irq_restore(flags);
        return NULL;
    }
    next_tid--;
    t->tid = 0;
    t->service = true;
    t->proc = boot_ctx();   /* kernel code only: it never switches address spaces */
    for (unsigned i = 0; i < nlocal_inits; i++)
        local_inits[i].init(t->local + local_inits[i].offset, cur->local + local_inits[i].offset);
    /* fn's frames start well below the first-run frame at the top; the
     * stack is 16-byte aligned at the call, so rsp + 8 is at entry. */
    t->start = (struct shim_regs){
        .rip = (uint64_t)fn, .rdi = (uint64_t)arg,
        .rsp = ((t->kstack_top - 256) & ~15ull) - 8,
        .cs = SEL_KCODE, .ss = SEL_KDATA, .rflags = 1u << 9,
    };
    first_run_frame(t);
    rq_push(t);
    irq_restore(flags);
    return t;
}

NORETURN void sched_exit_current(void)
{
    irq_disable();
    cur->state = T_DEAD;
    live--;
    if (!cur->service && --cur->proc->nthreads == 0)
        pending_release = cur->proc;   /* released once we are off its stacks */
    schedule();
    panic("a dead thread was scheduled");
}

/* ---- the signal module's view of a trap (shim/signal.h) ------------------- */

static void trap_to_shim(const struct trap_frame *f, struct shim_trap *t)
{
    t->regs = (struct shim_regs){
        .r15 = f->r15, .r14 = f->r14, .r13 = f->r13, .r12 = f->r12,
        .r11 = f->r11, .r10 = f->r10, .r9 = f->r9, .r8 = f->r8,
        .rbp = f->rbp, .rdi = f->rdi, .rsi = f->rsi, .rdx = f->rdx,
        .rcx = f->rcx, .rbx = f->rbx, .rax = f->rax,
        .rip = f->rip, .cs = f->cs, .rflags = f->rflags, .rsp = f->rsp, .ss = f->ss,
    };
    t->vector = f->vector;
    t->error = f->error;
    t->fault_addr = f->vector == 14 ? this_cpu()->cr2 : 0;
}

/* The context a signal handler is entered with (cs/ss stay the kernel's). */
static void shim_to_trap(const struct shim_trap *t, struct trap_frame *f)
{
    const struct shim_regs *r = &t->regs;
    f->r15 = r->r15; f->r14 = r->r14; f->r13 = r->r13; f->r12 = r->r12;
    f->r11 = r->r11; f->r10 = r->r10; f->r9 = r->r9; f->r8 = r->r8;
    f->rbp = r->rbp; f->rdi = r->rdi; f->rsi = r->rsi; f->rdx = r->rdx;
    f->rcx = r->rcx; f->rbx = r->rbx; f->rax = r->rax;
    f->rip = r->rip; f->rflags = r->rflags; f->rsp = r->rsp;
}

bool sched_signal_fault(struct trap_frame *f)
{
    if (!signal_fault)
        return false;
    struct shim_trap t;
    trap_to_shim(f, &t);
    if (!signal_fault(&t))
        return false;
    shim_to_trap(&t, f);
    return true;
}

static void signal_on_interrupt(struct trap_frame *f)
{
    if (!signal_from_trap)
        return;
    struct shim_trap t;
    trap_to_shim(f, &t);
    if (signal_from_trap(&t))
        shim_to_trap(&t, f);
}

/* ---- the timer interrupt --------------------------------------------------- */

/* The platform's work at every timer interrupt (sched_set_tick_hook). */
static void (*tick_hook)(uint64_t now);

void sched_set_tick_hook(void (*hook)(uint64_t now))
{
    tick_hook = hook;
}

static bool timer_irq(struct trap_frame *f)
{
    this_cpu()->timer_ticks++;
    lapic_eoi();
    uint64_t now = nanotime();
    if (timer_request && timer_request <= now)
        timer_request = 0;
    wake_expired(now);
    if (tick_hook)
        tick_hook(now);
    if (signal_timer_tick)
        signal_timer_tick(now);
    /* Only app code is preempted or handed a signal here: the shim and
     * the kernel run until they block or return (thread.h). */
    if (f->rip < USER_TOP && (f->rflags & (1u << 9))) {
        signal_on_interrupt(f);
        if (rq_head && now >= slice_end) {
            /* The iretq frame goes on the thread's shim stack, from its
             * current top: app code is running, so nothing of the thread
             * is there (a handler run from inside the shim has that top
             * below the shim's frames). Never on the app's stack. */
            uint64_t sp = (this_cpu()->syscall_kstack - 8 - 5 * 8) & ~15ull;
            {
                uint64_t *fr = (uint64_t *)sp;
                fr[0] = f->rip;
                fr[1] = f->cs;
                fr[2] = f->rflags;
                fr[3] = f->rsp;
                fr[4] = f->ss;
                f->rsp = sp;
                f->rip = (uint64_t)preempt_stub;
                f->rflags &= ~(uint64_t)((1u << 9) | (1u << 10) | (1u << 8));   /* IF, DF, TF */
            }
        }
    }
    timer_arm();
    return true;
}

void sched_init(void)
{
    if (cpu_features.xsave_size > 4096)
        panic("sched_init: XSAVE area of %u bytes does not fit a thread slot", cpu_features.xsave_size);
    uint64_t flags = irq_save();
    struct thread *t = thread_alloc();
    if (!t)
        panic("sched_init: no memory for the main thread");
    t->state = T_RUNNING;
    t->fs_base = rdmsr(MSR_FS_BASE);
    t->proc = boot_ctx();
    t->proc->nthreads = 1;
    cur = t;
    live = 1;
    this_cpu()->syscall_kstack = t->kstack_top;
    trap_set_handler(VEC_TIMER, timer_irq);
    started = true;
    slice_end = nanotime() + SLICE_NS;
    timer_arm();
    irq_restore(flags);
}

/* ---- the LSTAR entry's stack (shim/sched.h) ------------------------------- */

bool sched_on_kstack(uint64_t sp)
{
    return sp < cur->kstack_top && sp >= cur->kstack_top - THREAD_KSTACK_SIZE;
}

/* platforms/qemu/entry.S pushes the app's rsp first, at the top of the
 * stack it switches to (percpu.syscall_kstack = the thread's syscall_sp). */
uint64_t sched_lstar_user_rsp(void)
{
    return *(const uint64_t *)(cur->syscall_sp - 8);
}

/* Lowering the top starts a level (a handler run from inside the shim:
 * signal.c's deliver, with sig_enter_sync naming the handler's stack
 * below); raising it back ends the innermost one. */
uint64_t sched_set_syscall_stack(uint64_t top)
{
    uint64_t old = cur->syscall_sp;
    if (top < old && cur->nested < (int)(sizeof cur->nest / sizeof cur->nest[0])) {
        cur->nest[cur->nested].top = old;
        cur->nest[cur->nested].handler_sp = ~0ull;   /* until sig_enter_sync says */
        cur->nested++;
    } else if (top > old && cur->nested > 0 && cur->nest[cur->nested - 1].top == top) {
        cur->nested--;
    }
    cur->syscall_sp = top;
    this_cpu()->syscall_kstack = top;
    this_cpu()->shim_nested = (uint64_t)cur->nested;
    return old;
}

/* sigreturn.S's sig_enter_sync: the handler about to run from inside the
 * shim starts at sp. */
void sched_shim_handler_sp(uint64_t sp)
{
    if (cur->nested > 0)
        cur->nest[cur->nested - 1].handler_sp = sp;
}

/* shim_stack_nested (switch.S): a syscall while levels are open. The
 * handler of a level runs below its initial rsp (on the same stack or on
 * its alternate stack, which lies below the interrupted code's stack in
 * any common layout); a syscall from above it comes from code the
 * handler left with a longjmp, so that level's shim frames are dead and
 * its top is free again. (rt_sigreturn, the handler's normal way out, is
 * a special entry and does not come here.) A handler whose alternate
 * stack lies above the interrupted stack is never taken as left: its
 * longjmp only keeps that stack's part in use, as before. */
void sched_shim_stack_nested(uint64_t app_rsp);
void sched_shim_stack_nested(uint64_t app_rsp)
{
    uint64_t flags = irq_save();
    while (cur->nested > 0 && app_rsp > cur->nest[cur->nested - 1].handler_sp) {
        cur->nested--;
        cur->syscall_sp = cur->nest[cur->nested].top;
    }
    this_cpu()->syscall_kstack = cur->syscall_sp;
    this_cpu()->shim_nested = (uint64_t)cur->nested;
    irq_restore(flags);
}

/* ---- wait queues (posix-shim/include/shim/wait.h) ----------------------- */

/* The shim's wait queues sleep here. A sleep is capped at 5 ms: the serial
 * console is polled, not interrupt driven, so a reader waiting for input
 * (directly or through poll) must look again now and then. */
#define WQ_POLL_NS 5000000ull

int platform_wq_sleep(void *wq, uint64_t deadline);
int platform_wq_sleep(void *wq, uint64_t deadline)
{
    uint64_t flags = irq_save();
    uint64_t cap = nanotime() + WQ_POLL_NS;
    if (!deadline || deadline > cap)
        deadline = cap;
    if (!(signal_deliverable && signal_deliverable()))
        sched_block(wq, ~0u, deadline);
    irq_restore(flags);
    if (signal_deliverable && signal_deliverable() && signal_deliver_pending)
        return signal_deliver_pending();   /* WAIT_HANDLER_* bits */
    return 0;
}

void platform_wq_wake(void *wq);
void platform_wq_wake(void *wq)
{
    if (!started)
        return;
    uint64_t flags = irq_save();
    sched_wake_chan(wq, ~0u, -1);
    irq_restore(flags);
}

/* ---- process contexts (shim/sched.h) -------------------------------------- */

#define PROC_CLAIMS 16
static size_t proc_local_used;
static struct { size_t offset, size; const struct proc_local_ops *ops; } proc_claims[PROC_CLAIMS];
static unsigned nproc_claims;

static struct proc_ctx *boot_ctx(void)
{
    if (!boot_proc.local) {
        boot_proc.local = boot_proc_local;
        boot_proc.space = vm_space_boot();
    }
    return &boot_proc;
}

size_t sched_proc_local_claim(const char *module, size_t size, const struct proc_local_ops *ops)
{
    size_t offset = proc_local_used;
    size_t end = offset + ((size + 15) & ~(size_t)15);
    if (end > SHIM_PROCESS_LOCAL_MAX || nproc_claims == PROC_CLAIMS)
        panic("module %s: %lu bytes of per-process state do not fit (%lu of SHIM_PROCESS_LOCAL_MAX %u used)",
              module, (unsigned long)size, (unsigned long)proc_local_used, SHIM_PROCESS_LOCAL_MAX);
    proc_local_used = end;
    proc_claims[nproc_claims].offset = offset;
    proc_claims[nproc_claims].size = size;
    proc_claims[nproc_claims].ops = ops;
    nproc_claims++;
    return offset;
}

void *sched_proc_local(struct proc_ctx *p, size_t offset) { return p->local + offset; }
void *sched_proc_local_current(size_t offset) { return cur->proc->local + offset; }
struct proc_ctx *sched_proc(const struct thread *t) { return t->proc; }
struct proc_ctx *sched_proc_current(void) { return cur->proc; }
int sched_proc_threads(const struct proc_ctx *p) { return p->nthreads; }

/* Runs the release hooks of the first n claims and frees p. */
static void proc_free(struct proc_ctx *p, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (proc_claims[i].ops && proc_claims[i].ops->release)
            proc_claims[i].ops->release(p->local + proc_claims[i].offset);
    if (p->space) {
        if (vm_space_active() == p->space)   /* never free the tables in use */
            write_cr3(vm_space_activate(boot_ctx()->space));
        vm_space_put(p->space);
    }
    frame_free(virt_to_phys_kernel(p));
}

void sched_proc_drain(void)
{
    /* A parent that reaps zombies without ever blocking (they had all
     * exited) and forks at once has not let the reaper run since. */
    while (release_queue && reaper)
        sched_yield_now();
}

struct proc_ctx *sched_proc_fork(unsigned long clone_flags)
{
    uint64_t flags = irq_save();
    struct proc_ctx *parent = cur->proc;
    if (!reaper && !(reaper = sched_spawn_service(reap_loop, NULL))) {
        irq_restore(flags);
        return NULL;
    }
    uint64_t page = frame_alloc();   /* zeroed, reached through the direct map */
    if (!page) {
        irq_restore(flags);
        return NULL;
    }
    struct proc_ctx *p = phys_to_virt(page);
    p->local = (uint8_t *)(((uint64_t)(p + 1) + 15) & ~15ull);
    if (clone_flags & 0x100ul) {            /* CLONE_VM: vfork shares the memory */
        p->space = parent->space;
        vm_space_get(p->space);
    } else if (!(p->space = vm_space_cow(parent->space))) {
        frame_free(page);
        irq_restore(flags);
        return NULL;
    }
    for (unsigned i = 0; i < nproc_claims; i++) {
        uint8_t *mine = p->local + proc_claims[i].offset, *theirs = parent->local + proc_claims[i].offset;
        if (proc_claims[i].ops && proc_claims[i].ops->fork) {
            if (proc_claims[i].ops->fork(mine, theirs, clone_flags) < 0) {
                proc_free(p, i);
                irq_restore(flags);
                return NULL;
            }
        } else {
            memcpy(mine, theirs, proc_claims[i].size);
        }
    }
    irq_restore(flags);
    return p;
}

void sched_proc_discard(struct proc_ctx *p)
{
    uint64_t flags = irq_save();
    proc_free(p, nproc_claims);
    irq_restore(flags);
}

struct thread *sched_spawn_in(struct proc_ctx *p, const struct shim_regs *start, uint64_t fs_base)
{
    return spawn(p, start, fs_base);
}

int sched_proc_exec(void)
{
    uint64_t flags = irq_save();
    struct proc_ctx *p = cur->proc;
    struct vm_space *fresh = vm_space_new();
    if (!fresh) {
        irq_restore(flags);
        return -ENOMEM;
    }
    struct vm_space *old = p->space;
    p->space = fresh;
    /* The old program is gone, with whatever syscalls a signal handler of
     * its had interrupted: the next one starts at the shim stack's top
     * (exec_commit, which runs below the old top, never returns to it). */
    cur->syscall_sp = cur->kstack_top;
    cur->nested = 0;
    this_cpu()->syscall_kstack = cur->kstack_top;
    this_cpu()->shim_nested = 0;
    write_cr3(vm_space_activate(fresh));
    vm_space_put(old);   /* a vfork parent sharing it keeps it */
    for (unsigned i = 0; i < nproc_claims; i++)
        if (proc_claims[i].ops && proc_claims[i].ops->exec &&
            proc_claims[i].ops->exec(p->local + proc_claims[i].offset) < 0) {
            irq_restore(flags);
            return -ENOMEM;
        }
    irq_restore(flags);
    return 0;
}

/* t leaves the run queue (it is runnable there). */
static void rq_remove(struct thread *t)
{
    struct thread **pp = &rq_head, *prev = NULL;
    while (*pp && *pp != t) {
        prev = *pp;
        pp = &(*pp)->rq_next;
    }
    if (!*pp)
        return;
    *pp = t->rq_next;
    if (rq_tail == t)
        rq_tail = prev;
    t->rq_next = NULL;
}

void sched_proc_kill_others(void)
{
    uint64_t flags = irq_save();
    for (struct thread *t = all; t; t = t->all_next) {
        if (t == cur || t->service || t->proc != cur->proc || t->state == T_DEAD)
            continue;
        /* Preempted in app code or blocked in the shim: either way it holds
         * nothing another thread waits for (wait queues are sequence
         * counters, not lists), so it can simply never run again. */
        if (t->state == T_RUNNABLE)
            rq_remove(t);
        t->state = T_DEAD;
        t->chan = NULL;
        live--;
        t->proc->nthreads--;
    }
    irq_restore(flags);
}

uint64_t sched_proc_memory(const struct proc_ctx *p)
{
    return vm_space_private_bytes(p->space) + PAGE_SIZE;
}

/* Released contexts wait here for the reaper, a service thread made at
 * the first fork: release hooks may block (a 9P file's clunk waits for
 * its reply), which the thread that happens to run after a switch must
 * not do inside schedule(). */
static void reap_loop(void *arg)
{
    (void)arg;
    irq_disable();
    for (;;) {
        while (release_queue) {
            struct proc_ctx *p = release_queue;
            release_queue = p->next_free;
            if (sched_proc_gone)
                sched_proc_gone(p);
            proc_free(p, nproc_claims);
        }
        sched_block(&release_queue, ~0u, 0);
    }
}

/* After a switch: a process whose last thread ended goes to the reaper
 * now that nothing runs on its stacks (called by whoever runs next). */
static void finish_switch(void)
{
    struct proc_ctx *p = pending_release;
    if (!p)
        return;
    pending_release = NULL;
    if (p == &boot_proc || !reaper) {
        if (sched_proc_gone)
            sched_proc_gone(p);
        return;   /* the first process is the run: it is never freed */
    }
    p->next_free = release_queue;
    release_queue = p;
    sched_wake_chan(&release_queue, ~0u, 1);
}

void sched_first_call(struct thread *t, void (*fn)(void *), void *arg)
{
    t->first_fn = fn;
    t->first_arg = arg;
}

/* Switches to the top of the current thread's kernel stack and calls
 * fn(arg) there (switch.S's call_on_stack). */
NORETURN void call_on_stack(uint64_t top, void (*fn)(void *), void *arg);

NORETURN void sched_call_on_kstack(void (*fn)(void *), void *arg)
{
    irq_disable();
    /* Nothing of this syscall's is kept on the shim stack past this call
     * (it never returns), so the stack is free from the top this syscall
     * entered at: the current one (below the frames of a syscall that a
     * signal handler making this one interrupted, which must survive). */
    call_on_stack(cur->syscall_sp - 64, fn, arg);
}

void sched_resume_in_kernel(struct shim_regs *r, void (*fn)(void *), void *arg)
{
    r->rip = (uint64_t)fn;
    r->rdi = (uint64_t)arg;
    /* From a trap in app code: the shim stack is free from its current
     * top (see sched_call_on_kstack). */
    r->rsp = ((cur->syscall_sp - 256) & ~15ull) - 8;   /* as after a call */
    r->cs = SEL_KCODE;
    r->ss = SEL_KDATA;
    r->rflags = 2;   /* interrupts off until fn turns them on */
}

const void *sched_futex_chan(const void *uaddr)
{
    return (const void *)vm_futex_key((uint64_t)uaddr);
}
