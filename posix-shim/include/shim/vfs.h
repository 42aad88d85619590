/* The shim's virtual file system: one in-memory tree of vnodes (ramfs
 * holds the data, devfs and procfs hang special vnodes into it), open file
 * descriptions, and the per-process fd table. Other file systems (9pfs)
 * are mounted on a directory of the tree (vfs_mount): below it the tree
 * only caches the names the backing store has (see struct vfs_fs).
 *
 * Entry points for the platform's boot sequence:
 *   vfs_mount_initrd(cpio, len)  fill / from a cpio "newc" archive. The
 *                                archive's memory must stay mapped and
 *                                unchanged: regular files point into it
 *                                until they are first written.
 *   vfs_set_exe_path(path)       the app's path, for /proc/self/exe.
 *   vfs_set_cmdline(argc, argv)  its arguments, for /proc/self/cmdline.
 *
 * Per process (shim/sched.h's process-local state, vfs/procstate.c): the fd
 * table, the cwd and umask, the exe path and command line. fork copies the
 * fd table (the same open file descriptions, so offsets are shared) and
 * the cwd, CLONE_FILES and CLONE_FS share them, execve closes the
 * close-on-exec fds. Every call below that takes no process works on the
 * calling thread's process.
 *
 * One CPU and a non-preemptive shim: no locks (shim/sched.h). */
#ifndef SHIM_VFS_H
#define SHIM_VFS_H

#include <stddef.h>
#include <stdint.h>
#include "shim/kabi.h"

#pragma GCC visibility push(hidden)

struct proc_ctx;

void vfs_mount_initrd(const void *cpio, size_t len);
/* The calling process's executable path (kernel string, copied), for
 * /proc/PID/exe; the loader and execve set it. Inherited across fork. */
void vfs_set_exe_path(const char *path);
const char *vfs_exe_path(void);           /* "" until set */
const char *vfs_exe_path_of(struct proc_ctx *p);
/* The calling process's argv (kernel strings, copied; up to 4 KiB), for
 * /proc/PID/cmdline and ps. Inherited across fork. */
void vfs_set_cmdline(int argc, const char *const *argv);
/* NUL-separated argv as set (len 0 until set). */
const char *vfs_cmdline(size_t *len);
const char *vfs_cmdline_of(struct proc_ctx *p, size_t *len);

/* The syscalls take the app's pointers and check them (shim/uaccess.h), so
 * they refuse the kernel's own memory. The kernel's callers use these,
 * which take kernel strings and buffers (returns as the syscalls'). */
long vfs_chdir(const char *path);                               /* chdir */
struct k_stat;
long vfs_fstat_fd(long fd, struct k_stat *st);                  /* fstat */
long vfs_pread_fd(long fd, void *buf, size_t n, uint64_t off);  /* pread64 */

struct vnode;
struct file;
struct k_stat;
struct k_statfs;

/* A mounted file system; its vnodes point here (vnode.fs). Below a mounted
 * directory the tree is a cache of the backing store's names: lookup asks
 * the store on a miss and vfs links what it finds; readdir lists the store,
 * never the cache; creating, removing and renaming go through the ops
 * create/remove/rename first and change the cache after they succeed; stat
 * comes from getattr. This keeps every path walk, "..", getcwd, cwd and
 * /proc/self/fd working unchanged across the mount point. The cache is never
 * evicted (a limit: memory grows with the names an app looks up). */
struct vfs_fs {
    const char *type, *source;   /* for /proc/mounts: "9p", the device's tag */
    uint64_t dev;            /* st_dev of its files (vfs_mount sets it) */
    int readonly;            /* mounted read-only: the fs answers EROFS to
                              * every change; vfs reports it (statfs, access) */
};

/* What getdents64 reports for one entry. */
struct vfs_dirent {
    uint64_t ino;
    uint8_t type;        /* K_DT_* */
    char name[256];
};

/* Operations of a vnode. Any may be NULL: vfs then applies the default
 * noted (or fails with the errno noted). */
