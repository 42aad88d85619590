/* The app loader of the unikernel: the command line, the initrd (cpio
 * newc), the ELF (static non-PIE ET_EXEC and static-pie ET_DYN, rewritten by
 * port-app or not), its PortApp slot table, its symbols for fault reports,
 * and the initial stack with the auxiliary vector Linux would build; the
 * same for execve (shim/exec.h), from the kernel's copy of the file.
 * platforms/linuxu/loader.c does the same for a Linux process; what both
 * compute alike (ELF checks, slot filling, the stack and auxv) is in
 * posix-shim/core (shim/elf.h, slot_probe.h, initstack.h). */
#include "qemu.h"
#include "shim/shim.h"
#include "shim/mm.h"
#include "shim/elf.h"
#include "shim/initstack.h"
#include "shim/slot_probe.h"
#include "shim/errno.h"
#include "shim/exec.h"
#include "shim/netdev.h"

/* An image without the mm module (its app makes no memory syscalls) has
 * nobody to tell what the loader mapped: the app lives in what the loader
 * mapped eagerly, and these stand in for mm's calls (shim/mm.h). */
#if SHIM_HAVE_mm
#define loader_vma_add mm_vma_add
#define loader_brk_init mm_brk_init
#else
static int loader_vma_add(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags,
                          const char *name)
{
    (void)start, (void)end, (void)prot, (void)flags, (void)name;
    return 0;
}

static void loader_brk_init(uintptr_t start)
{
    (void)start;
}
#endif

#define PAGE_DOWN(x) ((uint64_t)(x) & ~(uint64_t)(PAGE_SIZE - 1))
#define PAGE_UP(x) (((uint64_t)(x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

/* ---- command line ----------------------------------------------------------
 * Words separated by spaces; the app's strings are percent-encoded (every
 * byte outside [A-Za-z0-9._/,:@+=-] as %XX), so they may hold anything:
 *   portapp.exe=PATH  portapp.arg=ARGV0 portapp.arg=ARG1 ...  portapp.env=K=V ...
 *   portapp.cwd=DIR   portapp.trace=1   portapp.time=NS_SINCE_EPOCH   portapp.console=plain
 *   portapp.tty=FDS[:ROWSxCOLS]   (FDS: the digits of the host's fds among
 *                                  0, 1, 2 that are terminals, e.g. 012:50x132)
 *   portapp.aslr=0                 (load a static-pie app and ld.so at fixed bases)
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

static uint16_t parse_u16(const char **p, const char *end)
{
    uint32_t n = 0;
    while (*p < end && **p >= '0' && **p <= '9' && n <= 0xffff)
        n = n * 10 + (uint32_t)(*(*p)++ - '0');
    return n > 0xffff ? 0 : (uint16_t)n;
}

/* portapp.tty=FDS[:ROWSxCOLS]: which console streams are terminals. */
static void parse_tty(const char *v, size_t vlen)
{
    const char *p = v, *end = v + vlen;
    console_tty_mask = 0;
    for (; p < end && *p >= '0' && *p <= '2'; p++)
        console_tty_mask |= (uint8_t)(1u << (*p - '0'));
    if (p < end && *p == ':') {
        p++;
        uint16_t rows = parse_u16(&p, end);
        if (p < end && *p == 'x') {
            p++;
            console_tty_rows = rows;
            console_tty_cols = parse_u16(&p, end);
        }
    }
}

/* TAG:PATH[:ro] (decoded; split in place: the tag never holds ':'). */
static void parse_mount(char *v, struct app_cmdline *cl)
{
    if (cl->nmounts == APP_MAX_MOUNTS)
        panic("more than %d mounts", APP_MAX_MOUNTS);
    char *colon = strchr(v, ':');
    if (!colon || colon[1] != '/')
        panic("portapp.mount=%s: not TAG:/PATH[:ro]", v);
    *colon = 0;
    struct app_mount *m = &cl->mounts[cl->nmounts++];
    m->tag = v;
    m->path = colon + 1;
    size_t len = strlen(m->path);
    if (len > 3 && strcmp(m->path + len - 3, ":ro") == 0) {
        colon[1 + len - 3] = 0;
        m->readonly = true;
    }
}

