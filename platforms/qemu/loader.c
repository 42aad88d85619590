/* The app loader of the unikernel: the command line, the initrd (cpio
 * newc), the ELF (static non-PIE ET_EXEC and static-pie ET_DYN, rewritten by
 * port-app or not), its PortApp slot table, its symbols for fault reports,
 * and the initial stack with the auxiliary vector Linux would build.
 * platforms/linuxu/loader.c does the same for a Linux process. */
#include "qemu.h"
#include "shim/shim.h"
#include "shim/mm.h"

int mm_vma_add(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags, const char *name)
    __attribute__((weak));
void mm_brk_init(uintptr_t start) __attribute__((weak));

#define PAGE_DOWN(x) ((uint64_t)(x) & ~(uint64_t)(PAGE_SIZE - 1))
#define PAGE_UP(x) (((uint64_t)(x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

/* ---- command line ----------------------------------------------------------
 * Words separated by spaces; the app's strings are percent-encoded (every
 * byte outside [A-Za-z0-9._/,:@+=-] as %XX), so they may hold anything:
 *   portapp.exe=PATH  portapp.arg=ARGV0 portapp.arg=ARG1 ...  portapp.env=K=V ...
 *   portapp.trace=1   portapp.time=NS_SINCE_EPOCH   portapp.console=plain
 * Other words are the kernel's (selftest=...) and ignored here. */

static char strbuf[16384];
static size_t strused;

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static const char *decode(const char *s, size_t n)
{
    char *out = strbuf + strused;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        }
        if (strused + k + 1 >= sizeof strbuf)
            panic("command line too long for the loader's %lu-byte buffer", sizeof strbuf);
        out[k++] = c;
    }
    out[k++] = 0;
    strused += k;
    return out;
}

static bool word_is(const char *w, size_t wlen, const char *key, const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    if (wlen <= klen || strncmp(w, key, klen) != 0 || w[klen] != '=')
        return false;
    *val = w + klen + 1;
    *vlen = wlen - klen - 1;
    return true;
}

void app_cmdline_parse(const char *s, struct app_cmdline *cl)
{
    memset(cl, 0, sizeof *cl);
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        size_t wlen = (size_t)(s - w);
        const char *v;
        size_t vlen;
        if (word_is(w, wlen, "portapp.exe", &v, &vlen)) {
            cl->exe = decode(v, vlen);
        } else if (word_is(w, wlen, "portapp.arg", &v, &vlen)) {
            if (cl->argc == APP_MAX_ARGS)
                panic("more than %d arguments", APP_MAX_ARGS);
            cl->argv[cl->argc++] = decode(v, vlen);
        } else if (word_is(w, wlen, "portapp.env", &v, &vlen)) {
            if (cl->envc == APP_MAX_ARGS)
                panic("more than %d environment entries", APP_MAX_ARGS);
            cl->envp[cl->envc++] = decode(v, vlen);
        } else if (word_is(w, wlen, "portapp.trace", &v, &vlen)) {
            cl->trace = v[0] == '1';
        } else if (word_is(w, wlen, "portapp.console", &v, &vlen)) {
            console_set_plain(vlen == 5 && strncmp(v, "plain", 5) == 0);
        } else if (word_is(w, wlen, "portapp.time", &v, &vlen)) {
            uint64_t t = 0;
            for (size_t i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
                t = t * 10 + (uint64_t)(v[i] - '0');
            boot_epoch_ns = t;
        }
    }
    if (cl->exe && cl->argc == 0)
        cl->argv[cl->argc++] = cl->exe;
}

/* ---- cpio newc ---------------------------------------------------------------- */

static uint64_t hex8(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        int d = hexval(p[i]);
        if (d < 0)
            return ~0ull;
        v = v << 4 | (uint64_t)d;
    }
    return v;
}

static const char *strip_root(const char *p)
{
    for (;;) {
        if (p[0] == '/')
            p++;
        else if (p[0] == '.' && p[1] == '/')
            p += 2;
        else
            return p;
    }
}

bool cpio_find(const void *cpio, size_t len, const char *path, const void **data, size_t *size)
{
    const char *base = cpio, *want = strip_root(path);
    size_t off = 0;
    while (off + 110 <= len) {
        const char *h = base + off;
        if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0)
            return false;
        uint64_t fsize = hex8(h + 54), nsize = hex8(h + 94);
        if (fsize == ~0ull || nsize == ~0ull || off + 110 + nsize > len)
            return false;
        const char *name = h + 110;
        uint64_t doff = (off + 110 + nsize + 3) & ~3ull;
        if (doff + fsize > len)
            return false;
        if (nsize == 11 && memcmp(name, "TRAILER!!!", 10) == 0)
            return false;
        if (strcmp(strip_root(name), want) == 0) {
            *data = base + doff;
            *size = fsize;
            return true;
        }
        off = (doff + fsize + 3) & ~3ull;
    }
    return false;
}

