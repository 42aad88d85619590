/* portapp_noop (nr 500): does nothing and returns 0. Benchmarks call it to
 * measure the cost of reaching the shim (rewritten call vs. fallback path). */
#include "shim/shim.h"

long sys_portapp_noop(SHIM_SYSCALL_ARGS)
{
    SHIM_UNUSED_ARGS6;
    return 0;
}
