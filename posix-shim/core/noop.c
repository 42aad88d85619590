/* portapp_noop (nr 500): does nothing and returns 0. Benchmarks call it to
 * measure the cost of reaching the shim (rewritten call vs. fallback path). */
#include "shim/shim.h"

SHIM_SYSCALL(portapp_noop)
{
    return 0;
}