/* ---- ELF ------------------------------------------------------------------------ */

typedef struct {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} Ehdr;
typedef struct {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} Phdr;
typedef struct {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
} Shdr;
typedef struct {
    uint32_t name;
    unsigned char info, other;
    uint16_t shndx;
    uint64_t value, size;
} Sym;
enum { PT_LOAD = 1, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6, ET_EXEC = 2, ET_DYN = 3 };
enum { PF_X = 1, PF_W = 2, PF_R = 4 };
enum { SHT_SYMTAB = 2, SHT_DYNSYM = 11, STT_FUNC = 2 };
#define PORTAPP_NOTE_TYPE 0x50410001u

static const char *app_path;

static NORETURN void bad(const char *why)
{
    panic("app %s: %s", app_path, why);
}

/* The app's symbols, read in place from the initrd (which stays mapped). */
static const Sym *app_syms;
static uint64_t app_nsyms, app_sym_bias;
static const char *app_strtab;
static uint64_t app_strtab_size;

static bool app_symbolize(uint64_t addr, const char **name, uint64_t *offset)
{
    const Sym *best = NULL;
    uint64_t a = addr - app_sym_bias;
    for (uint64_t i = 0; i < app_nsyms; i++) {
        const Sym *s = &app_syms[i];
        if ((s->info & 0xf) != STT_FUNC || !s->value || s->value > a || s->name >= app_strtab_size)
            continue;
        if (s->size && a >= s->value + s->size)
            continue;
        if (!best || s->value > best->value)
            best = s;
    }
    if (!best)
        return false;
    *name = app_strtab + best->name;
    *offset = a - best->value;
    return true;
}

static void find_symbols(const unsigned char *elf, size_t size, const Ehdr *eh, uint64_t bias)
{
    if (!eh->shoff || eh->shentsize != sizeof(Shdr) || eh->shoff + (uint64_t)eh->shnum * sizeof(Shdr) > size)
        return;
    const Shdr *sh = (const Shdr *)(elf + eh->shoff);
    for (int want = SHT_SYMTAB; want; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0) {
        for (int i = 0; i < eh->shnum; i++) {
            if (sh[i].type != (uint32_t)want || sh[i].link >= eh->shnum || sh[i].entsize != sizeof(Sym))
                continue;
            const Shdr *str = &sh[sh[i].link];
            if (sh[i].offset + sh[i].size > size || str->offset + str->size > size)
                continue;
            app_syms = (const Sym *)(elf + sh[i].offset);
            app_nsyms = sh[i].size / sizeof(Sym);
            app_strtab = (const char *)(elf + str->offset);
            app_strtab_size = str->size;
            app_sym_bias = bias;
            app_sym_lookup = app_symbolize;
            return;
        }
    }
}

static unsigned vm_prot_of(uint32_t f)
{
    return (f & PF_R ? VM_READ : 0) | (f & PF_W ? VM_WRITE : 0) | (f & PF_X ? VM_EXEC : 0);
}

/* Copy the file bytes of segment p that fall into the page at va (already
 * mapped) through the direct map, so read-only pages need no unprotecting. */
static void fill_page(uint64_t va, const unsigned char *elf, const Phdr *p, uint64_t bias)
{
    uint64_t pa;
    if (!vm_query(va, &pa, NULL))
        bad("page vanished while loading");
    uint64_t seg = p->vaddr + bias;
    uint64_t from = va > seg ? va : seg;
    uint64_t to = va + PAGE_SIZE < seg + p->filesz ? va + PAGE_SIZE : seg + p->filesz;
    if (from < to)
        memcpy((char *)phys_to_virt(pa) + (from - va), elf + p->offset + (from - seg), to - from);
}

