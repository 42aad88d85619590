/* Internal interfaces of the vfs module (not for other modules). */
#ifndef VFS_IMPL_H
#define VFS_IMPL_H

#include "shim/vfs.h"

/* The calling process's state (procstate.c). */
struct vnode *vfs_cwd(void);             /* not referenced */
void vfs_set_cwd(struct vnode *dir);
uint32_t vfs_umask(void);
void vfs_set_umask(uint32_t mask);       /* keeps mask & 0777 */
/* Gives the process an fd table of its own if it shares one (CLONE_FILES):
 * 0 or -ENOMEM. */
long vfs_unshare_files(void);
long vfs_lookup_one(struct vnode *dir, const char *name, size_t len, struct vnode **out);
long vfs_readlink_vn(struct vnode *vn, char *buf, size_t size);

/* The directory holding a path's last component, and that component. */
struct parent_ref {
    struct vnode *dir;       /* referenced */
    size_t len;              /* 0: the path names "/" */
    int trailing_slash;
    char name[256];
};
long vfs_resolve_parent(int dirfd, const char *path, struct parent_ref *pr);

/* A new entry name in dir (ramfs's mknode, or a mounted fs's create),
 * linked into the tree; *out is not referenced. */
long vfs_new_entry(struct vnode *dir, const char *name, size_t len, uint32_t mode, const char *target,
                   struct vnode **out);
/* Forgets the cached entries below a mounted directory (vfs_fs). */
void vfs_drop_cache(struct vnode *dir);
/* stat of a vnode (opened as f, or NULL): from its fs (getattr) or the tree. */
long vfs_stat_vn(struct vnode *vn, struct file *f, struct k_stat *st);
/* A path the app passed, copied in (shim/uaccess.h): short ones on the
 * stack, long ones (up to PATH_MAX) on the heap. vfs_getname returns 0,
 * -EFAULT, -ENAMETOOLONG or -ENOMEM; after 0, vfs_putname frees it. */
struct vfs_name {
    char *s;
    char small[128];
};
long vfs_getname(struct vfs_name *n, const char *upath);
void vfs_putname(struct vfs_name *n);
/* vfs_resolve / vfs_resolve_parent of an app's path. */
long vfs_resolve_user(int dirfd, const char *upath, int follow, struct vnode **out);
long vfs_resolve_parent_user(int dirfd, const char *upath, struct parent_ref *pr);

long vfs_open_vnode(struct vnode *vn, uint32_t flags);  /* -> fd */
void vfs_fill_stat(const struct vnode *vn, struct k_stat *st);

#endif
