/* Finding a rewritten object's PortApp note and slot table: in an object a
 * loader has mapped (read in place), or in a file ld.so maps (read through
 * the platform's fstat and pread, and cached). shim/slot_probe.h.
 *
 * Self-contained on purpose (string functions only): the host-side harness
 * of posix-shim/tests links it without the rest of core. */
#include "shim/shim.h"
#include "shim/slot_probe.h"

#define PAGE_4K 4096ul
/* Notes longer than this are not port-app's (its PT_NOTE holds one 40-byte
 * note): a file's PT_NOTE is read into a buffer of this size on the stack. */
#define NOTE_MAX 256u
/* Objects with more program headers are not ours to fill (and are read one
 * header at a time, so this only bounds the work). */
#define PHNUM_MAX 128u

int portapp_note_find(const void *notes, uint64_t len, struct portapp_note_desc *out)
{
    const unsigned char *base = notes;
    for (uint64_t o = 0; o + sizeof(Elf64_Nhdr) <= len;) {
        Elf64_Nhdr nh;
        memcpy(&nh, base + o, sizeof nh);
        uint64_t name = o + sizeof nh, desc = name + ((nh.n_namesz + 3ull) & ~3ull);
        uint64_t next = desc + ((nh.n_descsz + 3ull) & ~3ull);
        if (next > len)
            return 0;
        if (nh.n_type == PORTAPP_NOTE_TYPE && nh.n_namesz == PORTAPP_NOTE_NAMESZ &&
            memcmp(base + name, PORTAPP_NOTE_OWNER, PORTAPP_NOTE_NAMESZ) == 0) {
            if (nh.n_descsz < sizeof *out)
                return -1;
            memcpy(out, base + desc, sizeof *out);
            return 1;
        }
        o = next;
    }
    return 0;
}

/* Whether [vaddr, vaddr + len) lies inside one PT_LOAD's memory image. */
static int in_load(const Elf64_Phdr *ph, unsigned phnum, uint64_t vaddr, uint64_t len)
{
    for (unsigned i = 0; i < phnum; i++)
        if (ph[i].p_type == PT_LOAD && vaddr >= ph[i].p_vaddr && vaddr + len <= ph[i].p_vaddr + ph[i].p_memsz)
            return 1;
    return 0;
}

int portapp_loaded_note(const Elf64_Phdr *ph, unsigned phnum, uint64_t bias, struct portapp_note_desc *out)
{
    for (unsigned i = 0; i < phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type != PT_NOTE || p->p_filesz < sizeof(Elf64_Nhdr) ||
            !in_load(ph, phnum, p->p_vaddr, p->p_filesz))
            continue;
        int r = portapp_note_find((const void *)(uintptr_t)(p->p_vaddr + bias), p->p_filesz, out);
        if (r)
            return r;
    }
    return 0;
}

void portapp_probe_slots(long fd, const struct portapp_file_io *io, struct portapp_slot_file *out)
{
    out->nslots = 0;
    Elf64_Ehdr eh;
    if (!io->pread_exact(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > PHNUM_MAX)
        return;
    struct portapp_note_desc note = { 0 };
    for (unsigned i = 0; i < eh.e_phnum && !note.nslots; i++) {
        Elf64_Phdr ph;
        if (!io->pread_exact(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph))
            return;
        if (ph.p_type != PT_NOTE || ph.p_filesz < sizeof(Elf64_Nhdr) || ph.p_filesz > NOTE_MAX)
            continue;
        unsigned char buf[NOTE_MAX];
        if (!io->pread_exact(fd, buf, ph.p_filesz, ph.p_offset))
            continue;
        if (portapp_note_find(buf, ph.p_filesz, &note) != 1)
            note.nslots = 0;
    }
    if (!note.nslots)
        return;
    uint64_t len = (uint64_t)note.nslots * PORTAPP_SLOT_BYTES;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (!io->pread_exact(fd, &ph, sizeof ph, eh.e_phoff + i * sizeof ph))
            return;
        /* nr[] is read from the mapping: the table must be file-backed. */
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_W) && note.slots_vaddr >= ph.p_vaddr &&
            note.slots_vaddr + len <= ph.p_vaddr + ph.p_filesz) {
            out->seg_off = ph.p_offset & ~(PAGE_4K - 1);
            out->table_off = ph.p_offset + (note.slots_vaddr - ph.p_vaddr);
            out->nslots = note.nslots;
            return;
        }
    }
}

/* ---- the probe cache ------------------------------------------------------
 * 256 entries: a large app (Python with its extension modules) maps well
 * over 64 objects, and each entry is ~70 bytes of bss. Replaced round robin:
 * a miss only costs a few preads. */
#define CACHE 256

struct probe {
    uint64_t dev, ino, size, mtime, mtime_ns;
    struct portapp_slot_file file;
    int used;
};
static struct probe cache[CACHE];
static unsigned cache_next;
static volatile int cache_lock;

/* The lock is held for one scan of the cache (about a microsecond). 1000
 * tries outlast a holder running on another CPU; a holder that cannot run
 * (preempted on this CPU, the code a signal handler interrupted, the other
 * threads of a forked child) costs a waiter microseconds, and then it goes
 * without the cache: never a deadlock. */
static int cache_try_lock(void)
{
    for (int i = 0; i < 1000; i++) {
        if (!__atomic_test_and_set(&cache_lock, __ATOMIC_ACQUIRE))
            return 1;
        __builtin_ia32_pause();
    }
    return 0;
}

static void cache_unlock(void)
{
    __atomic_clear(&cache_lock, __ATOMIC_RELEASE);
}

int portapp_probe_slots_cached(long fd, const struct portapp_file_io *io, struct portapp_slot_file *out)
{
    struct k_stat st;
    if (io->fstat(fd, &st) != 0 || (st.st_mode & 0170000) != 0100000)   /* not a regular file */
        return 0;
    struct probe p = { .dev = st.st_dev, .ino = st.st_ino, .size = (uint64_t)st.st_size,
                       .mtime = (uint64_t)st.st_mtim.tv_sec, .mtime_ns = (uint64_t)st.st_mtim.tv_nsec,
                       .used = 1 };
    if (cache_try_lock()) {
        for (unsigned i = 0; i < CACHE; i++) {
            const struct probe *c = &cache[i];
            if (c->used && c->dev == p.dev && c->ino == p.ino && c->size == p.size && c->mtime == p.mtime &&
                c->mtime_ns == p.mtime_ns) {
                *out = c->file;
                cache_unlock();
                return 1;
            }
        }
        cache_unlock();
    }
    portapp_probe_slots(fd, io, &p.file);
    if (cache_try_lock()) {
        cache[cache_next++ % CACHE] = p;
        cache_unlock();
    }
    *out = p.file;
    return 1;
}
