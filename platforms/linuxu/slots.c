/* Slot tables of the objects ld.so maps (shared libraries, dlopen'ed
 * modules): the loader fills the executable's and ld.so's own, but every
 * other rewritten object is mapped later by ld.so through mmap. When such a
 * mapping is the one of the segment holding a PortApp slot table, the table
 * is filled right after the mapping succeeds and its pages are made
 * read-only, as the loader does for its own: by the code the unikernel's mm
 * module uses too (core/slot_fill.c; docs/architecture.md, "Who fills the
 * slots"). What is linuxu's: the file is read with the host's fstat and
 * pread, and the pages protected with the host's mprotect. */
#include "linuxu.h"
#include "shim/slot_probe.h"

#define NR_fstat 5
#define PROT_WRITE 2
#define MAP_TYPE 0x0f
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20

static long host_fstat(long fd, struct k_stat *st)
{
    return host_syscall2(NR_fstat, fd, st);
}

static int host_pread_exact(long fd, void *buf, uint64_t n, uint64_t off)
{
    return host_syscall4(NR_pread64, fd, buf, n, off) == (long)n;
}

static const struct portapp_file_io host_io = { .fstat = host_fstat, .pread_exact = host_pread_exact };

void linuxu_slots_after_mmap(unsigned long addr, unsigned long len, long prot, long flags, long fd,
                             unsigned long off)
{
    /* Only a private, writable file mapping can be the table's segment;
     * MAP_SHARED mappings are never written. */
    if (fd < 0 || (flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) != MAP_PRIVATE || !(prot & PROT_WRITE))
        return;
    uint64_t *table;
    struct portapp_ro_range ro;
    uint32_t n = portapp_fill_mapped_slots(addr, len, fd, off, &host_io, 0, &table, &ro);
    if (!n)
        return;
    /* Read-only from now on, like the loader's own tables (RELRO does not
     * cover this segment). */
    if (ro.end > ro.start)
        host_syscall3(NR_mprotect, ro.start, ro.end - ro.start, prot & ~PROT_WRITE);
    if (linuxu.trace)
        shim_printk("port-app: linuxu: %u slots filled at %#lx (mapping of fd %ld)\n", n, (unsigned long)table,
                    fd);
}
