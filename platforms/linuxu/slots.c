/* Slot tables of the objects ld.so maps (shared libraries, dlopen'ed
 * modules): the loader fills the executable's and ld.so's own, but every
 * other rewritten object is mapped later by ld.so through mmap. When such a
 * mapping is the one of the segment holding a PortApp slot table, the table
 * is filled right after the mapping succeeds (target[i] = shim entry for
 * nr[i]) and its pages are made read-only, as the loader does for its own.
 *
 * "The one of the segment": a MAP_PRIVATE, PROT_WRITE file mapping whose
 * file offset is that segment's page-aligned p_offset (ld.so maps each
 * PT_LOAD from ALIGN_DOWN(p_offset)) and that covers the whole table. The
 * first, whole-span mapping ld.so makes starts at offset 0 with the first
 * segment's protection, so it never matches.
 *
 * What a file holds is read once with pread on the fd (ELF header, program
 * headers, the small PT_NOTEs) and cached by (st_dev, st_ino, size, mtime).
 */
#include "linuxu.h"
#include "shim/slot_probe.h"

#define NR_fstat 5
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_TYPE 0x0f
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20

struct probe {
    unsigned long dev, ino, size, mtime, mtime_ns;
    struct portapp_slot_file file;   /* where the table lies; nslots 0: none */
    int used;
};
#define CACHE 256
static struct probe cache[CACHE];
static unsigned cache_next;
static volatile int cache_lock;

struct kstat {
    unsigned long dev, ino, nlink;
    unsigned mode, uid, gid, pad;
    unsigned long rdev;
    long size, blksize, blocks;
    unsigned long atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    long unused[3];
};

static int pread_exact(long fd, void *buf, uint64_t n, uint64_t off)
{
    return host_syscall4(NR_pread64, fd, buf, n, off) == (long)n;
}

/* The cache lock is only ever tried a bounded number of times: a signal
 * handler that maps a file while its thread holds it, or a child forked
 * while another thread held it, just works without the cache. */
static int cache_try_lock(void)
{
    for (int i = 0; i < 10000; i++) {
        if (!__atomic_test_and_set(&cache_lock, __ATOMIC_ACQUIRE))
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

/* The cached probe of the file open on fd (a copy); 0 if fstat fails. */
static int probe_of(long fd, struct probe *out)
{
    struct kstat st;
    if (host_syscall2(NR_fstat, fd, &st) != 0)
        return 0;
    if ((st.mode & 0170000) != 0100000)   /* not a regular file */
        return 0;
    int locked = cache_try_lock();
    for (unsigned i = 0; locked && i < CACHE; i++) {
        struct probe *c = &cache[i];
        if (c->used && c->dev == st.dev && c->ino == st.ino && c->size == (unsigned long)st.size &&
            c->mtime == st.mtime && c->mtime_ns == st.mtime_ns) {
            *out = *c;
            __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
            return 1;
        }
    }
    if (locked)
        __atomic_clear(&cache_lock, __ATOMIC_RELEASE);

    struct probe p = { .dev = st.dev, .ino = st.ino, .size = (unsigned long)st.size, .mtime = st.mtime,
                       .mtime_ns = st.mtime_ns, .used = 1 };
    portapp_probe_slots(fd, pread_exact, &p.file);
    if (cache_try_lock()) {
        cache[cache_next++ % CACHE] = p;
        __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
    }
    *out = p;
    return 1;
}

void linuxu_slots_after_mmap(unsigned long addr, unsigned long len, long prot, long flags, long fd,
                             unsigned long off)
{
    if (fd < 0 || (flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) != MAP_PRIVATE || !(prot & PROT_WRITE))
        return;
    struct probe p;
    if (!probe_of(fd, &p) || !p.file.nslots || off != p.file.seg_off)
        return;
    unsigned long tlen = (unsigned long)p.file.nslots * 12;
    if (p.file.table_off + tlen > off + len)
        return;
    uint64_t *target = (uint64_t *)(addr + (p.file.table_off - off));
    const int32_t *nr = (const int32_t *)(target + p.file.nslots);
    for (unsigned k = 0; k < p.file.nslots; k++)
        target[k] = (uint64_t)shim_entry_for(nr[k]);
    /* Read-only from now on, like the loader's own tables (RELRO does not
     * cover this segment). Only whole pages of this very mapping. */
    unsigned long ps = PAGE_DOWN((unsigned long)target), pe = PAGE_UP((unsigned long)target + tlen);
    if (ps >= addr && pe <= PAGE_UP(addr + len))
        host_syscall3(NR_mprotect, ps, pe - ps, prot & ~PROT_WRITE);
    if (linuxu.trace)
        shim_printk("port-app: linuxu: %u slots filled at %#lx (mapping of fd %ld)\n", p.file.nslots,
                    (unsigned long)target, fd);
}
