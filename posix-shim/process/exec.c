/* posix-shim/process: execve and execveat (docs/processes.md).
 *
 * As Linux's fs/exec.c, in two halves:
 *
 *  1. Before the point of no return every failure returns -errno with the
 *     process unchanged: argv and envp are copied into one kernel buffer
 *     (E2BIG past Linux's limits), the file is resolved through the vfs
 *     and must be a regular file with an x bit, `#!` scripts are followed
 *     to their interpreter (Linux's binfmt_script: argv becomes [interp,
 *     its optional argument, the script's path, argv[1..]]), and an ELF is
 *     read whole into kernel memory, checked by the loader
 *     (platform_exec_check), and so is its PT_INTERP.
 *  2. Past it (exec_commit, on the thread's kernel stack: the app's stack,
 *     where a rewritten site runs the shim, goes away with the old address
 *     space), the other threads end, the process gets a new, empty lower
 *     half (sched_proc_exec, which runs every module's exec hook), a vfork
 *     parent is let go, the loader maps the copies (platform_exec_load) and
 *     the thread enters the new program. A failure there kills the
 *     process with SIGKILL, as Linux does.
 *
 * A file the guest does not have is logged once per path on the kernel log
 * ("[kernel] execve PATH: not in the image"), which port-app reads back to
 * say which program the app wanted (QemuLaunch). */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/uaccess.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/process.h"
#include "shim/vfs.h"
#include "shim/kabi.h"
#include "shim/exec.h"
#if SHIM_HAVE_sysinfo
#include "shim/sysinfo.h"
#endif

#define EXEC_ARG_STRLEN (32 * 4096)        /* MAX_ARG_STRLEN: one string, its NUL included */
#define EXEC_ARG_LIMIT (2u << 20)          /* strings and pointers: the loader's 8 MiB stack / 4 */
#define EXEC_MAX_SCRIPTS 5                 /* Linux's exec_binprm: depth > 5 is ELOOP */
#define EXEC_HEAD 256                      /* BINPRM_BUF_SIZE: what #! parsing sees */
#define EXEC_FILE_MAX (1ull << 30)         /* larger than any program we read whole */
#define EXEC_SIGKILL 9

/* Every string of the new program, NUL-terminated, one after the other;
 * vectors of offsets into it (the buffer moves as it grows). */
struct strtab {
    char *buf;
    size_t used, cap;
};

struct strvec {
    size_t *off;
    int n, cap;
};

struct bprm {
    size_t limit;             /* bytes of strings and pointers allowed */
    struct strtab s;
    struct strvec argv, envp;
    size_t filename;          /* AT_EXECFN: the path as execve was given it */
    size_t exe_path;          /* the ELF's absolute path (/proc/self/exe) */
    size_t interp_path;       /* its PT_INTERP, if interp */
    void *exe, *interp;       /* the files' copies */
    size_t exe_size, interp_size;
    /* Built last, before the point of no return (the buffer no longer
     * moves): the pointers the loader takes. */
    const char **argp, **envpp;
    /* Scratch for paths: here, not on the stack, which is the app's when
     * the shim runs from a rewritten site. */
    char path[4096];          /* execve's file name, copied in */
    char fdname[4096 + 32];   /* /dev/fd/N/path */
    char name[4096];          /* the file being opened (script interpreters) */
    char where[512];          /* an ELF's absolute path */
    char head[EXEC_HEAD + 1]; /* a file's first bytes, zero-padded */
    char comm[16];            /* the new name (TASK_COMM_LEN) */
};

/* ---- strings ------------------------------------------------------------------ */

static int st_reserve(struct strtab *s, size_t n)
{
    if (s->used + n <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->used + n)
        cap *= 2;
    char *b = shim_realloc(s->buf, cap);
    if (!b)
        return -ENOMEM;
    s->buf = b;
    s->cap = cap;
    return 0;
}

/* A kernel string (len bytes, no NUL) appended; *off gets its offset. */
static long st_add(struct strtab *s, const char *str, size_t len, size_t *off)
{
    if (st_reserve(s, len + 1))
        return -ENOMEM;
    *off = s->used;
    memcpy(s->buf + s->used, str, len);
    s->buf[s->used + len] = 0;
    s->used += len + 1;
    return 0;
}

static const char *st_get(const struct strtab *s, size_t off) { return s->buf + off; }

