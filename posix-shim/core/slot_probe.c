/* The PortApp slot table's place in a rewritten ELF file: the note (owner
 * "PortApp", type 0x50410001) gives the table's virtual address and size, and
 * the table must lie in the file image of a writable PT_LOAD (nr[] is read
 * from the file). Both platforms fill the slots of objects ld.so maps with it. */
#include "shim/shim.h"
#include "shim/slot_probe.h"

#define PORTAPP_NOTE_TYPE 0x50410001u
#define PT_LOAD 1
#define PT_NOTE 4
#define PF_W 2
#define PAGE_SIZE_4K 4096ul

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

void portapp_probe_slots(long fd, shim_pread_exact_fn pread_exact, struct portapp_slot_file *out)
{
    out->nslots = 0;
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
        if (ph.type != PT_NOTE || ph.filesz < 12 || ph.filesz > 256)
            continue;
        unsigned char note[256];
        if (!pread_exact(fd, note, ph.filesz, ph.offset))
            continue;
        for (uint64_t o = 0; o + 12 <= ph.filesz;) {
            uint32_t namesz, descsz, type;
            memcpy(&namesz, note + o, 4);
            memcpy(&descsz, note + o + 4, 4);
            memcpy(&type, note + o + 8, 4);
            uint64_t name = o + 12, desc = name + ((namesz + 3UL) & ~3UL);
            uint64_t next = desc + ((descsz + 3UL) & ~3UL);
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
    uint64_t len = (uint64_t)nslots * 12;
    for (unsigned i = 0; i < eh.phnum; i++) {
        struct phdr ph;
        if (!pread_exact(fd, &ph, sizeof ph, eh.phoff + i * sizeof ph))
            return;
        if (ph.type == PT_LOAD && (ph.flags & PF_W) && slots_vaddr >= ph.vaddr &&
            slots_vaddr + len <= ph.vaddr + ph.filesz) {
            out->seg_off = ph.offset & ~(PAGE_SIZE_4K - 1);
            out->table_off = ph.offset + (slots_vaddr - ph.vaddr);
            out->nslots = nslots;
            return;
        }
    }
}
