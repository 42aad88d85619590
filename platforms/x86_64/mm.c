/*
 * Physical frames and page tables.
 *
 * Frames: one bit per 4 KiB frame up to the highest RAM address in the PVH
 * memory map (a set bit = in use), the bitmap itself carved out of RAM.
 * First-fit from low addresses, so the page tables built before the switch
 * come from the first 4 GiB that the early boot tables direct-map.
 *
 * Address space (layout.h): the lower half belongs to the application and
 * starts empty (so the NULL page is unmapped); the kernel image is mapped at
 * -2 GiB with 4 KiB pages, text RX, rodata R+NX, data/bss RW+NX, guard pages
 * under every stack left out; all RAM is direct-mapped RW+NX at DMAP_BASE
 * (2 MiB pages where aligned); devices get uncached pages at MMIO_BASE.
 *
 * Not reentrant: callers run with interrupts off or from one thread.
 */
#include "arch.h"

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_U    (1ull << 2)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_G    (1ull << 8)
#define PTE_NX   (1ull << 63)
/* Software bit (ignored by the MMU): a PROT_NONE page.  Not present, so every
 * access faults, but the entry keeps its frame so a later vm_protect can make
 * it accessible again with its contents (mprotect semantics). */
#define PTE_KEEP (1ull << 9)
/* Software bits for address spaces (vm_space_cow): SHARED = the frame is
 * someone else's (VM_SHARED); COW = the frame is shared copy-on-write and
 * the entry lost its write bit; WANTW = the protection asks for write
 * (restored when the copy is made); FOREIGN = with SHARED, the frame is
 * owned elsewhere (a ramfs page): mappings never count or free it. */
#define PTE_SHARED (1ull << 10)
#define PTE_COW    (1ull << 11)
#define PTE_WANTW  (1ull << 52)
#define PTE_FOREIGN (1ull << 53)
#define PTE_ADDR 0x000ffffffffff000ull

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __data_end[];
extern char __ksyms_start[], __ksyms_end[];
extern char boot_stack_guard[];

static uint8_t *frame_bitmap;
static uint64_t nframes, free_frames, total_frames, next_hint;
static uint64_t *pml4;                 /* direct-map address of the live PML4 */
static uint64_t mmio_next = MMIO_BASE;

uint64_t virt_to_phys_kernel(const void *v)
{
    uint64_t a = (uint64_t)v;
    if (a >= KERNEL_VMA)
        return a - KERNEL_VMA;
    if (a >= DMAP_BASE && a < MMIO_BASE)
        return a - DMAP_BASE;
    panic("virt_to_phys_kernel(%p): not a kernel or direct-map address", v);
}

/* ---- frame allocator ---- */

static void bit_set(uint64_t f) { frame_bitmap[f / 8] |= (uint8_t)(1u << (f % 8)); }
static void bit_clear(uint64_t f) { frame_bitmap[f / 8] &= (uint8_t)~(1u << (f % 8)); }
static bool bit_test(uint64_t f) { return frame_bitmap[f / 8] & (1u << (f % 8)); }

static void reserve_range(uint64_t base, uint64_t size)
{
    uint64_t first = base / PAGE_SIZE, end = (base + size + PAGE_SIZE - 1) / PAGE_SIZE;
    for (uint64_t f = first; f < end && f < nframes; f++)
        if (!bit_test(f)) {
            bit_set(f);
            free_frames--;
        }
}

uint64_t frame_alloc(void)
{
    for (uint64_t i = 0; i < nframes; i++) {
        uint64_t f = (next_hint + i) % nframes;
        if (frame_bitmap[f / 8] == 0xff) {   /* skip full bytes quickly */
            i += 7 - (f % 8);
            continue;
        }
        if (!bit_test(f)) {
            bit_set(f);
            free_frames--;
            next_hint = f + 1;
            memset(phys_to_virt(f * PAGE_SIZE), 0, PAGE_SIZE);
            return f * PAGE_SIZE;
        }
    }
    return 0;
}

uint64_t frames_alloc_contig(size_t n)
{
    if (n == 1)
        return frame_alloc();
    for (uint64_t f = 0; n && f + n <= nframes; f++) {
        uint64_t run = 0;
        while (run < n && !bit_test(f + run))
            run++;
        if (run < n) {
            f += run;             /* the frame at f + run is taken */
            continue;
        }
        for (uint64_t i = 0; i < n; i++)
            bit_set(f + i);
        free_frames -= n;
        memset(phys_to_virt(f * PAGE_SIZE), 0, n * PAGE_SIZE);
        return f * PAGE_SIZE;
    }
    return 0;
}

