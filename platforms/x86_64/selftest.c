/*
 * Test kmain for the platform base, chosen by the kernel command line
 * (QEMU -append):
 *   selftest=hello   (default) print the hello line and boot facts, exit 0
 *   selftest=timer   print the TSC frequency, sleep 50 ms on the LAPIC timer
 *   selftest=null    dereference NULL (fault report, panic exit)
 *   selftest=wxtext  write into kernel text (W^X: fault report)
 *   selftest=mm      exercise vm_map/vm_protect/vm_unmap and the frame allocator
 *   selftest=overflow  overflow the boot stack into its guard page
 *   selftest=kstack  overflow a thread's kernel stack (the stack the shim
 *                    runs on) into its guard page: "kernel stack overflow"
 *   selftest=canary  overwrite a function's stack-protector canary: the
 *                    "stack smashing detected" panic
 *   selftest=nxdata  jump into kernel data (NX: fault report)
 *   selftest=wxrodata  write into kernel rodata (fault report)
 *   selftest=int     int $0x80 with no handler: "unexpected interrupt" report
 *   selftest=fpu     AVX registers survive fpu_save/fpu_restore
 *   selftest=redzone an interrupt leaves the 128 bytes below rsp intact (IST)
 *   selftest=echo    read one line from the console and print it back
 *   selftest=net     virtio-net: ARP for 10.0.2.2 (QEMU's user-mode gateway)
 *                    through transmit, print the reply's sender MAC, and
 *                    check the reply came through the interrupt-driven path,
 *                    then a burst of 600 requests must all be answered
 *   selftest=exit:N  exit with code N
 * The real image links the shim's kmain instead of this file.
 */
#include "arch.h"
#include "thread.h"
#include "virtio_net.h"
#include "shim/errno.h"
#include "shim/uaccess.h"

