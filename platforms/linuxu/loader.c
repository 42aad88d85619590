/* portapp-linuxu: loads an ELF (rewritten by port-app or not) into this
 * process, wires its slot table to the shim, builds the initial stack the
 * kernel would have built, turns on Syscall User Dispatch and jumps to it.
 *
 *   portapp-linuxu [--trace] [--fresh-signals] [--parent-pid PID]
 *                  [--exe-path PATH] [--map ORIG=IMAGE]...
 *                  [--root DIR [--root-strict]] [--workdir DIR] [--env K=V]...
 *                  [--] IMAGE [ARGV0 ARG...]
 *
 * --env K=V (repeatable): the app's environment is exactly these entries,
 * in this order (port-app passes the one it built, so the order matches the
 * unikernel's); without any, the loader's own environment (re-exec).
 *
 * --workdir: the app starts in DIR, a path as the app sees it (in the image
 * under --root-strict; the host's directory with the overlay, which serves
 * every directory from the host).
 *
 * --exe-path: the app's own path (/proc/self/exe shows it canonicalized);
 * --execfn: the path as given to execve (AT_EXECFN, comm), set by re-exec
 * when it differs (an exec of /proc/self/exe or of a "#!" script); default:
 * the exe path.
 *
 * --fresh-signals: the app starts with no signal blocked and every
 * disposition the default, as a shell's exec gives (port-app's JVM blocks
 * and ignores signals, which a child inherits). port-app passes it; re-exec
 * does not, as the kernel's exec rules then apply (the mask and ignored
 * signals survive an exec).
 *
 * --parent-pid PID: the loader (and so the app) is killed when PID, the
 * process that started it, dies: PR_SET_PDEATHSIG, plus a check that the
 * parent is still PID after setting it (it may have died in between).
 * PDEATHSIG fires when the parent *thread* exits: the caller must start the
 * loader from a thread that outlives it (port-app's waits for it). It
 * survives exec, so a re-exec'd loader stays tied; re-exec does not pass it.
 *
 * A dynamically linked IMAGE: its PT_INTERP (looked up in the --root image
 * first, then on the host) is loaded too, both slot tables are filled, and
 * the app starts at the interpreter's entry with AT_BASE set, as the kernel
 * does; ld.so then maps the libraries, whose slots passthrough/slots.c fill.
 * The ELF checks, the slot filling and the stack and auxv are computed by
 * posix-shim/core, as for the unikernel's loader (platforms/qemu/loader.c).
 *
 * The loader is static, non-PIE and linked at 0x200000000000 so it never
 * collides with the app (ET_EXEC binaries sit low, ET_DYN ones where mmap
 * puts them). Loader errors: one line "port-app: linuxu: <reason>", exit 127.
 */
#include "linuxu.h"
#include "shim/elf.h"
#include "shim/initstack.h"
#include "shim/slot_probe.h"

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

#define MAX_PHDRS 64
#define ELF_ET_DYN_BASE 0x555555554000L

struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PHDRS];
    unsigned long bias, hi;
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
    Elf64_Ehdr *eh = &im->eh;
    const char *bad = elf_ident_problem(eh);
    if (bad)
        linuxu_die("%s: %s", path, bad);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        linuxu_die("%s: not an executable (ELF type %u)", path, eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
        linuxu_die("%s: unsupported program header table (%u entries of %u bytes)", path,
                   eh->e_phnum, eh->e_phentsize);
    pread_all(fd, im->ph, sizeof(Elf64_Phdr) * eh->e_phnum, eh->e_phoff, "the program headers", path);

    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type == PT_INTERP) {
            if (p->p_filesz < 2 || p->p_filesz > sizeof im->interp)
                linuxu_die("%s: malformed PT_INTERP (%lu bytes)", path, (unsigned long)p->p_filesz);
            pread_all(fd, im->interp, p->p_filesz, p->p_offset, "PT_INTERP", path);
            im->interp[p->p_filesz - 1] = 0;
        }
    }
    uint64_t lo, hi, align;
    int malformed = elf_load_span(im->ph, eh->e_phnum, &lo, &hi, &align);
    if (malformed >= 0)
        linuxu_die("%s: malformed PT_LOAD %d", path, malformed);
    if (hi == 0)
        linuxu_die("%s: no loadable segment", path);

    if (eh->e_type == ET_DYN) {
        /* Reserve the whole span, then map into it. Like the kernel for a
         * static PIE, aim at ELF_ET_DYN_BASE (2/3 of the address space):
         * mmap's own choice would sit just below other mappings and leave no
         * room for the program break after the image. Over-reserve by the
         * segments' largest alignment so the bias can honour it (as the
         * kernel does), then give back the slack. */
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
    im->hi = hi + im->bias;

    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *p = &im->ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        int prot = prot_of(p->p_flags);
        unsigned long start = PAGE_DOWN(p->p_vaddr + im->bias);
        unsigned long file_end = p->p_vaddr + im->bias + p->p_filesz;
        unsigned long mem_end = PAGE_UP(p->p_vaddr + im->bias + p->p_memsz);
        int has_bss = p->p_memsz > p->p_filesz;
        unsigned long mapped_end = start;
        if (p->p_filesz) {
            mapped_end = PAGE_UP(file_end);
            long r = host_syscall6(NR_mmap, (long)start, (long)(mapped_end - start),
                                   prot | (has_bss ? PROT_WRITE : 0), MAP_PRIVATE | MAP_FIXED, fd,
                                   (long)PAGE_DOWN(p->p_offset));
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

/* ---- the PortApp slot table -------------------------------------------- */

/* Returns the number of slots filled (0: not rewritten). */
static unsigned fill_slots(const struct image *im, const char *path)
{
    struct portapp_note_desc note;
    struct portapp_ro_range ro;
    switch (portapp_fill_loaded_slots(im->ph, im->eh.e_phnum, im->bias, 0, &note, &ro)) {
    case PORTAPP_NOTE_TOO_SHORT:
        linuxu_die("%s: PortApp note too short", path);
    case PORTAPP_TABLE_NOT_WRITABLE:
        linuxu_die("%s: PortApp slot table (%#lx, %u slots) is not in a writable segment", path,
                   (unsigned long)note.slots_vaddr, note.nslots);
    case PORTAPP_NOT_REWRITTEN:
        return 0;
    case PORTAPP_FILLED:
        break;
    }
    if (ro.end > ro.start)
        host_syscall3(NR_mprotect, ro.start, ro.end - ro.start, PROT_READ);
    return note.nslots;
}

/* ---- initial stack ------------------------------------------------------- */

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

/* Builds argc/argv/envp/auxv below `top` (the argv and envp strings stay
 * where the host kernel put them, above the loader's frame) and returns the
 * 16-byte aligned stack pointer. */
static unsigned long build_stack(char *top, char *floor, int argc, char **argv, char **envp,
                                 unsigned long *host_auxv, const struct image *im,
                                 const struct image *interp)
{
    unsigned char rnd[16];
    for (int got = 0; got < 16;) {
        long r = host_syscall3(NR_getrandom, rnd + got, 16 - got, 0);
        if (r <= 0)
            linuxu_die("getrandom failed (error %ld)", -r);
        got += (int)r;
    }
    int envc = 0;
    while (envp[envc])
        envc++;
    struct initstack st = {
        .top = top, .floor = floor,
        .argc = argc, .argv = (const char *const *)argv,
        .envc = envc, .envp = (const char *const *)envp,
        .copy_strings = 0, .execfn = linuxu.execfn, .random = rnd,
        .aux = {
            .phdr = elf_loaded_phdr(&im->eh, im->ph, im->bias),
            .phnum = im->eh.e_phnum,
            .base = interp ? interp->bias : 0,
            .entry = im->eh.e_entry + im->bias,
            .uid = (unsigned long)host_syscall0(NR_getuid),
            .euid = (unsigned long)host_syscall0(NR_geteuid),
            .gid = (unsigned long)host_syscall0(NR_getgid),
            .egid = (unsigned long)host_syscall0(NR_getegid),
            .hwcap = host_aux(host_auxv, AT_HWCAP, cpuid_edx1()),
            .hwcap2 = host_aux(host_auxv, AT_HWCAP2, 0),
            .clktck = host_aux(host_auxv, AT_CLKTCK, 100),
            .minsigstksz = host_aux(host_auxv, AT_MINSIGSTKSZ, 2048),
        },
    };
    uint64_t sp, words;
    if (initstack_build(&st, &sp, &words) != INITSTACK_OK)
        linuxu_die("arguments and environment too large (%lu words)", (unsigned long)words);
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
    linuxu_die("usage: portapp-linuxu [--trace] [--fresh-signals] [--parent-pid PID] [--exe-path PATH] [--execfn PATH] [--map ORIG=IMAGE]... "
               "[--root DIR [--root-strict]] [--workdir DIR] [--env K=V]... [--] IMAGE [ARGV0 ARG...]");
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

/* Enters the app's working directory, resolved as the app's own chdir
 * would be (passthrough.c: the image root first), so getcwd and relative
 * paths agree with what the app asked for. */
static void enter_workdir(const char *dir)
{
    static char buf[LINUXU_PATH_MAX + LINUXU_ROOT_MAX + 8];
    const char *d = linuxu_root_lookup(dir, buf, sizeof buf) ? buf : dir;
    long r = host_syscall1(NR_chdir, d);
    if (r == 0)
        return;
    const char *why = r == -2 ? "no such directory" : r == -20 ? "not a directory"
                    : r == -13 ? "permission denied" : "cannot enter it";
    linuxu_die("--workdir %s: %s (error %ld)", dir, why, -r);
}

/* The kernel's struct sigaction (no sa_restorer needed for SIG_DFL). */
struct k_sigaction_dfl {
    void *handler;
    unsigned long flags, restorer, mask;
};

/* No signal blocked, every disposition SIG_DFL (0). SIGKILL and SIGSTOP
 * cannot be changed; SIGSYS gets the fallback's handler later. */
static void fresh_signals(void)
{
    struct k_sigaction_dfl dfl = { 0 };
    for (long sig = 1; sig <= 64; sig++)
        if (sig != 9 && sig != 19)
            host_syscall4(NR_rt_sigaction, sig, &dfl, 0, 8);
    unsigned long none = 0;
    host_syscall4(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &none, 0, 8);
}

/* Dies with `parent` (see --parent-pid above). */
static void tie_to_parent(long parent)
{
    long r = host_syscall2(NR_prctl, 1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */);
    if (r < 0)
        linuxu_die("cannot set the parent-death signal (prctl: error %ld)", -r);
    /* Set after the parent died: we were reparented and no signal comes. */
    if (host_syscall0(NR_getppid) != parent)
        host_syscall2(NR_kill, host_syscall0(NR_getpid), 9);
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
    const char *exe = NULL, *execfn = NULL, *workdir = NULL;
    /* The entries stay in the host's argv area, as the app's argv strings do. */
    static char *app_envp[1024 + 1];
    int app_envc = 0;
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
        } else if (strcmp(a, "--fresh-signals") == 0) {
            fresh_signals();
        } else if (strcmp(a, "--parent-pid") == 0 && i + 1 < argc) {
            const char *n = argv[++i];
            long pid = 0;
            for (; *n >= '0' && *n <= '9' && pid < 100000000; n++)
                pid = pid * 10 + (*n - '0');
            if (*n || pid <= 0)
                linuxu_die("--parent-pid wants a process id, got \"%s\"", argv[i]);
            tie_to_parent(pid);
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
        } else if (strcmp(a, "--env") == 0 && i + 1 < argc) {
            if (app_envc == 1024)
                linuxu_die("too many --env options (max 1024)");
            app_envp[app_envc++] = argv[++i];
        } else if (strcmp(a, "--workdir") == 0 && i + 1 < argc) {
            workdir = keep(argv[++i]);
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
    unsigned long entry = im.eh.e_entry + im.bias;
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
        entry = interp.eh.e_entry + interp.bias;
    }
    /* After IMAGE and its interpreter are loaded, so relative paths on the
     * loader's command line mean what they meant to its caller. */
    if (workdir)
        enter_workdir(workdir);
    shim_init_modules();
    present_as_app();

    unsigned long sp = build_stack(frame_top, frame_top - 0x3f000, app_argc, app_argv, app_envc ? app_envp : envp,
                                   host_auxv, &im, ld);
    linuxu_install_sigsys();
    linuxu_sud_enable();
    linuxu_enter(entry, sp);
}