void frame_free(uint64_t phys)
{
    uint64_t f = phys / PAGE_SIZE;
    if (f >= nframes || !bit_test(f))
        panic("frame_free(%#lx): not an allocated frame", phys);
    bit_clear(f);
    free_frames++;
    if (f < next_hint)
        next_hint = f;
}

/* Extra references of frames shared copy-on-write (0: one owner), made at
 * the first vm_space_cow: an app that never forks never has it. */
static uint16_t *frame_refs;

void frame_put(uint64_t phys)
{
    uint64_t f = phys / PAGE_SIZE;
    if (frame_refs && f < nframes && frame_refs[f]) {
        frame_refs[f]--;
        return;
    }
    frame_free(phys);
}

uint64_t frames_free_count(void) { return free_frames; }
uint64_t frames_total_count(void) { return total_frames; }

struct range { uint64_t base, end; };

static bool overlaps(uint64_t b, uint64_t e, const struct range *r, int n)
{
    for (int i = 0; i < n; i++)
        if (b < r[i].end && r[i].base < e)
            return true;
    return false;
}

static void frames_init(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (uint32_t i = 0; i < bi->nregions; i++)
        if (bi->regions[i].type == 1 && bi->regions[i].base + bi->regions[i].size > top)
            top = bi->regions[i].base + bi->regions[i].size;
    nframes = top / PAGE_SIZE;
    uint64_t bitmap_bytes = (nframes + 7) / 8;

    /* What must survive: low 1 MiB (BIOS data, start_info on pc), the kernel
     * image, the start_info page and the modules (initrd). */
    struct range keep[3 + BOOT_MAX_MODULES];
    int nkeep = 0;
    keep[nkeep++] = (struct range){ 0, 0x100000 };
    keep[nkeep++] = (struct range){ virt_to_phys_kernel(__kernel_start), virt_to_phys_kernel(__kernel_end) };
    keep[nkeep++] = (struct range){ bi->start_info_phys & ~0xfffull, (bi->start_info_phys & ~0xfffull) + PAGE_SIZE };
    for (uint32_t i = 0; i < bi->nmodules; i++)
        keep[nkeep++] = (struct range){ bi->modules[i].phys & ~0xfffull,
                                        (bi->modules[i].phys + bi->modules[i].size + 0xfff) & ~0xfffull };

    /* Place the bitmap in the first RAM below 4 GiB (early direct map) that avoids them. */
    uint64_t where = 0;
    for (uint32_t i = 0; i < bi->nregions && !where; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != 1)
            continue;
        uint64_t b = (r->base + 0xfff) & ~0xfffull, e = (r->base + r->size) & ~0xfffull;
        for (uint64_t p = b; p + bitmap_bytes <= e && p + bitmap_bytes <= (4ull << 30); p += PAGE_SIZE)
            if (!overlaps(p, p + bitmap_bytes, keep, nkeep)) {
                where = p;
                break;
            }
    }
    if (!where)
        panic("no room for the frame bitmap (%lu bytes)", bitmap_bytes);
    frame_bitmap = phys_to_virt(where);
    memset(frame_bitmap, 0xff, bitmap_bytes);
    free_frames = 0;
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type != 1)
            continue;
        uint64_t b = (r->base + 0xfff) / PAGE_SIZE, e = (r->base + r->size) / PAGE_SIZE;
        for (uint64_t f = b; f < e && f < nframes; f++) {
            bit_clear(f);
            free_frames++;
        }
    }
    for (int i = 0; i < nkeep; i++)
        reserve_range(keep[i].base, keep[i].end - keep[i].base);
    reserve_range(where, bitmap_bytes);
    total_frames = free_frames;
    next_hint = 0;
}

/* ---- page tables ---- */

static uint64_t prot_to_pte(unsigned prot)
{
    uint64_t shared = (prot & VM_SHARED) ? PTE_SHARED | ((prot & VM_FOREIGN) ? PTE_FOREIGN : 0) : 0;
    if (!(prot & (VM_READ | VM_WRITE | VM_EXEC)))
        return PTE_KEEP | shared;
    uint64_t pte = PTE_P | shared;
    if (prot & VM_WRITE)
        pte |= PTE_W;
    if (!(prot & VM_EXEC))
        pte |= PTE_NX;
    if (prot & VM_UNCACHED)
        pte |= PTE_PCD | PTE_PWT;
    return pte;
}

