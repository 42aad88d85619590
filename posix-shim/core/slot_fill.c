/* Filling PortApp slot tables with the shim's entries (shim/slot_probe.h),
 * for the objects a platform's loader maps and for those ld.so maps through
 * mmap. Protecting the pages afterwards is the caller's (mprotect on linuxu,
 * page tables in the kernel): here only which pages. */
#include "shim/shim.h"
#include "shim/slot_probe.h"

#define PAGE_4K 4096ul
#define PAGE_DOWN(x) ((uintptr_t)(x) & ~(PAGE_4K - 1))
#define PAGE_UP(x) (((uintptr_t)(x) + PAGE_4K - 1) & ~(PAGE_4K - 1))

/* The stores are volatile: only the app's trampolines, which the compiler
 * never sees, read the table. With plain stores GCC 12's LTO dropped the
 * whole loop from the kernel: ivopts addressed target[k] off nr's pointer
 * through a null base, and the store then counted as writing nothing. */
void portapp_fill_slots(uint64_t *target, uint32_t nslots, int through_dispatch)
{
    volatile uint64_t *slot = target;
    const int32_t *nr = (const int32_t *)(target + nslots);
    for (uint32_t k = 0; k < nslots; k++)
        slot[k] = through_dispatch ? (uint64_t)shim_entry_generic : (uint64_t)shim_entry_for(nr[k]);
}

enum portapp_loaded_status portapp_fill_loaded_slots(const Elf64_Phdr *ph, unsigned phnum, uint64_t bias,
                                                     int through_dispatch, struct portapp_note_desc *note,
                                                     struct portapp_ro_range *ro)
{
    ro->start = ro->end = 0;
    int found = portapp_loaded_note(ph, phnum, bias, note);
    if (found < 0)
        return PORTAPP_NOTE_TOO_SHORT;
    if (!found)
        memset(note, 0, sizeof *note);
    if (!note->nslots)
        return PORTAPP_NOT_REWRITTEN;
    uint64_t va = note->slots_vaddr, len = (uint64_t)note->nslots * PORTAPP_SLOT_BYTES;
    int writable = 0;
    for (unsigned i = 0; i < phnum && !writable; i++)
        writable = ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_W) && va >= ph[i].p_vaddr &&
                   va + len <= ph[i].p_vaddr + ph[i].p_memsz;
    if (!writable)
        return PORTAPP_TABLE_NOT_WRITABLE;
    uint64_t *target = (uint64_t *)(uintptr_t)(va + bias);
    portapp_fill_slots(target, note->nslots, through_dispatch);

    /* Read-only afterwards, unless another segment shares the pages. */
    uintptr_t ps = PAGE_DOWN(target), pe = PAGE_UP((uintptr_t)target + len);
    for (unsigned j = 0; j < phnum; j++) {
        const Elf64_Phdr *q = &ph[j];
        int own = va >= q->p_vaddr && va < q->p_vaddr + q->p_memsz;
        if (q->p_type == PT_LOAD && q->p_memsz && !own && PAGE_DOWN(q->p_vaddr + bias) < pe &&
            PAGE_UP(q->p_vaddr + bias + q->p_memsz) > ps)
            return PORTAPP_FILLED;
    }
    ro->start = ps;
    ro->end = pe;
    return PORTAPP_FILLED;
}

uint32_t portapp_fill_mapped_slots(uintptr_t addr, uint64_t len, long fd, uint64_t off,
                                   const struct portapp_file_io *io, int through_dispatch,
                                   uint64_t **table, struct portapp_ro_range *ro)
{
    ro->start = ro->end = 0;
    struct portapp_slot_file f;
    if (!portapp_probe_slots_cached(fd, io, &f) || !f.nslots || off != f.seg_off)
        return 0;
    uint64_t tlen = (uint64_t)f.nslots * PORTAPP_SLOT_BYTES;
    if (f.table_off < off || f.table_off + tlen > off + len)
        return 0;
    uint64_t *target = (uint64_t *)(addr + (f.table_off - off));
    portapp_fill_slots(target, f.nslots, through_dispatch);
    *table = target;
    /* Only whole pages of this very mapping (they are: it covers the
     * table), never a neighbour's. */
    uintptr_t ps = PAGE_DOWN(target), pe = PAGE_UP((uintptr_t)target + tlen);
    if (ps >= addr && pe <= PAGE_UP(addr + len)) {
        ro->start = ps;
        ro->end = pe;
    }
    return f.nslots;
}
