/* portapp-linuxu: loads an ELF (rewritten by port-app or not) into this
 * process, wires its slot table to the shim, builds the initial stack the
 * kernel would have built, turns on Syscall User Dispatch and jumps to it.
 *
 *   portapp-linuxu [--trace] [--exe-path PATH] [--map ORIG=IMAGE]...
 *                  [--root DIR [--root-strict]] [--] IMAGE [ARGV0 ARG...]
 *
 * --exe-path: the app's own path (/proc/self/exe shows it canonicalized);
 * --execfn: the path as given to execve (AT_EXECFN, comm), set by re-exec
 * when it differs (an exec of /proc/self/exe or of a "#!" script); default:
 * the exe path.
 *
 * A dynamically linked IMAGE: its PT_INTERP (looked up in the --root image
 * first, then on the host) is loaded too, both slot tables are filled, and
 * the app starts at the interpreter's entry with AT_BASE set, as the kernel
 * does; ld.so then maps the libraries, whose slots passthrough/slots.c fill.
 *
 * The loader is static, non-PIE and linked at 0x200000000000 so it never
 * collides with the app (ET_EXEC binaries sit low, ET_DYN ones where mmap
 * puts them). Loader errors: one line "port-app: linuxu: <reason>", exit 127.
 */
#include "linuxu.h"

struct linuxu_state linuxu = { .err_fd = 2 };

extern char __executable_start[], _end[];
void shim_init_modules(void);

#define O_RDONLY 0
#define O_CLOEXEC 0x80000
#define O_PATH 0x200000
#define AT_FDCWD (-100)
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

