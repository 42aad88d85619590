/* Extended attributes: the tree keeps none and accepts none, like a file
 * system without xattr support (EOPNOTSUPP), after the path or fd is
 * checked (ENOENT, EBADF first). Tools then fall back (coreutils ls and cp,
 * Python's shutil.copystat). */
#include "shim/shim.h"
#include "shim/vfs.h"

#define SYS(name) long sys_##name(SHIM_SYSCALL_ARGS)

static long by_path(long path, int follow)
{
    struct vnode *vn;
    long r = vfs_resolve(K_AT_FDCWD, (const char *)path, follow, &vn);
    if (r < 0)
        return r;
    vnode_put(vn);
    return -EOPNOTSUPP;
}

static long by_fd(long fd)
{
    return fd_file(fd) ? -EOPNOTSUPP : -EBADF;
}

#define XATTR_PATH(name, follow) \
    SYS(name) { (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return by_path(a0, follow); }
#define XATTR_FD(name) \
    SYS(name) { (void)a1; (void)a2; (void)a3; (void)a4; (void)a5; return by_fd(a0); }

XATTR_PATH(setxattr, 1)
XATTR_PATH(lsetxattr, 0)
XATTR_FD(fsetxattr)
XATTR_PATH(getxattr, 1)
XATTR_PATH(lgetxattr, 0)
XATTR_FD(fgetxattr)
XATTR_PATH(listxattr, 1)
XATTR_PATH(llistxattr, 0)
XATTR_FD(flistxattr)
XATTR_PATH(removexattr, 1)
XATTR_PATH(lremovexattr, 0)
XATTR_FD(fremovexattr)
