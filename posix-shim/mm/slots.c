/* posix-shim/mm: slot tables of the objects ld.so maps on the unikernel.
 *
 * The kernel's loader fills the executable's and ld.so's own tables; every
 * other rewritten object (DT_NEEDED libraries, dlopen'ed modules) is mapped
 * later by ld.so through mmap. When such a mapping is the one of the segment
 * holding a PortApp slot table, the table is filled right after the mapping
 * (target[i] = shim entry for nr[i], nr[] read from the mapping itself) and
 * its pages are made read-only: exactly what platforms/linuxu/slots.c does
 * (docs/architecture.md, "Who fills the slots").
 *
 * "The one of the segment": a MAP_PRIVATE, PROT_WRITE file mapping whose file
 * offset is that segment's page-aligned p_offset and that covers the whole
 * table. ld.so's first, whole-span mapping starts at offset 0 with the first
 * segment's protection, so it never matches.
 *
 * What a file holds is read once through the vfs's pread64 (ELF header,
 * program headers, small PT_NOTEs) and cached by (st_dev, st_ino, size,
 * mtime). */
#include "shim/shim.h"
#include "shim/mm.h"
#include "shim/kabi.h"
#include "mm_impl.h"
#include "shim/slot_probe.h"

long sys_pread64(SHIM_SYSCALL_ARGS) __attribute__((weak));
long sys_fstat(SHIM_SYSCALL_ARGS) __attribute__((weak));


struct probe {
    uint64_t dev, ino, size, mtime, mtime_ns;
    struct portapp_slot_file file;   /* where the table lies; nslots 0: none */
    int used;
};

#define CACHE 64
static struct probe cache[CACHE];
static unsigned cache_next;
static volatile int cache_lock;

static int pread_exact(long fd, void *buf, uint64_t n, uint64_t off)
{
    return sys_pread64(fd, (long)buf, (long)n, (long)off, 0, 0) == (long)n;
}


/* Bounded spinning: a thread preempted while holding the lock only costs
 * the others the cache, never a deadlock. */
static int cache_try_lock(void)
{
    for (int i = 0; i < 1000; i++) {
        if (!__atomic_test_and_set(&cache_lock, __ATOMIC_ACQUIRE))
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

static int probe_of(long fd, struct probe *out)
{
    struct k_stat st;
    if (!sys_fstat || !sys_pread64 || sys_fstat(fd, (long)&st, 0, 0, 0, 0) != 0)
        return 0;
    if ((st.st_mode & 0170000) != 0100000)
        return 0;
    int locked = cache_try_lock();
    for (unsigned i = 0; locked && i < CACHE; i++) {
        struct probe *c = &cache[i];
        if (c->used && c->dev == st.st_dev && c->ino == st.st_ino && c->size == (uint64_t)st.st_size &&
            c->mtime == (uint64_t)st.st_mtim.tv_sec && c->mtime_ns == (uint64_t)st.st_mtim.tv_nsec) {
            *out = *c;
            __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
            return 1;
        }
    }
    if (locked)
        __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
    struct probe p = { .dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size,
                       .mtime = (uint64_t)st.st_mtim.tv_sec, .mtime_ns = (uint64_t)st.st_mtim.tv_nsec,
                       .used = 1 };
    portapp_probe_slots(fd, pread_exact, &p.file);
    if (cache_try_lock()) {
        cache[cache_next++ % CACHE] = p;
        __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
    }
    *out = p;
    return 1;
}

void mm_fill_mapped_slots(uintptr_t addr, size_t len, long fd, uint64_t off)
{
    struct probe p;
    if (!probe_of(fd, &p) || !p.file.nslots || off != p.file.seg_off)
        return;
    uint64_t table_len = (uint64_t)p.file.nslots * 12;
    if (p.file.table_off < off || p.file.table_off + table_len > off + len)
        return;
    uint64_t *target = (uint64_t *)(addr + (p.file.table_off - off));
    const int32_t *nr = (const int32_t *)(target + p.file.nslots);
    /* Tracing needs every call to pass shim_dispatch: the direct entries
     * call their handler without it. */
    for (uint32_t k = 0; k < p.file.nslots; k++)
        target[k] = shim_trace_enabled() ? (uint64_t)shim_entry_generic : (uint64_t)shim_entry_for(nr[k]);
    mm_protect_range(SHIM_PAGE_DOWN((uintptr_t)target), SHIM_PAGE_UP((uintptr_t)target + table_len),
                     SHIM_PROT_READ);
}
