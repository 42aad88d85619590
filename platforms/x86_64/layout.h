/* Virtual address layout of the unikernel (shared by C and assembly). */
#ifndef X86_64_LAYOUT_H
#define X86_64_LAYOUT_H

/* Kernel image: -2 GiB + physical address (-mcmodel=kernel). */
#define KERNEL_VMA      0xffffffff80000000
/* Direct map of all physical RAM: phys p is at DMAP_BASE + p (RW, NX). */
#define DMAP_BASE       0xffff800000000000
/* Uncached device windows (LAPIC, IOAPIC, virtio-mmio ...). */
#define MMIO_BASE       0xffffc00000000000
/* Everything below USER_TOP belongs to the application. */
#define USER_TOP        0x0000800000000000

#define PAGE_SIZE       4096
#define BOOT_STACK_SIZE (64 * 1024)
#define IST_STACK_SIZE  (16 * 1024)

/* GDT selectors.  STAR-compatible: syscall from ring 0 loads CS=0x08, SS=0x10. */
#define SEL_KCODE       0x08
#define SEL_KDATA       0x10
#define SEL_TSS         0x18

/* struct percpu field offsets for assembly (checked in arch.h). */
#define PERCPU_SYSCALL_KSTACK   32
#define PERCPU_SYSCALL_USER_RSP 40
#define PERCPU_LSTAR_COUNT      48
#define PERCPU_SHIM_NESTED      56

#endif