static uint64_t parse_u64(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

static void print_boot_facts(const struct boot_info *bi)
{
    kprintf("cmdline: \"%s\"\n", bi->cmdline);
    for (uint32_t i = 0; i < bi->nregions; i++)
        kprintf("memmap: 0x%016lx-0x%016lx type %u\n", bi->regions[i].base,
                bi->regions[i].base + bi->regions[i].size, bi->regions[i].type);
    for (uint32_t i = 0; i < bi->nmodules; i++)
        kprintf("module %u: phys 0x%lx size %lu cmdline \"%s\"\n", i, bi->modules[i].phys,
                bi->modules[i].size, bi->modules[i].cmdline);
    kprintf("frames: %lu free of %lu (4 KiB)\n", frames_free_count(), frames_total_count());
    kprintf("cpu: xsave %d avx %d xcr0 %#lx xsave area %u bytes, invariant tsc %d\n",
            cpu_features.xsave, cpu_features.avx, cpu_features.xcr0, cpu_features.xsave_size,
            cpu_features.invariant_tsc);
}

/* noinline + a frame of its own so the fault's backtrace has two levels. */
static __attribute__((noinline)) int deref(volatile int *p)
{
    return *p;
}

static __attribute__((noinline)) void selftest_null(void)
{
    volatile int *volatile p = NULL;
    kprintf("dereferencing NULL\n");
    kprintf("read %d\n", deref(p));
}

static void selftest_timer(void)
{
    kprintf("tsc frequency: %lu Hz\n", tsc_hz());
    uint64_t ticks0 = this_cpu()->timer_ticks, t0 = nanotime(), c0 = rdtsc();
    sleep_ns(50 * 1000000ull);
    uint64_t t1 = nanotime(), c1 = rdtsc(), ticks1 = this_cpu()->timer_ticks;
    kprintf("slept %lu us (tsc delta %lu), timer interrupts %lu\n", (t1 - t0) / 1000, c1 - c0,
            ticks1 - ticks0);
    if (t1 - t0 < 50 * 1000000ull || ticks1 == ticks0)
        panic("sleep_ns(50 ms) returned early or without a timer interrupt");
    kprintf("timer ok\n");
}

static void check(bool ok, const char *what)
{
    if (!ok)
        panic("mm selftest: %s", what);
}

/* The fault-tolerant copies (uaccess.S) across the end of a mapping: the
 * count of bytes not copied is exact whatever the alignment and length
 * (each path: 32-byte groups, quadwords, bytes), nothing past the end is
 * touched, and a fault in a string or word access is reported. */
static void selftest_uaccess(void)
{
    const uint64_t va = 0x600000;
    check(vm_alloc_range(va, 2, VM_READ | VM_WRITE) == 0, "uaccess: vm_alloc_range");
    uint8_t *end = (uint8_t *)(va + 2 * PAGE_SIZE);   /* nothing mapped from here */
    static uint8_t buf[256];
    for (size_t n = 1; n <= 200; n += 7) {
        for (size_t before = 0; before <= n; before += 3) {
            uint8_t *p = end - before;                /* `before` bytes mapped, then the hole */
            for (size_t i = 0; i < before; i++)
                p[i] = (uint8_t)(i + n);
            memset(buf, 0xee, sizeof buf);
            check(platform_copy_nofault(buf, p, n) == n - before, "uaccess: copy in, count");
            for (size_t i = 0; i < before; i++)
                check(buf[i] == (uint8_t)(i + n), "uaccess: copy in, bytes");
            check(before >= n || buf[before] == 0xee, "uaccess: copy in, past the fault");
            check(platform_copy_nofault(p, buf, n) == n - before, "uaccess: copy out, count");
            check(platform_clear_nofault(p, n) == n - before, "uaccess: clear, count");
            for (size_t i = 0; i < before; i++)
                check(p[i] == 0, "uaccess: clear, bytes");
        }
    }
    char s[16];
    memcpy(end - 3, "abc", 3);
    check(platform_strncpy_nofault(s, (const char *)end - 3, sizeof s) == -1, "uaccess: string into the hole");
    memcpy(end - 3, "ab", 3);
    check(platform_strncpy_nofault(s, (const char *)end - 3, sizeof s) == 2 && strcmp(s, "ab") == 0,
          "uaccess: string ending at the hole");
    uint32_t cur;
    *(uint32_t *)(end - 4) = 0;
    check(platform_cmpxchg_user_u32((uint32_t *)end, 0, 1, &cur) == -EFAULT, "uaccess: cmpxchg in the hole");
    check(platform_cmpxchg_user_u32((uint32_t *)(end - 4), 0, 7, &cur) == 0 && cur == 0 &&
          *(uint32_t *)(end - 4) == 7, "uaccess: cmpxchg");
    check(platform_copy_nofault(buf, NULL, 8) == 8, "uaccess: NULL page");
    vm_free_range(va, 2);
    kprintf("uaccess ok\n");
}

static void selftest_mm(void)
{
    const uint64_t va = 0x400000;
    uint64_t free0 = frames_free_count(), pa;
    unsigned prot;
    check(!vm_query(0, NULL, NULL), "NULL page is mapped");
    check(vm_alloc_range(va, 4, VM_READ | VM_WRITE) == 0, "vm_alloc_range");
    volatile uint64_t *p = (volatile uint64_t *)va;
    p[0] = 0x1122334455667788ull;
    p[3 * 512] = 42;
    check(p[0] == 0x1122334455667788ull && p[3 * 512] == 42, "read back");
    check(vm_query(va, &pa, &prot) && prot == (VM_READ | VM_WRITE), "vm_query");
    check(*(uint64_t *)phys_to_virt(pa) == 0x1122334455667788ull, "direct map alias");
    check(vm_map(va, pa, VM_READ) < 0, "double map refused");
    check(vm_protect(va, VM_READ | VM_EXEC) == 0 && vm_query(va, NULL, &prot) &&
          prot == (VM_READ | VM_EXEC), "vm_protect");
    vm_free_range(va, 4);
    check(!vm_query(va, NULL, NULL), "unmapped");
    /* The 4 data frames come back; the (at most 3) page tables created for
     * the range stay. */
    check(frames_free_count() + 3 >= free0 && frames_free_count() <= free0, "frames returned");
    check(vm_query((uint64_t)&selftest_mm, NULL, &prot) && prot == (VM_READ | VM_EXEC), "text is RX");
    static const int ro = 1;
    check(vm_query((uint64_t)&ro, NULL, &prot) && prot == VM_READ, "rodata is R+NX");
    static int rw;
    check(vm_query((uint64_t)&rw, NULL, &prot) && prot == (VM_READ | VM_WRITE), "data is RW+NX");
    kprintf("mm ok: %lu frames free (was %lu)\n", frames_free_count(), free0);
    selftest_uaccess();
}

/* Unbounded recursion on the boot stack runs into its guard page. */
static volatile uint64_t recursion_limit = ~0ull;
static __attribute__((noinline)) uint64_t recurse(uint64_t n)
{
    volatile uint8_t frame[256];
    frame[0] = (uint8_t)n;
    if (n >= recursion_limit)
        return n;
    return recurse(n + 1) + frame[0];
}

static void recurse_on_kstack(void *arg)
{
    (void)arg;
    kprintf("recursing without bound on thread %d's kernel stack\n", sched_tid(sched_current()));
    kprintf("returned %lu\n", recurse(0));
    panic("recursion returned");
}

/* Writes from buf up to (not including) the saved rbp: that covers the
 * canary -fstack-protector-strong keeps between the array and the frame
 * link, and nothing the check needs to reach __stack_chk_fail. */
static __attribute__((noinline)) void smash_canary(void)
{
    char buf[16];
    char *end = __builtin_frame_address(0);
    kprintf("overwriting %ld bytes from a 16-byte array to the frame link\n", (long)(end - buf));
    for (volatile char *p = buf; p < end; p++)
        *p = 'A';
    kprintf("buf[0] = %c\n", buf[0]);
}

/* A `ret` in writable data: NX must refuse to execute it. */
static uint8_t data_ret[16] = { 0xc3 };
static const char exc_probe_rodata[] = "read-only";

/* AVX state survives fpu_save / clobber / fpu_restore.  The ymm registers
 * appear only in asm and are not declared as clobbers (gcc refuses xmm
 * clobbers under -mgeneral-regs-only): the compiler never keeps anything in
 * vector registers in this kernel, so nothing of its can be lost. */
static void selftest_fpu(void)
{
    static uint8_t area[4096] ALIGNED(64);
    static uint8_t pattern[32], out[32];
    kprintf("xcr0 %#lx xsave area %u bytes\n", cpu_features.xcr0, cpu_features.xsave_size);
    if (!cpu_features.avx || cpu_features.xsave_size > sizeof area)
        panic("fpu selftest needs AVX and XSAVE (run QEMU with -cpu max)");
    for (int i = 0; i < 32; i++)
        pattern[i] = (uint8_t)(0xa0 + i);
    __asm__ volatile("vmovdqu (%0), %%ymm0\n\tvmovdqu (%0), %%ymm15" :: "r"(pattern) : "memory");
    fpu_save(area);
    __asm__ volatile("vpxor %%ymm0, %%ymm0, %%ymm0\n\tvpxor %%ymm15, %%ymm15, %%ymm15" ::: "memory");
    fpu_restore(area);
    __asm__ volatile("vmovdqu %%ymm15, (%0)\n\tvzeroupper" :: "r"(out) : "memory");
    if (memcmp(out, pattern, 32) != 0)
        panic("ymm15 not restored by fpu_restore");
    kprintf("fpu ok\n");
}

/* The reason every vector uses IST: an interrupt taken while rsp points into
 * the app's stack must not write the 128 bytes below rsp.  Fill them, take
 * a timer interrupt with rsp unchanged, and check them. */
static void selftest_redzone(void)
{
    volatile uint64_t *ticks = &this_cpu()->timer_ticks;
    uint64_t before = *ticks, bad;
    timer_oneshot_ns(1000000);
    __asm__ volatile(
        "movabsq $0x5a5a5a5a00000000, %%rax\n\t"
        "movq $16, %%rcx\n"
        "1: movq %%rax, -136(%%rsp, %%rcx, 8)\n\t"   /* -128 .. -8 below rsp */
        "incq %%rax\n\t"
        "loop 1b\n\t"
        "sti\n"
        "2: cmpq %[before], (%[ticks])\n\t"
        "je 2b\n\t"
        "cli\n\t"
        "movabsq $0x5a5a5a5a00000000, %%rax\n\t"
        "xorl %k[bad], %k[bad]\n\t"
        "movq $16, %%rcx\n"
        "3: cmpq %%rax, -136(%%rsp, %%rcx, 8)\n\t"
        "setne %%dl\n\t"
        "movzbl %%dl, %%edx\n\t"
        "addq %%rdx, %[bad]\n\t"
        "incq %%rax\n\t"
        "loop 3b\n\t"
        : [bad] "=&r"(bad)
        : [ticks] "r"(ticks), [before] "r"(before)
        : "rax", "rcx", "rdx", "cc", "memory");
    kprintf("red zone: %lu of 16 words changed by the timer interrupt\n", bad);
    if (bad)
        panic("an interrupt wrote below the interrupted rsp");
    kprintf("redzone ok\n");
}

/* Echo one line of console input (polled), 2 s timeout. */
static void selftest_echo(void)
{
    char line[128];
    size_t n = 0;
    uint64_t deadline = nanotime() + 2000000000ull;
    kprintf("type a line:\n");
    while (nanotime() < deadline && n + 1 < sizeof line) {
        int c = serial_getc_nonblock();
        if (c < 0) {
            cpu_relax();
            continue;
        }
        if (c == '\n' || c == '\r')
            break;
        line[n++] = (char)c;
    }
    line[n] = '\0';
    kprintf("echo: %s\n", line);
}

/* ---- selftest=net ---- */

static const uint8_t guest_ip[4] = { 10, 0, 2, 15 }, gateway_ip[4] = { 10, 0, 2, 2 };
static volatile bool arp_answered;
static uint8_t arp_mac[6];
static struct thread *arp_receiver;
static volatile unsigned arp_replies;
/* Requests of the burst: several times both rings' size, so every index wraps. */
#define ARP_BURST 600

/* The stack's side of netdev.h: runs on the driver's thread. */
static void arp_receive(struct netdev *nd, const void *frame, size_t len)
{
    (void)nd;
    const uint8_t *f = frame;
    /* ARP (0x0806), Ethernet/IPv4, reply (op 2), from the gateway's address. */
    if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2 ||
        memcmp(f + 28, gateway_ip, 4) != 0)
        return;
    memcpy(arp_mac, f + 22, 6);
    arp_receiver = sched_current();
    arp_answered = true;
    arp_replies++;
    sched_wake_chan((const void *)&arp_answered, ~0u, -1);
}