/* portapp.ip=ADDR/PREFIX[,GATEWAY]: for the net module (shim/netdev.h). */
static const char *net_static_ip;

const char *platform_net_static_ip(void)
{
    return net_static_ip;
}

void app_cmdline_parse(const char *s, struct app_cmdline *cl)
{
    memset(cl, 0, sizeof *cl);
    cl->aslr = true;
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
        } else if (word_is(w, wlen, "portapp.cwd", &v, &vlen)) {
            cl->cwd = decode(v, vlen);
        } else if (word_is(w, wlen, "portapp.trace", &v, &vlen)) {
            cl->trace = v[0] == '1';
        } else if (word_is(w, wlen, "portapp.console", &v, &vlen)) {
            console_set_plain(vlen == 5 && strncmp(v, "plain", 5) == 0);
        } else if (word_is(w, wlen, "portapp.time", &v, &vlen)) {
            uint64_t t = 0;
            for (size_t i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
                t = t * 10 + (uint64_t)(v[i] - '0');
            boot_epoch_ns = t;
        } else if (word_is(w, wlen, "portapp.tty", &v, &vlen)) {
            parse_tty(v, vlen);
        } else if (word_is(w, wlen, "portapp.aslr", &v, &vlen)) {
            cl->aslr = !(vlen == 1 && v[0] == '0');
        } else if (word_is(w, wlen, "portapp.ip", &v, &vlen)) {
            net_static_ip = decode(v, vlen);
        } else if (word_is(w, wlen, "portapp.mount", &v, &vlen)) {
            parse_mount((char *)decode(v, vlen), cl);   /* decode's buffer is ours */
        }
    }
    if (cl->exe && cl->argc == 0)
        cl->argv[cl->argc++] = cl->exe;
}

static uint64_t random64(void);

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

/* ---- ELF ------------------------------------------------------------------------
 * One path for the app at boot (from the initrd, in place) and for execve
 * (from the kernel's copy of the file, shim/exec.h): a problem is a message
 * returned up to app_load, which panics with it (the app cannot start), or
 * to platform_exec_check/platform_exec_load, which turn it into an errno
 * for the process module. */

static const char *app_path;     /* the object being loaded (messages, area names) */
static bool loader_aslr = true;  /* portapp.aslr, kept for execve */

/* The problem string for running out of frames (-ENOMEM, not -ENOEXEC). */
static const char NO_MEMORY[] = "out of memory";

/* The app's symbols, read in place from the initrd (which stays mapped). */
static const Elf64_Sym *app_syms;
static uint64_t app_nsyms, app_sym_bias;
static const char *app_strtab;
static uint64_t app_strtab_size;

static bool app_symbolize(uint64_t addr, const char **name, uint64_t *offset)
{
    const Elf64_Sym *best = NULL;
    uint64_t a = addr - app_sym_bias;
    for (uint64_t i = 0; i < app_nsyms; i++) {
        const Elf64_Sym *s = &app_syms[i];
        if ((s->st_info & 0xf) != STT_FUNC || !s->st_value || s->st_value > a ||
            s->st_name >= app_strtab_size)
            continue;
        if (s->st_size && a >= s->st_value + s->st_size)
            continue;
        if (!best || s->st_value > best->st_value)
            best = s;
    }
    if (!best)
        return false;
    *name = app_strtab + best->st_name;
    *offset = a - best->st_value;
    return true;
}