static unsigned pte_to_prot(uint64_t pte)
{
    unsigned prot = VM_READ;
    if (pte & (PTE_W | PTE_WANTW)) prot |= VM_WRITE;
    if (!(pte & PTE_NX)) prot |= VM_EXEC;
    if (pte & PTE_PCD) prot |= VM_UNCACHED;
    return prot;
}

/* The leaf (level 1) entry for va in table root, creating intermediate
 * tables when create is set; NULL if absent or covered by a large page. */
static uint64_t *walk(uint64_t *root, uint64_t va, bool create, bool *large)
{
    uint64_t *t = root;
    if (large)
        *large = false;
    for (int level = 4; level > 1; level--) {
        unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
        uint64_t e = t[idx];
        if (!(e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t f = frame_alloc();
            if (!f)
                return NULL;
            /* Intermediate entries are permissive; the leaf decides. */
            t[idx] = f | PTE_P | PTE_W;
            e = t[idx];
        } else if (e & PTE_PS) {
            if (large)
                *large = true;
            return &t[idx];
        }
        t = phys_to_virt(e & PTE_ADDR);
    }
    return &t[(va >> 12) & 511];
}

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }

static bool canonical(uint64_t va)
{
    return va < USER_TOP || va >= 0xffff800000000000ull;
}

int vm_map(uint64_t va, uint64_t pa, unsigned prot)
{
    if ((va | pa) & 0xfff || !canonical(va))
        return -1;
    bool large;
    uint64_t *pte = walk(pml4, va, true, &large);
    if (!pte || large || (*pte & (PTE_P | PTE_KEEP)))
        return -1;
    *pte = (pa & PTE_ADDR) | prot_to_pte(prot);
    return 0;
}

uint64_t vm_unmap(uint64_t va)
{
    bool large;
    uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
    if (!pte || large || !(*pte & (PTE_P | PTE_KEEP)))
        return 0;
    uint64_t pa = *pte & PTE_ADDR;
    *pte = 0;
    invlpg(va);
    return pa;
}

int vm_protect(uint64_t va, unsigned prot)
{
    bool large;
    uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
    if (!pte || large || !(*pte & (PTE_P | PTE_KEEP)))
        return -1;
    uint64_t e = (*pte & (PTE_ADDR | PTE_SHARED | PTE_FOREIGN | PTE_COW)) | prot_to_pte(prot & ~(VM_SHARED | VM_FOREIGN));
    if (e & PTE_COW) {
        /* Still shared: write access waits for the copy (vm_cow_fault). */
        e = (e & PTE_W) ? ((e & ~PTE_W) | PTE_WANTW) : (e & ~PTE_WANTW);
    }
    *pte = e;
    invlpg(va);
    return 0;
}

bool vm_page_exists(uint64_t va)
{
    if (!canonical(va))
        return false;
    bool large;
    uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
    return pte && (large || (*pte & (PTE_P | PTE_KEEP)));
}

bool vm_query(uint64_t va, uint64_t *pa, unsigned *prot)
{
    if (!canonical(va))
        return false;
    uint64_t *root = pml4 ? pml4 : phys_to_virt(read_cr3() & PTE_ADDR);
    bool large;
    uint64_t *pte = walk(root, va, false, &large);
    if (!pte || !(*pte & PTE_P))
        return false;
    if (pa) {
        /* A large entry found at level 3 maps 1 GiB, at level 2 2 MiB; we
         * only create 2 MiB ones, the early tables too. */
        uint64_t mask = large ? 0x1fffff : 0xfff;
        *pa = (*pte & PTE_ADDR & ~mask) | (va & mask);
    }
    if (prot)
        *prot = pte_to_prot(*pte);
    return true;
}

int vm_alloc_range(uint64_t va, size_t n, unsigned prot)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t f = frame_alloc();
        if (!f || vm_map(va + i * PAGE_SIZE, f, prot) < 0) {
            if (f)
                frame_free(f);
            vm_free_range(va, i);
            return -1;
        }
    }
    return 0;
}

void vm_free_range(uint64_t va, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = vm_unmap(va + i * PAGE_SIZE);
        if (pa)
            frame_free(pa);
    }
}

