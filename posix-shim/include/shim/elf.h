/* The rewritten-ELF ABI in C (docs/architecture.md, "The rewritten ELF"):
 * the ELF64 types and constants every loader and the slot filling read, and
 * the layout of port-app's own note and slot table. The single C copy: the
 * linuxu loader, the unikernel's loader, the mm module and posix-shim/core
 * all include this; the Java side's counterpart is elf-rewriter's
 * PortAppNote. Names follow <elf.h> so the code reads like any ELF loader. */
#ifndef SHIM_ELF_H
#define SHIM_ELF_H

#include <stdint.h>

/* ---- ELF64 (x86_64, little endian) ---------------------------------------- */

typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

typedef struct {
    uint32_t sh_name, sh_type;
    uint64_t sh_flags, sh_addr, sh_offset, sh_size;
    uint32_t sh_link, sh_info;
    uint64_t sh_addralign, sh_entsize;
} Elf64_Shdr;

typedef struct {
    uint32_t st_name;
    unsigned char st_info, st_other;
    uint16_t st_shndx;
    uint64_t st_value, st_size;
} Elf64_Sym;

/* A note header; the name (namesz bytes) and then the descriptor (descsz
 * bytes) follow, each padded to 4 bytes. */
typedef struct {
    uint32_t n_namesz, n_descsz, n_type;
} Elf64_Nhdr;

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 header layout");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header layout");
_Static_assert(sizeof(Elf64_Shdr) == 64, "ELF64 section header layout");
_Static_assert(sizeof(Elf64_Sym) == 24, "ELF64 symbol layout");

#define ELFMAG "\177ELF"
#define SELFMAG 4
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_X86_64 62

#define ET_EXEC 2
#define ET_DYN 3

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6

#define PF_X 1u
#define PF_W 2u
#define PF_R 4u

#define SHT_SYMTAB 2
#define SHT_DYNSYM 11
#define STT_FUNC 2

/* Auxiliary vector types (the initial stack, core/initstack.c). */
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_MINSIGSTKSZ 51

/* ---- port-app's note and slot table ----------------------------------------
 * A PT_NOTE in segment X holds one note: owner "PortApp" (namesz 8, with its
 * NUL), type PORTAPP_NOTE_TYPE, descriptor struct portapp_note_desc. */
#define PORTAPP_NOTE_OWNER "PortApp"
#define PORTAPP_NOTE_NAMESZ 8u
#define PORTAPP_NOTE_TYPE 0x50410001u

struct portapp_note_desc {
    uint64_t slots_vaddr;        /* link-time address of target[0]; add the load bias */
    uint32_t nslots;
    uint32_t sites_rewritten;
    uint32_t sites_left;         /* left as `syscall` */
    uint32_t reserved;           /* 0 */
};
_Static_assert(sizeof(struct portapp_note_desc) == 24, "PortApp note descriptor layout");

/* The slot table: uint64_t target[nslots], then int32_t nr[nslots]. */
#define PORTAPP_SLOT_BYTES 12u

/* ---- what every loader computes the same way (core/elf.c) ------------------ */

#pragma GCC visibility push(hidden)

/* NULL, or why the header is not one of an x86_64 little-endian ELF64 file. */
const char *elf_ident_problem(const Elf64_Ehdr *eh);

/* The page-aligned span [*lo, *hi) of the PT_LOADs with a memory image
 * (link-time addresses; *hi is 0 when there is none) and the largest
 * alignment they ask for (a power of two up to 1 GiB; at least a page).
 * Returns the index of the first malformed one (file image larger than the
 * memory image, or address and offset not congruent modulo the page size),
 * -1 when all are well formed. */
int elf_load_span(const Elf64_Phdr *ph, unsigned phnum, uint64_t *lo, uint64_t *hi, uint64_t *align);

/* Where the program headers are once loaded at bias (AT_PHDR): PT_PHDR's
 * address (the rewriter moves the table into its segment X and updates
 * PT_PHDR), else where a PT_LOAD maps e_phoff; 0 when neither. */
uint64_t elf_loaded_phdr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uint64_t bias);

#pragma GCC visibility pop

#endif