static void find_symbols(const unsigned char *elf, size_t size, const Elf64_Ehdr *eh, uint64_t bias)
{
    if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        return;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(elf + eh->e_shoff);
    for (int want = SHT_SYMTAB; want; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0) {
        for (int i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type != (uint32_t)want || sh[i].sh_link >= eh->e_shnum ||
                sh[i].sh_entsize != sizeof(Elf64_Sym))
                continue;
            const Elf64_Shdr *str = &sh[sh[i].sh_link];
            if (sh[i].sh_offset + sh[i].sh_size > size || str->sh_offset + str->sh_size > size)
                continue;
            app_syms = (const Elf64_Sym *)(elf + sh[i].sh_offset);
            app_nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
            app_strtab = (const char *)(elf + str->sh_offset);
            app_strtab_size = str->sh_size;
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
static const char *fill_page(uint64_t va, const unsigned char *elf, const Elf64_Phdr *p, uint64_t bias)
{
    uint64_t pa;
    if (!vm_query(va, &pa, NULL))
        return "page vanished while loading";
    uint64_t seg = p->p_vaddr + bias;
    uint64_t from = va > seg ? va : seg;
    uint64_t to = va + PAGE_SIZE < seg + p->p_filesz ? va + PAGE_SIZE : seg + p->p_filesz;
    if (from < to)
        memcpy((char *)phys_to_virt(pa) + (from - va), elf + p->p_offset + (from - seg), to - from);
    return NULL;
}

static const char *map_segment(const unsigned char *elf, const Elf64_Phdr *p, uint64_t bias)
{
    unsigned prot = vm_prot_of(p->p_flags);
    if ((prot & VM_WRITE) && (prot & VM_EXEC)) {
        kprintf("[kernel] %s: segment at %#lx is writable and executable; mapping it without execute (W^X)\n",
                app_path, p->p_vaddr);
        prot &= ~VM_EXEC;
    }
    uint64_t start = PAGE_DOWN(p->p_vaddr + bias), end = PAGE_UP(p->p_vaddr + bias + p->p_memsz);
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
            if (!f)
                return NO_MEMORY;
            if (vm_map(va, f, prot) < 0) {
                frame_free(f);
                return NO_MEMORY;
            }
        }
        const char *why = fill_page(va, elf, p, bias);
        if (why)
            return why;
    }
    unsigned sprot = (prot & VM_READ ? SHIM_PROT_READ : 0) | (prot & VM_WRITE ? SHIM_PROT_WRITE : 0) |
                     (prot & VM_EXEC ? SHIM_PROT_EXEC : 0);
    const char *slash = strrchr(app_path, '/');
    if (loader_vma_add(start, end, sprot, MM_VMA_IMAGE, slash ? slash + 1 : app_path) < 0)
        return NO_MEMORY;
    return NULL;
}

/* Fills the object's slot table (shim/slot_probe.h) and makes its pages
 * read-only, as on linuxu. Tracing needs every call to pass shim_dispatch:
 * the direct entries call their handler without it. */
static const char *fill_slots(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, struct app_image *im)
{
    struct portapp_note_desc note;
    struct portapp_ro_range ro;
    switch (portapp_fill_loaded_slots(ph, eh->e_phnum, im->bias, shim_trace_enabled(), &note, &ro)) {
    case PORTAPP_NOTE_TOO_SHORT:
        return "PortApp note too short";
    case PORTAPP_TABLE_NOT_WRITABLE:
        return "PortApp slot table is not in a writable loaded segment";
    case PORTAPP_NOT_REWRITTEN:
    case PORTAPP_FILLED:
        break;
    }
    im->slots = note.nslots;
    im->sites_rewritten = note.sites_rewritten;
    im->sites_left = note.sites_left;
    if (ro.end == ro.start)
        return NULL;
    for (uint64_t va = ro.start; va < ro.end; va += PAGE_SIZE)
        vm_protect(va, VM_READ);
    if (loader_vma_add(ro.start, ro.end, SHIM_PROT_READ, MM_VMA_IMAGE, "[portapp slots]") < 0)
        return NO_MEMORY;
    return NULL;
}

/* What check_object found out about a file, for map_object. */
struct object_info {
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph;
    const char *interp_path;     /* PT_INTERP (inside the file), or NULL */
    uint64_t lo, hi, align;      /* the PT_LOAD span at link addresses */
};

/* Everything about a file that can be checked without mapping it: an
 * x86_64 executable or shared object with sane program headers; an
 * interpreter has no interpreter itself. NULL, or what is wrong. */
