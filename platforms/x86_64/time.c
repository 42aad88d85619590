/*
 * Clock and timer.
 *
 * Clock: the TSC.  Its rate comes from CPUID leaf 0x15 (crystal clock) when
 * the CPU reports it, else from the i8254 PIT (channel 0 counter read back
 * with the latch command; not the port 0x61 speaker gate, which microvm
 * lacks), measured together with the LAPIC timer in two 5 ms windows.  QEMU
 * pc and microvm both have a PIT under TCG (microvm's pit=auto creates it
 * unless KVM provides one).  Without a PIT (microvm,pit=off; Firecracker)
 * the hypervisor timing leaf 0x40000010 or the nominal leaf 0x16 is used.
 *
 * Timer: the local APIC timer in one-shot mode, vector VEC_TIMER, its rate
 * calibrated against the TSC.  The 8259 PICs are remapped to 0x20-0x2f and
 * fully masked; the IOAPIC is left with all pins masked (its reset state).
 */
#include "arch.h"

#define PIT_HZ 1193182ull

#define LAPIC_ID      0x020
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_LVT_TMR 0x320
#define LAPIC_TMR_INIT 0x380
#define LAPIC_TMR_CUR 0x390
#define LAPIC_TMR_DIV 0x3e0

static volatile uint32_t *lapic;
static uint64_t tsc_freq, tsc0;
static uint64_t ns_mult;          /* ns = (tsc_delta * ns_mult) >> 32 */
static uint64_t lapic_per_sec;    /* LAPIC timer ticks per second (divide by 16) */
static volatile uint64_t timer_fired;
void (*timer_hook)(void);

static uint32_t lapic_read(uint32_t reg) { return lapic[reg / 4]; }
static void lapic_write(uint32_t reg, uint32_t v) { lapic[reg / 4] = v; (void)lapic[LAPIC_ID / 4]; }

void lapic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

static uint16_t pit_read(void)
{
    outb(0x43, 0x00);                       /* latch channel 0 */
    uint8_t lo = inb(0x40), hi = inb(0x40);
    return (uint16_t)(lo | (hi << 8));
}

/* One calibration window of `ticks` PIT ticks: the TSC ticks and LAPIC timer
 * ticks it took, following the PIT counter through its wraps. */
struct window { uint64_t tsc, lapic; };

static bool pit_measure(uint32_t ticks, struct window *w)
{
    outb(0x43, 0x34);                       /* channel 0, lo/hi, mode 2 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint16_t last = pit_read();
    uint32_t elapsed = 0;
    uint32_t l0 = lapic_read(LAPIC_TMR_CUR);
    uint64_t t0 = rdtsc();
    for (uint32_t spins = 0; elapsed < ticks; spins++) {
        if (elapsed == 0 && spins > 100000)
            return false;                   /* no PIT: the port reads a constant */
        uint16_t now = pit_read();
        elapsed += (uint16_t)(last - now);  /* counts down, wraps at 0 */
        last = now;
    }
    uint64_t t1 = rdtsc();
    uint32_t l1 = lapic_read(LAPIC_TMR_CUR);
    /* Scale to exactly `ticks` in case the last step overshot. */
    *w = (struct window){ (t1 - t0) * ticks / elapsed, (uint64_t)(l0 - l1) * ticks / elapsed };
    return true;
}

/* The LAPIC timer rate measured against the (already known) TSC rate. */
static void lapic_against_tsc(void)
{
    uint64_t start = rdtsc(), span = tsc_freq / 200;   /* 5 ms */
    uint32_t c0 = lapic_read(LAPIC_TMR_CUR);
    while (rdtsc() - start < span)
        cpu_relax();
    uint32_t c1 = lapic_read(LAPIC_TMR_CUR);
    lapic_per_sec = (uint64_t)(c0 - c1) * tsc_freq / (rdtsc() - start);
}

/* TSC rate from CPUID when there is no PIT: the hypervisor timing leaf
 * (0x40000010, kHz; KVM/Firecracker/VMware), else the processor base
 * frequency leaf 0x16 (MHz, nominal). */
