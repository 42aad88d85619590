/*
 * x86_64 platform base: the API the rest of the unikernel (shim, loader,
 * drivers) builds on.  Freestanding C11; every function here is safe to call
 * with interrupts disabled.
 */
#ifndef X86_64_ARCH_H
#define X86_64_ARCH_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>
#include "layout.h"

#define NORETURN __attribute__((noreturn))
#define ALIGNED(n) __attribute__((aligned(n)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- port I/O, MSRs, control registers ---- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void write_cr3(uint64_t v) { __asm__ volatile("mov %0, %%cr3" :: "r"(v) : "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
/* Disable interrupts and return the previous RFLAGS for irq_restore. */
static inline uint64_t irq_save(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) :: "memory");
    return flags;
}
static inline void irq_restore(uint64_t flags)
{
    if (flags & (1u << 9))
        __asm__ volatile("sti" ::: "memory");
}

#define MSR_EFER        0xc0000080
#define MSR_FS_BASE     0xc0000100
#define MSR_GS_BASE     0xc0000101
#define MSR_APIC_BASE   0x1b

/* ---- string functions (lib.c); gcc may emit calls to these ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* ---- console (serial.c, printf.c) ---- */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
int serial_getc_nonblock(void);              /* -1 when no byte is waiting */
/* The three streams multiplexed on the serial line (serial.c, README.md). */
#define CONSOLE_STDOUT 1
#define CONSOLE_STDERR 2
#define CONSOLE_LOG    3
void console_write(int chan, const void *buf, size_t n);
/* Plain console: no stream markers or escapes, for a person reading it. */
void console_set_plain(bool on);
#define CONSOLE_EOF (-2)
#define CONSOLE_CONTROL 0x100
/* Next input byte, -1 when none is waiting, CONSOLE_EOF (once) where the
 * host signalled the end of its input, or CONSOLE_CONTROL | X for the
 * host's control code X (serial.c). */
int console_getc_nonblock(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- boot information (pvh.c) ---- */
#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 8
struct mem_region { uint64_t base, size; uint32_t type; };   /* type: E820 (1 = RAM) */
struct boot_module { uint64_t phys, size; const void *data; const char *cmdline; };
struct boot_info {
    const char *cmdline;                     /* never NULL ("" when none) */
    uint32_t nregions;
    struct mem_region regions[BOOT_MAX_REGIONS];
    uint32_t nmodules;
    struct boot_module modules[BOOT_MAX_MODULES];   /* the initrd is modules[0] */
    uint64_t rsdp_phys;
    uint64_t start_info_phys;
};
void pvh_parse(uint64_t start_info_phys, struct boot_info *bi);
/* The value of "key=" in the command line, copied into buf; false if absent. */
bool cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);

/* ---- CPU setup (cpu.c) ---- */
void cpu_init(void);
struct cpu_features { bool xsave, avx, pdpe1gb, invariant_tsc; uint64_t xcr0; uint32_t xsave_size; };
extern struct cpu_features cpu_features;
/* Save/restore the extended state enabled in XCR0 (XSAVE, else FXSAVE) to a
 * 64-byte aligned area of cpu_features.xsave_size bytes. */
void fpu_save(void *area);
void fpu_restore(const void *area);
int fpu_restore_checked(const void *area);   /* 0, or -EFAULT when XRSTOR refuses the area */
/* Set the top of the stack the CPU switches to for exceptions (the IST
 * entry of vectors 0-31 but NMI, #DF and #MC); returns the previous top. */
uint64_t cpu_exception_stack_set(uint64_t top);
/* IST stacks (cpu.c): each preceded by a guard page that mm_init leaves
 * unmapped, so overflowing one becomes a #PF (and overflowing the #PF
 * stack a #DF). */