static const char *check_object(const unsigned char *elf, size_t size, bool interp, struct object_info *oi)
{
    if (size < sizeof(Elf64_Ehdr))
        return "not an ELF file";
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
    const char *problem = elf_ident_problem(eh);
    if (problem)
        return problem;
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return interp ? "not a shared object" : "not an executable";
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
        eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size)
        return "malformed program header table";
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);

    oi->eh = eh;
    oi->ph = ph;
    oi->interp_path = NULL;
    for (int i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type == PT_INTERP) {
            if (interp)
                return "the interpreter has an interpreter itself";
            if (!p->p_filesz || p->p_offset + p->p_filesz > size || elf[p->p_offset + p->p_filesz - 1] != 0)
                return "malformed PT_INTERP";
            oi->interp_path = (const char *)elf + p->p_offset;
        }
        if (p->p_type == PT_LOAD && p->p_memsz && p->p_offset + p->p_filesz > size)
            return "malformed PT_LOAD segment";
    }
    if (elf_load_span(ph, eh->e_phnum, &oi->lo, &oi->hi, &oi->align) >= 0)
        return "malformed PT_LOAD segment";
    if (!oi->hi)
        return "no loadable segment";
    /* ET_EXEC at its link address (ET_DYN is checked once placed). */
    uint64_t limit = APP_STACK_TOP - APP_STACK_SIZE - (1ull << 30);
    if (eh->e_type == ET_EXEC && (oi->lo < 0x10000 || oi->hi > limit))
        return "segments outside the app's address range";
    return NULL;
}

/* Maps one checked object at its link address (ET_EXEC) or at base
 * (ET_DYN) and fills its slot table. NULL, or what went wrong. */
static const char *map_object(const unsigned char *elf, size_t size, const struct object_info *oi,
                              struct app_image *im, uint64_t dyn_base, bool interp)
{
    const Elf64_Ehdr *eh = oi->eh;
    const Elf64_Phdr *ph = oi->ph;
    uint64_t bias = 0;
    if (eh->e_type == ET_DYN)
        bias = ((dyn_base + oi->align - 1) & ~(oi->align - 1)) - oi->lo;
    if (oi->lo + bias < 0x10000 || oi->hi + bias > APP_STACK_TOP - APP_STACK_SIZE - (1ull << 30))
        return "segments outside the app's address range";

    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_memsz) {
            const char *why = map_segment(elf, &ph[i], bias);
            if (why)
                return why;
        }
    }

    struct app_image obj = { .bias = bias };
    const char *why = fill_slots(eh, ph, &obj);
    if (why)
        return why;
    if (interp) {
        im->interp_bias = bias;
        im->start = eh->e_entry + bias;
        im->slots += obj.slots;
        im->sites_rewritten += obj.sites_rewritten;
        im->sites_left += obj.sites_left;
        return NULL;
    }
    im->bias = bias;
    im->entry = im->start = eh->e_entry + bias;
    im->phnum = eh->e_phnum;
    im->phdr = elf_loaded_phdr(eh, ph, bias);
    im->brk = oi->hi + bias;
    loader_brk_init(im->brk);
    im->slots = obj.slots;
    im->sites_rewritten = obj.sites_rewritten;
    im->sites_left = obj.sites_left;
    (void)size;
    return NULL;
}

/* ASLR as Linux's for the two objects the kernel maps: a static-pie (or
 * PIE) executable anywhere in 64 GiB above APP_DYN_BASE, its interpreter in
 * 2 GiB above APP_INTERP_BASE (which keeps it clear of the stack's guard
 * gap); page-aligned before each object's own alignment is applied. */
#define ASLR_EXE_PAGES    (1ull << 24)
#define ASLR_INTERP_PAGES (1ull << 19)

static uint64_t aslr_offset(bool on, uint64_t pages)
{
    return on ? (random64() % pages) * PAGE_SIZE : 0;
}

/* Maps a program and its interpreter (interp NULL: none) into the current
 * lower half. NULL, or what went wrong (app_path then names the object). */
