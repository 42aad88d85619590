/* kprintf: the kernel log on the serial line. Formatting is the shim
 * core's (shim/fmt.h, posix-shim/core/fmt.c), which every image links: a
 * shim build through the core module, the self-test image by itself
 * (Makefile). */
#include "arch.h"
#include "shim/fmt.h"

int kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = shim_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    serial_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return n;
}