static void map_segment(const unsigned char *elf, const Phdr *p, uint64_t bias)
{
    unsigned prot = vm_prot_of(p->flags);
    if ((prot & VM_WRITE) && (prot & VM_EXEC)) {
        kprintf("[kernel] %s: segment at %#lx is writable and executable; mapping it without execute (W^X)\n",
                app_path, p->vaddr);
        prot &= ~VM_EXEC;
    }
    uint64_t start = PAGE_DOWN(p->vaddr + bias), end = PAGE_UP(p->vaddr + bias + p->memsz);
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        unsigned old;
        if (vm_query(va, NULL, &old)) {
            /* A page shared with the previous segment (unaligned layout): it
             * gets both protections, minus execute if that would break W^X. */
            unsigned both = (old | prot) & (VM_READ | VM_WRITE | VM_EXEC);
            if ((both & VM_WRITE) && (both & VM_EXEC))
                both &= ~VM_EXEC;
            vm_protect(va, both);
        } else {
            uint64_t f = frame_alloc();
            if (!f || vm_map(va, f, prot) < 0)
                panic("out of memory loading %s (%lu frames free)", app_path, frames_free_count());
        }
        fill_page(va, elf, p, bias);
    }
    if (mm_vma_add) {
        unsigned sprot = (prot & VM_READ ? SHIM_PROT_READ : 0) | (prot & VM_WRITE ? SHIM_PROT_WRITE : 0) |
                         (prot & VM_EXEC ? SHIM_PROT_EXEC : 0);
        const char *slash = strrchr(app_path, '/');
        mm_vma_add(start, end, sprot, MM_VMA_IMAGE, slash ? slash + 1 : app_path);
    }
}

/* The slot table holds the targets of the trampolines' indirect calls:
 * read-only once filled (as on linuxu), unless another segment shares its
 * pages (the rewriter gives it a segment of its own). */
static void protect_slots(const Ehdr *eh, const Phdr *ph, const struct app_image *im, uint64_t vaddr,
                          uint64_t len)
{
    uint64_t ps = PAGE_DOWN(vaddr + im->bias), pe = PAGE_UP(vaddr + im->bias + len);
    for (int j = 0; j < eh->phnum; j++) {
        const Phdr *q = &ph[j];
        bool own = vaddr >= q->vaddr && vaddr < q->vaddr + q->memsz;
        if (q->type == PT_LOAD && q->memsz && !own && PAGE_DOWN(q->vaddr + im->bias) < pe &&
            PAGE_UP(q->vaddr + im->bias + q->memsz) > ps)
            return;
    }
    for (uint64_t va = ps; va < pe; va += PAGE_SIZE)
        vm_protect(va, VM_READ);
    if (mm_vma_add)
        mm_vma_add(ps, pe, SHIM_PROT_READ, MM_VMA_IMAGE, "[portapp slots]");
}

static void fill_slots(const Ehdr *eh, const Phdr *ph, struct app_image *im)
{
    for (int i = 0; i < eh->phnum; i++) {
        const Phdr *p = &ph[i];
        if (p->type != PT_NOTE || p->filesz < 12)
            continue;
        /* Read through the loaded image: the rewriter's note lies in its
         * segment X, which is mapped. */
        const unsigned char *n = (const unsigned char *)(p->vaddr + im->bias);
        const unsigned char *end = n + p->filesz;
        if (!vm_query((uint64_t)n, NULL, NULL) || !vm_query((uint64_t)end - 1, NULL, NULL))
            continue;
        while (n + 12 <= end) {
            uint32_t namesz, descsz, type;
            memcpy(&namesz, n, 4);
            memcpy(&descsz, n + 4, 4);
            memcpy(&type, n + 8, 4);
            const unsigned char *name = n + 12;
            const unsigned char *desc = name + ((namesz + 3) & ~3u);
            const unsigned char *next = desc + ((descsz + 3) & ~3u);
            if (next > end)
                break;
            if (type == PORTAPP_NOTE_TYPE && namesz == 8 && memcmp(name, "PortApp", 8) == 0) {
                if (descsz < 24)
                    bad("PortApp note too short");
                uint64_t slots_vaddr;
                uint32_t nslots;
                memcpy(&slots_vaddr, desc, 8);
                memcpy(&nslots, desc + 8, 4);
                memcpy(&im->sites_rewritten, desc + 12, 4);
                memcpy(&im->sites_left, desc + 16, 4);
                uint64_t *target = (uint64_t *)(slots_vaddr + im->bias);
                unsigned vprot;
                if (nslots && (!vm_query((uint64_t)target, NULL, &vprot) || !(vprot & VM_WRITE) ||
                               !vm_query((uint64_t)target + (uint64_t)nslots * 12 - 1, NULL, NULL)))
                    bad("PortApp slot table is not in a writable loaded segment");
                const int32_t *nr = (const int32_t *)(target + nslots);
                /* Tracing needs every call to pass shim_dispatch: the direct
                 * entries call their handler without it. */
                for (uint32_t k = 0; k < nslots; k++)
                    target[k] = shim_trace_enabled() ? (uint64_t)shim_entry_generic
                                                     : (uint64_t)shim_entry_for(nr[k]);
                im->slots = nslots;
                protect_slots(eh, ph, im, slots_vaddr, (uint64_t)nslots * 12);
                return;
            }
            n = next;
        }
    }
}