static uint64_t tsc_from_cpuid(void)
{
    uint32_t r[4];
    cpuid(0x40000000, 0, r);
    if (r[0] >= 0x40000010) {
        cpuid(0x40000010, 0, r);
        if (r[0])
            return (uint64_t)r[0] * 1000;
    }
    cpuid(0, 0, r);
    if (r[0] >= 0x16) {
        cpuid(0x16, 0, r);
        if (r[0] & 0xffff)
            return (uint64_t)(r[0] & 0xffff) * 1000000;
    }
    return 0;
}

/* Sets tsc_freq and lapic_per_sec.  The LAPIC timer must be counting down
 * from 0xffffffff (masked) when called. */
static void calibrate(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    if (r[0] >= 0x15) {
        cpuid(0x15, 0, r);
        if (r[0] && r[1] && r[2]) {
            tsc_freq = (uint64_t)r[2] * r[1] / r[0];
            lapic_against_tsc();
            return;
        }
    }
    /* Two 5 ms windows, keep the one with fewer TSC ticks: a host stall
     * between reading the PIT and reading the TSC only lengthens a window. */
    struct window best = { ~0ull, 0 }, w;
    for (int i = 0; i < 2; i++) {
        if (!pit_measure(PIT_HZ / 200, &w)) {
            tsc_freq = tsc_from_cpuid();
            if (!tsc_freq)
                panic("no PIT and no CPUID TSC frequency: cannot calibrate the clock");
            kprintf("[kernel] no PIT; TSC rate %lu Hz from CPUID\n", tsc_freq);
            lapic_against_tsc();
            return;
        }
        if (w.tsc < best.tsc)
            best = w;
    }
    tsc_freq = best.tsc * 200;
    lapic_per_sec = best.lapic * 200;
}

static void pic_disable(void)
{
    /* Remap to 0x20/0x28 so stray 8259 interrupts cannot look like
     * exceptions, then mask everything. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

static bool timer_irq(struct trap_frame *f)
{
    (void)f;
    timer_fired++;
    this_cpu()->timer_ticks++;
    lapic_eoi();
    if (timer_hook)
        timer_hook();
    return true;
}

void time_init(void)
{
    pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1u << 11));   /* global enable (xAPIC mode) */
    lapic = mmio_map(base & 0xffffff000ull, PAGE_SIZE);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TMR_DIV, 0x3);            /* divide by 16 */
    lapic_write(LAPIC_LVT_TMR, 1u << 16);       /* masked while calibrating */
    lapic_write(LAPIC_TMR_INIT, 0xffffffff);

    calibrate();
    lapic_write(LAPIC_TMR_INIT, 0);
    if (tsc_freq < 1000000)
        panic("TSC calibration failed (%lu Hz)", tsc_freq);
    if (!lapic_per_sec)
        panic("LAPIC timer does not count");
    ns_mult = (1000000000ull << 32) / tsc_freq;
    tsc0 = rdtsc();
    trap_set_handler(VEC_TIMER, timer_irq);
    lapic_write(LAPIC_LVT_TMR, VEC_TIMER);      /* one-shot, unmasked */
}

uint64_t tsc_hz(void) { return tsc_freq; }

uint64_t nanotime(void)
{
    uint64_t d = rdtsc() - tsc0;
    return (uint64_t)(((unsigned __int128)d * ns_mult) >> 32);
}

void timer_oneshot_ns(uint64_t ns)
{
    if (!ns) {
        lapic_write(LAPIC_TMR_INIT, 0);
        return;
    }
    if (ns > 10000000000ull)
        ns = 10000000000ull;   /* keeps the product in 64 bits; the caller re-arms */
    uint64_t t = ns * lapic_per_sec / 1000000000u;
    if (t == 0)
        t = 1;
    if (t > 0xffffffffull)
        t = 0xffffffffull;   /* the caller re-arms for the rest */
    lapic_write(LAPIC_TMR_INIT, (uint32_t)t);
}

void sleep_ns(uint64_t ns)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    uint64_t deadline = nanotime() + ns;
    for (;;) {
        irq_disable();
        uint64_t now = nanotime();
        if (now >= deadline)
            break;
        timer_oneshot_ns(deadline - now);
        /* sti;hlt is atomic with respect to interrupts: the timer cannot
         * fire between the two and leave us halted forever. */
        __asm__ volatile("sti; hlt" ::: "memory");
    }
    timer_oneshot_ns(0);
    if (flags & (1u << 9))
        irq_enable();
}
