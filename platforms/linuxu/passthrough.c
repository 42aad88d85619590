/* platform_unhandled_syscall on linuxu: issue the syscall to the host kernel
 * from the loader's text, except for the few calls whose host meaning would
 * be wrong for the app because the loader shares its process:
 *
 *   brk              the host break belongs to the loader: emulated
 *   readlink(at)     "/proc/self/exe" names the loader: answer the app's path
 *   execve(at)       the new program must run under the loader again
 *   rt_sigaction     SIGSYS is the fallback path's: the app gets a virtual one;
 *                    other handlers never block SIGSYS
 *   rt_sigprocmask,  SIGSYS is never blocked (a blocked SIGSYS from Syscall
 *   rt_sigsuspend    User Dispatch kills the process)
 *   prctl            the app may not reconfigure Syscall User Dispatch
 *   clone/fork/vfork children re-enable Syscall User Dispatch (not inherited)
 *   munmap, exit     a thread unmapping its own stack: done at its exit
 *   mmap, munmap,    never touch the loader's own range
 *   mprotect, madvise, mremap
 *   mmap             a rewritten library's slot segment: fill the slots
 *   open, stat, ...  with --root, absolute paths are looked up in the image
 *
 * (sud.c also handles rt_sigprocmask and sigaltstack itself on the SUD path,
 * and rt_sigreturn and clone with a new stack on both paths.)
 */
#include "linuxu.h"
#include "shim/elf.h"
#include "shim/uaccess.h"

#define AT_FDCWD (-100)
#define PR_SET_SYSCALL_USER_DISPATCH 59

/* ---- the loader's own memory -------------------------------------------------
 * The loader (and the shim in it) sits in the app's address space where,
 * natively, nothing is mapped. Calls that would change that range are
 * answered as for an unmapped range and never reach it: munmap succeeds
 * doing nothing, mprotect/madvise/mremap fail with ENOMEM/EFAULT. Only a
 * MAP_FIXED mapping there differs from native (ENOMEM instead of success). */
extern char __executable_start[], _end[];

static int hits_loader(unsigned long addr, unsigned long len)
{
    unsigned long ls = (unsigned long)__executable_start, le = PAGE_UP((unsigned long)_end);
    unsigned long end = addr + len < addr ? ~0UL : addr + len;
    return len && addr < le && end > ls;
}

/* ---- brk ---------------------------------------------------------------- */

static unsigned long brk_cur;
static volatile int brk_lock;

void linuxu_brk_init(unsigned long start)
{
    linuxu.brk_start = start;
    brk_cur = start;
}

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED 0x10
#define MAP_FIXED_NOREPLACE 0x100000

/* Like Linux: the break moves in whole pages; a failed move (or an address
 * below the start) returns the unchanged break. */