static void selftest_net(const struct boot_info *bi)
{
    sched_init();
    int n = virtio_net_init(bi->cmdline);
    kprintf("net: %d virtio-net device(s)\n", n);
    if (n < 1)
        panic("net selftest: no virtio-net device (QEMU: -netdev user,id=n0 -device virtio-net-...,netdev=n0)");
    struct netdev *nd = platform_netdev(0);
    struct virtio_net_stats st;
    virtio_net_stats(0, &st);
    kprintf("net: %s, features %#lx, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u\n", st.transport,
            st.features, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3], nd->mac[4], nd->mac[5], nd->mtu);
    nd->receive = arp_receive;
    /* Let the driver thread start and fall asleep first, so the reply can
     * only reach it through the device's interrupt. */
    const void *chan;
    for (int i = 0; i < 100 && !sched_blocked(st.thread, &chan); i++)
        sched_sleep_ns(1000000ull);
    if (!sched_blocked(st.thread, &chan))
        panic("net selftest: the driver thread did not go to sleep");

    uint8_t req[60];                                /* the minimum Ethernet frame */
    memset(req, 0, sizeof req);
    memset(req, 0xff, 6);                           /* broadcast */
    memcpy(req + 6, nd->mac, 6);
    req[12] = 0x08; req[13] = 0x06;                 /* ARP */
    req[15] = 1;                                    /* hardware: Ethernet */
    req[16] = 0x08;                                 /* protocol: IPv4 */
    req[18] = 6; req[19] = 4;
    req[21] = 1;                                    /* request */
    memcpy(req + 22, nd->mac, 6);
    memcpy(req + 28, guest_ip, 4);
    memcpy(req + 38, gateway_ip, 4);
    int r = nd->transmit(nd, req, sizeof req);
    if (r != 0)
        panic("net selftest: transmit returned %d", r);

    /* Sleep until the driver thread saw the reply: no polling here. */
    uint64_t flags = irq_save(), deadline = nanotime() + 3000000000ull;
    enum wake_reason why = WAKE_NONE;
    while (!arp_answered && why != WAKE_TIMEOUT)
        why = sched_block((const void *)&arp_answered, ~0u, deadline);
    irq_restore(flags);
    if (!arp_answered)
        panic("net selftest: no ARP reply from 10.0.2.2 within 3 s");
    kprintf("net: 10.0.2.2 is at %02x:%02x:%02x:%02x:%02x:%02x\n", arp_mac[0], arp_mac[1], arp_mac[2],
            arp_mac[3], arp_mac[4], arp_mac[5]);

    /* Now idle 100 ms: the driver thread must stay asleep on its channel
     * unless an interrupt woke it (a polling driver would wake without). */
    sched_sleep_ns(100000000ull);
    virtio_net_stats(0, &st);
    bool asleep = sched_blocked(st.thread, &chan) && chan != NULL;
    kprintf("net: receive ran on the driver thread: %s; main thread woken by %s; "
            "%lu interrupt(s), %lu driver wake-up(s), %lu frame(s) in, %lu out; driver thread asleep: %s\n",
            arp_receiver == st.thread ? "yes" : "no", why == WAKE_EVENT || why == WAKE_NONE ? "event" : "timeout",
            st.irqs, st.wakeups, st.rx_frames, st.tx_frames, asleep ? "yes" : "no");
    if (arp_receiver != st.thread)
        panic("net selftest: receive did not run on the driver thread");
    if (st.irqs == 0 || st.wakeups == 0 || st.wakeups > st.irqs)
        panic("net selftest: the driver thread woke %lu times for %lu interrupts", st.wakeups, st.irqs);
    if (!asleep)
        panic("net selftest: the driver thread is not asleep while idle");

    /* A burst: transmit as fast as the ring takes it (-ENOBUFS: wait for
     * the device), then every reply must come back through the rings. */
    unsigned base = arp_replies, sent = 0, full = 0;
    while (sent < ARP_BURST) {
        r = nd->transmit(nd, req, sizeof req);
        if (r == -ENOBUFS) {
            full++;
            sched_sleep_ns(100000ull);
            continue;
        }
        if (r != 0)
            panic("net selftest: transmit returned %d in the burst", r);
        sent++;
    }
    flags = irq_save();
    deadline = nanotime() + 5000000000ull;
    while (arp_replies - base < ARP_BURST && nanotime() < deadline)
        sched_block((const void *)&arp_answered, ~0u, deadline);
    irq_restore(flags);
    virtio_net_stats(0, &st);
    kprintf("net: burst of %u requests: %u replies, transmit ring full %u time(s); %lu interrupt(s), "
            "%lu driver wake-up(s), %lu frame(s) in, %lu out\n", sent, arp_replies - base, full, st.irqs,
            st.wakeups, st.rx_frames, st.tx_frames);
    if (arp_replies - base != ARP_BURST)
        panic("net selftest: %u of %u ARP replies came back", arp_replies - base, ARP_BURST);
    kprintf("net ok\n");
}

