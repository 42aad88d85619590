/* The formatter (core/fmt.c): a small vsnprintf for diagnostics and
 * tracing, no floating point. The shim and the unikernel platform (its
 * kprintf and panic) share it; the header stands alone (no generated
 * files), so the platform's self-test image can use it without a shim.
 *
 * Conversions %d %i %u %x %X %p %c %s %%, flags '#' (0x before a non-zero
 * %x), '0' and '-', a width, and l/ll/z lengths. Returns the length it
 * would have written, like C's. */
#ifndef SHIM_FMT_H
#define SHIM_FMT_H

#include <stdarg.h>
#include <stddef.h>

#pragma GCC visibility push(hidden)

int shim_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int shim_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#pragma GCC visibility pop

#endif
