/* shim_printk: one formatted diagnostics line on the platform's error
 * stream (apart from fmt.c, which the platform's self-test image links
 * without a shim and so without platform_write_err). */
#include "shim/shim.h"

void shim_printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = shim_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    platform_write_err(buf, len);
}
