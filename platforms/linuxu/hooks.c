/* Platform hooks the unikernel-side shim modules use (shim.h), implemented
 * for a Linux process: the console is the host's fds 0/1/2, pages come
 * from host mmap. On linuxu those modules are normally not selected (the
 * host does files); these keep a build that links them correct. */
#include "linuxu.h"

#define NR_poll 7
#define NR_sched_yield 24
#define POLLIN 1

long platform_console_write(const void *buf, size_t len)
{
    return host_syscall3(NR_write, 1, buf, len);
}

long platform_console_write_err(const void *buf, size_t len)
{
    return host_syscall3(NR_write, 2, buf, len);
}

long platform_console_read(void *buf, size_t len, int nonblock)
{
    if (nonblock) {
        struct { int fd; short events, revents; } p = { 0, POLLIN, 0 };
        long r = host_syscall3(NR_poll, &p, 1, 0);
        if (r < 0)
            return r;
        if (r == 0)
            return -EAGAIN;
    }
    return host_syscall3(NR_read, 0, buf, len);
}

void *platform_alloc_pages(size_t n)
{
    long r = host_syscall6(NR_mmap, 0, (long)(n * LINUXU_PAGE), 3 /* PROT_READ|PROT_WRITE */,
                           0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    return SHIM_IS_ERR(r) ? NULL : (void *)r;
}

void platform_free_pages(void *p, size_t n)
{
    host_syscall2(NR_munmap, p, n * LINUXU_PAGE);
}

void platform_idle(void)
{
    host_syscall0(NR_sched_yield);
}
