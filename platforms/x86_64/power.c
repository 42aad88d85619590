/*
 * Power-off with an exit code through QEMU's isa-debug-exit device
 * (-device isa-debug-exit,iobase=0xf4,iosize=0x04, on pc and microvm):
 * writing v makes QEMU exit with status (v << 1) | 1, truncated to 8 bits
 * by the host's exit().  See README.md for the convention.
 */
#include "arch.h"

#define DEBUG_EXIT_PORT 0xf4

static NORETURN void halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

NORETURN void power_off(int app_exit_code)
{
    irq_disable();
    kprintf("[kernel] exit %d\n", app_exit_code & 0xff);
    outl(DEBUG_EXIT_PORT, (uint32_t)(app_exit_code & 0xff));
    kprintf("[kernel] no isa-debug-exit device at 0x%x; halting\n", DEBUG_EXIT_PORT);
    halt_forever();
}

NORETURN void power_off_panic(void)
{
    irq_disable();
    kprintf("[kernel] panic exit\n");
    outl(DEBUG_EXIT_PORT, EXIT_PANIC_VALUE);
    kprintf("[kernel] no isa-debug-exit device at 0x%x; halting\n", DEBUG_EXIT_PORT);
    halt_forever();
}