#define IST_COUNT 5
struct ist_stack { uint8_t guard[PAGE_SIZE]; uint8_t stack[IST_STACK_SIZE]; };
extern struct ist_stack ist_stacks[IST_COUNT];
/* Kernel per-CPU data is reached through GS base; FS base is the app's. */
struct percpu {
    struct percpu *self;
    uint64_t irq_count;         /* interrupts (vectors >= 32) taken */
    uint64_t timer_ticks;       /* LAPIC timer interrupts taken */
    uint64_t cr2;               /* CR2 as read on entry of the last #PF */
    /* The LSTAR entry (platforms/qemu/entry.S) switches to syscall_kstack
     * (the running thread's kernel stack top; a scheduler swaps it) and
     * parks the app's rsp in syscall_user_rsp meanwhile. */
    uint64_t syscall_kstack;
    uint64_t syscall_user_rsp;
    uint64_t lstar_count;       /* syscalls that arrived through LSTAR */
    /* Non-zero while the running thread runs a signal handler from inside
     * the shim (its shim stack top is lowered): the shim entries then ask
     * sched_shim_stack_nested whether the handler was left (sched.c). */
    uint64_t shim_nested;
};
_Static_assert(__builtin_offsetof(struct percpu, syscall_kstack) == PERCPU_SYSCALL_KSTACK, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, syscall_user_rsp) == PERCPU_SYSCALL_USER_RSP, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, lstar_count) == PERCPU_LSTAR_COUNT, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, shim_nested) == PERCPU_SHIM_NESTED, "percpu");
static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* ---- memory (mm.c) ---- */
static inline void *phys_to_virt(uint64_t p) { return (void *)(DMAP_BASE + p); }
uint64_t virt_to_phys_kernel(const void *v);   /* kernel image or direct map only */
void mm_init(const struct boot_info *bi);
uint64_t frame_alloc(void);                    /* zeroed 4 KiB frame; 0 when out of memory */
void frame_free(uint64_t phys);
/* n physically contiguous zeroed frames (device rings and buffers); the
 * first one's address, 0 when no such run is free. */
uint64_t frames_alloc_contig(size_t n);
uint64_t frames_free_count(void);
uint64_t frames_total_count(void);

/* Page protection bits for vm_map/vm_protect (PROT_* values of Linux). */
#define VM_READ   1u
#define VM_WRITE  2u
#define VM_EXEC   4u
#define VM_UNCACHED 8u
/* A MAP_SHARED page: fork shares it as it is, never copy-on-write. */
#define VM_SHARED 16u
/* With VM_SHARED: the frame is owned elsewhere (a ramfs file's page) and
 * is never freed through its mappings. Without: the mappings own it
 * (shared anonymous memory), freed with the last one. */
#define VM_FOREIGN 32u
/* prot 0 (no VM_READ/WRITE/EXEC) is PROT_NONE: the page is not present, but
 * keeps its frame for a later vm_protect (and vm_unmap returns it).
 * Map one 4 KiB page va -> pa.  Returns 0, or -1 if va is already mapped,
 * not page aligned, or a page table cannot be allocated. */
int vm_map(uint64_t va, uint64_t pa, unsigned prot);
/* Unmap; returns the physical address that was mapped, or 0 if none. */
uint64_t vm_unmap(uint64_t va);
/* Change the protection of a mapped 4 KiB page; -1 if not mapped. */
int vm_protect(uint64_t va, unsigned prot);
/* Whether va has a page, accessible or PROT_NONE (vm_query says false for those). */
bool vm_page_exists(uint64_t va);
/* Translate; returns false if unmapped.  *prot gets VM_* bits if non-NULL. */
bool vm_query(uint64_t va, uint64_t *pa, unsigned *prot);
/* Allocate and map n zeroed pages at va; -1 (nothing left mapped) on failure. */
int vm_alloc_range(uint64_t va, size_t n, unsigned prot);
/* Unmap n pages at va and free their frames. */
void vm_free_range(uint64_t va, size_t n);
/* Free a frame of the app's half: frames shared copy-on-write by several
 * address spaces are freed when their last mapping goes. */
void frame_put(uint64_t phys);

/* Address spaces: the lower half (the app's) of one set of page tables;
 * the kernel half is the same page-table pages in all of them. vm_map and
 * friends work on the active one. A space made by vm_space_cow shares the
 * private pages of its source copy-on-write: both lose write access, which
 * comes back on the first write fault (vm_cow_fault) with a copy, or the
 * frame itself when it is no longer shared. */