static int vec_insert(struct strvec *v, int at, size_t off)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 32;
        size_t *o = shim_realloc(v->off, (size_t)cap * sizeof *o);
        if (!o)
            return -ENOMEM;
        v->off = o;
        v->cap = cap;
    }
    memmove(v->off + at + 1, v->off + at, (size_t)(v->n - at) * sizeof *v->off);
    v->off[at] = off;
    v->n++;
    return 0;
}

/* Linux allows a quarter of RLIMIT_STACK (at least 128 KiB); the
 * loader's stack is 8 MiB whatever the limit says, so never more than a
 * quarter of that (Linux's default limit, too). */
static size_t arg_limit(void)
{
#if SHIM_HAVE_sysinfo
    unsigned long quarter = sysinfo_rlimit_cur(3 /* RLIMIT_STACK */) / 4;
    if (quarter < 32 * 4096)
        quarter = 32 * 4096;
    return quarter < EXEC_ARG_LIMIT ? quarter : EXEC_ARG_LIMIT;
#else
    return EXEC_ARG_LIMIT;
#endif
}

/* What counts against the limit, as Linux counts it: every string copied
 * (the file name included) and a pointer per argv and envp entry. */
static bool over_limit(const struct bprm *b)
{
    return b->s.used + 8 * ((size_t)b->argv.n + (size_t)b->envp.n) > b->limit;
}

/* The app's argv or envp (NULL: empty, as Linux allows) into v. */
static long copy_vector(struct bprm *b, struct strvec *v, const char *const *uvec)
{
    if (!uvec)
        return 0;
    for (size_t i = 0;; i++) {
        const char *up;
        if (get_user(up, &uvec[i]))
            return -EFAULT;
        if (!up)
            return 0;
        /* Copy straight into the buffer: grow it only when a string does
         * not fit what is left (the common case copies once). */
        long n;
        for (;;) {
            size_t room = b->s.cap - b->s.used;
            size_t lim = room < EXEC_ARG_STRLEN ? room : EXEC_ARG_STRLEN;
            n = lim ? strncpy_from_user(b->s.buf + b->s.used, up, lim) : -ENAMETOOLONG;
            if (n != -ENAMETOOLONG)
                break;
            if (lim == EXEC_ARG_STRLEN)
                return -E2BIG;              /* longer than MAX_ARG_STRLEN */
            if (st_reserve(&b->s, room + 4096 > EXEC_ARG_STRLEN ? EXEC_ARG_STRLEN : room + 4096))
                return -ENOMEM;
        }
        if (n < 0)
            return n;
        size_t off = b->s.used;
        b->s.used += (size_t)n + 1;
        if (vec_insert(v, v->n, off))
            return -ENOMEM;
        if (over_limit(b))
            return -E2BIG;
    }
}

/* ---- files --------------------------------------------------------------------- */

/* A missing program is worth one line on the kernel's log (port-app shows
 * it after the run); each path once, so a shell looking along PATH does
 * not flood the serial line. */
static void log_missing(const char *path)
{
    static uint64_t seen[64];
    static unsigned nseen;
    uint64_t h = 1469598103934665603ull;              /* FNV-1a */
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    for (unsigned i = 0; i < nseen && i < 64; i++)
        if (seen[i] == h)
            return;
    seen[nseen++ % 64] = h;
    char line[600];
    int n = shim_snprintf(line, sizeof line, "[kernel] execve %s: not in the image\n", path);
    if (n > 0)
        platform_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* The file execve would run: dirfd and flags as execveat's (an empty path
 * with AT_EMPTY_PATH is dirfd itself). A referenced regular file with an
 * execute bit, or -errno as Linux's open_exec. */
static long open_exec(int dirfd, const char *path, int flags, struct vnode **out)
{
    struct vnode *vn;
    if (!*path && (flags & K_AT_EMPTY_PATH)) {
        if (dirfd == K_AT_FDCWD) {
            vn = vfs_cwd_vnode();
        } else {
            struct file *f = fd_file(dirfd);
            if (!f)
                return -EBADF;
            vn = f->vn;
        }
        vnode_get(vn);
    } else {
        long r = vfs_resolve(dirfd, path, !(flags & K_AT_SYMLINK_NOFOLLOW), &vn);
        if (r == -ENOENT && *path)
            log_missing(path);
        if (r < 0)
            return r;
    }
    long r = 0;
    if (K_S_ISLNK(vn->mode))
        r = -ELOOP;                       /* AT_SYMLINK_NOFOLLOW on a symlink */
    else if (!K_S_ISREG(vn->mode) || !(vn->mode & 0111))
        r = -EACCES;
    if (r < 0) {
        vnode_put(vn);
        return r;
    }
    *out = vn;
    return 0;
}

