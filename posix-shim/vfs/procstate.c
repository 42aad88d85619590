/* The vfs's per-process state (shim/sched.h, "processes"): the fd table,
 * the cwd and umask, and the executable's path and command line for /proc.
 * The process-local part only points at heap objects, so that fork can
 * share or copy each one as Linux does:
 *
 *   fd table    CLONE_FILES shares it (refcounted); a plain fork copies it,
 *               each open file taking one more reference: parent and child
 *               hold the same open file description, so offsets and status
 *               flags are shared as between dup'ed fds, and a pipe end
 *               closes (its reader sees EOF) only when every process has
 *               closed it. execve closes the close-on-exec fds, in a table
 *               of its own (unshared first, like Linux's unshare_files).
 *   cwd, umask  CLONE_FS shares them; a plain fork copies them.
 *   exe, argv   never changed in place (setting makes a new one), so a
 *               fork shares them until the child's execve sets its own.
 *
 * The table grows on demand (64 fds first, then doubling up to
 * VFS_MAX_FDS), so a process costs about 1 KiB of fd table. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/sched.h"
#include "vfs_impl.h"

/* clone(2)'s flags (the hooks get the caller's clone flags). */
#define CLONE_FS    0x00000200ul
#define CLONE_FILES 0x00000400ul

#define FDT_FIRST 64
#define VFS_EXE_MAX 4095          /* PATH_MAX - 1 */
#define VFS_CMDLINE_MAX 4096      /* what /proc/PID/cmdline keeps of argv */

struct fd_entry {
    struct file *f;
    int cloexec;
};

struct fd_table {
    uint32_t refs;           /* processes sharing it (CLONE_FILES) */
    int cap;                 /* entries allocated at ent */
    struct fd_entry *ent;
};

struct fs_ctx {
    uint32_t refs;           /* processes sharing it (CLONE_FS) */
    uint32_t umask;
    struct vnode *cwd;       /* referenced; NULL: "/" (made lazily) */
};

struct exe_info {
    uint32_t refs;
    size_t exe_len, cmdline_len;
    char data[];             /* exe path, NUL, then the NUL-separated argv */
};

struct vfs_proc {
    struct fd_table *files;
    struct fs_ctx *fs;
    struct exe_info *exe;    /* NULL until set */
};

static size_t proc_off;
static bool claimed;

void vfs_init(void);

static struct vfs_proc *vp(void)
{
    if (!claimed)
        vfs_init();           /* a caller before the module inits (harness) */
    return sched_proc_local_current(proc_off);
}

static struct vfs_proc *vp_of(struct proc_ctx *p)
{
    if (!claimed)
        vfs_init();
    return sched_proc_local(p, proc_off);
}

/* ---- the fd table ------------------------------------------------------------ */

static struct fd_table *fdt_new(int cap)
{
    struct fd_table *t = shim_alloc(sizeof *t);
    struct fd_entry *e = shim_alloc((size_t)cap * sizeof *e);
    if (!t || !e) {
        shim_free(t);
        shim_free(e);
        return NULL;
    }
    t->refs = 1;
    t->cap = cap;
    t->ent = e;
    return t;
}

/* Makes room for fd (cap > fd); 0 or -ENOMEM. */
static long fdt_reserve(struct fd_table *t, int fd)
{
    if (fd < t->cap)
        return 0;
    int cap = t->cap;
    while (cap <= fd)
        cap *= 2;
    if (cap > VFS_MAX_FDS)
        cap = VFS_MAX_FDS;
    struct fd_entry *e = shim_realloc(t->ent, (size_t)cap * sizeof *e);
    if (!e)
        return -ENOMEM;
    memset(e + t->cap, 0, (size_t)(cap - t->cap) * sizeof *e);
    t->ent = e;
    t->cap = cap;
    return 0;
}

static int fdt_max_open(const struct fd_table *t)
{
    for (int fd = t ? t->cap - 1 : -1; fd >= 0; fd--)
        if (t->ent[fd].f)
            return fd;
    return -1;
}

/* A copy of t for a new process: the same open files, one more reference
 * each, with their close-on-exec flags. */
static struct fd_table *fdt_copy(const struct fd_table *t)
{
    int top = fdt_max_open(t);
    int cap = FDT_FIRST;
    while (cap <= top)
        cap *= 2;
    struct fd_table *n = fdt_new(cap);
    if (!n)
        return NULL;
    for (int fd = 0; fd <= top; fd++) {
        n->ent[fd] = t->ent[fd];
        if (n->ent[fd].f)
            file_get(n->ent[fd].f);
    }
    return n;
}

static void fdt_put(struct fd_table *t)
{
    if (!t || --t->refs)
        return;
    int closed = 0;
    for (int fd = 0; fd < t->cap; fd++) {
        if (t->ent[fd].f) {
            file_put(t->ent[fd].f);
            closed = 1;
        }
    }
    shim_free(t->ent);
    shim_free(t);
    if (closed)
        wake_all(&shim_poll_wq);   /* pipe ends may have closed */
}