/* Maps one object at its link address (ET_EXEC) or at base (ET_DYN) and fills
 * its slot table. Returns its PT_INTERP string (in the file), if any. */
static const char *load_object(const unsigned char *elf, size_t size, struct app_image *im, uint64_t dyn_base,
                               bool interp)
{
    if (size < sizeof(Ehdr) || memcmp(elf, "\177ELF", 4) != 0)
        bad("not an ELF file");
    const Ehdr *eh = (const Ehdr *)elf;
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != 62)
        bad("not an x86_64 little-endian ELF64 file");
    if (eh->type != ET_EXEC && eh->type != ET_DYN)
        bad(interp ? "not a shared object" : "not an executable");
    if (eh->phentsize != sizeof(Phdr) || !eh->phnum || eh->phoff + (uint64_t)eh->phnum * sizeof(Phdr) > size)
        bad("malformed program header table");
    const Phdr *ph = (const Phdr *)(elf + eh->phoff);

    const char *interp_path = NULL;
    uint64_t lo = ~0ull, hi = 0, align = PAGE_SIZE;
    for (int i = 0; i < eh->phnum; i++) {
        const Phdr *p = &ph[i];
        if (p->type == PT_INTERP) {
            if (interp)
                bad("the interpreter has an interpreter itself");
            if (!p->filesz || p->offset + p->filesz > size || elf[p->offset + p->filesz - 1] != 0)
                bad("malformed PT_INTERP");
            interp_path = (const char *)elf + p->offset;
        }
        if (p->type != PT_LOAD || !p->memsz)
            continue;
        if (p->filesz > p->memsz || p->offset + p->filesz > size || (p->vaddr - p->offset) % PAGE_SIZE)
            bad("malformed PT_LOAD segment");
        lo = PAGE_DOWN(p->vaddr) < lo ? PAGE_DOWN(p->vaddr) : lo;
        hi = PAGE_UP(p->vaddr + p->memsz) > hi ? PAGE_UP(p->vaddr + p->memsz) : hi;
        if (p->align > align && !(p->align & (p->align - 1)) && p->align <= (1ull << 30))
            align = p->align;
    }
    if (!hi)
        bad("no loadable segment");
    uint64_t bias = 0;
    if (eh->type == ET_DYN)
        bias = ((dyn_base + align - 1) & ~(align - 1)) - lo;
    if (lo + bias < 0x10000 || hi + bias > APP_STACK_TOP - APP_STACK_SIZE - (1ull << 30))
        bad("segments outside the app's address range");

    for (int i = 0; i < eh->phnum; i++)
        if (ph[i].type == PT_LOAD && ph[i].memsz)
            map_segment(elf, &ph[i], bias);

    struct app_image obj = { .bias = bias };
    fill_slots(eh, ph, &obj);
    if (interp) {
        im->interp_bias = bias;
        im->start = eh->entry + bias;
        im->slots += obj.slots;
        im->sites_rewritten += obj.sites_rewritten;
        im->sites_left += obj.sites_left;
        return NULL;
    }
    im->bias = bias;
    im->entry = im->start = eh->entry + bias;
    im->phnum = eh->phnum;
    for (int i = 0; i < eh->phnum; i++)
        if (ph[i].type == PT_PHDR)
            im->phdr = ph[i].vaddr + bias;
    for (int i = 0; !im->phdr && i < eh->phnum; i++)
        if (ph[i].type == PT_LOAD && eh->phoff >= ph[i].offset &&
            eh->phoff + sizeof(Phdr) * eh->phnum <= ph[i].offset + ph[i].filesz)
            im->phdr = ph[i].vaddr + (eh->phoff - ph[i].offset) + bias;
    im->brk = hi + bias;
    if (mm_brk_init)
        mm_brk_init(im->brk);
    im->slots = obj.slots;
    im->sites_rewritten = obj.sites_rewritten;
    im->sites_left = obj.sites_left;
    find_symbols(elf, size, eh, bias);
    return interp_path;
}

void app_load(const void *initrd, size_t initrd_len, const char *path, struct app_image *im)
{
    const void *file;
    size_t size;
    memset(im, 0, sizeof *im);
    app_path = path;
    if (!cpio_find(initrd, initrd_len, path, &file, &size))
        panic("app %s not found in the initrd (%lu bytes)", path, initrd_len);
    const char *interp = load_object(file, size, im, APP_DYN_BASE, false);
    if (!interp)
        return;
    /* A dynamically linked app: the kernel maps its interpreter (ld.so, from
     * the initrd at its PT_INTERP path, rewritten like the app) and enters
     * it; ld.so maps the libraries itself through mmap, whose slot tables
     * the mm module fills. */
    im->interp = interp;
    app_path = interp;
    if (!cpio_find(initrd, initrd_len, interp, &file, &size))
        panic("app %s: its interpreter %s is not in the initrd", path, interp);
    load_object(file, size, im, APP_INTERP_BASE, true);
    app_path = path;
}

