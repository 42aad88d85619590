/* ELF computations both loaders (linuxu's, the unikernel's) need alike;
 * shim/elf.h. */
#include "shim/shim.h"
#include "shim/elf.h"

#define PAGE_4K 4096ull

const char *elf_ident_problem(const Elf64_Ehdr *eh)
{
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return "not an ELF file";
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64)
        return "not an x86_64 little-endian ELF64 file";
    return NULL;
}

int elf_load_span(const Elf64_Phdr *ph, unsigned phnum, uint64_t *lo, uint64_t *hi, uint64_t *align)
{
    *lo = ~0ull;
    *hi = 0;
    *align = PAGE_4K;
    for (unsigned i = 0; i < phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || !p->p_memsz)
            continue;
        if (p->p_filesz > p->p_memsz || (p->p_vaddr - p->p_offset) % PAGE_4K)
            return (int)i;
        uint64_t start = p->p_vaddr & ~(PAGE_4K - 1);
        uint64_t end = (p->p_vaddr + p->p_memsz + PAGE_4K - 1) & ~(PAGE_4K - 1);
        *lo = start < *lo ? start : *lo;
        *hi = end > *hi ? end : *hi;
        if (p->p_align > *align && !(p->p_align & (p->p_align - 1)) && p->p_align <= (1ull << 30))
            *align = p->p_align;
    }
    return -1;
}

uint64_t elf_loaded_phdr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uint64_t bias)
{
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_PHDR)
            return ph[i].p_vaddr + bias;
    uint64_t size = sizeof(Elf64_Phdr) * (uint64_t)eh->e_phnum;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type == PT_LOAD && eh->e_phoff >= p->p_offset &&
            eh->e_phoff + size <= p->p_offset + p->p_filesz)
            return p->p_vaddr + (eh->e_phoff - p->p_offset) + bias;
    }
    return 0;
}
