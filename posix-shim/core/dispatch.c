/* The shim's dispatcher: number -> handler, with optional tracing. */
#include "shim/shim.h"
#include "shim_syscalls.h"

/* Set once by the platform before the app starts; read by every thread. */
static volatile int trace_on;

void shim_set_trace(int on) { trace_on = on; }
int shim_trace_enabled(void) { return trace_on; }

const char *shim_syscall_name(long nr)
{
    if (nr >= 0 && nr < SHIM_NR_COUNT && shim_syscall_names[nr])
        return shim_syscall_names[nr];
    return "?";
}

void *shim_entry_for(long nr)
{
    if (nr >= 0 && nr < SHIM_NR_COUNT && shim_entries[nr])
        return shim_entries[nr];
    return (void *)shim_entry_generic;
}

static void trace_line(long nr, const long a[6], long r)
{
    /* One write per line, so threads do not interleave within a line. */
    if (SHIM_IS_ERR(r))
        shim_printk("%s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = -%ld\n",
                    shim_syscall_name(nr), a[0], a[1], a[2], a[3], a[4], a[5], -r);
    else
        shim_printk("%s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %#lx\n",
                    shim_syscall_name(nr), a[0], a[1], a[2], a[3], a[4], a[5], r);
}

long shim_dispatch(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    const long args[6] = { a0, a1, a2, a3, a4, a5 };
    shim_handler_t h = (nr >= 0 && nr < SHIM_NR_COUNT) ? shim_handlers[nr] : NULL;
    /* exit/exit_group/execve never return: trace them before the call. */
    if (trace_on && (nr == 60 || nr == 231 || nr == 59 || nr == 322))
        shim_printk("%s(%#lx, %#lx, %#lx, ...) ...\n", shim_syscall_name(nr), a0, a1, a2);
    long r = h ? h(a0, a1, a2, a3, a4, a5) : platform_unhandled_syscall(nr, args);
    if (trace_on)
        trace_line(nr, args, r);
    return r;
}
