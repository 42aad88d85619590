/* The <stdlib.h> lwIP includes, for the freestanding kernel: nothing of it
 * is used (memory comes through mem_clib_*, arch/cc.h). */
#ifndef PORTAPP_LWIP_STDLIB_H
#define PORTAPP_LWIP_STDLIB_H
#include <stddef.h>
#endif
