/* Platform hooks that only a platform owning the machine provides (the
 * unikernel: platforms/qemu). The modules that use them (proc, time,
 * sysinfo, mm) are kernel-only: on linuxu the host kernel answers those
 * syscalls, so these hooks do not exist there. */
#ifndef SHIM_KERNEL_H
#define SHIM_KERNEL_H

#pragma GCC visibility push(hidden)

#include <stddef.h>
#include <stdint.h>

/* The app's TLS base (FS base). GS base stays the kernel's. */
void platform_set_fs_base(uintptr_t base);
uintptr_t platform_get_fs_base(void);

/* Nanoseconds since boot (TSC), and since the Unix epoch (the launcher
 * passes the host's time at start; boot time plus the monotonic clock). */
uint64_t platform_monotonic_ns(void);
uint64_t platform_realtime_ns(void);
/* Sleep with interrupts on, the CPU halted between timer interrupts. */
void platform_sleep_ns(uint64_t ns);
/* The same, ended early by a signal the thread takes (its handler has run
 * when this returns): returns the time left then, 0 after a full sleep. */
uint64_t platform_sleep_intr_ns(uint64_t ns);

/* RAM in bytes: total usable and currently free page frames. */
void platform_memory_info(uint64_t *total, uint64_t *free);

/* No page is left for something Linux does without new memory or lazily
 * (a private file mapping's pages, mremap moving pages): the guest is out of
 * memory, as a fault would find later; reports WHAT and ends the VM. */
__attribute__((noreturn)) void platform_out_of_memory(const char *what);

/* Number of LSTAR (unrewritten `syscall`) entries so far. */
uint64_t platform_lstar_count(void);

/* The TSC's frequency in Hz (/proc/cpuinfo's "cpu MHz"). Weak, declared so
 * only here: a host-side build of procfs (posix-shim/tests) has no TSC. */
uint64_t platform_tsc_hz(void) __attribute__((weak));

/* The kernel's own log (not the app's stdout/stderr): lines such as
 * "[kernel] app killed by signal 11" that port-app reads back. */
void platform_log(const char *buf, size_t len);

#pragma GCC visibility pop

#endif