/* An open file description of vn for the kernel's reads (no fd). */
static long open_for_read(struct vnode *vn, struct file **out)
{
    if (!vn->ops || !vn->ops->read)
        return -EACCES;
    struct file *f = file_new(vn, K_O_RDONLY);
    if (!f)
        return -ENOMEM;
    if (vn->ops->open) {
        long r = vn->ops->open(vn, f);
        if (r < 0) {
            /* As the vfs's open: the fs never saw it opened, so no release. */
            shim_free(f);
            vnode_put(vn);
            return r;
        }
    }
    *out = f;
    return 0;
}

/* Up to n bytes at off (fewer at the end of the file). */
static long read_at(struct file *f, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        uint64_t pos = off + got;
        long r = f->vn->ops->read(f, (char *)buf + got, n - got, &pos);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

/* The whole file into a new heap block (the size the vnode says is only
 * a hint: a mounted file system's may be stale). */
static long read_whole(struct file *f, void **out, size_t *size)
{
    size_t cap = f->vn->size ? (size_t)f->vn->size + 1 : 65536, got = 0;
    if (cap > EXEC_FILE_MAX)
        return -ENOMEM;
    char *buf = shim_alloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        long r = read_at(f, buf + got, cap - got, got);
        if (r < 0) {
            shim_free(buf);
            return r;
        }
        got += (size_t)r;
        if (got < cap)
            break;
        if (cap * 2 > EXEC_FILE_MAX) {
            shim_free(buf);
            return -ENOMEM;
        }
        char *more = shim_realloc(buf, cap * 2);
        if (!more) {
            shim_free(buf);
            return -ENOMEM;
        }
        buf = more;
        cap *= 2;
    }
    *out = buf;
    *size = got;
    return 0;
}

/* ---- #! scripts (Linux's binfmt_script) ----------------------------------------- */

static bool spacetab(char c) { return c == ' ' || c == '\t'; }

static char *next_non_spacetab(char *p, char *end)
{
    for (; p < end; p++)
        if (!spacetab(*p))
            return p;
    return NULL;
}

static char *next_terminator(char *p, char *end)
{
    for (; p < end; p++)
        if (spacetab(*p) || !*p)
            return p;
    return NULL;
}

/* head: the file's first EXEC_HEAD bytes, zero-padded (as Linux's buffer).
 * Sets the interpreter's name and optional argument (pointers into head,
 * NUL-terminated there). 0 or -ENOEXEC. */
static long parse_shebang(char *head, const char **name, const char **arg)
{
    char *buf_end = head + EXEC_HEAD - 1;
    char *i_end = NULL;
    for (char *p = head; p < head + EXEC_HEAD && *p; p++) {
        if (*p == '\n') {
            i_end = p;
            break;
        }
    }
    if (!i_end) {
        char *first = next_non_spacetab(head + 2, buf_end);
        if (!first)
            return -ENOEXEC;                 /* only spaces and tabs */
        if (!next_terminator(first, buf_end))
            return -ENOEXEC;                 /* the interpreter's path is cut off */
        i_end = buf_end;
    }
    while (i_end > head + 2 && spacetab(i_end[-1]))
        i_end--;
    char *i_name = next_non_spacetab(head + 2, i_end);
    if (!i_name || i_name == i_end)
        return -ENOEXEC;
    char *i_arg = NULL;
    char *i_sep = next_terminator(i_name, i_end);
    if (i_sep && *i_sep)
        i_arg = next_non_spacetab(i_sep, i_end);
    *i_end = 0;
    if (i_arg)
        *i_sep = 0;
    *name = i_name;
    *arg = i_arg;
    return 0;
}

/* ---- before the point of no return ------------------------------------------- */

static void bprm_free(struct bprm *b)
{
    shim_free(b->s.buf);
    shim_free(b->argv.off);
    shim_free(b->envp.off);
    shim_free(b->exe);
    shim_free(b->interp);
    shim_free(b->argp);
    shim_free(b->envpp);
    shim_free(b);
}

/* Checks and reads the program vn (open_exec's reference, which this
 * consumes) and its interpreter, following #! scripts; fills b->exe,
 * b->interp and their paths. */
