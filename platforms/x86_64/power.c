/*
 * Power-off with an exit code through QEMU's isa-debug-exit device
 * (-device isa-debug-exit,iobase=0xf4,iosize=0x04, on pc and microvm):
 * writing v makes QEMU exit with status (v << 1) | 1, truncated to 8 bits
 * by the host's exit().  See README.md for the convention.
 */
#include "arch.h"
#include "virtio_console.h"

#define DEBUG_EXIT_PORT 0xf4

static NORETURN void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

void power_debug_exit(uint32_t value)
{
    outl(DEBUG_EXIT_PORT, value);
}

NORETURN void power_off(int app_exit_code)
{
    /* The app's last output may still be in the virtio console's buffers
     * when the host reads slowly: let it out first (at most a minute). */
    vcon_flush(60ull * 1000000000ull);
    irq_disable();
    kprintf("[kernel] exit %d\n", app_exit_code & 0xff);
    power_debug_exit((uint32_t)(app_exit_code & 0xff));
    /* No isa-debug-exit (Firecracker): a reset through the i8042 keyboard
     * controller ends a Firecracker VM (and a QEMU pc under -no-reboot); the
     * exit code is then only in the log line above. */
    kprintf("[kernel] no isa-debug-exit device at 0x%x; resetting through the i8042\n", DEBUG_EXIT_PORT);
    outb(0x64, 0xfe);
    kprintf("[kernel] no i8042 either; halting\n");
    halt_forever();
}

/* Every value written to isa-debug-exit yields an odd status, and all 128
 * odd statuses are taken by app exit codes 0..127.  Status 0 is the one QEMU
 * never produces from that device: it is what QEMU returns when the guest
 * resets under -no-reboot.  So a panic resets the machine by a triple fault
 * (empty IDT, then an exception) and the launcher, which always passes
 * -no-reboot, reads status 0 as "kernel panic or crash". */
NORETURN void power_off_panic(void)
{
    irq_disable();
    kprintf("[kernel] panic: resetting (QEMU status 0 under -no-reboot)\n");
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) empty = { 0, 0 };
    __asm__ volatile("lidt %0; int3" :: "m"(empty));
    halt_forever();
}
