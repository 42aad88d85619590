/* The shim's platform hooks on the unikernel (shim.h, shim/kernel.h,
 * shim/mm.h, the CPU part of shim/sched.h), on top of the x86_64 base
 * (platforms/x86_64/arch.h; the scheduler's part of shim/sched.h is
 * platforms/x86_64/sched.c). */
#include "arch.h"
#include "shim/shim.h"
#include "shim/kernel.h"
#include "shim/mm.h"
#include "shim/sched.h"
#include "shim/devfs.h"
#include "qemu.h"
#include "thread.h"
#if SHIM_HAVE_process
#include "shim/process.h"
#include "shim/signal.h"
#endif

/* Which streams are terminals on the host, and its size: port-app looks
 * before it starts QEMU and says so on the command line (loader.c), since
 * the serial line itself cannot tell a terminal from a pipe. */
uint8_t console_tty_mask;
uint16_t console_tty_rows, console_tty_cols;

int platform_console_isatty(int fd)
{
    return fd >= 0 && fd <= 2 && (console_tty_mask >> fd & 1);
}

int platform_console_winsize(uint16_t *rows, uint16_t *cols)
{
    if (!console_tty_rows || !console_tty_cols)
        return 0;
    *rows = console_tty_rows;
    *cols = console_tty_cols;
    return 1;
}

/* Shim diagnostics (trace lines, "fork() is not available") are the app's
 * stderr, as on linuxu; the kernel's own log is a stream of its own. */
void platform_write_err(const char *buf, size_t len)
{
    platform_console_write_err(buf, len);    /* through the terminal's output processing */
}

_Noreturn void platform_abort(int code)
{
    kprintf("[kernel] syscalls through LSTAR: %lu\n", this_cpu()->lstar_count);
    power_off(code);
}

/* ---- syscalls no selected module provides -------------------------------- */

static uint8_t unhandled_logged[512 / 8];

/* Without the vfs module in the image, fds 0/1/2 are still the console, so
 * an app whose footprint needs only write (echo) does not pull in the vfs. */
static long console_fallback(long nr, const long a[6], bool *handled)
{
    *handled = true;
    if (nr == 1 && (a[0] == 1 || a[0] == 2)) {             /* write */
        return a[0] == 1 ? platform_console_write((const void *)a[1], (size_t)a[2])
                         : platform_console_write_err((const void *)a[1], (size_t)a[2]);
    }
    if (nr == 20 && (a[0] == 1 || a[0] == 2)) {            /* writev */
        const struct { const void *base; size_t len; } *iov = (const void *)a[1];
        long total = 0;
        for (long i = 0; i < a[2]; i++) {
            if (a[0] == 1)
                platform_console_write(iov[i].base, iov[i].len);
            else
                platform_console_write_err(iov[i].base, iov[i].len);
            total += (long)iov[i].len;
        }
        return total;
    }
    if (nr == 0 && a[0] == 0)                               /* read */
        return platform_console_read((void *)a[1], (size_t)a[2], 0);
    *handled = false;
    return 0;
}

/* glibc's fork() and posix_spawn's vfork are clone/clone3 calls: without
 * CLONE_VM a new process is asked for, which one address space cannot give.
 * (Threads, clone with CLONE_VM, are the threads module's when it exists.) */
#define CLONE_VM 0x100ul
#define CLONE_VFORK 0x4000ul

static const char *process_call_name(long nr, const long a[6])
{
    unsigned long flags;
    if (nr == 56)
        flags = (unsigned long)a[0];
    else if (nr == 435 && a[0] && a[1] >= 8)
        flags = *(const unsigned long *)a[0];     /* struct clone_args: flags first */
    else
        return NULL;
    if (flags & CLONE_VFORK)
        return "vfork";
    return (flags & CLONE_VM) ? NULL : "fork";
}