static struct fd_table *cur_files(void) { return vp()->files; }

long fd_install(struct file *f, int min, int cloexec)
{
    struct fd_table *t = cur_files();
    if (min < 0)
        min = 0;
    for (int fd = min; t && fd < VFS_MAX_FDS; fd++) {
        if (fd >= t->cap && fdt_reserve(t, fd) < 0) {
            file_put(f);
            return -ENOMEM;
        }
        if (!t->ent[fd].f) {
            t->ent[fd].f = f;
            t->ent[fd].cloexec = cloexec;
            return fd;
        }
    }
    file_put(f);
    return -EMFILE;
}

struct file *vfs_fd_file_of(struct proc_ctx *p, long fd)
{
    struct fd_table *t = vp_of(p)->files;
    if (!t || fd < 0 || fd >= t->cap)
        return NULL;
    return t->ent[fd].f;
}

int vfs_fd_max_open_of(struct proc_ctx *p) { return fdt_max_open(vp_of(p)->files); }

struct file *fd_file(long fd)
{
    struct fd_table *t = cur_files();
    if (!t || fd < 0 || fd >= t->cap)
        return NULL;
    return t->ent[fd].f;
}

long fd_install_at(int fd, struct file *f, int cloexec)
{
    struct fd_table *t = cur_files();
    if (!t || fd < 0 || fd >= VFS_MAX_FDS || fdt_reserve(t, fd) < 0) {
        file_put(f);
        return t && fd >= 0 && fd < VFS_MAX_FDS ? -ENOMEM : -EBADF;
    }
    struct file *old = t->ent[fd].f;
    t->ent[fd].f = f;
    t->ent[fd].cloexec = cloexec;
    if (old)
        file_put(old);
    return 0;
}

int fd_max_open(void) { return fdt_max_open(cur_files()); }

int fd_get_cloexec(long fd) { return fd_file(fd) ? cur_files()->ent[fd].cloexec : 0; }

void fd_set_cloexec(long fd, int on)
{
    if (fd_file(fd))
        cur_files()->ent[fd].cloexec = on;
}

long fd_close(long fd)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    struct fd_table *t = cur_files();
    t->ent[fd].f = NULL;
    t->ent[fd].cloexec = 0;
    file_put(f);
    wake_all(&shim_poll_wq);    /* a closed pipe end changes its peer's state */
    return 0;
}

/* Gives v a table of its own if it shares one (CLONE_FILES). */
static long unshare_files(struct vfs_proc *v)
{
    if (!v->files || v->files->refs == 1)
        return 0;
    struct fd_table *n = fdt_copy(v->files);
    if (!n)
        return -ENOMEM;
    v->files->refs--;           /* others still hold it: nothing closes */
    v->files = n;
    return 0;
}

long vfs_unshare_files(void) { return unshare_files(vp()); }

/* ---- cwd and umask ------------------------------------------------------------ */

static struct fs_ctx *fs_new(struct vnode *cwd, uint32_t umask)
{
    struct fs_ctx *fs = shim_alloc(sizeof *fs);
    if (!fs)
        return NULL;
    fs->refs = 1;
    fs->umask = umask;
    fs->cwd = cwd;
    if (cwd)
        vnode_get(cwd);
    return fs;
}

static void fs_put(struct fs_ctx *fs)
{
    if (!fs || --fs->refs)
        return;
    vnode_put(fs->cwd);
    shim_free(fs);
}

static struct vnode *cwd_of(struct vfs_proc *v)
{
    if (!v->fs)
        return vfs_root();
    if (!v->fs->cwd) {
        v->fs->cwd = vfs_root();
        vnode_get(v->fs->cwd);
    }
    return v->fs->cwd;
}

struct vnode *vfs_cwd(void) { return cwd_of(vp()); }

struct vnode *vfs_cwd_vnode(void) { return vfs_cwd(); }

struct vnode *vfs_cwd_of(struct proc_ctx *p) { return cwd_of(vp_of(p)); }

void vfs_set_cwd(struct vnode *dir)
{
    struct fs_ctx *fs = vp()->fs;
    if (!fs)
        return;
    vnode_get(dir);
    struct vnode *old = fs->cwd;
    fs->cwd = dir;
    vnode_put(old);
}

uint32_t vfs_umask(void)
{
    struct fs_ctx *fs = vp()->fs;
    return fs ? fs->umask : 022;
}

void vfs_set_umask(uint32_t mask)
{
    struct fs_ctx *fs = vp()->fs;
    if (fs)
        fs->umask = mask & 0777;
}

/* ---- exe path and command line ---------------------------------------------------- */

static void exe_put(struct exe_info *e)
{
    if (e && !--e->refs)
        shim_free(e);
}

/* A new exe info holding path and room for cmdline_len bytes of command
 * line (NULL when out of memory). */