void *mmio_map(uint64_t phys, size_t size)
{
    uint64_t off = phys & 0xfff, base = mmio_next;
    size_t n = (off + size + 0xfff) / PAGE_SIZE;
    for (size_t i = 0; i < n; i++)
        if (vm_map(base + i * PAGE_SIZE, (phys & ~0xfffull) + i * PAGE_SIZE,
                   VM_READ | VM_WRITE | VM_UNCACHED) < 0)
            out_of_memory("page tables for the device at %#lx", phys);
    mmio_next += (n + 1) * PAGE_SIZE;   /* one unmapped page between windows */
    return (void *)(base + off);
}

static void map_kernel_range(char *start, char *end, unsigned prot)
{
    for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE)
        if (vm_map(va, virt_to_phys_kernel((void *)va), prot) < 0)
            panic("cannot map kernel page %#lx", va);
}

const char *mm_guard_page_owner(uint64_t va)
{
    static const char *const ist_names[IST_COUNT] = {
        "exception IST stack", "NMI IST stack", "double-fault IST stack",
        "machine-check IST stack", "interrupt IST stack",
    };
    va &= ~0xfffull;
    if (va == (uint64_t)boot_stack_guard)
        return "boot stack";
    for (int i = 0; i < IST_COUNT; i++)
        if (va == (uint64_t)ist_stacks[i].guard)
            return ist_names[i];
    if (sched_is_kstack_guard(va))
        return "kernel stack of a thread";
    return NULL;
}

static bool is_guard_page(uint64_t va)
{
    return mm_guard_page_owner(va) != NULL;
}

static void map_direct(uint64_t base, uint64_t end)
{
    base &= ~0xfffull;
    end = (end + 0xfff) & ~0xfffull;
    for (uint64_t p = base; p < end;) {
        uint64_t va = DMAP_BASE + p;
        if ((p & 0x1fffff) == 0 && p + 0x200000 <= end) {
            /* 2 MiB leaf at level 2: walk to the PD ourselves. */
            uint64_t *t = pml4;
            for (int level = 4; level > 2; level--) {
                unsigned idx = (va >> (12 + 9 * (level - 1))) & 511;
                if (!(t[idx] & PTE_P)) {
                    uint64_t f = frame_alloc();
                    if (!f)
                        out_of_memory("the direct map of RAM");
                    t[idx] = f | PTE_P | PTE_W;
                }
                t = phys_to_virt(t[idx] & PTE_ADDR);
            }
            uint64_t *pde = &t[(va >> 21) & 511];
            if (!(*pde & PTE_P))
                *pde = p | PTE_P | PTE_W | PTE_PS | PTE_NX | PTE_G;
            p += 0x200000;
        } else {
            bool large;
            uint64_t *pte = walk(pml4, va, false, &large);
            /* Already mapped is fine; a page table that cannot be had is not:
             * the page would stay out of the direct map and fault later. */
            if (!(pte && large) && vm_map(va, p, VM_READ | VM_WRITE) < 0) {
                pte = walk(pml4, va, false, &large);
                if (!pte || !(large || (*pte & PTE_P)))
                    out_of_memory("the direct map of RAM");
            }
            p += PAGE_SIZE;
        }
    }
}

void mm_init(const struct boot_info *bi)
{
    frames_init(bi);
    uint64_t root = frame_alloc();
    if (!root)
        out_of_memory("the kernel's page tables");
    pml4 = phys_to_virt(root);

    /* Kernel image, section by section; guard pages stay unmapped. */
    for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__text_end; va += PAGE_SIZE)
        map_kernel_range((char *)va, (char *)va + PAGE_SIZE, VM_READ | VM_EXEC);
    map_kernel_range(__rodata_start, __rodata_end, VM_READ);
    for (uint64_t va = (uint64_t)__data_start; va < (uint64_t)__data_end; va += PAGE_SIZE)
        if (!is_guard_page(va))
            map_kernel_range((char *)va, (char *)va + PAGE_SIZE, VM_READ | VM_WRITE);
    map_kernel_range(__ksyms_start, __ksyms_end, VM_READ);

    /* Direct map: the first 1 MiB (BIOS tables, the RSDP) and every RAM/ACPI region. */
    map_direct(0, 0x100000);
    for (uint32_t i = 0; i < bi->nregions; i++) {
        const struct mem_region *r = &bi->regions[i];
        if (r->type == 1 || r->type == 3 || r->type == 4)
            map_direct(r->base, r->base + r->size);
    }

    write_cr3(root);   /* drops the identity map: the lower half is now empty */
    /* CR4.PGE: kernel mappings are the same in every address space we will ever have. */
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" :: "r"(cr4 | (1ull << 7)));
}

