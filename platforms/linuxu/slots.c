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

#define NR_fstat 5
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_TYPE 0x0f
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define PORTAPP_NOTE_TYPE 0x50410001u

struct probe {
    unsigned long dev, ino, size, mtime, mtime_ns;
    unsigned long seg_off;     /* page-aligned p_offset of the slot segment */
    unsigned long table_off;   /* file offset of target[0] */
    unsigned nslots;           /* 0: not a rewritten ELF */
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

struct ehdr {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static int pread_exact(long fd, void *buf, unsigned long n, unsigned long off)
{
    return host_syscall4(NR_pread64, fd, buf, n, off) == (long)n;
}

/* The PortApp note's slot table, from the file: fills p->seg_off,
 * table_off, nslots (left 0 when there is none). */
static void probe_file(long fd, struct probe *p)
{
    struct ehdr eh;
    if (!pread_exact(fd, &eh, sizeof eh, 0) || memcmp(eh.ident, "\177ELF", 4) != 0 || eh.ident[4] != 2 ||
        eh.machine != 62 || eh.phentsize != sizeof(struct phdr) || eh.phnum == 0 || eh.phnum > 128)
        return;
    uint64_t slots_vaddr = 0;
    uint32_t nslots = 0;
    for (unsigned i = 0; i < eh.phnum && !nslots; i++) {
        struct phdr ph;
        if (!pread_exact(fd, &ph, sizeof ph, eh.phoff + i * sizeof ph))
            return;
        if (ph.type != 4 /* PT_NOTE */ || ph.filesz < 12 || ph.filesz > 256)
            continue;
        unsigned char note[256];
        if (!pread_exact(fd, note, ph.filesz, ph.offset))
            continue;
        for (unsigned long o = 0; o + 12 <= ph.filesz;) {
            uint32_t namesz, descsz, type;
            memcpy(&namesz, note + o, 4);
            memcpy(&descsz, note + o + 4, 4);
            memcpy(&type, note + o + 8, 4);
            unsigned long name = o + 12, desc = name + ((namesz + 3UL) & ~3UL);
            unsigned long next = desc + ((descsz + 3UL) & ~3UL);
            if (next > ph.filesz)
                break;
            if (type == PORTAPP_NOTE_TYPE && namesz == 8 && memcmp(note + name, "PortApp", 8) == 0 &&
                descsz >= 24) {
                memcpy(&slots_vaddr, note + desc, 8);
                memcpy(&nslots, note + desc + 8, 4);
                break;
            }
            o = next;
        }
    }
    if (!nslots)
        return;
    unsigned long len = (unsigned long)nslots * 12;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct phdr ph;
        if (!pread_exact(fd, &ph, sizeof ph, eh.phoff + i * sizeof ph))
            return;
        /* The table must come from the file: nr[] is read from it. */
        if (ph.type == 1 /* PT_LOAD */ && (ph.flags & 2 /* PF_W */) && slots_vaddr >= ph.vaddr &&
            slots_vaddr + len <= ph.vaddr + ph.filesz) {
            p->seg_off = PAGE_DOWN(ph.offset);
            p->table_off = ph.offset + (slots_vaddr - ph.vaddr);
            p->nslots = nslots;
            return;
        }
    }
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
    probe_file(fd, &p);
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
    if (!probe_of(fd, &p) || !p.nslots || off != p.seg_off)
        return;
    unsigned long tlen = (unsigned long)p.nslots * 12;
    if (p.table_off + tlen > off + len)
        return;
    uint64_t *target = (uint64_t *)(addr + (p.table_off - off));
    const int32_t *nr = (const int32_t *)(target + p.nslots);
    for (unsigned k = 0; k < p.nslots; k++)
        target[k] = (uint64_t)shim_entry_for(nr[k]);
    /* Read-only from now on, like the loader's own tables (RELRO does not
     * cover this segment). Only whole pages of this very mapping. */
    unsigned long ps = PAGE_DOWN((unsigned long)target), pe = PAGE_UP((unsigned long)target + tlen);
    if (ps >= addr && pe <= PAGE_UP(addr + len))
        host_syscall3(NR_mprotect, ps, pe - ps, prot & ~PROT_WRITE);
    if (linuxu.trace)
        shim_printk("port-app: linuxu: %u slots filled at %#lx (mapping of fd %ld)\n", p.nslots,
                    (unsigned long)target, fd);
}