long platform_unhandled_syscall(long nr, const long args[6])
{
    bool handled;
    long r = console_fallback(nr, args, &handled);
    if (handled)
        return r;
    const char *call = process_call_name(nr, args);
    if (call) {
        shim_printk("port-app: %s() is not available in the unikernel (single address space); "
                    "run that program as its own app\n", call);
        return -ENOSYS;
    }
    if (nr < 0 || nr >= 512) {
        kprintf("[kernel] syscall %ld: not a syscall number, -ENOSYS\n", nr);
        return -ENOSYS;
    }
    if (!(unhandled_logged[nr / 8] & (1u << (nr % 8)))) {
        unhandled_logged[nr / 8] |= (uint8_t)(1u << (nr % 8));
        kprintf("[kernel] unhandled syscall %s (%ld): -ENOSYS\n", shim_syscall_name(nr), nr);
    }
    return -ENOSYS;
}

/* ---- pages for shim data structures: a kernel heap window ------------------ */

#define HEAP_BASE 0xffffa00000000000ull
static uint64_t heap_next = HEAP_BASE;

void *platform_alloc_pages(size_t n)
{
    uint64_t flags = irq_save();
    uint64_t va = heap_next;
    if (vm_alloc_range(va, n, VM_READ | VM_WRITE) < 0) {
        irq_restore(flags);
        return NULL;
    }
    heap_next += (n + 1) * PAGE_SIZE;      /* one unmapped guard page between blocks */
    irq_restore(flags);
    return (void *)va;
}

void platform_free_pages(void *p, size_t n)
{
    uint64_t flags = irq_save();
    vm_free_range((uint64_t)p, n);         /* the window is not reused: 2^45 bytes of it */
    irq_restore(flags);
}

void platform_idle(void)
{
    /* Only the 16550 console's reads come here (the virtio console's sleep
     * until its interrupt, tty.c): the UART is polled, so wake up on the
     * timer; 0.5 ms keeps console input responsive. Other threads run
     * meanwhile (sched.c). */
    sched_sleep_ns(500000);
}

/* ---- kernel.h ---------------------------------------------------------------- */

void platform_set_fs_base(uintptr_t base) { wrmsr(MSR_FS_BASE, base); }
uintptr_t platform_get_fs_base(void) { return rdmsr(MSR_FS_BASE); }
uint64_t platform_monotonic_ns(void) { return nanotime(); }
uint64_t platform_realtime_ns(void) { return boot_epoch_ns + nanotime(); }
void platform_sleep_ns(uint64_t ns) { sched_sleep_ns(ns); }
uint64_t platform_sleep_intr_ns(uint64_t ns) { return sched_sleep_ns(ns); }
uint64_t platform_lstar_count(void) { return this_cpu()->lstar_count; }
uint64_t platform_tsc_hz(void) { return tsc_hz(); }

/* The serial line's log stream, as kprintf writes it. */
void platform_log(const char *buf, size_t len) { serial_write(buf, len); }

void platform_memory_info(uint64_t *total, uint64_t *avail)
{
    *total = frames_total_count() * PAGE_SIZE;
    *avail = frames_free_count() * PAGE_SIZE;
}

/* ---- sched.h: interrupts and vector state ------------------------------------ */

uint64_t platform_irq_save(void) { return irq_save(); }
void platform_irq_restore(uint64_t state) { irq_restore(state); }
size_t platform_fpu_size(void) { return cpu_features.xsave_size; }
void platform_fpu_save(void *area) { fpu_save(area); }
void platform_fpu_restore(const void *area) { fpu_restore(area); }
int platform_fpu_restore_app(const void *area) { return fpu_restore_checked(area); }

/* ---- mm.h: the app's pages --------------------------------------------------- */

static unsigned vm_prot(unsigned prot)
{
    return (prot & SHIM_PROT_READ ? VM_READ : 0) | (prot & SHIM_PROT_WRITE ? VM_WRITE : 0) |
           (prot & SHIM_PROT_EXEC ? VM_EXEC : 0) | (prot & SHIM_PAGE_SHARED ? VM_SHARED : 0);
}