static struct exe_info *exe_new(const char *path, size_t path_len, size_t cmdline_len)
{
    struct exe_info *e = shim_alloc(sizeof *e + path_len + 1 + cmdline_len);
    if (!e)
        return NULL;
    e->refs = 1;
    e->exe_len = path_len;
    e->cmdline_len = cmdline_len;
    memcpy(e->data, path, path_len);
    e->data[path_len] = 0;
    return e;
}

static void exe_replace(struct exe_info *e)
{
    struct vfs_proc *v = vp();
    exe_put(v->exe);
    v->exe = e;
}

/* Both setters are best effort: /proc only shows these, so out of memory
 * keeps the old values. */
void vfs_set_exe_path(const char *path)
{
    struct exe_info *old = vp()->exe;
    struct exe_info *e = exe_new(path, strnlen(path, VFS_EXE_MAX), old ? old->cmdline_len : 0);
    if (!e)
        return;
    if (old)
        memcpy(e->data + e->exe_len + 1, old->data + old->exe_len + 1, old->cmdline_len);
    exe_replace(e);
}

void vfs_set_cmdline(int argc, const char *const *argv)
{
    size_t len = 0;
    int n = 0;
    for (; n < argc; n++) {
        size_t l = strlen(argv[n]) + 1;
        if (len + l > VFS_CMDLINE_MAX)
            break;
        len += l;
    }
    struct exe_info *old = vp()->exe;
    struct exe_info *e = exe_new(old ? old->data : "", old ? old->exe_len : 0, len);
    if (!e)
        return;
    char *at = e->data + e->exe_len + 1;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(argv[i]) + 1;
        memcpy(at, argv[i], l);
        at += l;
    }
    exe_replace(e);
}

const char *vfs_exe_path_of(struct proc_ctx *p)
{
    struct exe_info *e = vp_of(p)->exe;
    return e ? e->data : "";
}

const char *vfs_cmdline_of(struct proc_ctx *p, size_t *len)
{
    struct exe_info *e = vp_of(p)->exe;
    *len = e ? e->cmdline_len : 0;
    return e ? e->data + e->exe_len + 1 : "";
}

const char *vfs_exe_path(void) { return vfs_exe_path_of(sched_proc_current()); }

const char *vfs_cmdline(size_t *len) { return vfs_cmdline_of(sched_proc_current(), len); }

/* ---- the process hooks --------------------------------------------------------------- */

static void vfs_proc_drop(struct vfs_proc *v)
{
    fdt_put(v->files);
    fs_put(v->fs);
    exe_put(v->exe);
    memset(v, 0, sizeof *v);
}

static int vfs_proc_fork(void *child, const void *parent, unsigned long clone_flags)
{
    struct vfs_proc *c = child;
    const struct vfs_proc *p = parent;
    struct vfs_proc n = { 0 };
    if ((clone_flags & CLONE_FILES) && p->files) {
        n.files = p->files;
        n.files->refs++;
    } else if (!(n.files = p->files ? fdt_copy(p->files) : fdt_new(FDT_FIRST))) {
        goto nomem;
    }
    if ((clone_flags & CLONE_FS) && p->fs) {
        n.fs = p->fs;
        n.fs->refs++;
    } else if (!(n.fs = fs_new(p->fs ? p->fs->cwd : NULL, p->fs ? p->fs->umask : 022))) {
        goto nomem;
    }
    n.exe = p->exe;
    if (n.exe)
        n.exe->refs++;
    *c = n;
    return 0;
nomem:
    vfs_proc_drop(&n);
    memset(c, 0, sizeof *c);    /* a release of the failed child finds nothing */
    return -ENOMEM;
}

static int vfs_proc_exec(void *mine)
{
    struct vfs_proc *v = mine;
    if (!v->files)
        return 0;
    if (unshare_files(v) < 0)
        return -ENOMEM;
    int closed = 0;
    for (int fd = 0; fd < v->files->cap; fd++) {
        struct fd_entry *e = &v->files->ent[fd];
        if (e->f && e->cloexec) {
            struct file *f = e->f;
            e->f = NULL;
            e->cloexec = 0;
            file_put(f);
            closed = 1;
        }
    }
    if (closed)
        wake_all(&shim_poll_wq);
    return 0;
}

static void vfs_proc_release(void *mine) { vfs_proc_drop(mine); }

static const struct proc_local_ops vfs_proc_ops = {
    .fork = vfs_proc_fork,
    .exec = vfs_proc_exec,
    .release = vfs_proc_release,
};

/* The module's init (module.conf): claims the per-process part and gives
 * the first process its empty fd table (devfs binds fds 0/1/2 in it next)
 * and its cwd "/" with umask 022. */
void vfs_init(void)
{
    if (claimed)
        return;
    claimed = true;
    proc_off = sched_proc_local_claim("vfs", sizeof(struct vfs_proc), &vfs_proc_ops);
    struct vfs_proc *v = sched_proc_local_current(proc_off);
    v->files = fdt_new(FDT_FIRST);
    v->fs = fs_new(NULL, 022);
    if (!v->files || !v->fs)
        platform_out_of_memory("the first process's fd table");
}