static long prepare_file(struct bprm *b, struct vnode *vn, bool path_inaccessible)
{
    /* The path the next script level passes as its argument: the file
     * name execve got, then each interpreter's (Linux's bprm->interp). */
    size_t script_path = b->filename;
    char *name = b->name, *head = b->head;
    for (int depth = 0;; depth++) {
        long r;
        if (depth > 0) {
            /* The interpreter is looked up as a plain path from the cwd. */
            if (depth > EXEC_MAX_SCRIPTS)
                return -ELOOP;
            r = open_exec(K_AT_FDCWD, name, 0, &vn);
            if (r < 0)
                return r;
        }
        struct file *f;
        r = open_for_read(vn, &f);
        vnode_put(vn);                     /* the open file holds it now */
        if (r < 0)
            return r;
        memset(head, 0, sizeof b->head);
        r = read_at(f, head, EXEC_HEAD, 0);
        if (r < 0) {
            file_put(f);
            return r;
        }
        if (head[0] == '#' && head[1] == '!') {
            file_put(f);
            const char *i_name, *i_arg;
            r = parse_shebang(head, &i_name, &i_arg);
            if (r < 0)
                return r;
            if (path_inaccessible)
                return -ENOENT;            /* /dev/fd/N of an O_CLOEXEC fd: gone after exec */
            /* argv: [i_name, i_arg?, script path, argv[1..]] */
            size_t o_name, o_arg = 0;
            if (b->argv.n > 0) {
                memmove(b->argv.off, b->argv.off + 1, (size_t)(b->argv.n - 1) * sizeof *b->argv.off);
                b->argv.n--;
            }
            if (vec_insert(&b->argv, 0, script_path) ||
                st_add(&b->s, i_name, strlen(i_name), &o_name) ||
                (i_arg && st_add(&b->s, i_arg, strlen(i_arg), &o_arg)) ||
                (i_arg && vec_insert(&b->argv, 0, o_arg)) ||
                vec_insert(&b->argv, 0, o_name))
                return -ENOMEM;
            if (over_limit(b))
                return -E2BIG;
            shim_strlcpy(name, i_name, sizeof b->name);
            script_path = o_name;
            continue;
        }
        /* Not a script: an ELF, or nothing execve can run. */
        const char *interp_name, *why;
        if (memcmp(head, "\177ELF", 4) != 0) {
            file_put(f);
            return -ENOEXEC;
        }
        char *where = b->where;
        size_t wl = vfs_path_of(f->vn, where, sizeof b->where);
        r = read_whole(f, &b->exe, &b->exe_size);
        file_put(f);
        if (r < 0)
            return r;
        if (st_add(&b->s, where, wl < sizeof b->where ? wl : sizeof b->where - 1, &b->exe_path))
            return -ENOMEM;
        r = platform_exec_check(b->exe, b->exe_size, false, &interp_name, &why);
        if (r < 0)
            return r;
        if (!interp_name)
            return 0;
        if (st_add(&b->s, interp_name, strlen(interp_name), &b->interp_path))
            return -ENOMEM;
        r = open_exec(K_AT_FDCWD, st_get(&b->s, b->interp_path), 0, &vn);
        if (r < 0)
            return r;
        r = open_for_read(vn, &f);
        vnode_put(vn);
        if (r < 0)
            return r;
        r = read_whole(f, &b->interp, &b->interp_size);
        file_put(f);
        if (r < 0)
            return r;
        const char *nested;
        return platform_exec_check(b->interp, b->interp_size, true, &nested, &why);
    }
}

static long pointers_of(const struct bprm *b, const struct strvec *v, const char ***out)
{
    const char **p = shim_alloc(((size_t)v->n + 1) * sizeof *p);
    if (!p)
        return -ENOMEM;
    for (int i = 0; i < v->n; i++)
        p[i] = st_get(&b->s, v->off[i]);
    *out = p;
    return 0;
}

