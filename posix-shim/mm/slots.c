/* posix-shim/mm: slot tables of the objects ld.so maps on the unikernel.
 *
 * The kernel's loader fills the executable's and ld.so's own tables; every
 * other rewritten object (DT_NEEDED libraries, dlopen'ed modules) is mapped
 * later by ld.so through mmap. When such a mapping is the one of the segment
 * holding a PortApp slot table, the table is filled right after the mapping
 * and its pages are made read-only: by the same code as on linuxu
 * (core/slot_fill.c; docs/architecture.md, "Who fills the slots"). What
 * differs is only how the file is read: through the vfs. */
#include "shim/shim.h"
#include "shim/mm.h"
#include "shim/slot_probe.h"
#include "shim/vfs.h"
#include "shim_syscalls.h"
#include "mm_impl.h"

/* The vfs's fstat and pread for kernel buffers (the syscalls refuse the
 * kernel's memory): mm links without the vfs too, and then has no file
 * mappings at all (mm.c). */
static long vfs_fstat(long fd, struct k_stat *st)
{
#if SHIM_HAVE_vfs
    return vfs_fstat_fd(fd, st);
#else
    (void)fd; (void)st;
    return -ENOSYS;
#endif
}

static int vfs_pread_exact(long fd, void *buf, uint64_t n, uint64_t off)
{
#if SHIM_HAVE_vfs
    return vfs_pread_fd(fd, buf, n, off) == (long)n;
#else
    (void)fd; (void)buf; (void)n; (void)off;
    return 0;
#endif
}

static const struct portapp_file_io vfs_io = { .fstat = vfs_fstat, .pread_exact = vfs_pread_exact };

void mm_fill_mapped_slots(uintptr_t addr, size_t len, long fd, uint64_t off)
{
    uint64_t *table;
    struct portapp_ro_range ro;
    /* Tracing needs every call to pass shim_dispatch: the direct entries
     * call their handler without it. */
    if (portapp_fill_mapped_slots(addr, len, fd, off, &vfs_io, shim_trace_enabled(), &table, &ro) &&
        ro.end > ro.start)
        mm_protect_range(ro.start, ro.end, SHIM_PROT_READ);
}