static long emulated_brk(unsigned long want)
{
    while (__atomic_test_and_set(&brk_lock, __ATOMIC_ACQUIRE))
        ;
    unsigned long cur = brk_cur;
    if (want >= linuxu.brk_start) {
        unsigned long old_end = PAGE_UP(cur), new_end = PAGE_UP(want);
        int ok = 1;
        if (new_end > old_end) {
            long r = host_syscall6(NR_mmap, (long)old_end, (long)(new_end - old_end),
                                   PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (SHIM_IS_ERR(r) || (unsigned long)r != old_end) {
                if (!SHIM_IS_ERR(r))
                    host_syscall2(NR_munmap, r, new_end - old_end);
                ok = 0;
            }
        } else if (new_end < old_end) {
            host_syscall2(NR_munmap, new_end, old_end - new_end);
        }
        if (ok)
            brk_cur = cur = want;
    }
    __atomic_clear(&brk_lock, __ATOMIC_RELEASE);
    return (long)cur;
}

/* ---- the app's memory ------------------------------------------------------
 * The platform's primitives behind shim/uaccess.h: the host kernel copies
 * (process_vm_readv on this very process, which checks both sides), so a bad
 * pointer gives -EFAULT like the real syscall instead of a SIGSEGV inside the
 * loader, whatever the app did with its own SIGSEGV disposition. */

struct iov {
    const void *base;
    size_t len;
};

size_t platform_copy_nofault(void *dst, const void *src, size_t n)
{
    if (!n)
        return 0;
    struct iov l = { dst, n }, r = { src, n };
    long got = host_syscall6(NR_process_vm_readv, host_syscall0(NR_getpid), (long)&l, 1, (long)&r, 1, 0);
    return got < 0 ? n : n - (size_t)got;
}

size_t platform_clear_nofault(void *dst, size_t n)
{
    static const char zeros[256];
    for (size_t off = 0; off < n;) {
        size_t c = n - off < sizeof zeros ? n - off : sizeof zeros;
        size_t left = platform_copy_nofault((char *)dst + off, zeros, c);
        if (left)
            return n - off - (c - left);
        off += c;
    }
    return 0;
}

/* Page by page, so a string that ends just before an unmapped page is fine. */
long platform_strncpy_nofault(char *dst, const char *src, size_t n)
{
    size_t off = 0;
    while (off < n) {
        size_t chunk = LINUXU_PAGE - (((unsigned long)src + off) & (LINUXU_PAGE - 1));
        if (chunk > n - off)
            chunk = n - off;
        if (platform_copy_nofault(dst + off, src + off, chunk))
            return -1;
        size_t z = strnlen(dst + off, chunk);
        if (z < chunk)
            return (long)(off + z);
        off += chunk;
    }
    return (long)n;
}

/* No shim module on linuxu uses it (futexes are the host's). A readable
 * word is assumed writable: there is no host call that tests it atomically
 * with the exchange (a write-back of the value read would race). */
int platform_cmpxchg_user_u32(uint32_t *uaddr, uint32_t old, uint32_t new_val, uint32_t *cur)
{
    uint32_t v;
    if (((uintptr_t)uaddr & 3) || copy_from_user(&v, uaddr, 4))
        return -EFAULT;
    __atomic_compare_exchange_n(uaddr, &old, new_val, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    *cur = old;
    return 0;
}

/* clone3 from a rewritten site (start.S): puts [flags, return address] at
 * the top of the child's stack - 144 and shrinks the app's stack_size by
 * 144, which start.S restores after the call. Returns 1 (the plain C path,
 * where the host's clone3 answers) for no stack, an unusual size, or
 * memory that cannot be read or written. */
int linuxu_clone3_frame(unsigned long *uargs, unsigned long size, unsigned long ret, unsigned long flags);
int linuxu_clone3_frame(unsigned long *uargs, unsigned long size, unsigned long ret, unsigned long flags)
{
    unsigned long a[8];   /* flags pidfd child_tid parent_tid exit_signal stack stack_size tls */
    if (size < sizeof a || size > 4096 || copy_from_user(a, uargs, sizeof a) || !a[5])
        return 1;
    unsigned long frame[2] = { flags, ret }, shrunk = a[6] - 144;
    if (copy_to_user((void *)(a[5] + a[6] - 144), frame, sizeof frame) ||
        copy_to_user(&uargs[6], &shrunk, sizeof shrunk))
        return 1;
    return 0;
}

long linuxu_app_read(void *dst, const void *app_src, size_t n)
{
    return copy_from_user(dst, app_src, n) ? -EFAULT : 0;
}
long linuxu_app_write(void *app_dst, const void *src, size_t n)
{
    return copy_to_user(app_dst, src, n) ? -EFAULT : 0;
}

/* Returns the string's length, -EFAULT, or -ENAMETOOLONG if it does not fit
 * in `size` bytes with its NUL. */
long linuxu_app_str(char *dst, const char *app_src, size_t size)
{
    return strncpy_from_user(dst, app_src, size);
}

/* ---- /proc/self/exe ----------------------------------------------------- */

static int is_self_exe(const char *p)
{
    return strcmp(p, "/proc/self/exe") == 0 || strcmp(p, "/proc/thread-self/exe") == 0;
}

/* readlink(at) of the app: answers /proc/self/exe, else -1 (host's turn). */
static long app_readlink(const char *app_path, char *app_buf, long size)
{
    char p[32];
    if (linuxu_app_str(p, app_path, sizeof p) < 0 || !is_self_exe(p))
        return -1;
    if (size <= 0)
        return -EINVAL;
    size_t n = strlen(linuxu.exe_abs);
    if (n > (size_t)size)
        n = (size_t)size;
    /* readlink does not NUL-terminate */
    return linuxu_app_write(app_buf, linuxu.exe_abs, n) ? -EFAULT : (long)n;
}

/* ---- execve ------------------------------------------------------------- */

/* 1 if `path` is an ELF the loader can run: x86_64, executable or shared
 * object (dynamically linked ones too: the loader loads their PT_INTERP). */
static int loadable_elf(const char *path)
{
    long fd = host_syscall4(NR_openat, AT_FDCWD, path, 0 /* O_RDONLY */ | 0x80000 /* O_CLOEXEC */, 0);
    if (fd < 0)
        return 0;
    Elf64_Ehdr h;
    int ok = host_syscall4(NR_pread64, fd, &h, sizeof h, 0) == (long)sizeof h &&
             memcmp(h.e_ident, ELFMAG, SELFMAG) == 0 && h.e_ident[EI_CLASS] == ELFCLASS64 &&
             h.e_machine == EM_X86_64 && (h.e_type == ET_EXEC || h.e_type == ET_DYN) &&
             h.e_phentsize == sizeof(Elf64_Phdr) && h.e_phnum > 0 && h.e_phnum < 256;
    host_syscall1(NR_close, fd);
    return ok;
}

/* The file to load for `path`: its --map image, else the image root's
 * copy (written to buf), else the path itself. */
static const char *map_image(const char *path, char *buf, size_t size)
{
    for (int i = 0; i < linuxu.nmaps; i++)
        if (strcmp(linuxu.maps[i].orig, path) == 0)
            return linuxu.maps[i].image;
    if (linuxu_root_lookup(path, buf, size))
        return buf;
    return path;
}

/* "#!interp [arg]" of a script, like the kernel's binfmt_script: the first
 * line, at most 255 bytes; returns 0 when `path` is not such a script. */
static int read_shebang(const char *path, char *line, size_t size, const char **interp, const char **arg)
{
    long fd = host_syscall4(NR_openat, AT_FDCWD, path, 0x80000 /* O_RDONLY|O_CLOEXEC */, 0);
    if (fd < 0)
        return 0;
    long n = host_syscall4(NR_pread64, fd, line, size - 1, 0);
    host_syscall1(NR_close, fd);
    if (n < 3 || line[0] != '#' || line[1] != '!')
        return 0;
    line[n] = 0;
    char *nl = strchr(line, '\n');
    if (!nl)
        return 0;   /* longer than the kernel accepts */
    *nl = 0;
    char *p = line + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return 0;
    *interp = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *arg = NULL;
    if (*p) {
        *p++ = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = 0;
        if (*p)
            *arg = p;   /* the rest of the line is ONE argument, as on Linux */
    }
    return 1;
}

/* The new program runs under a fresh copy of the loader (the host's
 * /proc/self/exe is the loader here: issued from the loader's text, this
 * lookup is the kernel's and is not intercepted), with the same options;
 * the target goes through --map. A "#!" script whose interpreter the loader
 * can run is started like the kernel would (interp [arg] script args...).
 * Dynamically linked targets run under the loader too (it loads their
 * PT_INTERP); with --root the target and its interpreter are looked up in
 * the image first. Targets the loader cannot run (not an x86_64 ELF nor a
 * script for one) are handed to the host unchanged. */
static long do_execve(const char *app_path, char *const argv[], char *const envp[])
{
    /* Runs on the app's stack, which can be tiny (musl's posix_spawn child
     * has about 5 KiB, shared with the SIGSYS frame): the path, the "#!"
     * line and the new argv live in a private mapping, not on the stack. */
    long argc = 0;
    for (char *arg = NULL; argv; argc++) {
        if (linuxu_app_read(&arg, &argv[argc], sizeof arg))
            return host_syscall3(NR_execve, app_path, argv, envp);   /* -EFAULT, exactly */
        if (!arg)
            break;
    }
    enum { PATH_SZ = 4096, LINE_SZ = 256, ROOT_SZ = LINUXU_PATH_MAX + LINUXU_ROOT_MAX + 8 };
    long max = argc + 2 * linuxu.nmaps + 20;
    long bytes = (long)PAGE_UP(PATH_SZ + LINE_SZ + 2 * ROOT_SZ + (unsigned long)max * sizeof(char *));
    long mem = host_syscall6(NR_mmap, 0, bytes, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (SHIM_IS_ERR(mem))
        return mem;
    char *pbuf = (char *)mem, *line = pbuf + PATH_SZ, *img1 = line + LINE_SZ, *img2 = img1 + ROOT_SZ;
    const char **nv = (const char **)(img2 + ROOT_SZ);
    long r;

    if (linuxu_app_str(pbuf, app_path, PATH_SZ) < 0) {
        /* Unreadable or too long: the host's execve reports it exactly. */
        r = host_syscall3(NR_execve, app_path, argv, envp);
        goto out;
    }
    const char *path = is_self_exe(pbuf) ? linuxu.exe_abs : pbuf;
    const char *image = map_image(path, img1, ROOT_SZ);
    const char *exe = path, *interp = NULL, *iarg = NULL;
    if (!loadable_elf(image)) {
        if (!read_shebang(image, line, LINE_SZ, &interp, &iarg) ||
            !loadable_elf(map_image(interp, img2, ROOT_SZ))) {
            r = host_syscall3(NR_execve, image, argv, envp);
            goto out;
        }
        exe = interp;
        image = map_image(interp, img2, ROOT_SZ);
    }

    long k = 0;
    nv[k++] = "portapp-linuxu";
    char fdbuf[16];
    if (linuxu.trace) {
        nv[k++] = "--trace";
        shim_snprintf(fdbuf, sizeof fdbuf, "%d", linuxu.err_fd);
        nv[k++] = "--trace-fd";
        nv[k++] = fdbuf;
    }
    for (int i = 0; i < linuxu.nmaps; i++) {
        nv[k++] = "--map";
        nv[k++] = linuxu.maps[i].spec;
    }
    if (linuxu.root) {
        nv[k++] = "--root";
        nv[k++] = linuxu.root;
        if (linuxu.root_strict)
            nv[k++] = "--root-strict";
    }
    nv[k++] = "--exe-path";
    nv[k++] = exe;
    nv[k++] = "--execfn";
    nv[k++] = pbuf;   /* as the app gave it, like the kernel's AT_EXECFN */
    nv[k++] = "--";
    nv[k++] = image;
    if (interp) {
        nv[k++] = interp;
        if (iarg)
            nv[k++] = iarg;
        nv[k++] = path;
        for (long i = 1; i < argc; i++)
            nv[k++] = argv[i];
    } else {
        if (argc == 0)
            nv[k++] = path;
        for (long i = 0; i < argc; i++)
            nv[k++] = argv[i];
    }
    nv[k] = NULL;
    r = host_syscall3(NR_execve, "/proc/self/exe", nv, envp);
out:
    host_syscall2(NR_munmap, mem, bytes);
    return r;
}

/* ---- signals ------------------------------------------------------------ */

struct k_sigaction {
    unsigned long handler, flags, restorer, mask;
};
static struct k_sigaction app_sigsys;   /* what the app believes SIGSYS does */

static long do_rt_sigaction(long sig, const struct k_sigaction *act, struct k_sigaction *old,
                            long sigsetsize)
{
    if (sigsetsize != 8)
        return -EINVAL;
    struct k_sigaction a;
    if (act && linuxu_app_read(&a, act, sizeof a))
        return -EFAULT;
    if (sig == SIGSYS_NR) {
        /* The real handler is the fallback path's; keep the app's wish so
         * it reads back what it set (Go and others set every signal). */
        struct k_sigaction prev = app_sigsys;
        if (old && linuxu_app_write(old, &prev, sizeof prev))
            return -EFAULT;
        if (act)
            app_sigsys = a;
        return 0;
    }
    if (!act)
        return host_syscall4(NR_rt_sigaction, sig, 0, old, sigsetsize);
    a.mask &= ~SIGSYS_BIT;
    return host_syscall4(NR_rt_sigaction, sig, &a, old, sigsetsize);
}

/* A SIGSYS that did not come from Syscall User Dispatch (kill, tgkill,
 * seccomp): what the app asked for with rt_sigaction(SIGSYS). Its handler is
 * called from the SIGSYS handler with the real siginfo and context (the
 * kernel saved the vector state in that frame); SIG_DFL re-raises the signal
 * with the default action, so the process dies of SIGSYS as natively. */
void linuxu_foreign_sigsys(int sig, void *info, void *uc)
{
    struct k_sigaction a = app_sigsys;
    if (a.handler == 1 /* SIG_IGN */)
        return;
    if (a.handler == 0 /* SIG_DFL */) {
        struct k_sigaction dfl = { 0, 0, 0, 0 };
        host_syscall4(NR_rt_sigaction, SIGSYS_NR, &dfl, 0, 8);
        host_syscall3(NR_tgkill, host_syscall0(NR_getpid), host_syscall0(NR_gettid), SIGSYS_NR);
        return;
    }
    if (a.flags & 0x80000000UL /* SA_RESETHAND */)
        app_sigsys.handler = 0;
    if (a.flags & 4 /* SA_SIGINFO */)
        ((void (*)(int, void *, void *))a.handler)(sig, info, uc);
    else
        ((void (*)(int))a.handler)(sig);
}

/* rt_sigprocmask(how, set, old, size) and rt_sigsuspend(set, size) with
 * SIGSYS taken out of the new mask. */
static long sigmask_call(long nr, const long a[6])
{
    int susp = nr == NR_rt_sigsuspend;
    const unsigned long *set = (const unsigned long *)(susp ? a[0] : a[1]);
    long size = susp ? a[1] : a[3];
    if (!set || size != 8 || (!susp && a[0] == 1 /* SIG_UNBLOCK */))
        return host_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    unsigned long s;
    if (linuxu_app_read(&s, set, sizeof s))
        return -EFAULT;
    s &= ~SIGSYS_BIT;
    if (susp)
        return host_syscall2(nr, &s, size);
    return host_syscall4(nr, a[0], &s, a[2], size);
}

/* ---- processes ---------------------------------------------------------- */

static long child_started(long r)
{
    if (r == 0) {
        linuxu_sud_enable_quiet();   /* the kernel does not inherit it */
        linuxu_fallback_reset();     /* only called for children with their own memory */
    }
    return r;
}

/* clone without a new stack (with one it goes through the special entries).
 * vfork, and CLONE_VM|CLONE_VFORK without a stack, become
 * clone(CLONE_VFORK) WITHOUT CLONE_VM: the child returns through the shim's
 * C frames, which would be overwritten under the suspended parent if the two
 * shared the stack. The parent still waits until the child execs or exits;
 * only memory sharing is lost, which POSIX vfork does not promise. */
static long do_clone(unsigned long flags, const long args[6])
{
    if (flags & CLONE_VM) {
        if (!(flags & CLONE_VFORK))
            return -EINVAL;   /* a thread sharing our stack: cannot work */
        flags &= ~CLONE_VM;
    }
    return child_started(host_syscall6(NR_clone, (long)flags, 0, args[2], args[3], args[4], 0));
}

/* A thread that unmaps its own stack and then exits (musl's __unmapself
 * for detached threads: munmap then exit, with no stack use in between).
 * The shim runs on that stack, so the munmap cannot happen before exit: it
 * is recorded here, reported done (0), and performed by the thread's exit
 * from registers only (linuxu_unmap_and_exit). */
#define MAX_PENDING_UNMAPS 64
static struct {
    unsigned long addr, len;
} pending_unmaps[MAX_PENDING_UNMAPS];

static int defer_own_stack_unmap(unsigned long addr, unsigned long len)
{
    unsigned long sp = (unsigned long)__builtin_frame_address(0);
    if ((addr & (LINUXU_PAGE - 1)) || len == 0 || sp - addr >= len)
        return 0;
    for (int i = 0; i < MAX_PENDING_UNMAPS; i++) {
        unsigned long free_slot = 0;
        if (__atomic_compare_exchange_n(&pending_unmaps[i].addr, &free_slot, addr, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            __atomic_store_n(&pending_unmaps[i].len, len, __ATOMIC_RELEASE);
            return 1;
        }
    }
    return 0;   /* table full: unmap now, as asked */
}

static void exit_thread(long code)
{
    unsigned long sp = (unsigned long)__builtin_frame_address(0);
    for (int i = 0; i < MAX_PENDING_UNMAPS; i++) {
        unsigned long a = __atomic_load_n(&pending_unmaps[i].addr, __ATOMIC_ACQUIRE);
        unsigned long l = __atomic_load_n(&pending_unmaps[i].len, __ATOMIC_ACQUIRE);
        if (a && sp - a < l) {
            pending_unmaps[i].len = 0;
            __atomic_store_n(&pending_unmaps[i].addr, 0, __ATOMIC_RELEASE);
            linuxu_unmap_and_exit(a, l, code);
        }
    }
    host_syscall1(NR_exit, code);
    __builtin_unreachable();
}

static _Noreturn void do_exit(long nr, long code)
{
    if (linuxu.trace && nr == NR_exit_group)
        shim_printk("port-app: linuxu: exit_group(%ld); %lu syscalls took the SUD fallback path\n",
                    code, linuxu_fallback_count());
    host_syscall1(nr, code);
    __builtin_unreachable();
}

/* Index of the path argument the image root applies to, or -1. Calls that
 * create names (mkdir, rename, creat ...) are the host's: the image is the
 * app's read-only layer. */
static int path_arg(long nr)
{
    switch (nr) {
    case 2:     /* open */
    case 4:     /* stat */
    case 6:     /* lstat */
    case 21:    /* access */
    case 89:    /* readlink */
    case 137:   /* statfs */
    case 191:   /* getxattr */
    case 192:   /* lgetxattr */
    case 194:   /* listxattr */
    case 195:   /* llistxattr */
        return 0;
    case 257:   /* openat */
    case 262:   /* newfstatat */
    case 267:   /* readlinkat */
    case 269:   /* faccessat */
    case 332:   /* statx */
    case 437:   /* openat2 */
    case 439:   /* faccessat2 */
        return 1;
    }
    return -1;
}

/* 1 if the call does not follow a final symlink in its path. */
static int no_follow(long nr, const long a[6])
{
    switch (nr) {
    case 6: case 89: case 192: case 195: case 267:   /* lstat readlink lgetxattr llistxattr readlinkat */
        return 1;
    case 262:   /* newfstatat(dirfd, path, buf, flags) */
        return (a[3] & 0x100 /* AT_SYMLINK_NOFOLLOW */) != 0;
    case 332:   /* statx(dirfd, path, flags, ...) */
        return (a[2] & 0x100) != 0;
    case 257:   /* openat(dirfd, path, flags): O_NOFOLLOW, O_PATH|O_NOFOLLOW */
        return (a[2] & 0x20000 /* O_NOFOLLOW */) != 0;
    case 2:
        return (a[1] & 0x20000) != 0;
    }
    return 0;
}

static long with_root_path(long nr, int pi, const long a[6])
{
    long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
    char *buf;
    b[pi] = (long)linuxu_root_app_path((const char *)a[pi], no_follow(nr, a), &buf);
    long r = host_syscall6(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
    linuxu_path_buf_free(buf);
    return r;
}

long platform_unhandled_syscall(long nr, const long a[6])
{
    switch (nr) {
    case NR_brk:
        return emulated_brk((unsigned long)a[0]);
    case NR_readlink: {
        long r = app_readlink((const char *)a[0], (char *)a[1], a[2]);
        if (r != -1)
            return r;
        break;
    }
    case NR_readlinkat: {
        long r = app_readlink((const char *)a[1], (char *)a[2], a[3]);
        if (r != -1)
            return r;
        break;
    }
    case NR_execve:
        return do_execve((const char *)a[0], (char *const *)a[1], (char *const *)a[2]);
    case NR_execveat: {
        char c[2] = { 0, 0 };
        if (a[1] && linuxu_app_read(c, (const char *)a[1], 1) == 0 && c[0] && (c[0] == '/' || a[0] == AT_FDCWD) &&
            a[4] == 0)
            return do_execve((const char *)a[1], (char *const *)a[2], (char *const *)a[3]);
        break;   /* fexecve and friends: host */
    }
    case NR_rt_sigaction:
        return do_rt_sigaction(a[0], (const struct k_sigaction *)a[1], (struct k_sigaction *)a[2], a[3]);
    case NR_rt_sigprocmask:
    case NR_rt_sigsuspend:
        return sigmask_call(nr, a);
    case NR_prctl:
        if (a[0] == PR_SET_SYSCALL_USER_DISPATCH)
            return -EINVAL;
        break;
    case NR_clone:
        return do_clone((unsigned long)a[0], a);
    case NR_vfork:
        return child_started(host_syscall6(NR_clone, (long)(CLONE_VFORK | SIGCHLD_NR), 0, 0, 0, 0, 0));
    case NR_clone3: {
        /* With a stack it took the special entry; without one, a CLONE_VM
         * child would share our stack. */
        unsigned long flags = 0;
        if (a[1] >= 8 && linuxu_app_read(&flags, (const void *)a[0], sizeof flags) == 0 && (flags & CLONE_VM))
            return -EINVAL;
        return child_started(host_syscall6(nr, a[0], a[1], 0, 0, 0, 0));
    }
    case NR_fork:
        return child_started(host_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
    case NR_exit_group:
        do_exit(nr, a[0]);
    case NR_exit:
        exit_thread(a[0]);
        break;
    case NR_munmap:
        if (hits_loader((unsigned long)a[0], (unsigned long)a[1]))
            return 0;
        if (defer_own_stack_unmap((unsigned long)a[0], (unsigned long)a[1]))
            return 0;
        break;
    case NR_mmap: {
        if ((a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && hits_loader((unsigned long)a[0], (unsigned long)a[1]))
            return -ENOMEM;
        long r = host_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (!SHIM_IS_ERR(r))
            linuxu_slots_after_mmap((unsigned long)r, (unsigned long)a[1], a[2], a[3], a[4], (unsigned long)a[5]);
        return r;
    }
    case NR_mprotect:
    case NR_madvise:
        if (hits_loader((unsigned long)a[0], (unsigned long)a[1]))
            return -ENOMEM;
        break;
    case NR_mremap:
        if (hits_loader((unsigned long)a[0], (unsigned long)a[1]))
            return -EFAULT;
        if ((a[3] & 2 /* MREMAP_FIXED */) && hits_loader((unsigned long)a[4], (unsigned long)a[2]))
            return -ENOMEM;
        break;
    }
    if (linuxu.root) {
        int pi = path_arg(nr);
        if (pi >= 0)
            return with_root_path(nr, pi, a);
    }
    return host_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

void platform_write_err(const char *buf, size_t len)
{
    while (len) {
        long r = host_syscall3(NR_write, linuxu.err_fd, buf, len);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return;
        buf += r;
        len -= (size_t)r;
    }
}

_Noreturn void platform_abort(int code)
{
    host_syscall1(NR_exit_group, code);
    __builtin_unreachable();
}