/* Everything that can fail with the process unchanged. */
static long prepare(struct bprm *b, int dirfd, const char *ufilename, const char *const *uargv,
                    const char *const *uenvp, int flags)
{
    char *path = b->path;
    long r = strncpy_from_user(path, ufilename, sizeof b->path);
    if (r < 0)
        return r;
    if (!path[0] && !(flags & K_AT_EMPTY_PATH))
        return -ENOENT;
    /* The name the program is told (AT_EXECFN) and a script's interpreter
     * gets: the path, or /dev/fd/N[/path] for a path relative to a dirfd
     * (Linux's). Such a name of an O_CLOEXEC fd is gone after exec. */
    bool path_inaccessible = false;
    const char *filename = path;
    if (dirfd != K_AT_FDCWD && path[0] != '/') {
        if (!fd_file(dirfd))
            return -EBADF;
        shim_snprintf(b->fdname, sizeof b->fdname, path[0] ? "/dev/fd/%d/%s" : "/dev/fd/%d", dirfd, path);
        filename = b->fdname;
        path_inaccessible = fd_get_cloexec(dirfd) != 0;
    }
    /* Linux's order: the file is opened before the vectors are read. */
    struct vnode *vn;
    r = open_exec(dirfd, path, flags, &vn);
    if (r < 0)
        return r;
    /* The new name: the file name's last part, or for a bare fd (fexecve)
     * the name of the file it opened, as Linux (6.x) names it. */
    const char *comm = filename;
    if (!path[0] && dirfd != K_AT_FDCWD) {
        size_t wl = vfs_path_of(vn, b->where, sizeof b->where);
        b->where[wl < sizeof b->where ? wl : sizeof b->where - 1] = 0;
        comm = b->where;
    }
    const char *slash = strrchr(comm, '/');
    shim_strlcpy(b->comm, slash ? slash + 1 : comm, sizeof b->comm);
    if (st_add(&b->s, filename, strlen(filename), &b->filename) ||
        (r = copy_vector(b, &b->argv, uargv)) < 0 || (r = copy_vector(b, &b->envp, uenvp)) < 0) {
        vnode_put(vn);
        return r < 0 ? r : -ENOMEM;
    }
    if (b->argv.n == 0) {
        /* Linux (5.18+) gives a program started with no argv an empty argv[0]. */
        size_t off;
        if (st_add(&b->s, "", 0, &off) || vec_insert(&b->argv, 0, off)) {
            vnode_put(vn);
            return -ENOMEM;
        }
    }
    r = prepare_file(b, vn, path_inaccessible);
    if (r < 0)
        return r;
    /* The buffer is final: the loader takes pointers. */
    r = pointers_of(b, &b->argv, &b->argp);
    if (r == 0)
        r = pointers_of(b, &b->envp, &b->envpp);
    return r;
}

/* ---- past the point of no return ----------------------------------------------- */

static _Noreturn void exec_failed(struct bprm *b, const char *what, long err)
{
    /* The first process out of memory ends the run with the platform's
     * out-of-memory report, as a page fault would (the user raises -m). */
    if (err == -ENOMEM && process_is_init(sched_proc_current()))
        platform_out_of_memory("execve of a new program");
    char line[160];
    int n = shim_snprintf(line, sizeof line, "[kernel] execve: %s failed (error %ld): process killed\n", what, -err);
    if (n > 0)
        platform_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    bprm_free(b);
    process_exit(PROCESS_KILLED(EXEC_SIGKILL, 0));
}

/* On the kernel stack, interrupts off (sched_call_on_kstack). */
static _Noreturn void exec_commit(void *arg)
{
    struct bprm *b = arg;
    sched_proc_kill_others();
    long r = sched_proc_exec();
    if (r < 0)
        exec_failed(b, "a new address space", r);
    process_exec_done(b->comm);

    struct exec_object exe = { b->exe, b->exe_size, st_get(&b->s, b->exe_path) };
    struct exec_object interp = { b->interp, b->interp_size, b->interp ? st_get(&b->s, b->interp_path) : NULL };
    struct exec_args args = {
        .argc = b->argv.n, .argv = b->argp, .envc = b->envp.n, .envp = b->envpp,
        .execfn = st_get(&b->s, b->filename),
    };
    struct shim_regs regs;
    r = platform_exec_load(&exe, b->interp ? &interp : NULL, &args, &regs);
    if (r < 0)
        exec_failed(b, "loading the program", r);
    vfs_set_exe_path(exe.path);
    vfs_set_cmdline(args.argc, args.argv);
    bprm_free(b);
    platform_set_fs_base(0);               /* no TLS until the new libc sets one */
    regs_resume(&regs);
}

static long do_execveat(int dirfd, const char *filename, const char *const *argv, const char *const *envp,
                        int flags)
{
    if (flags & ~(K_AT_EMPTY_PATH | K_AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    struct bprm *b = shim_alloc(sizeof *b);
    if (!b)
        return -ENOMEM;
    b->limit = arg_limit();
    long r = prepare(b, dirfd, filename, argv, envp, flags);
    if (r < 0) {
        bprm_free(b);
        return r;
    }
    sched_call_on_kstack(exec_commit, b);
}

SHIM_SYSCALL(execve) { return do_execveat(K_AT_FDCWD, filename, argv, envp, 0); }
SHIM_SYSCALL(execveat) { return do_execveat(dfd, filename, argv, envp, flags); }
