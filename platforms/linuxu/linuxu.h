/* Internal interface of the linuxu platform (a Linux process hosting the
 * shim). The loader, the SIGSYS fallback and the host passthrough share it. */
#ifndef LINUXU_H
#define LINUXU_H

/* Everything is linked into one static image: hidden visibility lets
 * position-independent code reach symbols RIP-relative, never via a GOT. */
#pragma GCC visibility push(hidden)

#include "shim/shim.h"

/* ---- Raw host syscalls. The `syscall` instructions they expand to sit in
 * the loader's text, which is the range Syscall User Dispatch always lets
 * through, so the loader and the shim never trap on their own calls. */
static inline long host_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define host_syscall0(n) host_syscall6((n), 0, 0, 0, 0, 0, 0)
#define host_syscall1(n, a) host_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define host_syscall2(n, a, b) host_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define host_syscall3(n, a, b, c) host_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define host_syscall4(n, a, b, c, d) host_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* x86_64 syscall numbers the platform uses itself. */
enum {
    NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_mmap = 9,
    NR_mprotect = 10, NR_munmap = 11, NR_mremap = 25, NR_madvise = 28, NR_brk = 12, NR_rt_sigaction = 13,
    NR_rt_sigprocmask = 14, NR_rt_sigreturn = 15, NR_pread64 = 17,
    NR_clone = 56, NR_fork = 57, NR_vfork = 58, NR_execve = 59, NR_exit = 60,
    NR_readlink = 89, NR_getuid = 102, NR_getgid = 104, NR_geteuid = 107,
    NR_getegid = 108, NR_rt_sigsuspend = 130, NR_sigaltstack = 131, NR_prctl = 157,
    NR_gettid = 186, NR_getpid = 39, NR_tgkill = 234, NR_exit_group = 231, NR_openat = 257, NR_readlinkat = 267,
    NR_getppid = 110, NR_kill = 62, NR_getrandom = 318, NR_process_vm_readv = 310, NR_process_vm_writev = 311, NR_execveat = 322, NR_getcwd = 79, NR_chdir = 80, NR_fcntl = 72, NR_clone3 = 435,
};

#define LINUXU_PAGE 4096UL
#define PAGE_DOWN(x) ((unsigned long)(x) & ~(LINUXU_PAGE - 1))
#define PAGE_UP(x) (((unsigned long)(x) + LINUXU_PAGE - 1) & ~(LINUXU_PAGE - 1))

#define SIGSYS_NR 31
#define SIGSYS_BIT (1UL << (SIGSYS_NR - 1))

#define CLONE_VM 0x100UL
#define CLONE_VFORK 0x4000UL
#define SIGCHLD_NR 17

/* ---- Loader state, written once before the app starts. */
struct linuxu_map {
    const char *spec;          /* "ORIG=IMAGE" as given, for re-exec */
    const char *orig;
    const char *image;
};
#define LINUXU_MAX_MAPS 32

struct linuxu_state {
    int trace;
    int err_fd;                /* diagnostics and trace lines (default 2) */
    const char *exe_path;      /* what the app sees as its own path */
    const char *execfn;        /* the path as given to execve: AT_EXECFN, comm */
    const char *exe_abs;       /* canonical absolute path: readlink("/proc/self/exe") */
    int nmaps;
    struct linuxu_map maps[LINUXU_MAX_MAPS];
    unsigned long brk_start;   /* emulated program break */
    const char *root;          /* --root: the image's root directory, or NULL */
    int root_strict;           /* --root-strict: no fallback to the host's files */
};
extern struct linuxu_state linuxu;

#define LINUXU_PATH_MAX 4096
#define LINUXU_ROOT_MAX 1024

/* The image root (root.c). */
/* 1 and out = the image's file for absolute `path` when the image serves it
 * (overlay: a non-directory there; strict: anything outside /proc /sys /dev). */
int linuxu_root_lookup(const char *path, char *out, size_t size);
/* The path to hand the host for the app's pointer `app_path`: the image's
 * copy (in *buf, to give back with linuxu_path_buf_free) or app_path.
 * nofollow: the call does not follow a final symlink (lstat, readlink ...). */
const char *linuxu_root_app_path(const char *app_path, int nofollow, char **buf);
char *linuxu_path_buf(void);            /* LINUXU_PATH_MAX + LINUXU_ROOT_MAX + 8 bytes, or NULL */
void linuxu_path_buf_free(char *buf);   /* NULL is fine */

/* Slot tables of objects the app maps itself (slots.c): after a successful
 * mmap, fills the table when the mapping is its segment's. */
void linuxu_slots_after_mmap(unsigned long addr, unsigned long len, long prot, long flags, long fd,
                             unsigned long off);

/* Syscall User Dispatch (sud.c). */
extern unsigned long linuxu_sud_start, linuxu_sud_len;
extern volatile unsigned char linuxu_sud_selector;
void linuxu_sud_enable(void);           /* this thread; dies on failure */
long linuxu_sud_enable_quiet(void);     /* this thread; returns the prctl result */
void linuxu_install_sigsys(void);
unsigned long linuxu_fallback_count(void);
void linuxu_fallback_reset(void);   /* in a forked child: count its own */

/* Host passthrough with interceptions (passthrough.c). */
void linuxu_brk_init(unsigned long start);
/* The app's memory, through the kernel: 0 or -EFAULT. */
long linuxu_app_read(void *dst, const void *app_src, size_t n);
long linuxu_app_write(void *app_dst, const void *src, size_t n);
/* The app's NUL-terminated string: its length, -EFAULT or -ENAMETOOLONG. */
long linuxu_app_str(char *dst, const char *app_src, size_t size);
void linuxu_foreign_sigsys(int sig, void *info, void *uc);   /* kill -SYS etc. */

/* asm (start.S) */
_Noreturn void linuxu_enter(unsigned long entry, unsigned long sp);
void linuxu_sigreturn(void);    /* mov eax, 15; syscall */
long linuxu_raw_clone(long nr, long a0, long a1, long a2, long a3, long a4);
_Noreturn void linuxu_unmap_and_exit(unsigned long addr, unsigned long len, long code);

_Noreturn void linuxu_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#pragma GCC visibility pop

#endif
