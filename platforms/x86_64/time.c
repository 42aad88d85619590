/*
 * Clock and timer.
 *
 * Clock: the TSC, calibrated once against the i8254 PIT (channel 0 counter
 * read back with the latch command; no port 0x61 speaker gate, which microvm
 * lacks).  Both QEMU pc and microvm have a PIT under TCG (microvm's pit=auto
 * creates it whenever KVM's in-kernel PIT is not used).  CPUID leaf 0x15
 * (crystal clock) is used instead when the CPU reports it, which is what a
 * VMM without a PIT (Firecracker) needs.
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

/* TSC ticks during `ticks` PIT ticks, following the counter through wraps. */
static uint64_t pit_measure(uint32_t ticks)
{
    outb(0x43, 0x34);                       /* channel 0, lo/hi, mode 2 */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint16_t last = pit_read();
    uint32_t elapsed = 0;
    uint64_t t0 = rdtsc();
    while (elapsed < ticks) {
        uint16_t now = pit_read();
        elapsed += (uint16_t)(last - now);  /* counts down, wraps at 0 */
        last = now;
    }
    uint64_t t1 = rdtsc();
    /* Scale to exactly `ticks` in case the last step overshot. */
    return (t1 - t0) * ticks / elapsed;
}

static uint64_t calibrate_tsc(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    if (r[0] >= 0x15) {
        cpuid(0x15, 0, r);
        if (r[0] && r[1] && r[2])
            return (uint64_t)r[2] * r[1] / r[0];
    }
    /* Best (smallest) of three 10 ms windows: a TCG vCPU stalled by the host
     * only ever makes a window look longer. */
    uint64_t best = ~0ull;
    for (int i = 0; i < 3; i++) {
        uint64_t t = pit_measure(PIT_HZ / 100);
        if (t < best)
            best = t;
    }
    return best * 100;
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
    tsc_freq = calibrate_tsc();
    if (tsc_freq < 1000000)
        panic("TSC calibration failed (%lu Hz)", tsc_freq);
    ns_mult = (1000000000ull << 32) / tsc_freq;
    tsc0 = rdtsc();

    uint64_t base = rdmsr(MSR_APIC_BASE);
    wrmsr(MSR_APIC_BASE, base | (1u << 11));   /* global enable (xAPIC mode) */
    lapic = mmio_map(base & 0xffffff000ull, PAGE_SIZE);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_TMR_DIV, 0x3);            /* divide by 16 */
    lapic_write(LAPIC_LVT_TMR, 1u << 16);       /* masked while calibrating */
    lapic_write(LAPIC_TMR_INIT, 0xffffffff);
    uint64_t start = rdtsc(), span = tsc_freq / 100;   /* 10 ms */
    uint32_t c0 = lapic_read(LAPIC_TMR_CUR);
    while (rdtsc() - start < span)
        cpu_relax();
    uint32_t c1 = lapic_read(LAPIC_TMR_CUR);
    uint64_t took = rdtsc() - start;
    lapic_write(LAPIC_TMR_INIT, 0);
    lapic_per_sec = (uint64_t)(c0 - c1) * tsc_freq / took;
    if (!lapic_per_sec)
        panic("LAPIC timer does not count");
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