static const char *load_image(const struct exec_object *exe, const struct exec_object *interp,
                              struct app_image *im)
{
    struct object_info oi;
    memset(im, 0, sizeof *im);
    app_path = exe->path;
    const char *why = check_object(exe->data, exe->size, false, &oi);
    if (!why)
        why = map_object(exe->data, exe->size, &oi, im, APP_DYN_BASE + aslr_offset(loader_aslr, ASLR_EXE_PAGES),
                         false);
    if (why || !interp)
        return why;
    /* A dynamically linked app: the kernel maps its interpreter (ld.so,
     * rewritten like the app) and enters it; ld.so maps the libraries
     * itself through mmap, whose slot tables the mm module fills. */
    im->interp = interp->path;
    app_path = interp->path;
    why = check_object(interp->data, interp->size, true, &oi);
    if (!why)
        why = map_object(interp->data, interp->size, &oi, im,
                         APP_INTERP_BASE + aslr_offset(loader_aslr, ASLR_INTERP_PAGES), true);
    if (!why)
        app_path = exe->path;
    return why;
}

void app_load(const void *initrd, size_t initrd_len, const char *path, bool aslr, struct app_image *im)
{
    struct exec_object exe = { .path = path }, interp;
    loader_aslr = aslr;
    app_path = path;
    if (!cpio_find(initrd, initrd_len, path, &exe.data, &exe.size))
        panic("app %s not found in the initrd (%lu bytes)", path, initrd_len);
    struct object_info oi;
    const char *why = check_object(exe.data, exe.size, false, &oi);
    if (why)
        panic("app %s: %s", path, why);
    if (oi.interp_path) {
        interp.path = oi.interp_path;
        if (!cpio_find(initrd, initrd_len, interp.path, &interp.data, &interp.size))
            panic("app %s: its interpreter %s is not in the initrd", path, interp.path);
    }
    why = load_image(&exe, oi.interp_path ? &interp : NULL, im);
    if (why == NO_MEMORY)
        out_of_memory("loading %s", app_path);
    if (why)
        panic("app %s: %s", app_path, why);
    /* The initrd stays mapped: fault reports can name the app's functions. */
    find_symbols(exe.data, exe.size, oi.eh, im->bias);
}

int platform_exec_check(const void *data, size_t size, bool interp, const char **interp_path,
                        const char **why)
{
    struct object_info oi;
    *why = check_object(data, size, interp, &oi);
    *interp_path = *why ? NULL : oi.interp_path;
    return !*why ? 0 : interp ? -ELIBBAD : -ENOEXEC;
}

/* ---- initial stack -------------------------------------------------------------- */

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

/* Maps the stack and writes argc/argv/envp/auxv below its top; *sp gets the
 * initial rsp. The top 128 KiB are mapped at once (the rest on first touch
 * when the mm module is in), and more when the strings need it (execve
 * allows 2 MiB of them): half of that first part stays free for the
 * program's first frames. NULL, or what went wrong. */