struct vm_space;
struct vm_space *vm_space_boot(void);                 /* the one mm_init made */
struct vm_space *vm_space_new(void);                  /* empty lower half; NULL: no memory */
struct vm_space *vm_space_cow(struct vm_space *src);  /* src must be active; NULL: no memory */
void vm_space_get(struct vm_space *s);
/* Drop a reference; the last frees the lower half (s must not be active). */
void vm_space_put(struct vm_space *s);
/* Makes s the space vm_* work on; returns the CR3 value to load (the
 * caller loads it: the scheduler does so while switching stacks). */
uint64_t vm_space_activate(struct vm_space *s);
struct vm_space *vm_space_active(void);
/* A write fault on a present page at va of the active space: 1 when it
 * was copy-on-write and is now writable, 0 when it is a real fault, -1
 * when no frame is left for the copy. */
int vm_cow_fault(uint64_t va);
/* A futex key for the app's address va in the active space: va tagged
 * with the space (bits 47..62, 0 for the boot space) for private memory,
 * the direct-map address of the word for a shared page (VM_SHARED). */
uint64_t vm_futex_key(uint64_t va);
/* Bytes of page tables and of frames only s maps (its share of memory). */
uint64_t vm_space_private_bytes(const struct vm_space *s);

/* If va is in the unmapped guard page below a kernel stack, that stack's name. */
const char *mm_guard_page_owner(uint64_t va);
/* sched.c: va is in the unmapped page below a thread's kernel stack. */
bool sched_is_kstack_guard(uint64_t va);
/* Map a device region uncached; returns its virtual address. */
void *mmio_map(uint64_t phys, size_t size);

/* ---- traps (trap.c, entry.S) ---- */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};
/* A handler returns true if it handled the trap (execution resumes at
 * frame->rip, which it may change); false falls through to the fatal report. */
typedef bool (*trap_handler_t)(struct trap_frame *f);
void trap_init(void);
void trap_set_handler(unsigned vector, trap_handler_t h);
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The guest ran out of memory where the kernel cannot go on: one log line
 * "[kernel] out of memory: WHAT (N KiB free of M KiB)", then isa-debug-exit
 * with OOM_EXIT_VALUE (QEMU status 245; README.md, "Exit status"). */
NORETURN void out_of_memory(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define OOM_EXIT_VALUE 122
/* Print "  #n 0xaddr <sym+off>" lines for a frame-pointer chain. */
void backtrace_print(uint64_t rip, uint64_t rbp);
/* Symbolize a kernel address; returns false if unknown. */
bool ksym_lookup(uint64_t addr, const char **name, uint64_t *offset);
/* Symbolizer for app (lower-half) addresses in fault reports; set by the
 * loader when the app has symbols.  A fault whose RIP is in the lower half
 * is reported as an APP FAULT and exits with 128 + the signal Linux would
 * have sent (README.md). */
extern bool (*app_sym_lookup)(uint64_t addr, const char **name, uint64_t *offset);

#define VEC_TIMER     0x40
#define VEC_SPURIOUS  0xff

/* ---- time (time.c) ---- */
void time_init(void);
uint64_t nanotime(void);                 /* ns since time_init, from the TSC */
uint64_t tsc_hz(void);
/* One-shot LAPIC timer: fire VEC_TIMER after ns (0 cancels). */
void timer_oneshot_ns(uint64_t ns);
/* Called from the timer interrupt (interrupts off); may be replaced by the scheduler. */
extern void (*timer_hook)(void);
/* Sleep with interrupts enabled and the CPU halted between timer interrupts. */
void sleep_ns(uint64_t ns);
void lapic_eoi(void);

/* ---- power (power.c) ---- */
/* Exit convention (README.md): app exit code E -> "[kernel] exit E" on the
 * console, then isa-debug-exit, QEMU status ((E << 1) | 1) & 0xff.  A kernel
 * panic -> triple fault, QEMU status 0 (requires -no-reboot). */
NORETURN void power_off(int app_exit_code);
NORETURN void power_off_panic(void);
/* Write value to isa-debug-exit (QEMU then exits with (value << 1) | 1);
 * returns when the device is absent (Firecracker). */
void power_debug_exit(uint32_t value);

/* ---- entry point provided by the image (selftest.c, later the shim) ---- */
void kmain(const struct boot_info *bi);

#endif
