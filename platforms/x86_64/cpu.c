/*
 * CPU setup: GDT + TSS with IST stacks, IDT (every vector on an IST stack,
 * because the app runs in ring 0 and was compiled with a red zone: an
 * interrupt pushing its frame on the app's stack would corrupt the 128
 * bytes below its rsp), SSE/XSAVE/AVX for the app, EFER.NXE, GS base for
 * per-CPU data (FS base is left to the app's TLS).
 */
#include "arch.h"

/* IST assignment.  Exceptions and IRQs use different stacks so an exception
 * raised inside an IRQ handler does not overwrite the IRQ's frame; NMI,
 * #DF and #MC get their own because they can arrive at any time. */
enum { IST_EXC = 1, IST_NMI = 2, IST_DF = 3, IST_MC = 4, IST_IRQ = 5 };

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

struct desc_ptr { uint16_t limit; uint64_t base; } __attribute__((packed));

static uint64_t gdt[5] ALIGNED(16);
static struct tss tss ALIGNED(16);
static struct idt_entry idt[256] ALIGNED(16);
static struct percpu percpu0;
struct cpu_features cpu_features;

struct ist_stack ist_stacks[IST_COUNT] ALIGNED(PAGE_SIZE);

extern const uint64_t isr_stubs[256];   /* entry.S */

uint64_t cpu_exception_stack_set(uint64_t top)
{
    uint64_t old = tss.ist[IST_EXC - 1];
    tss.ist[IST_EXC - 1] = top & ~15ull;
    return old;
}

static void gdt_init(void)
{
    gdt[0] = 0;
    gdt[SEL_KCODE / 8] = 0x00af9a000000ffffull;   /* 64-bit code, DPL 0 */
    gdt[SEL_KDATA / 8] = 0x00cf92000000ffffull;   /* data, DPL 0 */
    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[SEL_TSS / 8 + 1] = base >> 32;

    for (int i = 0; i < IST_COUNT; i++)
        tss.ist[i] = (uint64_t)(ist_stacks[i].stack + IST_STACK_SIZE);
    tss.iomap_base = sizeof tss;   /* no I/O bitmap */

    struct desc_ptr p = { sizeof gdt - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movl %2, %%eax\n\t"
        "movl %%eax, %%ds\n\t"
        "movl %%eax, %%es\n\t"
        "movl %%eax, %%ss\n\t"
        "ltr %w3\n\t"
        :: "m"(p), "i"(SEL_KCODE), "i"(SEL_KDATA), "r"(SEL_TSS) : "rax", "memory");
}

static void idt_set(unsigned v, uint64_t handler, uint8_t ist)
{
    idt[v] = (struct idt_entry){
        .off_lo = handler & 0xffff, .sel = SEL_KCODE, .ist = ist,
        .type = 0x8e,   /* present, DPL 0, 64-bit interrupt gate (IF cleared) */
        .off_mid = (handler >> 16) & 0xffff, .off_hi = handler >> 32,
    };
}

static void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint8_t ist = v < 32 ? IST_EXC : IST_IRQ;
        if (v == 2) ist = IST_NMI;
        if (v == 8) ist = IST_DF;
        if (v == 18) ist = IST_MC;
        idt_set(v, isr_stubs[v], ist);
    }
    struct desc_ptr p = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(p));
}

static void fpu_init(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    bool has_xsave = r[2] & (1u << 26), has_avx = r[2] & (1u << 28);
    bool has_sse = r[3] & (1u << 25);
    if (!has_sse)
        panic("CPU without SSE");

    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~(1ull << 2);           /* EM off: x87/SSE execute natively */
    cr0 |= (1ull << 1) | (1ull << 5);   /* MP, NE (native #MF reporting) */
    cr0 &= ~(1ull << 3);           /* TS off */
    __asm__ volatile("mov %0, %%cr0" :: "r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= (1ull << 9) | (1ull << 10);  /* OSFXSR, OSXMMEXCPT */
    if (has_xsave)
        cr4 |= 1ull << 18;              /* OSXSAVE */
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
    __asm__ volatile("fninit");

    cpu_features.xsave = has_xsave;
    if (has_xsave) {
        cpuid(0xd, 0, r);
        uint64_t supported = ((uint64_t)r[3] << 32) | r[0];
        uint64_t xcr0 = 0x3;                    /* x87 | SSE */
        if (has_avx && (supported & 0x4))
            xcr0 |= 0x4;                        /* AVX (YMM upper halves) */
        __asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
        cpu_features.xcr0 = xcr0;
        cpu_features.avx = xcr0 & 0x4;
        cpuid(0xd, 0, r);
        cpu_features.xsave_size = r[1];         /* size for the enabled XCR0 */
    } else {
        cpu_features.xsave_size = 512;          /* FXSAVE area */
    }
    cpuid(0x80000001, 0, r);
    cpu_features.pdpe1gb = r[3] & (1u << 26);
    if (!(r[3] & (1u << 20)))
        panic("CPU without NX");
    cpuid(0x80000007, 0, r);
    cpu_features.invariant_tsc = r[3] & (1u << 8);
}

void fpu_save(void *area)
{
    if (cpu_features.xsave)
        __asm__ volatile("xsave64 (%0)" :: "r"(area), "a"((uint32_t)cpu_features.xcr0),
                         "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" :: "r"(area) : "memory");
}

void fpu_restore(const void *area)
{
    if (cpu_features.xsave)
        __asm__ volatile("xrstor64 (%0)" :: "r"(area), "a"((uint32_t)cpu_features.xcr0),
                         "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" :: "r"(area) : "memory");
}

/* The rest of an inline asm whose instruction at label 1 may fault: the
 * exception table (trap.c) sends a fault there to label 3, which sets
 * %[err] to -EFAULT and resumes after the instruction. */
#define ASM_FAULT_TO_EFAULT                 \
    "2:\n"                                  \
    ".pushsection .text.fixup, \"ax\"\n"    \
    "3: movl $-14, %[err]\n"                \
    "   jmp 2b\n"                           \
    ".popsection\n"                         \
    ".pushsection .ex_table, \"a\"\n"       \
    ".balign 8\n"                           \
    ".quad 1b, 3b\n"                        \
    ".popsection"

/* fpu_restore of an area the app wrote (a signal frame's): XRSTOR raises
 * #GP on a bad header, which becomes a -EFAULT return here instead of a
 * kernel fault. */
int fpu_restore_checked(const void *area)
{
    int err = 0;
    if (cpu_features.xsave)
        __asm__ volatile("1: xrstor64 (%[a])\n" ASM_FAULT_TO_EFAULT
                         : [err] "+r"(err)
                         : [a] "r"(area), "a"((uint32_t)cpu_features.xcr0),
                           "d"((uint32_t)(cpu_features.xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("1: fxrstor64 (%[a])\n" ASM_FAULT_TO_EFAULT
                         : [err] "+r"(err)
                         : [a] "r"(area)
                         : "memory");
    return err;
}

void cpu_init(void)
{
    gdt_init();
    idt_init();
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | (1u << 11));   /* NXE (set at boot too) */
    percpu0.self = &percpu0;
    wrmsr(MSR_GS_BASE, (uint64_t)&percpu0);
    wrmsr(MSR_FS_BASE, 0);
    fpu_init();
}