struct vnode_ops {
    /* Files */
    long (*open)(struct vnode *, struct file *);            /* NULL: ok */
    void (*release)(struct file *);                         /* last close */
    long (*read)(struct file *, void *, size_t, uint64_t *pos);   /* -EINVAL */
    long (*write)(struct file *, const void *, size_t, uint64_t *pos); /* -EINVAL */
    long (*truncate)(struct vnode *, uint64_t size);        /* -EINVAL */
    unsigned (*poll)(struct file *);                        /* IN|OUT */
    /* A counter that grows with every event on the file (data arrived,
     * room made, peer closed), so edge-triggered epoll reports new data on
     * an fd that was already readable, as Linux does. NULL: 0 (epoll then
     * sees only changes of the ready set). */
    uint64_t (*event_seq)(struct file *);
    long (*ioctl)(struct file *, unsigned long, long);      /* -ENOTTY */
    /* Symlinks whose target is computed (procfs); NULL: vn->data. */
    long (*readlink)(struct vnode *, char *, size_t);
    /* "Magic" symlinks (/proc/self/fd/N): the vnode a walk through the link
     * reaches directly (referenced), instead of resolving its text. */
    long (*follow)(struct vnode *, struct vnode **out);
    /* Directories with computed entries (procfs), consulted after the static
     * children: lookup returns a referenced vnode or -ENOENT; readdir fills
     * entry idx (0-based) and returns 1, or 0 past the end. */
    long (*lookup)(struct vnode *dir, const char *name, size_t len, struct vnode **out);
    long (*readdir)(struct vnode *dir, long idx, struct vfs_dirent *out);
    /* Directories that accept new entries (ramfs): a fresh, unlinked vnode of
     * the given mode; vfs links it. NULL: -EACCES. */
    long (*mknode)(struct vnode *dir, uint32_t mode, struct vnode **out);
    /* Frees fs-private data when the vnode dies. */
    void (*destroy)(struct vnode *);
    /* Mounted file systems (vn->fs set; struct vfs_fs). create: a new
     * directory, regular file or symlink (to target) named name in the
     * store, returned unlinked (vfs links it into the cache); remove: the
     * entry name (is_dir: rmdir); rename: within one fs, replacing a
     * target as rename(2) does (vfs has checked types and emptiness). */
    long (*create)(struct vnode *dir, const char *name, size_t len, uint32_t mode, const char *target,
                   struct vnode **out);
    long (*remove)(struct vnode *dir, const char *name, size_t len, int is_dir);
    long (*rename)(struct vnode *odir, const char *oname, size_t olen, struct vnode *ndir, const char *nname,
                   size_t nlen);
    /* A new name in dir for vn (same fs). vfs does not cache it: a mounted
     * fs's vnode may stand for one name only (a 9P fid is a path), so the
     * name gets a vnode of its own when looked up. NULL: EPERM. */
    long (*link)(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
    /* stat from the store (also refreshes vn's cached mode and size);
     * f: the open file it is asked through (fstat), or NULL. */
    long (*getattr)(struct vnode *, struct file *f, struct k_stat *);
    /* Writes the attributes named in what (VFS_SET_*) from vn's fields. */
    long (*setattr)(struct vnode *, unsigned what);
    long (*fsync)(struct file *, int datasync);              /* NULL: 0 */
    long (*statfs)(struct vnode *, struct k_statfs *);      /* NULL: RAM's */
    int noseek;      /* lseek/pread/pwrite: -ESPIPE (pipes, ttys) */
};

#define VFS_SET_MODE  1u
#define VFS_SET_UID   2u
#define VFS_SET_GID   4u
#define VFS_SET_ATIME 8u
#define VFS_SET_MTIME 16u

/* A named entry of a directory vnode. */
struct dentry {
    struct dentry *next;
    struct vnode *vn;
    size_t len;
    char name[];
};

struct vnode {
    uint32_t mode;           /* K_S_IF* | permission bits */
    uint32_t nlink;          /* names pointing here (dirs: 1 while linked) */
    uint32_t uid, gid;
    uint64_t ino;
    uint64_t rdev;
    uint64_t size;
    struct k_timespec atime, mtime, ctime;
    const struct vnode_ops *ops;
    struct vnode *parent;    /* directory holding it (for "..", getcwd, paths) */
    struct vfs_fs *fs;       /* the mounted fs it belongs to; NULL: the tree's own */
    struct dentry *children; /* directories: static entries */
    uint32_t refs;           /* open files, cwd, walks in progress */
    /* fs-private */
    void *data;              /* ramfs: contents / symlink target */
    size_t cap;              /* ramfs: bytes allocated at data (0: borrowed) */
    long priv;
};

/* An open file description (shared by dup'ed fds). */
struct file {
    uint32_t refs;
    uint32_t flags;          /* K_O_* status flags and access mode */
    uint64_t pos;
    struct vnode *vn;
    uint64_t id;             /* unique per description (epoll checks it) */
    void *priv;              /* per-open state (pipe end, generated text ...) */
    size_t priv_len;
    int owner;               /* F_SETOWN's pid (SIGIO is not sent) */
};

/* ---- vnodes ---------------------------------------------------------------- */
struct vnode *vfs_root(void);
struct vnode *vfs_cwd_vnode(void);        /* not referenced */
struct vnode *vfs_cwd_of(struct proc_ctx *p);   /* not referenced */
/* A fresh vnode (refs 0, nlink 0) with a new inode number and times "now". */
struct vnode *vnode_new(uint32_t mode, const struct vnode_ops *ops);
void vnode_get(struct vnode *);
void vnode_put(struct vnode *);          /* frees at refs == 0 && nlink == 0 */
/* Static directory entries. vfs_link takes a new name for vn in dir
 * (nlink++, parent set for dirs); vfs_unlink_name drops one. */
struct vnode *vfs_dir_find(struct vnode *dir, const char *name, size_t len);
long vfs_link(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
long vfs_unlink_name(struct vnode *dir, const char *name, size_t len);
/* Creates missing directories along an absolute path (like mkdir -p) and
 * returns the last one (not referenced), or NULL. */
struct vnode *vfs_mkdir_p(const char *path);
/* Puts vn at the absolute path (replacing an existing non-directory entry). */
long vfs_install(const char *path, struct vnode *vn);
/* Mounts root (a mounted fs's root directory, fs set) at the absolute
 * path, creating the directory (and its parents) if missing; what the
 * tree had there is hidden (dropped). Gives the fs its st_dev. */
long vfs_mount(const char *path, struct vnode *root);
#define VFS_MAX_MOUNTS 16
/* The ith mount (0 ...): its path and fs; 0 past the last. */
int vfs_mount_nth(int i, const char **path, const struct vfs_fs **fs);
/* Absolute path of a vnode (best effort: its first name in its parent). */
size_t vfs_path_of(struct vnode *vn, char *buf, size_t size);
void vfs_now(struct k_timespec *ts);

/* Resolves a path like the *at syscalls: returns a referenced vnode. */
long vfs_resolve(int dirfd, const char *path, int follow, struct vnode **out);

/* ---- open files and the fd table --------------------------------------- */
/* The fd table of the calling process; it grows on demand up to this. */
#define VFS_MAX_FDS 1024
struct file *file_new(struct vnode *vn, uint32_t flags);   /* refs 1, vn ref'd */
void file_get(struct file *);
void file_put(struct file *);
/* Lowest free fd >= min holding f (takes over the caller's reference:
 * on -EMFILE or -ENOMEM it is put). */
long fd_install(struct file *f, int min, int cloexec);
struct file *fd_file(long fd);           /* borrowed; NULL if not open */
/* Binds fd to f, replacing what it held (dup2, fds 0/1/2): 0, or -EBADF /
 * -ENOMEM with f put. */
long fd_install_at(int fd, struct file *f, int cloexec);
int fd_max_open(void);                   /* highest open fd, or -1 */
long fd_close(long fd);
int fd_get_cloexec(long fd);
void fd_set_cloexec(long fd, int on);
/* Another process's table, for /proc/PID/fd (borrowed; NULL, -1 if none). */
struct file *vfs_fd_file_of(struct proc_ctx *p, long fd);
int vfs_fd_max_open_of(struct proc_ctx *p);

/* Readiness of an open file (K_POLL* mask), through its ops. */
unsigned vfs_poll_file(struct file *f);
/* Its event counter (vnode_ops.event_seq), 0 without one. */
uint64_t vfs_event_seq(struct file *f);

#pragma GCC visibility pop

#endif