_Noreturn void linuxu_die(const char *fmt, ...)
{
    char buf[512];
    int n = shim_snprintf(buf, sizeof buf, "port-app: linuxu: ");
    va_list ap;
    va_start(ap, fmt);
    n += shim_vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if ((size_t)n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    platform_write_err(buf, (size_t)n);
    host_syscall1(NR_exit_group, 127);
    __builtin_unreachable();
}

/* ---- ELF ---------------------------------------------------------------- */

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
enum { PT_LOAD = 1, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6, ET_EXEC = 2, ET_DYN = 3 };
enum { PF_X = 1, PF_W = 2, PF_R = 4 };
#define MAX_PHDRS 64
#define ELF_ET_DYN_BASE 0x555555554000L
#define PORTAPP_NOTE_TYPE 0x50410001u

struct image {
    Ehdr eh;
    Phdr ph[MAX_PHDRS];
    unsigned long bias, lo, hi;
    char interp[LINUXU_PATH_MAX];   /* PT_INTERP, "" if none */
};

static void pread_all(long fd, void *buf, unsigned long n, unsigned long off, const char *what,
                      const char *path)
{
    long r = host_syscall4(NR_pread64, fd, buf, n, off);
    if (r != (long)n)
        linuxu_die("%s: cannot read %s", path, what);
}

static int prot_of(uint32_t f)
{
    return ((f & PF_R) ? PROT_READ : 0) | ((f & PF_W) ? PROT_WRITE : 0) | ((f & PF_X) ? PROT_EXEC : 0);
}

/* Maps `path`; an ET_DYN goes at `dyn_base` (0: where mmap chooses, as the
 * kernel places an interpreter). */
static void load_image(const char *path, struct image *im, unsigned long dyn_base)
{
    long fd = host_syscall4(NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        linuxu_die("%s: cannot open (error %ld)", path, -fd);
    pread_all(fd, &im->eh, sizeof im->eh, 0, "the ELF header", path);
    Ehdr *eh = &im->eh;
    if (memcmp(eh->ident, "\177ELF", 4) != 0)
        linuxu_die("%s: not an ELF file", path);
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != 62)
        linuxu_die("%s: not an x86_64 little-endian ELF64 file", path);
    if (eh->type != ET_EXEC && eh->type != ET_DYN)
        linuxu_die("%s: not an executable (ELF type %u)", path, eh->type);
    if (eh->phentsize != sizeof(Phdr) || eh->phnum == 0 || eh->phnum > MAX_PHDRS)
        linuxu_die("%s: unsupported program header table (%u entries of %u bytes)", path,
                   eh->phnum, eh->phentsize);
    pread_all(fd, im->ph, sizeof(Phdr) * eh->phnum, eh->phoff, "the program headers", path);

    unsigned long lo = ~0UL, hi = 0;
    for (int i = 0; i < eh->phnum; i++) {
        Phdr *p = &im->ph[i];
        if (p->type == PT_INTERP) {
            if (p->filesz < 2 || p->filesz > sizeof im->interp)
                linuxu_die("%s: malformed PT_INTERP (%lu bytes)", path, (unsigned long)p->filesz);
            pread_all(fd, im->interp, p->filesz, p->offset, "PT_INTERP", path);
            im->interp[p->filesz - 1] = 0;
        }
        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        if (p->filesz > p->memsz || (p->vaddr - p->offset) % LINUXU_PAGE)
            linuxu_die("%s: malformed PT_LOAD %d", path, i);
        if (PAGE_DOWN(p->vaddr) < lo)
            lo = PAGE_DOWN(p->vaddr);
        if (PAGE_UP(p->vaddr + p->memsz) > hi)
            hi = PAGE_UP(p->vaddr + p->memsz);
    }
    if (hi == 0)
        linuxu_die("%s: no loadable segment", path);

    if (eh->type == ET_DYN) {
        /* Reserve the whole span, then map into it. Like the kernel for a
         * static PIE, aim at ELF_ET_DYN_BASE (2/3 of the address space):
         * mmap's own choice would sit just below other mappings and leave no
         * room for the program break after the image. */
        unsigned long align = LINUXU_PAGE;
        for (int i = 0; i < eh->phnum; i++)
            if (im->ph[i].type == PT_LOAD && im->ph[i].align > align &&
                (im->ph[i].align & (im->ph[i].align - 1)) == 0 && im->ph[i].align <= (1UL << 30))
                align = im->ph[i].align;
        /* Over-reserve by the segments' largest alignment so the bias can
         * honour it (as the kernel does), then give back the slack. */
        unsigned long span = hi - lo, want = span + align - LINUXU_PAGE;
        long base = host_syscall6(NR_mmap, (long)dyn_base, (long)want, 0,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (SHIM_IS_ERR(base))
            linuxu_die("%s: cannot reserve %lu bytes (error %ld)", path, want, -base);
        unsigned long start = ((unsigned long)base + align - 1) & ~(align - 1);
        if (start > (unsigned long)base)
            host_syscall2(NR_munmap, base, start - (unsigned long)base);
        if ((unsigned long)base + want > start + span)
            host_syscall2(NR_munmap, start + span, (unsigned long)base + want - (start + span));
        im->bias = start - lo;
    } else {
        im->bias = 0;
        unsigned long ls = (unsigned long)__executable_start, le = PAGE_UP(_end);
        if (lo < 0x10000 || (lo < le && hi > ls))
            linuxu_die("%s: its segments [%#lx, %#lx) collide with the loader or page 0", path, lo, hi);
    }
    im->lo = lo + im->bias;
    im->hi = hi + im->bias;

    for (int i = 0; i < eh->phnum; i++) {
        Phdr *p = &im->ph[i];
        if (p->type != PT_LOAD || p->memsz == 0)
            continue;
        int prot = prot_of(p->flags);
        unsigned long start = PAGE_DOWN(p->vaddr + im->bias);
        unsigned long file_end = p->vaddr + im->bias + p->filesz;
        unsigned long mem_end = PAGE_UP(p->vaddr + im->bias + p->memsz);
        int has_bss = p->memsz > p->filesz;
        unsigned long mapped_end = start;
        if (p->filesz) {
            mapped_end = PAGE_UP(file_end);
            long r = host_syscall6(NR_mmap, (long)start, (long)(mapped_end - start),
                                   prot | (has_bss ? PROT_WRITE : 0), MAP_PRIVATE | MAP_FIXED, fd,
                                   (long)PAGE_DOWN(p->offset));
            if (SHIM_IS_ERR(r))
                linuxu_die("%s: cannot map segment %d at %#lx (error %ld)", path, i, start, -r);
            if (has_bss) {
                /* The tail of the last file page belongs to .bss: zero it. */
                memset((void *)file_end, 0, mapped_end - file_end);
                if (!(prot & PROT_WRITE))
                    host_syscall3(NR_mprotect, start, mapped_end - start, prot);
            }
        }
        if (mem_end > mapped_end) {
            long r = host_syscall6(NR_mmap, (long)mapped_end, (long)(mem_end - mapped_end), prot,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (SHIM_IS_ERR(r))
                linuxu_die("%s: cannot map .bss of segment %d (error %ld)", path, i, -r);
        }
    }
    host_syscall1(NR_close, fd);
}

/* Loaded address of the program headers, for AT_PHDR. The rewriter moves the
 * table into its own segment and updates PT_PHDR, so PT_PHDR wins. */
static unsigned long phdr_addr(const struct image *im)
{
    for (int i = 0; i < im->eh.phnum; i++)
        if (im->ph[i].type == PT_PHDR)
            return im->ph[i].vaddr + im->bias;
    for (int i = 0; i < im->eh.phnum; i++) {
        const Phdr *p = &im->ph[i];
        if (p->type == PT_LOAD && im->eh.phoff >= p->offset &&
            im->eh.phoff + sizeof(Phdr) * im->eh.phnum <= p->offset + p->filesz)
            return p->vaddr + (im->eh.phoff - p->offset) + im->bias;
    }
    return 0;
}

/* ---- the PortApp note and slot table ------------------------------------ */

static int find_writable_load(const struct image *im, unsigned long va, unsigned long len)
{
    for (int i = 0; i < im->eh.phnum; i++) {
        const Phdr *p = &im->ph[i];
        if (p->type == PT_LOAD && (p->flags & PF_W) && va >= p->vaddr &&
            va + len <= p->vaddr + p->memsz)
            return i;
    }
    return -1;
}

/* Returns the number of slots filled (0: not rewritten). */
static unsigned fill_slots(const struct image *im, const char *path)
{
    for (int i = 0; i < im->eh.phnum; i++) {
        const Phdr *p = &im->ph[i];
        if (p->type != PT_NOTE || p->filesz < 12)
            continue;
        /* Notes are read from the loaded image: every PT_NOTE lies inside a
         * PT_LOAD (the rewriter's sits in its segment X). */
        const unsigned char *n = (const unsigned char *)(p->vaddr + im->bias);
        const unsigned char *end = n + p->filesz;
        if (p->vaddr + im->bias < im->lo || (unsigned long)end > im->hi)
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
                    linuxu_die("%s: PortApp note too short (%u bytes)", path, descsz);
                uint64_t slots_vaddr;
                uint32_t nslots;
                memcpy(&slots_vaddr, desc, 8);
                memcpy(&nslots, desc + 8, 4);
                unsigned long len = (unsigned long)nslots * 12;
                if (nslots == 0)
                    return 0;
                if (find_writable_load(im, slots_vaddr, len) < 0)
                    linuxu_die("%s: PortApp slot table (%#lx, %u slots) is not in a writable segment",
                               path, (unsigned long)slots_vaddr, nslots);
                uint64_t *target = (uint64_t *)(slots_vaddr + im->bias);
                const int32_t *nr = (const int32_t *)(target + nslots);
                for (uint32_t k = 0; k < nslots; k++)
                    target[k] = (uint64_t)shim_entry_for(nr[k]);
                /* Read-only afterwards, unless another segment shares the
                 * pages (the rewriter gives the table its own segment). */
                unsigned long ps = PAGE_DOWN((unsigned long)target), pe = PAGE_UP((unsigned long)target + len);
                int shared = 0;
                for (int j = 0; j < im->eh.phnum; j++) {
                    const Phdr *q = &im->ph[j];
                    if (q->type == PT_LOAD && q->memsz &&
                        !(slots_vaddr >= q->vaddr && slots_vaddr < q->vaddr + q->memsz) &&
                        PAGE_DOWN(q->vaddr + im->bias) < pe && PAGE_UP(q->vaddr + im->bias + q->memsz) > ps)
                        shared = 1;
                }
                if (!shared)
                    host_syscall3(NR_mprotect, ps, pe - ps, PROT_READ);
                return nslots;
            }
            n = next;
        }
    }
    return 0;
}

/* ---- initial stack ------------------------------------------------------- */

enum {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_HWCAP2 = 26, AT_EXECFN = 31, AT_MINSIGSTKSZ = 51,
};

static unsigned long host_aux(unsigned long *auxv, unsigned long type, unsigned long dflt)
{
    for (; auxv[0] != AT_NULL; auxv += 2)
        if (auxv[0] == type)
            return auxv[1];
    return dflt;
}

static unsigned long cpuid_edx1(void)
{
    unsigned a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

/* Builds argc/argv/envp/auxv below `top` (strings copied there too where the
 * app needs its own copy) and returns the 16-byte aligned stack pointer. */
static unsigned long build_stack(char *top, char *floor, int argc, char **argv, char **envp,
                                 unsigned long *host_auxv, const struct image *im,
                                 const struct image *interp)
{
    char *s = top;
    /* execfn and platform strings, 16 random bytes */
    size_t elen = strlen(linuxu.execfn) + 1;
    s -= elen;
    memcpy(s, linuxu.execfn, elen);
    char *execfn = s;
    s -= 7;
    memcpy(s, "x86_64", 7);
    char *platform = s;
    s = (char *)((unsigned long)s & ~15UL) - 16;
    unsigned char *rnd = (unsigned char *)s;
    for (int got = 0; got < 16;) {
        long r = host_syscall3(NR_getrandom, rnd + got, 16 - got, 0);
        if (r <= 0)
            linuxu_die("getrandom failed (error %ld)", -r);
        got += (int)r;
    }

    int envc = 0;
    while (envp[envc])
        envc++;
    unsigned long aux[][2] = {
        { AT_PHDR, phdr_addr(im) },
        { AT_PHENT, sizeof(Phdr) },
        { AT_PHNUM, im->eh.phnum },
        { AT_PAGESZ, LINUXU_PAGE },
        { AT_BASE, interp ? interp->bias : 0 },
        { AT_FLAGS, 0 },
        { AT_ENTRY, im->eh.entry + im->bias },
        { AT_UID, (unsigned long)host_syscall0(NR_getuid) },
        { AT_EUID, (unsigned long)host_syscall0(NR_geteuid) },
        { AT_GID, (unsigned long)host_syscall0(NR_getgid) },
        { AT_EGID, (unsigned long)host_syscall0(NR_getegid) },
        { AT_SECURE, 0 },
        { AT_RANDOM, (unsigned long)rnd },
        { AT_HWCAP, host_aux(host_auxv, AT_HWCAP, cpuid_edx1()) },
        { AT_HWCAP2, host_aux(host_auxv, AT_HWCAP2, 0) },
        { AT_PLATFORM, (unsigned long)platform },
        { AT_EXECFN, (unsigned long)execfn },
        { AT_CLKTCK, host_aux(host_auxv, AT_CLKTCK, 100) },
        { AT_MINSIGSTKSZ, host_aux(host_auxv, AT_MINSIGSTKSZ, 2048) },
        { AT_NULL, 0 },
    };
    unsigned long naux = sizeof aux / sizeof aux[0];
    unsigned long words = 1 + (unsigned long)argc + 1 + (unsigned long)envc + 1 + 2 * naux;
    unsigned long sp = ((unsigned long)s - words * 8) & ~15UL;
    if (sp < (unsigned long)floor)
        linuxu_die("arguments and environment too large (%lu words)", words);
    unsigned long *w = (unsigned long *)sp;
    *w++ = (unsigned long)argc;
    for (int i = 0; i < argc; i++)
        *w++ = (unsigned long)argv[i];
    *w++ = 0;
    for (int i = 0; i < envc; i++)
        *w++ = (unsigned long)envp[i];
    *w++ = 0;
    for (unsigned long i = 0; i < naux; i++) {
        *w++ = aux[i][0];
        *w++ = aux[i][1];
    }
    return sp;
}

/* ---- command line -------------------------------------------------------- */

/* Options are copied into loader memory: the app may rewrite its argv area
 * (setproctitle), and re-exec needs them intact. */
static char optbuf[16384];
static size_t optused;

static char *keep(const char *s)
{
    size_t n = strlen(s) + 1;
    if (optused + n > sizeof optbuf)
        linuxu_die("options too long");
    char *d = optbuf + optused;
    memcpy(d, s, n);
    optused += n;
    return d;
}

static void usage(void)
{
    linuxu_die("usage: portapp-linuxu [--trace] [--exe-path PATH] [--execfn PATH] [--map ORIG=IMAGE]... "
               "[--root DIR [--root-strict]] [--] IMAGE [ARGV0 ARG...]");
}

static const char *absolute(const char *p)
{
    if (p[0] == '/')
        return p;
    char cwd[4096];
    long r = host_syscall2(NR_getcwd, cwd, sizeof cwd);
    if (r < 0)
        return p;
    size_t n = strlen(cwd);
    if (n + 1 + strlen(p) + 1 > sizeof cwd)
        return p;
    if (p[0] == '.' && p[1] == '/')
        p += 2;
    if (n > 1)
        cwd[n++] = '/';
    memcpy(cwd + n, p, strlen(p) + 1);
    return keep(cwd);
}

/* What the kernel shows as /proc/self/exe: the canonical path (symlinks
 * resolved), obtained from the kernel itself through an O_PATH descriptor.
 * A path that does not exist (a chosen --exe-path) is only made absolute. */
static const char *canonical(const char *p)
{
    long fd = host_syscall4(NR_openat, AT_FDCWD, p, O_PATH | O_CLOEXEC, 0);
    if (fd < 0)
        return absolute(p);
    char link[40], buf[4096];
    shim_snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
    long n = host_syscall3(NR_readlink, link, buf, sizeof buf - 1);
    host_syscall1(NR_close, fd);
    if (n <= 0 || buf[0] != '/')
        return absolute(p);
    buf[n] = 0;
    return keep(buf);
}

/* What ps and /proc/self/comm show: the base name of the path given to
 * exec (AT_EXECFN, at most 15 bytes), as the kernel sets it.
 * (/proc/self/cmdline still shows the loader's command line: changing it
 * needs PR_SET_MM, which the kernel refuses here even to root.) */
static void present_as_app(void)
{
    const char *base = strrchr(linuxu.execfn, '/');
    base = base ? base + 1 : linuxu.execfn;
    char comm[16];
    shim_strlcpy(comm, base, sizeof comm);
    host_syscall2(NR_prctl, 15 /* PR_SET_NAME */, comm);
}

_Noreturn void loader_main(unsigned long *host_sp, char *frame_top);

_Noreturn void loader_main(unsigned long *host_sp, char *frame_top)
{
    int argc = (int)host_sp[0];
    char **argv = (char **)(host_sp + 1);
    char **envp = argv + argc + 1;
    char **e = envp;
    while (*e)
        e++;
    unsigned long *host_auxv = (unsigned long *)(e + 1);

    int i = 1;
    const char *exe = NULL, *execfn = NULL;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--trace") == 0) {
            linuxu.trace = 1;
        } else if (strcmp(a, "--trace-fd") == 0 && i + 1 < argc) {
            const char *n = argv[++i];
            long fd = 0;
            for (; *n >= '0' && *n <= '9' && fd < 100000; n++)
                fd = fd * 10 + (*n - '0');
            if (*n || host_syscall2(NR_fcntl, fd, 1 /* F_GETFD */) < 0)
                fd = 2;   /* gone (the app closed it): the current stderr */
            linuxu.err_fd = (int)fd;
        } else if (strcmp(a, "--exe-path") == 0 && i + 1 < argc) {
            exe = keep(argv[++i]);
        } else if (strcmp(a, "--execfn") == 0 && i + 1 < argc) {
            execfn = keep(argv[++i]);
        } else if (strcmp(a, "--map") == 0 && i + 1 < argc) {
            const char *spec = argv[++i];
            const char *eq = strchr(spec, '=');
            if (!eq || eq == spec || !eq[1])
                linuxu_die("--map wants ORIG=IMAGE, got \"%s\"", spec);
            if (linuxu.nmaps == LINUXU_MAX_MAPS)
                linuxu_die("too many --map options (max %d)", LINUXU_MAX_MAPS);
            struct linuxu_map *m = &linuxu.maps[linuxu.nmaps++];
            m->spec = keep(spec);
            char *o = keep(spec);
            o[eq - spec] = 0;
            m->orig = o;
            m->image = o + (eq - spec) + 1;
        } else if (strcmp(a, "--root") == 0 && i + 1 < argc) {
            char *r = keep(argv[++i]);
            size_t n = strlen(r);
            while (n > 1 && r[n - 1] == '/')
                r[--n] = 0;
            if (r[0] != '/' || n >= LINUXU_ROOT_MAX)
                linuxu_die("--root wants an absolute directory path shorter than %d bytes, got \"%s\"",
                           LINUXU_ROOT_MAX, r);
            linuxu.root = r;
        } else if (strcmp(a, "--root-strict") == 0) {
            linuxu.root_strict = 1;
        } else if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] == '-' && a[1] == '-') {
            linuxu_die("unknown option %s", a);
        } else {
            break;
        }
    }
    if (i >= argc)
        usage();
    const char *image = argv[i++];
    linuxu.exe_path = exe ? exe : keep(image);
    linuxu.exe_abs = canonical(linuxu.exe_path);
    linuxu.execfn = execfn ? execfn : linuxu.exe_path;
    shim_set_trace(linuxu.trace);
    if (linuxu.trace && linuxu.err_fd == 2) {
        /* Trace lines go to the stderr the loader was started with, not to
         * whatever the app later puts on its fd 2 (2>file in a shell):
         * keep a copy on a high descriptor, handed on by re-exec. */
        long fd = host_syscall3(NR_fcntl, 2, 0 /* F_DUPFD */, 1000);
        if (fd >= 0)
            linuxu.err_fd = (int)fd;
    }

    /* The app's argv: ARGV0 ARG... as given, or just the exe path. */
    char **app_argv = argv + i;
    int app_argc = argc - i;
    char *argv0_only[1];
    if (app_argc == 0) {
        argv0_only[0] = (char *)linuxu.exe_path;
        app_argv = argv0_only;
        app_argc = 1;
    }

    if (linuxu.root_strict && !linuxu.root)
        linuxu_die("--root-strict needs --root");
    static struct image im, interp;
    load_image(image, &im, ELF_ET_DYN_BASE);
    linuxu_brk_init(im.hi);
    unsigned slots = fill_slots(&im, image);
    if (linuxu.trace)
        shim_printk("port-app: linuxu: %s loaded at bias %#lx, %u slots%s\n", image, im.bias, slots,
                    slots ? "" : " (not rewritten: every syscall takes the SUD fallback path)");
    const struct image *ld = NULL;
    unsigned long entry = im.eh.entry + im.bias;
    if (im.interp[0]) {
        static char ipath[LINUXU_PATH_MAX + LINUXU_ROOT_MAX + 8];
        const char *ip = im.interp;
        if (linuxu_root_lookup(ip, ipath, sizeof ipath))
            ip = ipath;
        long ifd = host_syscall4(NR_openat, AT_FDCWD, ip, O_RDONLY | O_CLOEXEC, 0);
        if (ifd < 0)
            linuxu_die("%s: cannot open its interpreter %s (error %ld)", image, ip, -ifd);
        host_syscall1(NR_close, ifd);
        load_image(ip, &interp, 0);
        if (interp.interp[0])
            linuxu_die("%s: the interpreter %s has an interpreter itself", image, ip);
        unsigned islots = fill_slots(&interp, ip);
        if (linuxu.trace)
            shim_printk("port-app: linuxu: interpreter %s loaded at bias %#lx, %u slots\n", ip, interp.bias,
                        islots);
        ld = &interp;
        entry = interp.eh.entry + interp.bias;
    }
    shim_init_modules();
    present_as_app();

    unsigned long sp = build_stack(frame_top, frame_top - 0x3f000, app_argc, app_argv, envp,
                                   host_auxv, &im, ld);
    linuxu_install_sigsys();
    linuxu_sud_enable();
    linuxu_enter(entry, sp);
}