/* ---- address spaces -------------------------------------------------------- */

struct vm_space {
    uint64_t root;      /* physical address of the PML4; 0 = free slot */
    int refs;
    unsigned id;        /* 0 for the boot space; tags its futex keys */
};

/* The boot space, and a table for the others made at the first fork (an
 * app that never forks does not pay for it). */
#define MAX_SPACES 4096
static struct vm_space boot_space;
static struct vm_space *spaces;      /* MAX_SPACES; slot 0 unused */
static struct vm_space *active;
static bool kernel_half_fixed;

struct vm_space *vm_space_boot(void)
{
    if (!boot_space.root) {
        boot_space.root = virt_to_phys_kernel(pml4);
        boot_space.refs = 1;
        active = &boot_space;
    }
    return &boot_space;
}

struct vm_space *vm_space_active(void)
{
    vm_space_boot();
    return active;
}

uint64_t vm_space_activate(struct vm_space *s)
{
    vm_space_boot();
    active = s;
    pml4 = phys_to_virt(s->root);
    return s->root;
}

/* Every space points at the same kernel-half tables, so the kernel half's
 * top-level entries must all exist before the first copy: a table added
 * later under an empty entry would be seen by one space only. */
static bool fix_kernel_half(void)
{
    if (kernel_half_fixed)
        return true;
    uint64_t *boot = phys_to_virt(vm_space_boot()->root);
    for (int i = 256; i < 512; i++)
        if (!(boot[i] & PTE_P)) {
            uint64_t f = frame_alloc();
            if (!f)
                return false;
            boot[i] = f | PTE_P | PTE_W;
        }
    size_t bytes = nframes * sizeof(uint16_t);
    uint64_t refs = frames_alloc_contig((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!refs)
        return false;
    size_t table = MAX_SPACES * sizeof(struct vm_space);
    uint64_t t = frames_alloc_contig((table + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!t) {
        for (size_t i = 0; i < (bytes + PAGE_SIZE - 1) / PAGE_SIZE; i++)
            frame_free(refs + i * PAGE_SIZE);
        return false;
    }
    frame_refs = phys_to_virt(refs);
    spaces = phys_to_virt(t);
    kernel_half_fixed = true;
    return true;
}

static struct vm_space *space_alloc(void)
{
    if (!fix_kernel_half())
        return NULL;
    for (int i = 1; i < MAX_SPACES; i++)
        if (!spaces[i].root) {
            uint64_t root = frame_alloc();
            if (!root)
                return NULL;
            uint64_t *dst = phys_to_virt(root);
            const uint64_t *boot = phys_to_virt(boot_space.root);
            for (int k = 256; k < 512; k++)
                dst[k] = boot[k];
            spaces[i].root = root;
            spaces[i].refs = 1;
            spaces[i].id = (unsigned)i;
            return &spaces[i];
        }
    return NULL;
}

struct vm_space *vm_space_new(void)
{
    return space_alloc();
}

void vm_space_get(struct vm_space *s) { s->refs++; }

/* Frees the tables below a lower-half entry e at level (3 = a PDPT), and
 * the frames its leaves own. */
static void free_tables(uint64_t e, int level)
{
    uint64_t *t = phys_to_virt(e & PTE_ADDR);
    for (int i = 0; i < 512; i++) {
        uint64_t x = t[i];
        if (level > 1) {
            if (x & PTE_P)
                free_tables(x, level - 1);
        } else if ((x & (PTE_P | PTE_KEEP)) && !(x & PTE_FOREIGN)) {
            frame_put(x & PTE_ADDR);
        }
    }
    frame_free(e & PTE_ADDR);
}

void vm_space_put(struct vm_space *s)
{
    if (--s->refs > 0)
        return;
    if (s == active)
        panic("vm_space_put: the active address space");
    uint64_t *root = phys_to_virt(s->root);
    for (int i = 0; i < 256; i++)
        if (root[i] & PTE_P) {
            free_tables(root[i], 3);
            root[i] = 0;
        }
    /* The boot space's root holds the kernel half every new space copies
     * (space_alloc): it stays, empty below, and its slot is never reused. */
    if (s != &boot_space) {
        frame_free(s->root);
        s->root = 0;
    }
}

/* Copies the lower-half tables under src entry *se into a new table for
 * dst entry *de, turning private leaves copy-on-write in both. */
static bool cow_copy(uint64_t *se, uint64_t *de, int level)
{
    uint64_t f = frame_alloc();
    if (!f)
        return false;
    *de = f | (*se & ~PTE_ADDR);
    uint64_t *s = phys_to_virt(*se & PTE_ADDR), *d = phys_to_virt(f);
    for (int i = 0; i < 512; i++) {
        if (level > 1) {
            if ((s[i] & PTE_P) && !cow_copy(&s[i], &d[i], level - 1))
                return false;
            continue;
        }
        uint64_t x = s[i];
        if (!(x & (PTE_P | PTE_KEEP)))
            continue;
        if (!(x & PTE_FOREIGN)) {
            uint64_t fr = (x & PTE_ADDR) / PAGE_SIZE;
            if (frame_refs[fr] == UINT16_MAX)
                return false;   /* 65536 sharers: treat as out of memory */
            frame_refs[fr]++;
        }
        if (!(x & PTE_SHARED)) {
            if (x & PTE_W)
                x = (x & ~PTE_W) | PTE_WANTW;
            x |= PTE_COW;
            s[i] = x;
        }
        d[i] = x;
    }
    return true;
}

struct vm_space *vm_space_cow(struct vm_space *src)
{
    if (src != active)
        panic("vm_space_cow: the source must be the active space");
    struct vm_space *dst = space_alloc();
    if (!dst)
        return NULL;
    uint64_t *sr = phys_to_virt(src->root), *dr = phys_to_virt(dst->root);
    bool ok = true;
    for (int i = 0; i < 256 && ok; i++)
        if (sr[i] & PTE_P)
            ok = cow_copy(&sr[i], &dr[i], 3);
    write_cr3(src->root);   /* the source lost write access: flush its TLB */
    if (!ok) {
        vm_space_put(dst);   /* frees what was copied (its references too) */
        return NULL;
    }
    return dst;
}

int vm_cow_fault(uint64_t va)
{
    bool large;
    uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
    if (!pte || large || (*pte & (PTE_P | PTE_COW | PTE_WANTW)) != (PTE_P | PTE_COW | PTE_WANTW))
        return 0;
    uint64_t x = *pte, pa = x & PTE_ADDR, f = pa / PAGE_SIZE;
    uint64_t flags = (x & ~PTE_ADDR & ~(PTE_COW | PTE_WANTW)) | PTE_W;
    if (frame_refs[f] == 0) {
        *pte = pa | flags;          /* the others are gone: it is ours alone */
    } else {
        uint64_t copy = frame_alloc();
        if (!copy)
            return -1;
        memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
        frame_refs[f]--;
        *pte = copy | flags;
    }
    invlpg(va);
    return 1;
}

static uint64_t private_bytes(uint64_t e, int level)
{
    uint64_t n = PAGE_SIZE;   /* the table itself */
    const uint64_t *t = phys_to_virt(e & PTE_ADDR);
    for (int i = 0; i < 512; i++) {
        uint64_t x = t[i];
        if (level > 1) {
            if (x & PTE_P)
                n += private_bytes(x, level - 1);
        } else if ((x & (PTE_P | PTE_KEEP)) && !(x & PTE_FOREIGN) &&
                   (!frame_refs || frame_refs[(x & PTE_ADDR) / PAGE_SIZE] == 0)) {
            n += PAGE_SIZE;
        }
    }
    return n;
}

uint64_t vm_space_private_bytes(const struct vm_space *s)
{
    const uint64_t *root = phys_to_virt(s->root);
    uint64_t n = PAGE_SIZE;
    for (int i = 0; i < 256; i++)
        if (root[i] & PTE_P)
            n += private_bytes(root[i], 3);
    return n;
}

uint64_t vm_futex_key(uint64_t va)
{
    if (va < USER_TOP && active && active != &boot_space) {
        bool large;
        uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
        if (pte && !large && (*pte & PTE_P) && (*pte & PTE_SHARED))
            return DMAP_BASE + (*pte & PTE_ADDR) + (va & 0xfff);
        return va | ((uint64_t)active->id << 47);
    }
    if (va < USER_TOP && frame_refs) {
        /* The boot space: plain addresses for private words (as before
         * any fork), the physical word for shared pages. */
        bool large;
        uint64_t *pte = walk(pml4, va & ~0xfffull, false, &large);
        if (pte && !large && (*pte & PTE_P) && (*pte & PTE_SHARED))
            return DMAP_BASE + (*pte & PTE_ADDR) + (va & 0xfff);
    }
    return va;
}
