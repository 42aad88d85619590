/* The API between the POSIX shim's modules, its core and the platform that
 * hosts it (linuxu: a Linux process; later: the ring-0 unikernel).
 *
 * Everything here is freestanding: no libc. Modules are compiled with
 * -ffreestanding -fno-builtin -mgeneral-regs-only, so vector registers are
 * never touched by shim code (the entry stubs do not save them).
 */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

/* Everything is linked into one static image: hidden visibility lets
 * position-independent code reach symbols RIP-relative, never via a GOT. */
#pragma GCC visibility push(hidden)

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "shim/errno.h"
#include "shim/fmt.h"

/* ---- Handlers -------------------------------------------------------------
 * A module that lists `provides foo` (or `stubs foo`) in its module.conf
 * defines the handler with
 *
 *     SHIM_SYSCALL(foo)
 *     {
 *         ... the arguments, named and typed as in syscalls.tsv
 *     }
 *
 * in the spirit of Linux's SYSCALL_DEFINEn. The braces are the body of a
 * static function taking SHIM_PARAMS_foo (e.g. for openat: int dfd,
 * const char *filename, int flags, umode_t mode); the macro also writes the
 * table ABI function long sys_foo(long a0, ..., long a5), which converts the
 * raw argument registers (rdi, rsi, rdx, r10, r8, r9) with SHIM_ARGS_foo and
 * calls it, so a narrower type drops the register's upper bits as Linux does
 * (an int fd is the low 32 bits). The result is the kernel's (>= 0, or
 * -errno). Arguments a handler does not use need no (void) cast.
 *
 * Writing the name once, literally, keeps `grep -rn 'SHIM_SYSCALL(foo)'`
 * (and docs/syscalls.md, which links each syscall to the file defining it)
 * pointing at the handler. A name that is not in syscalls.tsv does not
 * compile (no SHIM_NR_foo, no SHIM_PARAMS_foo); a provided syscall without
 * its definition does not link (shim_table.c refers to sys_foo) and fails
 * syscall-table's RealShimManifestsTest. The generated shim_syscalls.h has
 * the SHIM_PARAMS_/SHIM_ARGS_ of every syscall, declares the selected
 * handlers and the structure tags the table names, and defines the
 * SHIM_NR_<name> numbers and the SHIM_HAVE_<module> selection macros; it is
 * written for each build's selection into the directory every shim build
 * puts on the include path (GEN= of the platform Makefiles; the host harness
 * generates its own). */
#include "shim_syscalls.h"
/* The kernel types those parameters name. Hosted code (the test harness)
 * has libc's own, different, types of the same names and calls handlers only
 * through the table ABI. */
#if !__STDC_HOSTED__
#include "shim/ktypes.h"
#endif

#define SHIM_SYSCALL(name)                                                    \
    _Static_assert(SHIM_NR_##name >= 0, #name " is in syscalls.tsv");        \
    static inline long sys_typed_##name(SHIM_PARAMS_##name);                  \
    long sys_##name(long a0 __attribute__((unused)), long a1 __attribute__((unused)), \
                    long a2 __attribute__((unused)), long a3 __attribute__((unused)), \
                    long a4 __attribute__((unused)), long a5 __attribute__((unused))) \
    {                                                                         \
        return sys_typed_##name(SHIM_ARGS_##name);                           \
    }                                                                         \
    static inline long sys_typed_##name(SHIM_PARAMS_##name)

/* ---- Core (posix-shim/core) ---------------------------------------------- */

/* Called by shim_entry_generic and by platform fallback paths (linuxu: the
 * SIGSYS handler of Syscall User Dispatch). Looks up shim_handlers[nr];
 * a NULL entry (or nr out of range) goes to platform_unhandled_syscall. */
long shim_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/* Tracing: one strace-like line per dispatched syscall on the platform's
 * error stream. Set by the platform (linuxu: --trace). */
void shim_set_trace(int on);
int shim_trace_enabled(void);

/* Name of a syscall number ("?" when unknown), from the generated table. */
const char *shim_syscall_name(long nr);

/* Entry addresses (generated table + hand-written asm). These follow the
 * shim entry ABI (docs/architecture.md), not C's: never call them from C.
 * shim_entry_generic routes numbers 15/56/58/435 to the platform's special
 * entries (for sites whose number is only known at run time), then
 * shim_entry_c calls shim_dispatch. */
void shim_entry_generic(void);
void shim_entry_c(void);
/* Supplied by each platform: entries that must change the app's stack. */
void shim_entry_special_rt_sigreturn(void);
void shim_entry_special_clone(void);
void shim_entry_special_vfork(void);
void shim_entry_special_clone3(void);
void *shim_entry_for(long nr);   /* shim_entries[nr], or shim_entry_generic */

/* ---- Platform hooks (every platform defines these) ----------------------- */

/* A syscall no selected module provides. args[0..5] are a0..a5.
 * linuxu: issue it to the host kernel (with a few interceptions);
 * unikernel: log the name once, return -ENOSYS. */
long platform_unhandled_syscall(long nr, const long args[6]);

/* Diagnostics output (stderr on linuxu, the serial console on the unikernel).
 * Must be async-signal-safe and reentrant. */
void platform_write_err(const char *buf, size_t len);

/* Terminate the whole application (message already printed). */
_Noreturn void platform_abort(int code);

/* ---- Platform hooks for the unikernel's modules (vfs, heap, ...) --------
 * Console: the app's standard streams. On linuxu these pass through to the
 * host's fds 0/1/2; in the kernel they are the serial console, where stdout
 * and stderr are kept apart (platforms/qemu/README.md), so a module that
 * binds fd 2 must write it with platform_console_write_err.
 * Each returns the byte count or -errno; platform_console_read blocks until
 * at least one byte is there unless nonblock (then -EAGAIN), and returns 0
 * at end of input. */
long platform_console_write(const void *buf, size_t len);       /* stdout */
long platform_console_write_err(const void *buf, size_t len);   /* stderr */
long platform_console_read(void *buf, size_t len, int nonblock);
/* Whole zeroed 4 KiB pages for shim data structures (kernel: from the frame
 * allocator, in the direct map); NULL when out of memory. */
void *platform_alloc_pages(size_t n);
void platform_free_pages(void *p, size_t n);
/* Wait for something to happen (kernel: hlt until the next interrupt). */
void platform_idle(void);

/* ---- Freestanding string and memory functions (core/string.c) -------------
 * gcc may emit calls to memcpy/memset/memmove/memcmp even with -fno-builtin. */
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memset(void *d, int c, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t shim_strlcpy(char *d, const char *s, size_t size);

/* ---- Formatting (shim/fmt.h: shim_vsnprintf, shim_snprintf) ---------------
 * shim_printk (core/printk.c) formats into a stack buffer (max 512 bytes) and writes it with
 * platform_write_err in one call, so concurrent lines do not interleave. */
void shim_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#pragma GCC visibility pop

#endif