int platform_page_map(uintptr_t va, unsigned prot)
{
    if (va >= USER_TOP)
        return -EINVAL;
    uint64_t flags = irq_save();
    uint64_t f = frame_alloc();
    int r = 0;
    if (!f)
        r = -ENOMEM;
    else if (vm_map(va, f, vm_prot(prot)) < 0) {
        frame_free(f);
        /* vm_map also fails when no frame is left for a page table. */
        r = vm_page_exists(va) ? -EEXIST : -ENOMEM;
    }
    irq_restore(flags);
    return r;
}

void platform_out_of_memory(const char *what)
{
    out_of_memory("%s", what);
}

void platform_page_unmap(uintptr_t va)
{
    if (va >= USER_TOP)
        return;
    uint64_t flags = irq_save();
    uint64_t pa = vm_unmap(va);
    if (pa)
        frame_put(pa);   /* a frame still shared copy-on-write stays */
    irq_restore(flags);
}

int platform_page_map_at(uintptr_t va, const void *kva, unsigned prot)
{
    uint64_t pa;
    if (va >= USER_TOP || !vm_query((uint64_t)kva & ~(uint64_t)(PAGE_SIZE - 1), &pa, NULL))
        return -EINVAL;
    uint64_t flags = irq_save();
    int r = vm_map(va, pa & ~(uint64_t)(PAGE_SIZE - 1), vm_prot(prot) | VM_SHARED | VM_FOREIGN) < 0 ? -EEXIST : 0;
    irq_restore(flags);
    return r;
}

void platform_page_unmap_keep(uintptr_t va)
{
    if (va >= USER_TOP)
        return;
    uint64_t flags = irq_save();
    vm_unmap(va);
    irq_restore(flags);
}

int platform_page_protect(uintptr_t va, unsigned prot)
{
    if (va >= USER_TOP)
        return -1;
    return vm_protect(va, vm_prot(prot));
}

int platform_page_present(uintptr_t va)
{
    if (va >= USER_TOP)
        return 0;
    /* vm_protect to its own protection would do, but a PROT_NONE page must
     * count too: vm_unmap/vm_map would disturb it, so ask the page tables. */
    return vm_page_exists(va);
}

uintptr_t platform_user_top(void)
{
    return APP_STACK_TOP;
}

/* ---- page faults in the app's half: first touch of reserved memory -------- */

#if SHIM_HAVE_process
/* Out of memory with several processes: as Linux's OOM killer, the process
 * holding the most memory (never pid 1) is killed, and the one that
 * faulted waits on its kernel stack until memory is back, then retries
 * the access. Only when pid 1 is alone does the run end with the
 * out-of-memory report. */
struct oom_wait {
    struct shim_regs regs;      /* where the faulting access resumes */
    uint64_t addr;
    const char *what;
};

static struct proc_ctx *oom_victim(void)
{
    struct proc_ctx *best = NULL;
    uint64_t most = 0;
    for (struct proc_ctx *p = process_next(NULL); p; p = process_next(p)) {
        if (process_is_init(p))
            continue;
        uint64_t m = sched_proc_memory(p);
        if (m > most) {
            most = m;
            best = p;
        }
    }
    return best;
}