static const char *build_stack(const struct app_image *im, const struct exec_args *a, uint64_t *sp)
{
    uint64_t need = strlen(a->execfn) + 1 + 16 + 64 + 8 * ((uint64_t)a->argc + a->envc + 64);
    for (int i = 0; i < a->argc; i++)
        need += strlen(a->argv[i]) + 1;
    for (int i = 0; i < a->envc; i++)
        need += strlen(a->envp[i]) + 1;
    need = PAGE_UP(need);
    uint64_t eager = need > APP_STACK_EAGER / 2 ? need + APP_STACK_EAGER / 2 : APP_STACK_EAGER;
    if (eager > APP_STACK_SIZE / 2)
        return "arguments and environment too large for the initial stack";
    uint64_t bottom = APP_STACK_TOP - APP_STACK_SIZE;
    for (uint64_t va = APP_STACK_TOP - eager; va < APP_STACK_TOP; va += PAGE_SIZE) {
        uint64_t f = frame_alloc();
        if (!f)
            return NO_MEMORY;
        if (vm_map(va, f, VM_READ | VM_WRITE) < 0) {
            frame_free(f);
            return NO_MEMORY;
        }
    }
    if (loader_vma_add(bottom, APP_STACK_TOP, SHIM_PROT_READ | SHIM_PROT_WRITE, MM_VMA_STACK, "[stack]") < 0)
        return NO_MEMORY;

    uint64_t rnd[2] = { random64(), random64() };
    uint32_t r[4];
    cpuid(1, 0, r);
    /* The strings are the kernel's (the command line's buffer, execve's
     * copies): the program gets its own. */
    struct initstack st = {
        .top = (char *)APP_STACK_TOP, .floor = (char *)(APP_STACK_TOP - (eager - APP_STACK_EAGER / 2)),
        .argc = a->argc, .argv = a->argv, .envc = a->envc, .envp = a->envp,
        .copy_strings = 1, .execfn = a->execfn, .random = (const unsigned char *)rnd,
        .aux = {
            .phdr = im->phdr, .phnum = im->phnum, .base = im->interp_bias, .entry = im->entry,
            .uid = 0, .euid = 0, .gid = 0, .egid = 0,
            .hwcap = r[3], .hwcap2 = 0, .clktck = 100,
            .minsigstksz = cpu_features.xsave_size + 1024,
        },
    };
    uint64_t words;
    switch (initstack_build(&st, sp, &words)) {
    case INITSTACK_ENV_TOO_LARGE:
        return "environment too large for the initial stack";
    case INITSTACK_ARGS_TOO_LARGE:
        return "arguments too large for the initial stack";
    case INITSTACK_TOO_LARGE:
        return "arguments and environment too large for the initial stack";
    case INITSTACK_OK:
        break;
    }
    return NULL;
}

uint64_t app_stack(const struct app_image *im, const struct app_cmdline *cl)
{
    struct exec_args a = { .argc = cl->argc, .argv = cl->argv, .envc = cl->envc, .envp = cl->envp,
                           .execfn = cl->exe };
    uint64_t sp;
    const char *why = build_stack(im, &a, &sp);
    if (why == NO_MEMORY)
        out_of_memory("the app's stack");
    if (why)
        panic("%s", why);
    return sp;
}

/* ---- execve (shim/exec.h) ------------------------------------------------------ */

/* A new program's vector state: XRSTOR with an empty XSTATE_BV puts x87,
 * SSE and AVX in their initial state, except MXCSR, which it loads from
 * here (FXRSTOR, without XSAVE, loads everything from here). */
static uint8_t fpu_initial[4096] ALIGNED(64);

static void fpu_reset(void)
{
    if (cpu_features.xsave_size > sizeof fpu_initial)
        return;   /* not on the CPUs QEMU emulates (x87 + SSE + AVX: 832 bytes) */
    memset(fpu_initial, 0, cpu_features.xsave_size);
    *(uint16_t *)(fpu_initial + 0) = 0x37f;     /* FCW as after FNINIT */
    *(uint32_t *)(fpu_initial + 24) = 0x1f80;   /* MXCSR at reset */
    fpu_restore(fpu_initial);
}

int platform_exec_load(const struct exec_object *exe, const struct exec_object *interp,
                       const struct exec_args *args, struct shim_regs *entry)
{
    struct app_image im;
    /* Fault reports name functions of the boot app only: the new image's
     * symbols would point into a copy that is freed once it runs. */
    app_sym_lookup = NULL;
    const char *why = load_image(exe, interp, &im);
    uint64_t sp = 0;
    if (!why)
        why = build_stack(&im, args, &sp);
    if (why) {
        kprintf("[kernel] execve %s: %s\n", app_path, why);
        return why == NO_MEMORY ? -ENOMEM : -ENOEXEC;
    }
    fpu_reset();
    memset(entry, 0, sizeof *entry);
    entry->rip = im.start;
    entry->rsp = sp;
    entry->cs = SHIM_SEL_CODE;
    entry->ss = SHIM_SEL_DATA;
    entry->rflags = 0x202;     /* IF and the reserved bit 1, as app_enter */
    return 0;
}
