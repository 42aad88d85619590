/* The image root on linuxu (--root DIR): absolute paths the app names are
 * looked up in the image first.
 *
 * Overlay (the default): a path that names a NON-directory in the image
 * (the rewritten executable, ld.so and libraries, the /etc files port-app
 * put there, the user's --file/--dir files) is served from the image;
 * everything else, directories included, is the host's. So `ls -la /`
 * lists the host's / exactly as natively, ld.so opening
 * /lib/x86_64-linux-gnu/libc.so.6 gets the rewritten copy, and a library
 * that is not in the image (a dlopen'ed module nobody listed) still loads,
 * unrewritten, through the Syscall User Dispatch fallback.
 *
 * Strict (--root-strict): every absolute path outside /proc, /sys and /dev
 * is the image's, whether it exists there or not, as on the unikernel.
 *
 * The image holds no symlinks (port-app puts a regular file at every name),
 * so the image side of a lookup is resolved lexically: "." and ".." are
 * collapsed before the image is asked, and ".." can never leave the image.
 */
#include "linuxu.h"

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define NR_newfstatat 262
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFLNK 0120000

/* Path buffers: the syscall paths run on the app's stack, which may be a
 * few KiB, so the two paths (the app's and the image's) live in a pool.
 * A thread (or a nested signal handler) that finds every buffer busy just
 * gets the host path. */
#define POOL 32
#define BUF_SZ (LINUXU_PATH_MAX + LINUXU_ROOT_MAX + 8)
static char pool[POOL][BUF_SZ];
static volatile unsigned char pool_busy[POOL];

char *linuxu_path_buf(void)
{
    for (int i = 0; i < POOL; i++)
        if (!__atomic_test_and_set(&pool_busy[i], __ATOMIC_ACQUIRE))
            return pool[i];
    return NULL;
}

void linuxu_path_buf_free(char *b)
{
    if (b)
        __atomic_clear(&pool_busy[(b - pool[0]) / BUF_SZ], __ATOMIC_RELEASE);
}

static int host_only(const char *p)
{
    static const char *const pseudo[] = { "/proc", "/sys", "/dev" };
    for (unsigned i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++) {
        size_t n = strlen(pseudo[i]);
        if (strncmp(p, pseudo[i], n) == 0 && (p[n] == 0 || p[n] == '/'))
            return 1;
    }
    return 0;
}

/* out = root + lexically normalized absolute `p`; 0, or -1 if too long. */
static int join(char *out, size_t size, const char *p)
{
    size_t n = strlen(linuxu.root);
    if (n + 1 >= size)
        return -1;
    memcpy(out, linuxu.root, n);
    size_t base = n;   /* never cut below the root */
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - c);
        if (len == 1 && c[0] == '.')
            continue;
        if (len == 2 && c[0] == '.' && c[1] == '.') {
            while (n > base && out[n - 1] != '/')
                n--;
            if (n > base)
                n--;
            continue;
        }
        if (n + 1 + len + 1 > size)
            return -1;
        out[n++] = '/';
        memcpy(out + n, c, len);
        n += len;
    }
    if (n == base)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}

struct kstat_mode {
    unsigned long dev, ino, nlink;
    unsigned mode, uid, gid, pad;
    unsigned long rest[13];
};

int linuxu_root_lookup(const char *path, char *out, size_t size)
{
    if (!linuxu.root || path[0] != '/')
        return 0;
    if (host_only(path))
        return 0;
    if (join(out, size, path) < 0)
        return 0;
    if (linuxu.root_strict)
        return 1;
    struct kstat_mode st;
    if (host_syscall4(NR_newfstatat, AT_FDCWD, out, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;
    return (st.mode & S_IFMT) != S_IFDIR;
}

/* Overlay, for calls that do not follow a final symlink (lstat, readlink
 * ...): where the host has a symlink, the app sees the host's symlink, as
 * natively (the image holds the file it points to as a regular file). */
static int host_symlink(const char *path)
{
    struct kstat_mode st;
    return host_syscall4(NR_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           (st.mode & S_IFMT) == S_IFLNK;
}

const char *linuxu_root_app_path(const char *app_path, int nofollow, char **buf)
{
    *buf = NULL;
    if (!linuxu.root || !app_path)
        return app_path;
    char *b = linuxu_path_buf();
    if (!b)
        return app_path;
    char *in = b, *out = b + LINUXU_PATH_MAX;
    /* A path the kernel would refuse (bad pointer, too long) is left to
     * the kernel, so its error is exactly the native one. */
    if (linuxu_app_str(in, app_path, LINUXU_PATH_MAX) < 0 ||
        !linuxu_root_lookup(in, out, BUF_SZ - LINUXU_PATH_MAX) ||
        (nofollow && !linuxu.root_strict && host_symlink(in))) {
        linuxu_path_buf_free(b);
        return app_path;
    }
    *buf = b;
    return out;
}
