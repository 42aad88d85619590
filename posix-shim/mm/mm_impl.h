/* Internal interface between the files of posix-shim/mm. */
#ifndef MM_IMPL_H
#define MM_IMPL_H

#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

/* After a successful private file mapping of [addr, addr+len) at file
 * offset off: fills the PortApp slot table it holds, if it is the mapping
 * of the table's segment (slots.c). */
void mm_fill_mapped_slots(uintptr_t addr, size_t len, long fd, uint64_t off);
/* mprotect of a mapped range (mm.c); 0 or -errno. */
long mm_protect_range(uintptr_t start, uintptr_t end, unsigned prot);

#pragma GCC visibility pop

#endif