/* ---- initial stack -------------------------------------------------------------- */

enum {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51,
};

/* 64 random bits: RDRAND when the CPU has it, else TSC jitter mixed
 * through a 64-bit finalizer (AT_RANDOM seeds stack canaries and pointer
 * guards: unpredictable is what matters, not cryptographic strength). */
static uint64_t random64(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (r[2] & (1u << 30)) {
        for (int i = 0; i < 10; i++) {
            uint64_t v;
            unsigned char ok;
            __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
            if (ok)
                return v;
        }
    }
    uint64_t x = rdtsc() ^ (nanotime() << 17) ^ boot_epoch_ns;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

uint64_t app_stack(const struct app_image *im, const struct app_cmdline *cl)
{
    uint64_t bottom = APP_STACK_TOP - APP_STACK_SIZE;
    for (uint64_t va = APP_STACK_TOP - APP_STACK_EAGER; va < APP_STACK_TOP; va += PAGE_SIZE) {
        uint64_t f = frame_alloc();
        if (!f || vm_map(va, f, VM_READ | VM_WRITE) < 0)
            panic("out of memory for the app's stack");
    }
    if (mm_vma_add)
        mm_vma_add(bottom, APP_STACK_TOP, SHIM_PROT_READ | SHIM_PROT_WRITE, MM_VMA_STACK, "[stack]");

    char *s = (char *)APP_STACK_TOP;
    char *floor = (char *)(APP_STACK_TOP - APP_STACK_EAGER / 2);
    const char *argv[APP_MAX_ARGS], *envp[APP_MAX_ARGS];
    size_t n;
    n = strlen(cl->exe) + 1;
    s -= n;
    memcpy(s, cl->exe, n);
    char *execfn = s;
    for (int i = cl->envc - 1; i >= 0; i--) {
        n = strlen(cl->envp[i]) + 1;
        if (s - n < floor)
            panic("environment too large for the initial stack");
        s -= n;
        memcpy(s, cl->envp[i], n);
        envp[i] = s;
    }
    for (int i = cl->argc - 1; i >= 0; i--) {
        n = strlen(cl->argv[i]) + 1;
        if (s - n < floor)
            panic("arguments too large for the initial stack");
        s -= n;
        memcpy(s, cl->argv[i], n);
        argv[i] = s;
    }
    s -= 7;
    memcpy(s, "x86_64", 7);
    char *platform = s;
    s = (char *)((uint64_t)s & ~15ull) - 16;
    uint64_t rnd[2] = { random64(), random64() };
    memcpy(s, rnd, 16);
    char *random = s;

    uint32_t r[4];
    cpuid(1, 0, r);
    uint64_t aux[][2] = {
        { AT_PHDR, im->phdr }, { AT_PHENT, sizeof(Phdr) }, { AT_PHNUM, im->phnum },
        { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, im->interp_bias }, { AT_FLAGS, 0 }, { AT_ENTRY, im->entry },
        { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_SECURE, 0 },
        { AT_RANDOM, (uint64_t)random }, { AT_HWCAP, r[3] }, { AT_HWCAP2, 0 },
        { AT_PLATFORM, (uint64_t)platform }, { AT_EXECFN, (uint64_t)execfn }, { AT_CLKTCK, 100 },
        { AT_MINSIGSTKSZ, cpu_features.xsave_size + 1024 }, { AT_NULL, 0 },
    };
    uint64_t naux = ARRAY_LEN(aux);
    uint64_t words = 1 + (uint64_t)cl->argc + 1 + (uint64_t)cl->envc + 1 + 2 * naux;
    uint64_t sp = ((uint64_t)s - words * 8) & ~15ull;
    if (sp < (uint64_t)floor)
        panic("arguments and environment too large for the initial stack");
    uint64_t *w = (uint64_t *)sp;
    *w++ = (uint64_t)cl->argc;
    for (int i = 0; i < cl->argc; i++)
        *w++ = (uint64_t)argv[i];
    *w++ = 0;
    for (int i = 0; i < cl->envc; i++)
        *w++ = (uint64_t)envp[i];
    *w++ = 0;
    for (uint64_t i = 0; i < naux; i++) {
        *w++ = aux[i][0];
        *w++ = aux[i][1];
    }
    return sp;
}