void kmain(const struct boot_info *bi)
{
    char what[32];
    if (!cmdline_get(bi->cmdline, "selftest", what, sizeof what))
        memcpy(what, "hello", 6);
    kprintf("hello from port-app kernel\n");
    if (strcmp(what, "hello") == 0) {
        print_boot_facts(bi);
        /* The TSC counts from the VM's reset (QEMU TCG and KVM both zero it). */
        kprintf("boot to hello: %lu us since CPU reset, %lu us since time_init\n",
                rdtsc() / (tsc_hz() / 1000000), nanotime() / 1000);
        power_off(0);
    } else if (strcmp(what, "timer") == 0) {
        selftest_timer();
        power_off(0);
    } else if (strcmp(what, "null") == 0) {
        selftest_null();
    } else if (strcmp(what, "wxtext") == 0) {
        kprintf("writing into kernel text\n");
        *(volatile uint8_t *)(uint64_t)&kmain = 0xcc;
    } else if (strcmp(what, "mm") == 0) {
        selftest_mm();
        power_off(0);
    } else if (strcmp(what, "overflow") == 0) {
        kprintf("recursing without bound\n");
        kprintf("returned %lu\n", recurse(0));
    } else if (strcmp(what, "kstack") == 0) {
        sched_init();
        sched_call_on_kstack(recurse_on_kstack, NULL);
    } else if (strcmp(what, "canary") == 0) {
        smash_canary();
        kprintf("returned past a smashed canary\n");
    } else if (strcmp(what, "nxdata") == 0) {
        kprintf("calling into kernel data\n");
        ((void (*)(void))(uint64_t)data_ret)();
    } else if (strcmp(what, "wxrodata") == 0) {
        kprintf("writing into kernel rodata\n");
        *(volatile char *)(uint64_t)exc_probe_rodata = 'x';
    } else if (strcmp(what, "int") == 0) {
        kprintf("raising software interrupt 0x80\n");
        __asm__ volatile("int $0x80");
    } else if (strcmp(what, "fpu") == 0) {
        selftest_fpu();
        power_off(0);
    } else if (strcmp(what, "redzone") == 0) {
        selftest_redzone();
        power_off(0);
    } else if (strcmp(what, "echo") == 0) {
        selftest_echo();
        power_off(0);
    } else if (strcmp(what, "net") == 0) {
        selftest_net(bi);
        power_off(0);
    } else if (strncmp(what, "exit:", 5) == 0) {
        power_off((int)parse_u64(what + 5));
    }
    panic("selftest '%s' did not end as expected", what);
}