static void oom_wait_and_retry(void *arg)
{
    struct oom_wait w = *(struct oom_wait *)arg;
    irq_disable();
    for (int tries = 0;; tries++) {
        if (frames_free_count() > 64) {
            regs_resume(&w.regs);   /* the access faults again, and now finds a page */
        }
        struct proc_ctx *victim = oom_victim();
        /* No victim left, or none dies: what is held is the first
         * process's own (a dying one's pages come back within a few ms,
         * when the reaper frees them). */
        if ((!victim && tries > 200) || tries > 5000)
            out_of_memory("%s at %#lx", w.what, w.addr);
        if (victim == sched_proc_current()) {
            kprintf("[kernel] process %d killed: out of memory\n", process_pid(victim));
            process_exit(PROCESS_KILLED(9, 0));
        }
        if (victim && tries % 100 == 0) {
            kprintf("[kernel] process %d killed: out of memory\n", process_pid(victim));
            signal_send_process(victim, 9, 0 /* SI_USER */, 0, 0);
        }
        sched_sleep_ns(1000000);   /* the victim runs, dies and is reaped */
        irq_disable();
    }
}

/* Redirects the fault to oom_wait_and_retry on the thread's kernel stack
 * (its frame copied to the top of that stack, above where fn runs). */
static bool oom_redirect(struct trap_frame *f, const char *what, uint64_t addr)
{
    /* Even with pid 1 alone, wait a moment: a process that just died may
     * not have been reaped yet, and its pages are about to come back. */
    struct shim_regs r;
    sched_resume_in_kernel(&r, oom_wait_and_retry, NULL);
    struct oom_wait *w = (struct oom_wait *)((r.rsp + 8 + 15) & ~15ull);
    if (sched_on_kstack(f->rsp)) {
        /* The fault came from code on the kernel stack (the LSTAR path):
         * its frames stay, and the wait runs below them. */
        w = (struct oom_wait *)(((f->rsp - 512) & ~15ull) - sizeof *w);
        r.rsp = (uint64_t)w - 8;
    }
    *w = (struct oom_wait){
        .regs = {
            .r15 = f->r15, .r14 = f->r14, .r13 = f->r13, .r12 = f->r12, .r11 = f->r11, .r10 = f->r10,
            .r9 = f->r9, .r8 = f->r8, .rbp = f->rbp, .rdi = f->rdi, .rsi = f->rsi, .rdx = f->rdx,
            .rcx = f->rcx, .rbx = f->rbx, .rax = f->rax,
            .rip = f->rip, .cs = f->cs, .rflags = f->rflags, .rsp = f->rsp, .ss = f->ss,
        },
        .addr = addr, .what = what,
    };
    f->rip = r.rip;
    f->rdi = (uint64_t)w;
    f->rsp = r.rsp;
    f->cs = r.cs;
    f->ss = r.ss;
    f->rflags = r.rflags;
    return true;
}
#endif

static bool out_of_memory_at(struct trap_frame *f, const char *what, uint64_t addr)
{
#if SHIM_HAVE_process
    if (oom_redirect(f, what, addr))
        return true;
#else
    (void)f;
#endif
    out_of_memory("%s at %#lx", what, addr);
}

/* mm_handle_fault is the mm module's (shim/mm.h): an image without mm has
 * no lazy memory, and every fault there is a real one. */
static bool page_fault(struct trap_frame *f)
{
#if SHIM_HAVE_mm
    uint64_t cr2 = this_cpu()->cr2;
    if (cr2 >= USER_TOP)
        return false;
    if ((f->error & 3) == 3) {   /* a write to a present page: copy-on-write? */
        uint64_t irq = irq_save();
        int c = vm_cow_fault(cr2);
        irq_restore(irq);
        if (c < 0)
            return out_of_memory_at(f, "a copy-on-write page for the app", cr2);
        return c == 1;
    }
    if (f->error & 1)   /* bit 0: protection violation */
        return false;
    unsigned access = (f->error & 2) ? SHIM_PROT_WRITE : (f->error & 16) ? SHIM_PROT_EXEC : SHIM_PROT_READ;
    int r = mm_handle_fault(cr2, access);
    if (r == -ENOMEM)
        return out_of_memory_at(f, "a page for the app", cr2);
    return r == 1;
#else
    (void)f;
    return false;
#endif
}

void platform_traps_init(void)
{
    trap_set_handler(14, page_fault);
}
