/*
 * The boot sequence in C: called by boot.S on the boot stack, in long mode,
 * on the early page tables.  Brings up the console, CPU state, memory and
 * time, then calls kmain (the self test, or later the shim's start).
 */
#include "arch.h"

static struct boot_info boot_info;

void arch_start(uint64_t start_info_phys);
void arch_start(uint64_t start_info_phys)
{
    serial_init();
    trap_init();
    cpu_init();                       /* GDT/TSS/IDT first: faults are reported from here on */
    pvh_parse(start_info_phys, &boot_info);
    mm_init(&boot_info);
    time_init();
    kmain(&boot_info);
    power_off(0);
}
