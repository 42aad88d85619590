/* Host-side tests of the file-system modules of the POSIX shim (heap, vfs,
 * ramfs, devfs, procfs, pipe, poll, random), driven through their sys_*
 * entry points exactly as the dispatcher calls them, on a fake platform.
 *
 *   harness [ARCHIVE TREE]
 *
 * ARCHIVE (optional): a cpio newc archive made by `cpio -o -H newc` from the
 * host directory TREE; it is mounted too and every file under it is compared
 * with the host's copy. Prints one line per failed check and a summary;
 * exits 1 if any check failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "fake_platform.h"
#include "shim/kabi.h"
#include "shim/vfs.h"
#include "shim/alloc.h"
#include "shim/random.h"
#include "shim/devfs.h"
#include "shim/p9.h"
#include "shim/sched.h"
#include "fake_9p.h"
#include "shim_syscalls.h"   /* the sys_* handlers (generated, tests/Makefile) */

uint64_t platform_monotonic_ns(void);

void procfs_init(void);
void vfs_init(void);

#include "checks.h"

static long xopen(const char *p, long flags, long mode) { return C4(openat, K_AT_FDCWD, p, flags, mode); }

static long read_all(const char *path, char *buf, size_t size)
{
    long fd = xopen(path, K_O_RDONLY, 0);
    if (fd < 0)
        return fd;
    size_t got = 0;
    for (;;) {
        long r = C3(read, fd, buf + got, size - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    buf[got] = 0;
    C1(close, fd);
    return (long)got;
}

static long write_file(const char *path, const char *text)
{
    long fd = xopen(path, K_O_WRONLY | K_O_CREAT | K_O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    long r = C3(write, fd, text, strlen(text));
    C1(close, fd);
    return r;
}

/* Names in a directory, "\n"-joined, sorted by appearance. */
static long list_dir(const char *path, char *out, size_t size)
{
    long fd = xopen(path, K_O_RDONLY | K_O_DIRECTORY, 0);
    if (fd < 0)
        return fd;
    char buf[512];
    size_t used = 0;
    out[0] = 0;
    long n;
    while ((n = C3(getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct k_dirent64 *d = (struct k_dirent64 *)(buf + off);
            used += (size_t)snprintf(out + used, size - used, "%s\n", d->d_name);
            off += d->d_reclen;
        }
    }
    C1(close, fd);
    return n < 0 ? n : (long)used;
}

static int has_line(const char *list, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, '\n');
        if (!e)
            e = p + strlen(p);
        if ((size_t)(e - p) == l && memcmp(p, name, l) == 0)
            return 1;
        p = *e ? e + 1 : e;
    }
    return 0;
}

/* ---- a tiny cpio newc writer ------------------------------------------------ */

struct cpio { char *buf; size_t len, cap; unsigned ino; };

static void cp_put(struct cpio *c, const void *p, size_t n)
{
    if (c->len + n + 4 > c->cap) {
        c->cap = (c->len + n + 4) * 2;
        c->buf = realloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
}

static void cp_pad(struct cpio *c)
{
    static const char z[4];
    cp_put(c, z, (4 - c->len % 4) % 4);
}

static void cp_entry(struct cpio *c, const char *name, unsigned mode, unsigned nlink, unsigned ino,
                     const char *data, size_t len, unsigned rmaj, unsigned rmin)
{
    char h[128];
    snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino ? ino : ++c->ino, mode, 0u, 0u, nlink, 1700000000u, (unsigned)len, 0u, 0u, rmaj, rmin,
             (unsigned)strlen(name) + 1, 0u);
    cp_put(c, h, 110);
    cp_put(c, name, strlen(name) + 1);
    cp_pad(c);
    cp_put(c, data, len);
    cp_pad(c);
}

static char *archive_mem;

static void build_and_mount(void)
{
    struct cpio c = { 0 };
    c.ino = 100;
    cp_entry(&c, ".", 040755, 2, 0, "", 0, 0, 0);
    cp_entry(&c, "etc", 040755, 2, 0, "", 0, 0, 0);
    cp_entry(&c, "./etc/passwd", 0100644, 1, 0, "root:x:0:0:root:/root:/bin/sh\n", 30, 0, 0);
    cp_entry(&c, "bin", 040755, 2, 0, "", 0, 0, 0);
    cp_entry(&c, "bin/app", 0100755, 1, 0, "\177ELFfake", 8, 0, 0);
    cp_entry(&c, "bin/sh", 0120777, 1, 0, "app", 3, 0, 0);
    /* a file whose parent directory the archive never lists */
    cp_entry(&c, "usr/share/doc/README", 0100600, 1, 0, "read me\n", 8, 0, 0);
    /* hard links: data on the last one (as cpio writes them) */
    cp_entry(&c, "hl/a", 0100644, 2, 7, "", 0, 0, 0);
    cp_entry(&c, "hl/b", 0100644, 2, 7, "shared\n", 7, 0, 0);
    cp_entry(&c, "dev/null", 020666, 1, 0, "", 0, 1, 3);
    /* merged /usr: files stored under a symlinked directory's path */
    cp_entry(&c, "usr/lib", 040755, 2, 0, "", 0, 0, 0);
    cp_entry(&c, "lib", 0120777, 1, 0, "usr/lib", 7, 0, 0);
    cp_entry(&c, "lib/libc.so.6", 0100755, 1, 0, "libc", 4, 0, 0);
    cp_entry(&c, "loop1", 0120777, 1, 0, "loop2", 5, 0, 0);
    cp_entry(&c, "loop2", 0120777, 1, 0, "loop1", 5, 0, 0);
    cp_entry(&c, "TRAILER!!!", 0, 1, 0, "", 0, 0, 0);
    archive_mem = c.buf;
    vfs_mount_initrd(c.buf, c.len);
}

/* ---- sections ------------------------------------------------------------------ */

static void t_heap(void)
{
    section = "heap";
    void *small[200];
    for (int i = 0; i < 200; i++) {
        small[i] = shim_alloc((size_t)(i * 13 % 3000) + 1);
        CHECK(small[i] && ((uintptr_t)small[i] & 15) == 0, "alloc %d aligned", i);
        if (small[i])
            memset(small[i], 0xab, (size_t)(i * 13 % 3000) + 1);
    }
    for (int i = 0; i < 200; i += 2)
        shim_free(small[i]);
    char *p = shim_alloc(10);
    CHECK(p && p[0] == 0 && p[9] == 0, "recycled block is zeroed");
    memcpy(p, "abcdefghi", 10);
    p = shim_realloc(p, 100000);
    CHECK(p && memcmp(p, "abcdefghi", 10) == 0, "realloc keeps contents");
    shim_free(p);
    for (int i = 1; i < 200; i += 2)
        shim_free(small[i]);
    long before = fake_pages_out;
    void *big = shim_alloc(1 << 20);
    CHECK(fake_pages_out - before == 257, "1 MiB block takes 257 pages, took %ld", fake_pages_out - before);
    shim_free(big);
    CHECK(fake_pages_out == before, "large free returns the pages");
}

static void t_initrd(void)
{
    section = "initrd";
    char buf[4096];
    struct k_stat st;
    EXPECT(read_all("/etc/passwd", buf, sizeof buf), 30);
    CHECK(strcmp(buf, "root:x:0:0:root:/root:/bin/sh\n") == 0, "passwd contents: %s", buf);
    EXPECT(C2(stat, "/etc/passwd", &st), 0);
    CHECK(st.st_mode == 0100644 && st.st_size == 30 && st.st_mtim.tv_sec == 1700000000,
          "passwd stat mode %o size %ld mtime %ld", st.st_mode, (long)st.st_size, (long)st.st_mtim.tv_sec);
    EXPECT(C2(stat, "/etc", &st), 0);
    CHECK(st.st_mtim.tv_sec == 1700000000, "directory keeps the archive's mtime: %ld", (long)st.st_mtim.tv_sec);
    EXPECT(C2(stat, "/bin/sh", &st), 0);
    CHECK(st.st_mode == 0100755 && st.st_size == 8, "stat follows /bin/sh -> app");
    EXPECT(C2(lstat, "/bin/sh", &st), 0);
    CHECK(K_S_ISLNK(st.st_mode) && st.st_size == 3, "lstat sees the link");
    EXPECT(C3(readlink, "/bin/sh", buf, sizeof buf), 3);
    CHECK(memcmp(buf, "app", 3) == 0, "readlink /bin/sh");
    EXPECT(C3(readlink, "/etc/passwd", buf, sizeof buf), -EINVAL);
    EXPECT(read_all("/usr/share/doc/README", buf, sizeof buf), 8);
    EXPECT(C2(stat, "/usr/share", &st), 0);
    CHECK(K_S_ISDIR(st.st_mode), "implied parent directories exist");
    struct k_stat a, b;
    EXPECT(C2(stat, "/hl/a", &a), 0);
    EXPECT(C2(stat, "/hl/b", &b), 0);
    CHECK(a.st_ino == b.st_ino && a.st_nlink == 2 && a.st_size == 7, "hard links share an inode (nlink %lu size %ld)",
          (unsigned long)a.st_nlink, (long)a.st_size);
    EXPECT(read_all("/hl/a", buf, sizeof buf), 7);
    EXPECT(C2(stat, "/dev/null", &st), 0);
    CHECK((st.st_mode & K_S_IFMT) == K_S_IFCHR && st.st_rdev == 0x103, "initrd /dev/null is devfs's 1:3");
    EXPECT(xopen("/loop1", K_O_RDONLY, 0), -ELOOP);
    EXPECT(C2(stat, "/usr/lib/libc.so.6", &st), 0);
    CHECK(st.st_size == 4, "a file under a symlinked directory lands in its target");
    EXPECT(C2(lstat, "/lib", &st), 0);
    CHECK(K_S_ISLNK(st.st_mode), "/lib stays a symlink");
    char list[4096];
    CHECK(list_dir("/", list, sizeof list) > 0, "getdents64 /");
    CHECK(has_line(list, ".") && has_line(list, "..") && has_line(list, "etc") && has_line(list, "bin") &&
          has_line(list, "usr") && has_line(list, "dev") && has_line(list, "proc"), "root listing: %s", list);
    EXPECT(C2(stat, "/", &st), 0);
    CHECK(st.st_nlink >= 6, "root nlink counts subdirectories (%lu)", (unsigned long)st.st_nlink);
    /* Writing a file that borrows the archive copies it first. */
    long fd = xopen("/etc/passwd", K_O_WRONLY, 0);
    EXPECT(C3(write, fd, "ROOT", 4), 4);
    C1(close, fd);
    read_all("/etc/passwd", buf, sizeof buf);
    CHECK(memcmp(buf, "ROOT:x:0", 8) == 0, "write visible");
    CHECK(memmem(archive_mem, 2048, "root:x:0", 8) != NULL, "archive memory unchanged");
}

static void t_files(void)
{
    section = "files";
    char buf[256];
    struct k_stat st;
    EXPECT(C2(stat, "/tmp", &st), 0);
    CHECK(st.st_mode == (K_S_IFDIR | 01777), "/tmp made at mount: %o", st.st_mode);
    long fd = xopen("/nodir/x", K_O_RDWR | K_O_CREAT, 0666);
    EXPECT(fd, -ENOENT);
    EXPECT(C2(mkdir, "/w", 01777), 0);
    EXPECT(C2(stat, "/w", &st), 0);
    CHECK(st.st_mode == (K_S_IFDIR | 01755), "umask 022 applied: %o", st.st_mode);
    CHECK(st.st_mtim.tv_sec > 1700000000 && st.st_mtim.tv_sec == st.st_ctim.tv_sec,
          "new entries get the realtime clock: %ld", (long)st.st_mtim.tv_sec);
    fd = xopen("/tmp/x", K_O_RDWR | K_O_CREAT | K_O_EXCL, 0666);
    CHECK(fd >= 3, "create /tmp/x -> %ld", fd);
    EXPECT(xopen("/tmp/x", K_O_RDWR | K_O_CREAT | K_O_EXCL, 0666), -EEXIST);
    EXPECT(C3(write, fd, "hello world", 11), 11);
    EXPECT(C3(lseek, fd, 0, K_SEEK_CUR), 11);
    EXPECT(C3(lseek, fd, 6, K_SEEK_SET), 6);
    EXPECT(C3(read, fd, buf, 100), 5);
    CHECK(memcmp(buf, "world", 5) == 0, "read after seek");
    EXPECT(C4(pwrite64, fd, "W", 1, 6), 1);
    EXPECT(C4(pread64, fd, buf, 5, 6), 5);
    CHECK(memcmp(buf, "World", 5) == 0, "pread after pwrite");
    EXPECT(C3(lseek, fd, 0, K_SEEK_CUR), 11);         /* p* leave the offset */
    EXPECT(C3(lseek, fd, 20, K_SEEK_SET), 20);
    EXPECT(C3(write, fd, "!", 1), 1);
    EXPECT(C2(fstat, fd, &st), 0);
    CHECK(st.st_size == 21 && st.st_mode == (K_S_IFREG | 0644), "size after hole write %ld mode %o",
          (long)st.st_size, st.st_mode);
    EXPECT(C4(pread64, fd, buf, 9, 11), 9);
    CHECK(buf[0] == 0 && buf[8] == 0, "hole reads zeros");
    EXPECT(C2(ftruncate, fd, 5), 0);
    EXPECT(C3(lseek, fd, 0, K_SEEK_END), 5);
    EXPECT(C3(lseek, fd, -10, K_SEEK_CUR), -EINVAL);
    struct k_iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
    EXPECT(C3(writev, fd, iov, 3), 5);
    char r1[4], r2[16];
    struct k_iovec riov[2] = { { r1, 4 }, { r2, 16 } };
    EXPECT(C3(lseek, fd, 0, K_SEEK_SET), 0);
    EXPECT(C3(readv, fd, riov, 2), 10);
    CHECK(memcmp(r1, "hell", 4) == 0 && memcmp(r2, "oabcde", 6) == 0, "readv splits");
    EXPECT(C1(close, fd), 0);
    EXPECT(C1(close, fd), -EBADF);
    /* O_APPEND, O_TRUNC */
    fd = xopen("/tmp/x", K_O_WRONLY | K_O_APPEND, 0);
    EXPECT(C3(write, fd, "+", 1), 1);
    C1(close, fd);
    EXPECT(read_all("/tmp/x", buf, sizeof buf), 11);
    CHECK(strcmp(buf, "helloabcde+") == 0, "append: %s", buf);
    fd = xopen("/tmp/x", K_O_WRONLY | K_O_TRUNC, 0);
    EXPECT(C2(fstat, fd, &st), 0);
    CHECK(st.st_size == 0, "O_TRUNC empties");
    EXPECT(C3(read, fd, buf, 1), -EBADF);             /* write-only */
    C1(close, fd);
    fd = xopen("/tmp/x", K_O_RDONLY, 0);
    EXPECT(C3(write, fd, "x", 1), -EBADF);
    C1(close, fd);
    EXPECT(xopen("/tmp/x/", K_O_RDONLY, 0), -ENOTDIR);
    EXPECT(xopen("/tmp/x/y", K_O_RDONLY, 0), -ENOTDIR);
    EXPECT(xopen("/tmp", K_O_WRONLY, 0), -EISDIR);
    EXPECT(xopen("/tmp", K_O_RDONLY | K_O_CREAT, 0644), -EISDIR);
    EXPECT(xopen("/tmp/", K_O_RDONLY | K_O_CREAT, 0644), -EISDIR);
    EXPECT(xopen("/etc/passwd", K_O_RDONLY | K_O_DIRECTORY, 0), -ENOTDIR);
    EXPECT(xopen("", K_O_RDONLY, 0), -ENOENT);
    /* creat, truncate, stat family */
    fd = C2(creat, "/tmp/c", 0600);
    CHECK(fd >= 0, "creat");
    C3(write, fd, "12345678", 8);
    C1(close, fd);
    EXPECT(C2(truncate, "/tmp/c", 3), 0);
    EXPECT(C4(newfstatat, K_AT_FDCWD, "/tmp/c", &st, 0), 0);
    CHECK(st.st_size == 3 && st.st_nlink == 1 && st.st_blksize == 4096, "newfstatat");
    fd = xopen("/tmp/c", K_O_RDONLY, 0);
    memset(&st, 0, sizeof st);
    EXPECT(C4(newfstatat, fd, "", &st, K_AT_EMPTY_PATH), 0);
    CHECK(st.st_size == 3, "AT_EMPTY_PATH");
    struct k_statx sx;
    EXPECT(C5(statx, K_AT_FDCWD, "/tmp/c", 0, K_STATX_BASIC_STATS, &sx), 0);
    CHECK(sx.stx_size == 3 && sx.stx_mode == (K_S_IFREG | 0600) && (sx.stx_mask & 0x7ff) == 0x7ff, "statx");
    EXPECT(C2(fsync, fd, 0), 0);
    C1(close, fd);
    EXPECT(C2(access, "/tmp/c", K_R_OK | K_W_OK), 0);
    EXPECT(C2(access, "/tmp/c", K_X_OK), -EACCES);
    EXPECT(C2(access, "/bin/app", K_X_OK), 0);
    EXPECT(C2(access, "/nonexistent", K_F_OK), -ENOENT);
    EXPECT(C2(chmod, "/tmp/c", 0755), 0);
    EXPECT(C4(faccessat, K_AT_FDCWD, "/tmp/c", K_X_OK, 0), 0);
    struct k_timespec ts[2] = { { 5, 0 }, { 7, 0 } };
    EXPECT(C4(utimensat, K_AT_FDCWD, "/tmp/c", ts, 0), 0);
    EXPECT(C2(stat, "/tmp/c", &st), 0);
    CHECK(st.st_atim.tv_sec == 5 && st.st_mtim.tv_sec == 7, "utimensat");
    struct k_statfs sf;
    EXPECT(C2(statfs, "/tmp", &sf), 0);
    CHECK(sf.f_type == K_TMPFS_MAGIC && sf.f_blocks == 16384 && sf.f_bavail == 12288, "statfs from the RAM size");
    EXPECT(C4(getxattr, "/tmp/c", "user.x", buf, sizeof buf), -EOPNOTSUPP);
    EXPECT(C4(getxattr, "/tmp/none", "user.x", buf, sizeof buf), -ENOENT);
    EXPECT(C3(flistxattr, 999, buf, sizeof buf), -EBADF);
    EXPECT(C1(umask, 077), 022);
    EXPECT(C1(umask, 022), 077);
    /* sendfile: file -> file */
    write_file("/tmp/src", "sendfile payload");
    long in = xopen("/tmp/src", K_O_RDONLY, 0), out = xopen("/tmp/dst", K_O_WRONLY | K_O_CREAT, 0644);
    int64_t off = 5;
    EXPECT(C4(sendfile, out, in, &off, 100), 11);
    CHECK(off == 16, "sendfile advances *offset");
    EXPECT(C3(lseek, in, 0, K_SEEK_CUR), 0);
    C1(close, in);
    C1(close, out);
    read_all("/tmp/dst", buf, sizeof buf);
    CHECK(strcmp(buf, "ile payload") == 0, "sendfile copied: %s", buf);
}

static void t_namespace(void)
{
    section = "namespace";
    char buf[512], list[1024];
    struct k_stat st;
    EXPECT(C2(mkdir, "/a", 0755), 0);
    EXPECT(C2(mkdir, "/a/b", 0755), 0);
    EXPECT(C2(mkdir, "/a/b", 0755), -EEXIST);
    EXPECT(C2(mkdir, "/a/b/", 0755), -EEXIST);
    EXPECT(C2(mkdir, "/zz/b", 0755), -ENOENT);
    EXPECT(C2(stat, "/a", &st), 0);
    CHECK(st.st_nlink == 3, "dir nlink 2 + subdir: %lu", (unsigned long)st.st_nlink);
    EXPECT(write_file("/a/b/f", "data"), 4);
    EXPECT(C1(rmdir, "/a/b"), -ENOTEMPTY);
    EXPECT(C1(unlink, "/a/b"), -EISDIR);
    EXPECT(C1(rmdir, "/a/b/f"), -ENOTDIR);
    EXPECT(C1(rmdir, "/"), -EBUSY);
    /* cwd and relative paths */
    EXPECT(C1(chdir, "/a/b"), 0);
    EXPECT(C2(getcwd, buf, sizeof buf), 5);
    CHECK(strcmp(buf, "/a/b") == 0, "getcwd %s", buf);
    EXPECT(C2(getcwd, buf, 3), -ERANGE);
    EXPECT(read_all("f", buf, sizeof buf), 4);
    EXPECT(read_all("../b/./f", buf, sizeof buf), 4);
    EXPECT(read_all("../../../a/b/f", buf, sizeof buf), 4);   /* ".." at / stays at / */
    EXPECT(C1(chdir, "f"), -ENOTDIR);
    long dfd = xopen("/a", K_O_RDONLY | K_O_DIRECTORY, 0);
    EXPECT(C1(fchdir, dfd), 0);
    C2(getcwd, buf, sizeof buf);
    CHECK(strcmp(buf, "/a") == 0, "fchdir -> %s", buf);
    long fd = C4(openat, dfd, "b/f", K_O_RDONLY, 0);
    CHECK(fd >= 0, "openat relative to dirfd");
    C1(close, fd);
    EXPECT(C4(openat, 12345, "b/f", K_O_RDONLY, 0), -EBADF);
    EXPECT(C4(openat, 12345, "/a/b/f", K_O_RDONLY, 0) >= 0, 1);  /* absolute ignores dirfd */
    EXPECT(C3(mkdirat, dfd, "c", 0700), 0);
    EXPECT(C2(stat, "/a/c", &st), 0);
    C1(close, dfd);
    C1(chdir, "/");
    /* rename */
    EXPECT(C2(rename, "/a/b/f", "/a/c/g"), 0);
    EXPECT(C2(stat, "/a/b/f", &st), -ENOENT);
    EXPECT(read_all("/a/c/g", buf, sizeof buf), 4);
    write_file("/a/c/h", "hhh");
    EXPECT(C2(rename, "/a/c/h", "/a/c/g"), 0);              /* replaces */
    EXPECT(read_all("/a/c/g", buf, sizeof buf), 3);
    EXPECT(C2(rename, "/a/c", "/a/c/sub"), -EINVAL);        /* into itself */
    EXPECT(C2(rename, "/a/c", "/a/b"), 0);                  /* over an empty dir */
    EXPECT(read_all("/a/b/g", buf, sizeof buf), 3);
    EXPECT(C2(stat, "/a", &st), 0);
    CHECK(st.st_nlink == 3, "nlink after dir rename: %lu", (unsigned long)st.st_nlink);
    write_file("/a/x", "x");
    write_file("/a/y", "yy");
    EXPECT(C5(renameat2, K_AT_FDCWD, "/a/x", K_AT_FDCWD, "/a/y", K_RENAME_NOREPLACE), -EEXIST);
    EXPECT(C5(renameat2, K_AT_FDCWD, "/a/x", K_AT_FDCWD, "/a/y", K_RENAME_EXCHANGE), 0);
    EXPECT(read_all("/a/x", buf, sizeof buf), 2);
    EXPECT(read_all("/a/y", buf, sizeof buf), 1);
    EXPECT(C2(mkdir, "/a/b/d", 0755), 0);
    EXPECT(C1(chdir, "/a/b/d"), 0);
    EXPECT(C2(rename, "/a/b", "/moved"), 0);
    C2(getcwd, buf, sizeof buf);
    CHECK(strcmp(buf, "/moved/d") == 0, "cwd follows a renamed parent: %s", buf);
    C1(chdir, "/");
    /* unlink while open: the data lives until close */
    write_file("/a/tmpf", "still here");
    fd = xopen("/a/tmpf", K_O_RDONLY, 0);
    EXPECT(C1(unlink, "/a/tmpf"), 0);
    EXPECT(C2(stat, "/a/tmpf", &st), -ENOENT);
    EXPECT(C3(read, fd, buf, sizeof buf), 10);
    EXPECT(C2(fstat, fd, &st), 0);
    CHECK(st.st_nlink == 0, "unlinked file nlink 0");
    C1(close, fd);
    /* symlinks and hard links */
    EXPECT(C2(symlink, "x", "/a/lx"), 0);
    EXPECT(C2(symlink, "/a", "/la"), 0);
    EXPECT(read_all("/a/lx", buf, sizeof buf), 2);
    EXPECT(read_all("/la/lx", buf, sizeof buf), 2);
    EXPECT(C4(readlinkat, K_AT_FDCWD, "/la", buf, sizeof buf), 2);
    EXPECT(xopen("/a/lx", K_O_RDONLY | K_O_NOFOLLOW, 0), -ELOOP);
    EXPECT(C2(symlink, "nowhere/file", "/a/dangling"), 0);
    EXPECT(xopen("/a/dangling", K_O_RDONLY, 0), -ENOENT);
    EXPECT(C2(symlink, "made-by-open", "/a/dangling2"), 0);
    fd = xopen("/a/dangling2", K_O_WRONLY | K_O_CREAT, 0644);
    CHECK(fd >= 0, "O_CREAT through a dangling link creates its target");
    C1(close, fd);
    EXPECT(C2(stat, "/a/made-by-open", &st), 0);
    EXPECT(C2(symlink, "/a/selfloop", "/a/selfloop"), 0);
    EXPECT(xopen("/a/selfloop", K_O_WRONLY | K_O_CREAT, 0644), -ELOOP);
    EXPECT(C2(link, "/a/x", "/a/x2"), 0);
    EXPECT(C2(stat, "/a/x2", &st), 0);
    CHECK(st.st_nlink == 2, "link count 2");
    EXPECT(C2(link, "/a", "/a2"), -EPERM);
    EXPECT(C1(unlink, "/a/x"), 0);
    EXPECT(read_all("/a/x2", buf, sizeof buf), 2);
    EXPECT(C3(unlinkat, K_AT_FDCWD, "/moved/d", K_AT_REMOVEDIR), 0);
    CHECK(list_dir("/moved", list, sizeof list) > 0 && !has_line(list, "d") && has_line(list, "g"),
          "listing after removal: %s", list);
    EXPECT(C1(unlink, "/nonexistent"), -ENOENT);
    /* chdir into a directory that then goes away */
    EXPECT(C2(mkdir, "/gone", 0755), 0);
    EXPECT(C1(chdir, "/gone"), 0);
    EXPECT(C1(rmdir, "/gone"), 0);
    EXPECT(C2(getcwd, buf, sizeof buf), -ENOENT);
    C1(chdir, "/");
}

static void t_fds(void)
{
    section = "fds";
    char buf[64];
    write_file("/tmp/d", "0123456789");
    long fd = xopen("/tmp/d", K_O_RDONLY | K_O_CLOEXEC, 0);
    EXPECT(C2(fcntl, fd, K_F_GETFD), K_FD_CLOEXEC);
    long d = C1(dup, fd);
    CHECK(d > fd, "dup takes the lowest free fd");
    EXPECT(C2(fcntl, d, K_F_GETFD), 0);
    C3(read, fd, buf, 3);
    EXPECT(C3(lseek, d, 0, K_SEEK_CUR), 3);           /* shared description */
    EXPECT(C2(dup2, fd, 50), 50);
    EXPECT(C2(dup2, 50, 50), 50);
    EXPECT(C2(dup2, 51, 51), -EBADF);
    EXPECT(C3(dup3, fd, 50, 0), 50);
    EXPECT(C3(dup3, fd, fd, 0), -EINVAL);
    EXPECT(C3(dup3, fd, 60, K_O_CLOEXEC), 60);
    EXPECT(C2(fcntl, 60, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C3(fcntl, fd, K_F_DUPFD, 40), 40);
    EXPECT(C3(fcntl, fd, K_F_DUPFD_CLOEXEC, 40), 41);
    EXPECT(C2(fcntl, 41, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C3(fcntl, 41, K_F_SETFD, 0), 0);
    EXPECT(C2(fcntl, 41, K_F_GETFD), 0);
    EXPECT(C2(fcntl, fd, K_F_GETFL) & (K_O_ACCMODE | K_O_NONBLOCK), K_O_RDONLY);
    EXPECT(C3(fcntl, fd, K_F_SETFL, K_O_NONBLOCK | K_O_RDWR), 0);
    EXPECT(C2(fcntl, d, K_F_GETFL) & (K_O_ACCMODE | K_O_NONBLOCK), K_O_NONBLOCK);  /* acc mode kept */
    EXPECT(C2(fcntl, fd, 9999), -EINVAL);
    EXPECT(C2(fcntl, 999, K_F_GETFD), -EBADF);
    EXPECT(C3(ioctl, fd, K_TCGETS, buf), -ENOTTY);
    int avail = 0;
    EXPECT(C3(ioctl, fd, K_FIONREAD, &avail), 0);
    CHECK(avail == 7, "FIONREAD on a file: %d", avail);
    EXPECT(C3(ioctl, fd, K_FIOCLEX, 0), 0);
    EXPECT(C2(fcntl, fd, K_F_GETFD), K_FD_CLOEXEC);
    long opened[] = { fd, d, 50, 60, 40, 41 };
    for (int i = 0; i < 6; i++)
        EXPECT(C1(close, opened[i]), 0);
    /* running out of fds */
    long first = xopen("/tmp/d", K_O_RDONLY, 0), last = first, r;
    while ((r = xopen("/tmp/d", K_O_RDONLY, 0)) >= 0)
        last = r;
    CHECK(r == -EMFILE && last == VFS_MAX_FDS - 1, "EMFILE after fd %ld (%ld)", last, r);
    for (long f = first; f <= last; f++)
        C1(close, f);
}

static void t_devfs(void)
{
    section = "devfs";
    char buf[64];
    fake_out_reset();
    EXPECT(C3(write, 1, "out\n", 4), 4);
    EXPECT(C3(write, 2, "err\n", 4), 4);
    CHECK(fake_out_len == 4 && memcmp(fake_out, "out\n", 4) == 0, "fd 1 reaches console stdout");
    CHECK(fake_err_len == 4 && memcmp(fake_err, "err\n", 4) == 0, "fd 2 reaches console stderr");
    long fd = xopen("/dev/stdout", K_O_WRONLY, 0);
    CHECK(fd >= 0, "open /dev/stdout");
    C3(write, fd, "via link\n", 9);
    C1(close, fd);
    fd = xopen("/dev/stderr", K_O_WRONLY, 0);
    C3(write, fd, "E", 1);
    C1(close, fd);
    CHECK(fake_out_len == 13 && fake_err_len == 5, "/dev/stdout and /dev/stderr keep their streams");
    struct k_termios tio;
    EXPECT(C3(ioctl, 0, K_TCGETS, &tio), 0);
    CHECK((tio.c_lflag & 2) && tio.c_cc[6] == 1, "TCGETS: ICANON, VMIN 1");
    struct k_winsize ws;
    EXPECT(C3(ioctl, 1, K_TIOCGWINSZ, &ws), 0);
    CHECK(ws.ws_row == 24 && ws.ws_col == 80, "TIOCGWINSZ 24x80");
    fake_rows = 50;                /* the host's terminal is 50x132 */
    fake_cols = 132;
    EXPECT(C3(ioctl, 1, K_TIOCGWINSZ, &ws), 0);
    CHECK(ws.ws_row == 50 && ws.ws_col == 132, "TIOCGWINSZ: the host's size");
    struct k_winsize set = { 10, 20, 0, 0 };
    EXPECT(C3(ioctl, 1, K_TIOCSWINSZ, &set), 0);
    EXPECT(C3(ioctl, 1, K_TIOCGWINSZ, &ws), 0);
    CHECK(ws.ws_row == 10 && ws.ws_col == 20, "TIOCSWINSZ holds while the host's size stays");
    fake_cols = 100;               /* the host's terminal was resized */
    EXPECT(C3(ioctl, 0, K_TIOCGWINSZ, &ws), 0);
    CHECK(ws.ws_row == 50 && ws.ws_col == 100, "TIOCGWINSZ: the host's new size");
    EXPECT(C3(ioctl, 1, 0x12345, 0), -ENOTTY);
    EXPECT(C3(lseek, 1, 0, K_SEEK_CUR), -ESPIPE);
    fake_tty[1] = 0;               /* the host's stdout is a pipe */
    EXPECT(C3(ioctl, 1, K_TCGETS, &tio), -ENOTTY);
    EXPECT(C3(ioctl, 1, K_TIOCGWINSZ, &ws), -ENOTTY);
    EXPECT(C3(ioctl, 2, K_TCGETS, &tio), 0);
    long tty = xopen("/dev/tty", K_O_RDWR, 0);
    EXPECT(C3(ioctl, tty, K_TCGETS, &tio), 0);   /* stdin still is a terminal */
    fake_tty[0] = 0;
    EXPECT(C3(ioctl, tty, K_TCGETS, &tio), -ENOTTY);
    C1(close, tty);
    fake_tty[0] = fake_tty[1] = 1;
    /* stdin */
    fake_console_input("typed\n", 6, 0);
    struct k_pollfd p = { 0, K_POLLIN, 0 };
    EXPECT(C3(poll, &p, 1, 0), 1);
    EXPECT(C3(read, 0, buf, 3), 3);
    EXPECT(C3(read, 0, buf + 3, 10), 3);
    CHECK(memcmp(buf, "typed\n", 6) == 0, "stdin bytes");
    EXPECT(C3(poll, &p, 1, 0), 0);
    C3(fcntl, 0, K_F_SETFL, K_O_NONBLOCK);
    EXPECT(C3(read, 0, buf, 10), -EAGAIN);
    C3(fcntl, 0, K_F_SETFL, 0);
    fake_console_input("", 0, 1);
    EXPECT(C3(read, 0, buf, 10), 0);                 /* end of input */
    /* memory devices */
    fd = xopen("/dev/null", K_O_RDWR, 0);
    EXPECT(C3(read, fd, buf, 10), 0);
    EXPECT(C3(write, fd, "abc", 3), 3);
    C1(close, fd);
    EXPECT(xopen("/dev/null", K_O_WRONLY | K_O_TRUNC | K_O_CREAT, 0666) >= 0, 1);
    fd = xopen("/dev/zero", K_O_RDONLY, 0);
    memset(buf, 1, sizeof buf);
    EXPECT(C3(read, fd, buf, 64), 64);
    CHECK(buf[0] == 0 && buf[63] == 0, "zeros");
    C1(close, fd);
    fd = xopen("/dev/full", K_O_WRONLY, 0);
    EXPECT(C3(write, fd, "x", 1), -ENOSPC);
    C1(close, fd);
    unsigned char r1[32], r2[32];
    fd = xopen("/dev/urandom", K_O_RDONLY, 0);
    EXPECT(C3(read, fd, r1, 32), 32);
    EXPECT(C3(read, fd, r2, 32), 32);
    CHECK(memcmp(r1, r2, 32) != 0, "urandom reads differ");
    C1(close, fd);
    struct k_stat st;
    EXPECT(C2(stat, "/dev/tty", &st), 0);
    CHECK(st.st_rdev == 0x500 && (st.st_mode & K_S_IFMT) == K_S_IFCHR, "/dev/tty 5:0");
    EXPECT(xopen("/dev/newfile", K_O_WRONLY | K_O_CREAT, 0644) >= 0, 1);   /* /dev is a ramfs dir */
}

static void t_procfs(void)
{
    section = "procfs";
    char buf[4096], list[1024];
    vfs_set_exe_path("/bin/app");
    const char *argv[] = { "app", "-x", "" };
    vfs_set_cmdline(3, argv);
    EXPECT(read_all("/proc/self/cmdline", buf, sizeof buf), 8);
    CHECK(memcmp(buf, "app\0-x\0\0", 8) == 0, "cmdline NUL-separated");
    EXPECT(C3(readlink, "/proc/self/exe", buf, sizeof buf), 8);
    CHECK(memcmp(buf, "/bin/app", 8) == 0, "/proc/self/exe");
    struct k_stat st;
    EXPECT(C2(stat, "/proc/self/exe", &st), 0);
    CHECK(st.st_size == 8 && (st.st_mode & 0111), "stat through /proc/self/exe reaches the app");
    EXPECT(read_all("/sys/devices/system/cpu/online", buf, sizeof buf), 2);
    CHECK(strcmp(buf, "0\n") == 0, "cpu online: %s", buf);
    CHECK(read_all("/proc/cpuinfo", buf, sizeof buf) > 50 && strstr(buf, "processor\t: 0") &&
          strstr(buf, "flags\t\t:"), "cpuinfo: %.80s", buf);
    CHECK(read_all("/proc/meminfo", buf, sizeof buf) > 0 && strstr(buf, "MemTotal:          65536 kB") &&
          strstr(buf, "MemFree:           49152 kB"), "meminfo from platform_memory_info: %s", buf);
    CHECK(read_all("/proc/self/maps", buf, sizeof buf) > 0 && strstr(buf, "r-xp") && strstr(buf, "/bin/app"),
          "maps from mm_format_maps: %s", buf);
    long fd = xopen("/etc/passwd", K_O_RDONLY, 0);
    CHECK(list_dir("/proc/self/fd", list, sizeof list) > 0 && has_line(list, "0") && has_line(list, "1") &&
          has_line(list, "2"), "fd dir: %s", list);
    char name[32];
    snprintf(name, sizeof name, "%ld", fd);
    CHECK(has_line(list, name), "fd %ld listed", fd);
    snprintf(name, sizeof name, "/proc/self/fd/%ld", fd);
    long n = C3(readlink, name, buf, sizeof buf);
    CHECK(n == 11 && memcmp(buf, "/etc/passwd", 11) == 0, "readlink %s -> %.*s", name, (int)(n > 0 ? n : 0), buf);
    long fd2 = xopen(name, K_O_RDONLY, 0);
    CHECK(fd2 >= 0 && C3(read, fd2, buf, 4) == 4, "open via /proc/self/fd");
    C1(close, fd2);
    C1(close, fd);
    EXPECT(C3(readlink, name, buf, sizeof buf), -ENOENT);
    EXPECT(C3(readlink, "/proc/self/fd/999", buf, sizeof buf), -ENOENT);
    EXPECT(xopen("/proc/newfile", K_O_WRONLY | K_O_CREAT, 0644), -EACCES);
    EXPECT(C2(mkdir, "/sys/x", 0755), -EACCES);
    EXPECT(C1(unlink, "/proc/cpuinfo"), -EACCES);
    EXPECT(C3(readlink, "/proc/self", buf, sizeof buf), 1);
    CHECK(buf[0] == '1', "/proc/self -> 1");
    CHECK(read_all("/proc/self/stat", buf, sizeof buf) > 0 && strncmp(buf, "1 (app) R 0 1 1 ", 16) == 0,
          "stat: %.40s", buf);
    int fields = 0;
    for (char *q = buf; *q; q++)
        fields += *q == ' ';
    CHECK(fields == 51, "stat has 52 fields (%d spaces)", fields);
    CHECK(read_all("/proc/self/statm", buf, sizeof buf) > 0 && strcmp(buf, "4096 4096 0 0 0 4096 0\n") == 0,
          "statm: RAM in use as RSS: %s", buf);
    CHECK(list_dir("/proc", list, sizeof list) > 0 && has_line(list, "1") && has_line(list, "self") &&
          has_line(list, "cpuinfo"), "/proc: %s", list);
    EXPECT(C2(stat, "/sys/devices/system/cpu/cpu0", &st), 0);
    CHECK(K_S_ISDIR(st.st_mode), "cpu0 directory");
    C1(chdir, "/etc");
    n = C3(readlink, "/proc/self/cwd", buf, sizeof buf);
    CHECK(n == 4 && memcmp(buf, "/etc", 4) == 0, "/proc/self/cwd");
    C1(chdir, "/");
}

/* The vfs's per-process state across the fake platform's fork, exec and
 * release (fake_platform.c runs the claimed hooks as the kernel does). */
#ifndef CLONE_FS
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif

static const char *cwd_now(char *buf, size_t size)
{
    return C2(getcwd, buf, size) > 0 ? buf : "(error)";
}

static void t_processes(void)
{
    section = "processes";
    char buf[512], list[2048];
    struct proc_ctx *parent = sched_proc_current();
    long fd = xopen("/tmp/forked", K_O_RDWR | K_O_CREAT | K_O_TRUNC, 0644);
    long cfd = xopen("/tmp/forked", K_O_RDONLY | K_O_CLOEXEC, 0);
    EXPECT(C3(write, fd, "abc", 3), 3);
    struct file *f = fd_file(fd);
    uint32_t refs = f->refs;

    /* fork: the child holds the parent's open file descriptions. */
    struct proc_ctx *child = sched_proc_fork(0);
    CHECK(child && child != parent, "fork made a context");
    if (!child)
        return;
    CHECK(f->refs == refs + 1, "fork takes one reference per open file (%u -> %u)", refs, f->refs);
    CHECK(vfs_fd_file_of(child, fd) == f, "the child's fd is the same open file description");
    fake_proc_switch(child);
    EXPECT(C3(lseek, fd, 0, K_SEEK_CUR), 3);
    EXPECT(C3(write, fd, "de", 2), 2);
    EXPECT(C2(fcntl, cfd, K_F_GETFD), K_FD_CLOEXEC);     /* flags are inherited */
    long mine = xopen("/etc/passwd", K_O_RDONLY, 0);
    CHECK(mine > cfd, "child's new fd %ld", mine);
    EXPECT(C1(chdir, "/etc"), 0);
    EXPECT(C1(umask, 077), 022);
    fake_proc_switch(parent);
    EXPECT(C3(lseek, fd, 0, K_SEEK_CUR), 5);           /* the child's write moved it */
    EXPECT(C2(fcntl, mine, K_F_GETFD), -EBADF);        /* not in the parent's table */
    CHECK(strcmp(cwd_now(buf, sizeof buf), "/") == 0, "parent's cwd stays /: %s", buf);
    EXPECT(C1(umask, 022), 022);
    fake_proc_switch(child);
    CHECK(strcmp(cwd_now(buf, sizeof buf), "/etc") == 0, "child's cwd /etc: %s", buf);
    EXPECT(C1(umask, 077), 077);

    /* exec: close-on-exec fds close in the child only. */
    EXPECT(fake_proc_exec(), 0);
    EXPECT(C2(fcntl, cfd, K_F_GETFD), -EBADF);
    EXPECT(C2(fcntl, fd, K_F_GETFD), 0);
    EXPECT(C2(fcntl, mine, K_F_GETFD), 0);
    vfs_set_exe_path("/bin/child");
    const char *argv[] = { "child", "arg" };
    vfs_set_cmdline(2, argv);
    /* Without the process module /proc/self is pid 1, the current context. */
    long n = C3(readlink, "/proc/self/exe", buf, sizeof buf);
    CHECK(n == 10 && memcmp(buf, "/bin/child", 10) == 0, "child's /proc/self/exe: %.*s", (int)(n > 0 ? n : 0), buf);
    n = C3(readlink, "/proc/1/cwd", buf, sizeof buf);
    CHECK(n == 4 && memcmp(buf, "/etc", 4) == 0, "child's /proc/1/cwd: %.*s", (int)(n > 0 ? n : 0), buf);
    CHECK(list_dir("/proc/self/fd", list, sizeof list) > 0, "child's fd dir");
    snprintf(buf, sizeof buf, "/proc/self/fd/%ld", cfd);
    struct k_stat cst;
    EXPECT(C2(lstat, buf, &cst), -ENOENT);            /* closed on exec */
    snprintf(buf, sizeof buf, "%ld", mine);
    CHECK(has_line(list, buf), "child's own fd %ld listed", mine);
    CHECK(read_all("/proc/self/cmdline", buf, sizeof buf) == 10 && memcmp(buf, "child\0arg\0", 10) == 0,
          "child's cmdline");
    CHECK(read_all("/proc/1/comm", buf, sizeof buf) > 0 && strcmp(buf, "child\n") == 0, "child's comm: %s", buf);
    fake_proc_switch(parent);
    EXPECT(C2(fcntl, cfd, K_F_GETFD), K_FD_CLOEXEC);
    CHECK(strcmp(vfs_exe_path(), "/bin/app") == 0, "parent's exe path kept: %s", vfs_exe_path());
    CHECK(strcmp(vfs_exe_path_of(child), "/bin/child") == 0, "vfs_exe_path_of(child)");
    size_t cl;
    const char *cmd = vfs_cmdline_of(child, &cl);
    CHECK(cl == 10 && memcmp(cmd, "child\0arg\0", 10) == 0, "vfs_cmdline_of(child)");
    CHECK(read_all("/proc/self/cmdline", buf, sizeof buf) == 8 && memcmp(buf, "app\0-x\0\0", 8) == 0,
          "parent's cmdline kept");

    /* A pipe's reader sees EOF once every process closed the write end. */
    int pfd[2];
    EXPECT(C2(pipe2, pfd, K_O_NONBLOCK), 0);
    struct proc_ctx *writer = sched_proc_fork(0);
    CHECK(writer != NULL, "second fork");
    if (!writer)
        return;
    EXPECT(C1(close, pfd[1]), 0);
    EXPECT(C3(read, pfd[0], buf, 1), -EAGAIN);         /* the other process still writes */
    fake_proc_switch(writer);
    EXPECT(C1(close, pfd[0]), 0);
    EXPECT(C3(write, pfd[1], "x", 1), 1);
    fake_proc_switch(parent);
    EXPECT(C3(read, pfd[0], buf, 2), 1);
    fake_proc_release(writer);                          /* its last thread ended */
    EXPECT(C3(read, pfd[0], buf, 1), 0);
    C1(close, pfd[0]);

    fake_proc_release(child);
    CHECK(f->refs == refs, "release drops the child's references (%u, was %u)", f->refs, refs);
    EXPECT(C3(lseek, fd, 0, K_SEEK_CUR), 5);

    /* CLONE_FILES and CLONE_FS share; exec unshares the table first. */
    struct proc_ctx *t = sched_proc_fork(CLONE_FILES | CLONE_FS);
    CHECK(t != NULL, "clone with CLONE_FILES");
    if (!t)
        return;
    CHECK(f->refs == refs, "a shared table takes no file references");
    fake_proc_switch(t);
    long shared = xopen("/etc/passwd", K_O_RDONLY | K_O_CLOEXEC, 0);
    EXPECT(C1(umask, 027), 022);
    EXPECT(C1(chdir, "/tmp"), 0);
    fake_proc_switch(parent);
    EXPECT(C2(fcntl, shared, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C1(umask, 022), 027);
    CHECK(strcmp(cwd_now(buf, sizeof buf), "/tmp") == 0, "CLONE_FS shares the cwd: %s", buf);
    EXPECT(C1(chdir, "/"), 0);
    fake_proc_switch(t);
    EXPECT(fake_proc_exec(), 0);
    EXPECT(C2(fcntl, shared, K_F_GETFD), -EBADF);
    EXPECT(C2(fcntl, fd, K_F_GETFD), 0);
    fake_proc_switch(parent);
    EXPECT(C2(fcntl, shared, K_F_GETFD), K_FD_CLOEXEC);   /* the other sharer keeps it */
    C1(close, shared);
    fake_proc_release(t);
    CHECK(f->refs == refs, "after the unshared copy is released: %u", f->refs);

    /* close_range(CLOSE_RANGE_UNSHARE) closes in a table of its own. */
    t = sched_proc_fork(CLONE_FILES);
    fake_proc_switch(t);
    EXPECT(C3(close_range, fd, fd, CLOSE_RANGE_UNSHARE), 0);
    EXPECT(C2(fcntl, fd, K_F_GETFD), -EBADF);
    fake_proc_switch(parent);
    EXPECT(C2(fcntl, fd, K_F_GETFD), 0);
    fake_proc_release(t);

    /* A fork that fails in a later module leaves nothing behind. */
    fake_fork_fail_at = 1;
    CHECK(sched_proc_fork(0) == NULL, "the failing fork fails");
    fake_fork_fail_at = -1;
    CHECK(f->refs == refs, "a failed fork keeps no references: %u", f->refs);

    /* The table grows past its first 64 fds, and a fork copies all of it. */
    EXPECT(C2(dup2, fd, 900), 900);
    t = sched_proc_fork(0);
    fake_proc_switch(t);
    EXPECT(C2(fcntl, 900, K_F_GETFD), 0);
    EXPECT(C3(lseek, 900, 0, K_SEEK_CUR), 5);
    EXPECT(C2(dup2, 900, 1023), 1023);
    EXPECT(C2(dup2, 900, 1024), -EBADF);
    fake_proc_switch(parent);
    EXPECT(C2(fcntl, 1023, K_F_GETFD), -EBADF);
    fake_proc_release(t);
    C1(close, 900);
    CHECK(f->refs == refs, "references after the big table: %u", f->refs);
    C1(close, fd);
    C1(close, cfd);

    /* /proc lists the live processes and makes their directories. */
    CHECK(list_dir("/proc", list, sizeof list) > 0 && has_line(list, "1") && has_line(list, "self"), "/proc: %s", list);
    struct k_stat st, st2;
    EXPECT(C2(stat, "/proc/1", &st), 0);
    CHECK(K_S_ISDIR(st.st_mode), "/proc/1 is a directory");
    uint64_t pid1_ino = st.st_ino;
    EXPECT(C2(stat, "/proc/1/fd/..", &st2), 0);
    CHECK(st.st_ino == st2.st_ino, "/proc/1/fd/.. is /proc/1 (ino %lu, %lu)", (unsigned long)st.st_ino,
          (unsigned long)st2.st_ino);
    EXPECT(C2(lstat, "/proc/1/status", &st), 0);
    EXPECT(C2(lstat, "/proc/self/status", &st2), 0);
    CHECK(st.st_ino == st2.st_ino, "one inode per /proc file");
    EXPECT(C2(stat, "/proc/2", &st), -ENOENT);
    EXPECT(C2(stat, "/proc/01", &st), -ENOENT);
    EXPECT(C2(stat, "/proc/1/nothing", &st), -ENOENT);
    CHECK(list_dir("/proc/1", list, sizeof list) > 0 && has_line(list, "fd") && has_line(list, "status") &&
          has_line(list, "comm") && has_line(list, "maps") && has_line(list, "..") , "/proc/1: %s", list);
    CHECK(read_all("/proc/1/status", buf, sizeof buf) > 0 && strstr(buf, "Pid:\t1\n") && strstr(buf, "PPid:\t0\n") &&
          strstr(buf, "Threads:\t1\n") && strstr(buf, "State:\tR (running)\n"), "status: %s", buf);
    CHECK(C1(unlink, "/proc/1/status") < 0, "unlink in /proc/1 fails");
    EXPECT(xopen("/proc/1/new", K_O_WRONLY | K_O_CREAT, 0644) < 0, 1);
    /* An open /proc/1 directory outlives the walk that made it. */
    long dfd = xopen("/proc/1/fd", K_O_RDONLY | K_O_DIRECTORY, 0);
    CHECK(dfd >= 0, "open /proc/1/fd");
    EXPECT(C4(newfstatat, dfd, "..", &st2, 0), 0);
    CHECK(K_S_ISDIR(st2.st_mode) && st2.st_ino == pid1_ino, "/proc/1/fd/.. through an open fd");
    EXPECT(C4(newfstatat, dfd, "0", &st2, 0), 0);
    EXPECT(C4(newfstatat, dfd, "0", &st2, K_AT_SYMLINK_NOFOLLOW), 0);
    CHECK(st2.st_nlink == 1, "a /proc/1/fd link has one name: %lu", (unsigned long)st2.st_nlink);
    snprintf(list, sizeof list, "/proc/self/fd/%ld", dfd);
    n = C3(readlink, list, buf, sizeof buf);
    CHECK(n == 10 && memcmp(buf, "/proc/1/fd", 10) == 0, "path of an open /proc dir: %.*s", (int)(n > 0 ? n : 0),
          buf);
    C1(close, dfd);
    EXPECT(C1(chdir, "/proc/self/fd"), 0);
    CHECK(strcmp(cwd_now(buf, sizeof buf), "/proc/1/fd") == 0, "getcwd in /proc/1/fd: %s", buf);
    EXPECT(C1(chdir, "../.."), 0);
    CHECK(strcmp(cwd_now(buf, sizeof buf), "/proc") == 0, "getcwd back in /proc: %s", buf);
    EXPECT(C1(chdir, "/"), 0);
    EXPECT(C2(stat, "/proc/1", &st), 0);
    CHECK(st.st_nlink == 2, "/proc/1 nlink %lu", (unsigned long)st.st_nlink);
}

static long pipe_wfd;
static int hook_writes_left;
static void writer_hook(void)
{
    /* Stands in for another thread: writes once a reader has blocked. */
    if (hook_writes_left > 0) {
        hook_writes_left--;
        C3(write, pipe_wfd, "late", 4);
    }
}

static void t_pipes(void)
{
    section = "pipes";
    int fds[2];
    char buf[128];
    EXPECT(C1(pipe, fds), 0);
    EXPECT(C3(write, fds[1], "abc", 3), 3);
    EXPECT(C3(read, fds[0], buf, sizeof buf), 3);
    CHECK(memcmp(buf, "abc", 3) == 0, "pipe carries bytes");
    EXPECT(C3(lseek, fds[0], 0, K_SEEK_CUR), -ESPIPE);
    EXPECT(C3(read, fds[1], buf, 1), -EBADF);
    EXPECT(C3(write, fds[0], buf, 1), -EBADF);
    struct k_stat st;
    EXPECT(C2(fstat, fds[0], &st), 0);
    CHECK((st.st_mode & K_S_IFMT) == K_S_IFIFO, "pipe is a FIFO");
    char name[32];
    snprintf(name, sizeof name, "/proc/self/fd/%d", fds[0]);
    long n = C3(readlink, name, buf, sizeof buf);
    CHECK(n > 6 && memcmp(buf, "pipe:[", 6) == 0, "pipe fd link %.*s", (int)(n > 0 ? n : 0), buf);
    /* blocking read woken by a "thread" */
    pipe_wfd = fds[1];
    hook_writes_left = 1;
    fake_idle_hook = writer_hook;
    unsigned long idles = fake_idle_calls;
    EXPECT(C3(read, fds[0], buf, sizeof buf), 4);
    CHECK(fake_idle_calls > idles && memcmp(buf, "late", 4) == 0, "blocked read waited and got the data");
    fake_idle_hook = NULL;
    /* EOF and EPIPE */
    EXPECT(C1(close, fds[1]), 0);
    EXPECT(C3(read, fds[0], buf, sizeof buf), 0);
    EXPECT(C1(pipe, fds), 0);
    C1(close, fds[0]);
    EXPECT(C3(write, fds[1], "x", 1), -EPIPE);
    C1(close, fds[1]);
    /* capacity and O_NONBLOCK */
    EXPECT(C2(pipe2, fds, K_O_NONBLOCK | K_O_CLOEXEC), 0);
    EXPECT(C2(fcntl, fds[0], K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C3(read, fds[0], buf, 1), -EAGAIN);
    static char big[70000];
    EXPECT(C3(write, fds[1], big, sizeof big), 65536);
    EXPECT(C3(write, fds[1], "x", 1), -EAGAIN);
    int avail = 0;
    EXPECT(C3(ioctl, fds[0], K_FIONREAD, &avail), 0);
    CHECK(avail == 65536, "FIONREAD %d", avail);
    EXPECT(C3(read, fds[0], big, 100), 100);
    EXPECT(C3(write, fds[1], big, 4000), -EAGAIN);    /* < PIPE_BUF: all or nothing */
    EXPECT(C3(write, fds[1], big, 100), 100);
    C1(close, fds[0]);
    C1(close, fds[1]);
    EXPECT(C2(pipe2, fds, 0x40), -EINVAL);
    /* /dev/stdin on a pipe: the magic link reaches the pipe itself */
    EXPECT(C1(pipe, fds), 0);
    long saved = C1(dup, 0);
    C2(dup2, fds[0], 0);
    C3(write, fds[1], "piped", 5);
    long in = xopen("/dev/stdin", K_O_RDONLY, 0);
    EXPECT(C3(read, in, buf, sizeof buf), 5);
    CHECK(memcmp(buf, "piped", 5) == 0, "/dev/stdin reads the pipe");
    C1(close, in);
    C2(dup2, saved, 0);
    C1(close, saved);
    C1(close, fds[0]);
    /* writer still open through fds[1] only; closing it: EOF for no one left */
    C1(close, fds[1]);
    /* sendfile file -> pipe */
    EXPECT(C1(pipe, fds), 0);
    write_file("/tmp/sf", "to the pipe");
    long f = xopen("/tmp/sf", K_O_RDONLY, 0);
    EXPECT(C4(sendfile, fds[1], f, 0, 1000), 11);
    EXPECT(C3(read, fds[0], buf, sizeof buf), 11);
    C1(close, f);
    C1(close, fds[0]);
    C1(close, fds[1]);
}

static void t_poll(void)
{
    section = "poll";
    int fds[2];
    EXPECT(C1(pipe, fds), 0);
    struct k_pollfd p[3] = { { fds[0], K_POLLIN, 0 }, { fds[1], K_POLLOUT, 0 }, { 777, K_POLLIN, 0 } };
    EXPECT(C3(poll, p, 3, 0), 2);
    CHECK(p[0].revents == 0 && (p[1].revents & K_POLLOUT) && p[2].revents == K_POLLNVAL, "revents %x %x %x",
          p[0].revents, p[1].revents, p[2].revents);
    uint64_t t0 = platform_monotonic_ns();
    EXPECT(C3(poll, p, 1, 50), 0);
    uint64_t dt = platform_monotonic_ns() - t0;
    CHECK(dt >= 50000000ull, "poll waited its timeout (%llu ns)", (unsigned long long)dt);
    C3(write, fds[1], "x", 1);
    EXPECT(C3(poll, p, 1, -1), 1);
    CHECK(p[0].revents == K_POLLIN, "POLLIN %x", p[0].revents);
    /* woken during the wait */
    pipe_wfd = fds[1];
    char c;
    C3(read, fds[0], &c, 1);
    hook_writes_left = 1;
    fake_idle_hook = writer_hook;
    EXPECT(C3(poll, p, 1, 5000), 1);
    fake_idle_hook = NULL;
    struct k_timespec ts = { 0, 0 };
    EXPECT(C4(ppoll, p, 1, &ts, 0), 1);
    /* select */
    unsigned long rd[16] = { 0 }, wr[16] = { 0 };
    rd[0] = 1UL << fds[0];
    wr[0] = 1UL << fds[1];
    struct k_timeval tv = { 0, 0 };
    EXPECT(C5(select, fds[1] + 1, rd, wr, 0, &tv), 2);
    CHECK(rd[0] == 1UL << fds[0] && wr[0] == 1UL << fds[1], "select sets");
    char buf[16];
    C3(read, fds[0], buf, sizeof buf);
    rd[0] = 1UL << fds[0];
    tv.tv_usec = 20000;
    t0 = platform_monotonic_ns();
    EXPECT(C5(select, fds[0] + 1, rd, 0, 0, &tv), 0);
    CHECK(platform_monotonic_ns() - t0 >= 20000000ull && rd[0] == 0 && tv.tv_usec == 0, "select timeout");
    rd[0] = 0;
    rd[900 / 64] = 1UL << (900 % 64);
    EXPECT(C5(select, 901, rd, 0, 0, &tv), -EBADF);
    rd[900 / 64] = 0;
    rd[0] = 1UL << fds[0];
    struct k_timespec pts = { 0, 1000000 };
    EXPECT(sys_pselect6(fds[0] + 1, (long)rd, 0, 0, (long)&pts, 0), 0);
    /* hang-up */
    C1(close, fds[1]);
    p[0].events = K_POLLIN;
    EXPECT(C3(poll, p, 1, 0), 1);
    CHECK(p[0].revents == K_POLLHUP, "POLLHUP after the writer closed: %x", p[0].revents);
    C1(close, fds[0]);
    /* regular files are always ready */
    long f = xopen("/etc/passwd", K_O_RDONLY, 0);
    struct k_pollfd pf = { (int)f, K_POLLIN | K_POLLOUT, 0 };
    EXPECT(C3(poll, &pf, 1, 0), 1);
    CHECK(pf.revents == (K_POLLIN | K_POLLOUT), "file ready %x", pf.revents);
    C1(close, f);
}

static void t_epoll(void)
{
    section = "epoll";
    int fds[2];
    struct k_epoll_event ev, out[4];
    CHECK(sizeof(struct k_epoll_event) == 12, "packed epoll_event");
    long ep = C1(epoll_create1, K_O_CLOEXEC);
    CHECK(ep >= 0, "epoll_create1");
    EXPECT(C2(fcntl, ep, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C1(pipe, fds), 0);
    ev.events = K_POLLIN;
    ev.data = 0x1122334455667788ull;
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_ADD, fds[0], &ev), 0);
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_ADD, fds[0], &ev), -EEXIST);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 0);
    C3(write, fds[1], "ab", 2);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);
    CHECK(out[0].events == K_POLLIN && out[0].data == 0x1122334455667788ull, "event and data");
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);          /* level-triggered: again */
    /* the epoll fd itself is pollable */
    struct k_pollfd p = { (int)ep, K_POLLIN, 0 };
    EXPECT(C3(poll, &p, 1, 0), 1);
    /* edge-triggered */
    ev.events = K_POLLIN | K_EPOLLET;
    ev.data = 7;
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_MOD, fds[0], &ev), 0);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 0);
    char buf[8];
    C3(read, fds[0], buf, sizeof buf);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 0);
    C3(write, fds[1], "c", 1);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);
    CHECK(out[0].data == 7, "ET data");
    /* one-shot */
    ev.events = K_POLLIN | K_EPOLLONESHOT;
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_MOD, fds[0], &ev), 0);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 0);
    /* write end: POLLOUT; timeout; deletion */
    ev.events = K_POLLOUT;
    ev.data = 9;
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_ADD, fds[1], &ev), 0);
    EXPECT(C4(epoll_wait, ep, out, 4, 10), 1);
    CHECK(out[0].data == 9 && out[0].events == K_POLLOUT, "POLLOUT item");
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_DEL, fds[1], 0), 0);
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_DEL, fds[1], 0), -ENOENT);
    uint64_t t0 = platform_monotonic_ns();
    EXPECT(sys_epoll_pwait(ep, (long)out, 4, 30, 0, 8), 0);
    CHECK(platform_monotonic_ns() - t0 >= 30000000ull, "epoll_pwait timeout");
    /* closing the fd removes the item; hang-up is reported */
    ev.events = K_POLLIN;
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_MOD, fds[0], &ev), 0);
    C1(close, fds[1]);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 1);
    CHECK(out[0].events & K_POLLHUP, "EPOLLHUP %x", out[0].events);
    C1(close, fds[0]);
    EXPECT(C4(epoll_wait, ep, out, 4, 0), 0);
    EXPECT(C1(pipe, fds), 0);                           /* may reuse the same fd numbers */
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_DEL, fds[0], 0), -ENOENT);
    long f = xopen("/etc/passwd", K_O_RDONLY, 0);
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_ADD, f, &ev), -EPERM);
    EXPECT(C4(epoll_ctl, ep, K_EPOLL_CTL_ADD, ep, &ev), -EINVAL);
    EXPECT(C4(epoll_wait, f, out, 4, 0), -EINVAL);
    C1(close, f);
    C1(close, fds[0]);
    C1(close, fds[1]);
    C1(close, ep);
}

static void t_extra(void)
{
    section = "extra";
    char buf[64];
    struct k_stat st;
    /* memfd */
    long m = C2(memfd_create, "buf", 1);
    CHECK(m >= 0, "memfd_create");
    EXPECT(C2(fcntl, m, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C3(write, m, "memfd!", 6), 6);
    EXPECT(C4(pread64, m, buf, 6, 0), 6);
    CHECK(memcmp(buf, "memfd!", 6) == 0, "memfd contents");
    EXPECT(C2(fstat, m, &st), 0);
    CHECK(K_S_ISREG(st.st_mode) && st.st_nlink == 0 && st.st_size == 6, "memfd is an unlinked file");
    EXPECT(C2(memfd_create, "x", 8), -EINVAL);
    /* fallocate, copy_file_range */
    EXPECT(C4(fallocate, m, 0, 0, 100), 0);
    EXPECT(C2(fstat, m, &st), 0);
    CHECK(st.st_size == 100, "fallocate extends: %ld", (long)st.st_size);
    EXPECT(C4(fallocate, m, 1, 0, 1000), 0);
    EXPECT(C2(fstat, m, &st), 0);
    CHECK(st.st_size == 100, "KEEP_SIZE keeps it");
    EXPECT(C4(fallocate, m, 8, 0, 10), -EOPNOTSUPP);
    long dst = xopen("/tmp/cfr", K_O_RDWR | K_O_CREAT | K_O_TRUNC, 0644);
    int64_t oin = 2, oout = 0;
    EXPECT(sys_copy_file_range(m, (long)&oin, dst, (long)&oout, 4, 0), 4);
    CHECK(oin == 6 && oout == 4, "copy_file_range offsets");
    EXPECT(C4(pread64, dst, buf, 10, 0), 4);
    CHECK(memcmp(buf, "mfd!", 4) == 0, "copy_file_range data");
    C1(close, dst);
    /* close_range */
    long a = xopen("/etc/passwd", K_O_RDONLY, 0), b = xopen("/etc/passwd", K_O_RDONLY, 0);
    EXPECT(C3(close_range, a, b, 4), 0);                 /* CLOEXEC */
    EXPECT(C2(fcntl, b, K_F_GETFD), K_FD_CLOEXEC);
    EXPECT(C3(close_range, a, ~0u, 0), 0);
    EXPECT(C2(fcntl, a, K_F_GETFD), -EBADF);
    EXPECT(C2(fcntl, m, K_F_GETFD), K_FD_CLOEXEC);       /* below the range */
    EXPECT(C3(close_range, 5, 4, 0), -EINVAL);
    C1(close, m);
    /* mknod: regular, device, FIFO */
    EXPECT(C3(mknod, "/tmp/reg", K_S_IFREG | 0600, 0), 0);
    EXPECT(C3(mknod, "/tmp/null2", K_S_IFCHR | 0666, (1 << 8) | 3), 0);
    long n = xopen("/tmp/null2", K_O_RDWR, 0);
    EXPECT(C3(write, n, "gone", 4), 4);
    EXPECT(C3(read, n, buf, 4), 0);
    C1(close, n);
    EXPECT(C3(mknod, "/tmp/nodev", K_S_IFCHR | 0666, (99 << 8) | 1), -EPERM);
    EXPECT(C3(mknod, "/tmp/fifo", K_S_IFIFO | 0644, 0), 0);
    EXPECT(C3(mknod, "/tmp/fifo", K_S_IFIFO | 0644, 0), -EEXIST);
    EXPECT(C2(stat, "/tmp/fifo", &st), 0);
    CHECK((st.st_mode & K_S_IFMT) == K_S_IFIFO && (st.st_mode & 0777) == 0644, "FIFO mode %o", st.st_mode);
    EXPECT(xopen("/tmp/fifo", K_O_WRONLY | K_O_NONBLOCK, 0), -ENXIO);
    long r = xopen("/tmp/fifo", K_O_RDONLY | K_O_NONBLOCK, 0);
    CHECK(r >= 0, "FIFO read end opens without a writer");
    long w = xopen("/tmp/fifo", K_O_WRONLY, 0);          /* a reader exists: no wait */
    CHECK(w >= 0, "FIFO write end");
    EXPECT(C3(write, w, "fifo", 4), 4);
    EXPECT(C3(read, r, buf, sizeof buf), 4);
    C1(close, w);
    EXPECT(C3(read, r, buf, sizeof buf), 0);
    C1(close, r);
    /* eventfd */
    long e = C2(eventfd2, 3, K_O_NONBLOCK);
    CHECK(e >= 0, "eventfd2");
    uint64_t v = 0;
    EXPECT(C3(read, e, &v, 8), 8);
    CHECK(v == 3, "eventfd counter %llu", (unsigned long long)v);
    EXPECT(C3(read, e, &v, 8), -EAGAIN);
    struct k_pollfd p = { (int)e, K_POLLIN | K_POLLOUT, 0 };
    EXPECT(C3(poll, &p, 1, 0), 1);
    CHECK(p.revents == K_POLLOUT, "eventfd writable, not readable");
    v = 5;
    EXPECT(C3(write, e, &v, 8), 8);
    EXPECT(C3(write, e, &v, 4), -EINVAL);
    v = ~0ull;
    EXPECT(C3(write, e, &v, 8), -EINVAL);
    EXPECT(C3(poll, &p, 1, 0), 1);
    CHECK(p.revents == (K_POLLIN | K_POLLOUT), "eventfd readable");
    C1(close, e);
    e = C2(eventfd2, 2, 1 /* EFD_SEMAPHORE */);
    EXPECT(C3(read, e, &v, 8), 8);
    CHECK(v == 1, "semaphore reads 1");
    EXPECT(C3(read, e, &v, 8), 8);
    snprintf(buf, sizeof buf, "/proc/self/fd/%ld", e);
    n = C3(readlink, buf, buf, sizeof buf);
    CHECK(n == 20 && memcmp(buf, "anon_inode:[eventfd]", 20) == 0, "eventfd link %.*s", (int)(n > 0 ? n : 0), buf);
    C1(close, e);
    EXPECT(C2(eventfd2, 0, 0x40), -EINVAL);
}

static void t_random(void)
{
    section = "random";
    /* RFC 8439, 2.3.2 */
    uint32_t key[8], nonce[3] = { 0x09000000, 0x4a000000, 0 };
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 |
                 (uint32_t)(4 * i + 3) << 24;
    static const uint8_t want[16] = { 0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15,
                                      0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4 };
    static const uint8_t want_end[4] = { 0xa2, 0x50, 0x3c, 0x4e };
    uint8_t out[64];
    chacha20_block(key, 1, nonce, out);
    CHECK(memcmp(out, want, 16) == 0 && memcmp(out + 60, want_end, 4) == 0, "ChaCha20 RFC 8439 test vector");
    unsigned char a[64], b[64];
    EXPECT(C3(getrandom, a, 64, 0), 64);
    EXPECT(C3(getrandom, b, 64, K_GRND_NONBLOCK), 64);
    CHECK(memcmp(a, b, 64) != 0, "two draws differ");
    EXPECT(C3(getrandom, a, 0, 0), 0);
    EXPECT(C3(getrandom, a, 8, 0x40), -EINVAL);
    /* crude sanity: bit balance over 64 KiB */
    static unsigned char big[65536];
    EXPECT(C3(getrandom, big, sizeof big, 0), (long)sizeof big);
    long ones = 0;
    for (size_t i = 0; i < sizeof big; i++)
        ones += __builtin_popcount(big[i]);
    CHECK(ones > 262144 - 3000 && ones < 262144 + 3000, "bit balance %ld of 524288", ones);
    const char *src = random_source();
    CHECK(strstr(src, "chacha20") != NULL, "source %s", src);
    printf("random source: %s\n", src);
}

/* ---- differential: random name-space operations, shim vs. the host kernel --- */

static char host_base[64];
/* Where the fuzzers work in the shim: the tree's own /fz and /fzd, or a
 * directory of a 9P mount (RENAME_EXCHANGE is left out there: 9P has no
 * such call, 9pfs answers EINVAL). */
static const char *fz_root = "/fz", *fzd_root = "/fzd";
static int fz_no_exchange;
static const char *const fz_names[] = { "a", "b", "c", "a/b", "a/c", "b/a", "c/c", "a/b/c", "l", "a/l", "b/", "a/." };
#define NFZ (int)(sizeof fz_names / sizeof fz_names[0])

static long host_r(long r) { return r < 0 ? -errno : r; }

static void fz_paths(int i, char *sp, char *hp)
{
    sprintf(sp, "%s/%s", fz_root, fz_names[i]);
    sprintf(hp, "%s/%s", host_base, fz_names[i]);
}

/* Walks both trees and compares names, types, sizes and link targets. */
static void fz_compare_trees(const char *sdir, const char *hdir, int *diffs)
{
    char list[4096];
    if (list_dir(sdir, list, sizeof list) < 0) {
        (*diffs)++;
        return;
    }
    DIR *d = opendir(hdir);
    struct dirent *e;
    int hcount = 0;
    while (d && (e = readdir(d))) {
        hcount++;
        char sp[512], hp[512];
        snprintf(sp, sizeof sp, "%s/%s", sdir, e->d_name);
        snprintf(hp, sizeof hp, "%s/%s", hdir, e->d_name);
        if (!has_line(list, e->d_name)) {
            check(0, __LINE__, "tree: %s missing in the shim", sp);
            (*diffs)++;
            continue;
        }
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat hs;
        struct k_stat ss;
        lstat(hp, &hs);
        C2(lstat, sp, &ss);
        if (hs.st_mode != ss.st_mode || (S_ISREG(hs.st_mode) && hs.st_size != ss.st_size) ||
            (!S_ISDIR(hs.st_mode) && hs.st_nlink != ss.st_nlink)) {
            check(0, __LINE__, "tree: %s mode %o/%o size %ld/%ld nlink %lu/%lu", sp, ss.st_mode, hs.st_mode,
                  (long)ss.st_size, (long)hs.st_size, (unsigned long)ss.st_nlink, (unsigned long)hs.st_nlink);
            (*diffs)++;
        }
        if (S_ISDIR(hs.st_mode))
            fz_compare_trees(sp, hp, diffs);
    }
    if (d)
        closedir(d);
    int scount = 0;
    for (char *q = list; *q; q++)
        scount += *q == '\n';
    if (scount != hcount) {
        check(0, __LINE__, "tree: %s has %d entries in the shim, %d on the host", sdir, scount, hcount);
        (*diffs)++;
    }
}

/* rm -r through the shim. */
static void fz_clear(const char *path)
{
    struct k_stat st;
    if (C2(lstat, path, &st) < 0)
        return;
    if (K_S_ISDIR(st.st_mode)) {
        char list[4096];
        list_dir(path, list, sizeof list);
        for (char *q = list; *q;) {
            char *e = strchr(q, '\n');
            *e = 0;
            if (strcmp(q, ".") && strcmp(q, "..")) {
                char sub[512];
                if (snprintf(sub, sizeof sub, "%.200s/%.200s", path, q) < (int)sizeof sub)
                    fz_clear(sub);
            }
            q = e + 1;
        }
        C1(rmdir, path);
    } else {
        C1(unlink, path);
    }
}

static void t_differential(unsigned seed, int steps)
{
    section = "differential";
    strcpy(host_base, "/tmp/shimfz-XXXXXX");
    if (!mkdtemp(host_base)) {
        CHECK(0, "mkdtemp");
        return;
    }
    fz_clear(fz_root);                /* a fresh /fz for every round */
    EXPECT(C2(mkdir, fz_root, 0755), 0);
    umask(022);
    srand(seed);
    int mismatches = 0;
    for (int step = 0; step < steps && mismatches < 10; step++) {
        int i = rand() % NFZ, j = rand() % NFZ, op = rand() % 14;
        long xfl = rand() % 2 ? K_RENAME_EXCHANGE : K_RENAME_NOREPLACE;
        if (fz_no_exchange && op == 11 && xfl == K_RENAME_EXCHANGE)
            continue;
        char sp[256], hp[256], sq[256], hq[256];
        fz_paths(i, sp, hp);
        fz_paths(j, sq, hq);
        long rs = 0, rh = 0;
        const char *what = "";
        char sbuf[256], hbuf[256];
        switch (op) {
        case 0: what = "mkdir"; rs = C2(mkdir, sp, 0755); rh = host_r(mkdir(hp, 0755)); break;
        case 1: what = "rmdir"; rs = C1(rmdir, sp); rh = host_r(rmdir(hp)); break;
        case 2: what = "unlink"; rs = C1(unlink, sp); rh = host_r(unlink(hp)); break;
        case 3: what = "rename"; rs = C2(rename, sp, sq); rh = host_r(rename(hp, hq)); break;
        case 4: what = "link"; rs = C2(link, sp, sq); rh = host_r(link(hp, hq)); break;
        case 5: {
            /* relative targets mean the same in both trees */
            static const char *const targets[] = { "a", "a/../b", "b/a", "nowhere", "l" };
            const char *t = targets[rand() % 5];
            what = "symlink";
            rs = C2(symlink, t, sp);
            rh = host_r(symlink(t, hp));
            break;
        }
        case 6: {
            what = "creat+write";
            int len = rand() % 100;
            static char junk[100];
            long fs = C4(openat, K_AT_FDCWD, sp, K_O_WRONLY | K_O_CREAT | K_O_TRUNC, 0644);
            int fh = open(hp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            rs = fs < 0 ? fs : C3(write, fs, junk, len);
            rh = fh < 0 ? -errno : host_r(write(fh, junk, (size_t)len));
            if (fs >= 0) C1(close, fs);
            if (fh >= 0) close(fh);
            break;
        }
        case 7: {
            what = "open O_EXCL";
            long fs = C4(openat, K_AT_FDCWD, sp, K_O_WRONLY | K_O_CREAT | K_O_EXCL, 0600);
            int fh = open(hp, O_WRONLY | O_CREAT | O_EXCL, 0600);
            rs = fs < 0 ? fs : 0;
            rh = fh < 0 ? -errno : 0;
            if (fs >= 0) C1(close, fs);
            if (fh >= 0) close(fh);
            break;
        }
        case 8: {
            what = "stat";
            struct k_stat ss;
            struct stat hs;
            rs = C2(stat, sp, &ss);
            rh = host_r(stat(hp, &hs));
            if (rs == 0 && rh == 0 && (ss.st_mode != hs.st_mode || (S_ISREG(hs.st_mode) && ss.st_size != hs.st_size)))
                rs = 1000;        /* report as a mismatch */
            break;
        }
        case 9: {
            what = "readlink";
            rs = C3(readlink, sp, sbuf, sizeof sbuf);
            rh = host_r(readlink(hp, hbuf, sizeof hbuf));
            if (rs > 0 && rs == rh && memcmp(sbuf, hbuf, (size_t)rs) != 0)
                rs = 1000;
            break;
        }
        case 11: {
            what = "renameat2";
            long fl = xfl;
            rs = C5(renameat2, K_AT_FDCWD, sp, K_AT_FDCWD, sq, fl);
            rh = host_r(syscall(SYS_renameat2, AT_FDCWD, hp, AT_FDCWD, hq, (unsigned)fl));
            break;
        }
        case 12: {
            what = "open O_DIRECTORY";
            long fs = C4(openat, K_AT_FDCWD, sp, K_O_RDONLY | K_O_DIRECTORY, 0);
            int fh = open(hp, O_RDONLY | O_DIRECTORY);
            rs = fs < 0 ? fs : 0;
            rh = fh < 0 ? -errno : 0;
            if (fs >= 0) C1(close, fs);
            if (fh >= 0) close(fh);
            break;
        }
        case 13: {
            what = "open O_NOFOLLOW";
            long fs = C4(openat, K_AT_FDCWD, sp, K_O_RDONLY | K_O_NOFOLLOW, 0);
            int fh = open(hp, O_RDONLY | O_NOFOLLOW);
            rs = fs < 0 ? fs : 0;
            rh = fh < 0 ? -errno : 0;
            if (fs >= 0) C1(close, fs);
            if (fh >= 0) close(fh);
            break;
        }
        case 10: {
            what = "truncate";
            long len = rand() % 50;
            rs = C2(truncate, sp, len);
            rh = host_r(truncate(hp, len));
            break;
        }
        }
        int tdiffs = 0;
        if (rs == rh) {
            /* same result: the trees must still be the same too */
            fz_compare_trees(fz_root, host_base, &tdiffs);
            if (tdiffs) {
                printf("FAIL [differential] step %d: %s %s %s (both %ld) left the trees different\n", step, what,
                       fz_names[i], op == 3 || op == 4 ? fz_names[j] : "", rs);
                break;
            }
        }
        checks++;
        if (rs != rh) {
            failures++;
            mismatches++;
            printf("FAIL [differential] step %d: %s %s %s: shim %ld, host %ld\n", step, what, fz_names[i],
                   op == 3 || op == 4 || op == 11 ? fz_names[j] : "", rs, rh);
        }
    }
    int diffs = 0;
    fz_compare_trees(fz_root, host_base, &diffs);
    printf("differential: %d random operations (seed %u) compared with the host kernel, %d mismatches, tree %s\n",
           steps, seed, mismatches, diffs ? "differs" : "identical");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", host_base);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", host_base);
}

/* Random data operations on a few descriptors, shim vs. host: results and
 * the bytes read must agree. */
static void t_data_differential(unsigned seed, int steps)
{
    section = "data-differential";
    char hdir[] = "/tmp/shimfzd-XXXXXX";
    if (!mkdtemp(hdir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    fz_clear(fzd_root);
    C2(mkdir, fzd_root, 0755);
    static const uint32_t modes[] = { K_O_RDWR, K_O_RDWR | K_O_APPEND, K_O_RDONLY, K_O_WRONLY };
    long sfd[4];
    int hfd[4];
    for (int k = 0; k < 4; k++) {
        char sp[64], hp[64];
        snprintf(sp, sizeof sp, "%s/f%d", fzd_root, k % 2);
        snprintf(hp, sizeof hp, "%s/f%d", hdir, k % 2);
        sfd[k] = C4(openat, K_AT_FDCWD, sp, modes[k] | K_O_CREAT, 0644);
        hfd[k] = open(hp, (int)modes[k] | O_CREAT, 0644);
        CHECK(sfd[k] >= 0 && hfd[k] >= 0, "open %d", k);
    }
    srand(seed);
    int mismatches = 0;
    static unsigned char data[300], sb[300], hb[300];
    for (int step = 0; step < steps && mismatches < 10; step++) {
        int k = rand() % 4, op = rand() % 7;
        size_t len = (size_t)(rand() % 300);
        long off = rand() % 400 - 50;
        for (size_t b = 0; b < len; b++)
            data[b] = (unsigned char)rand();
        long rs = 0, rh = 0;
        const char *what = "";
        memset(sb, 0, sizeof sb);
        memset(hb, 0, sizeof hb);
        switch (op) {
        case 0: what = "write"; rs = C3(write, sfd[k], data, len); rh = host_r(write(hfd[k], data, len)); break;
        case 1: what = "read"; rs = C3(read, sfd[k], sb, len); rh = host_r(read(hfd[k], hb, len)); break;
        case 2: what = "pwrite"; rs = C4(pwrite64, sfd[k], data, len, off); rh = host_r(pwrite(hfd[k], data, len, off)); break;
        case 3: what = "pread"; rs = C4(pread64, sfd[k], sb, len, off); rh = host_r(pread(hfd[k], hb, len, off)); break;
        case 4: {
            int wh = rand() % 3;
            what = "lseek";
            rs = C3(lseek, sfd[k], off, wh);
            rh = host_r(lseek(hfd[k], off, wh));
            break;
        }
        case 5: what = "ftruncate"; rs = C2(ftruncate, sfd[k], off); rh = host_r(ftruncate(hfd[k], off)); break;
        case 6: {
            what = "fstat size";
            struct k_stat ss;
            struct stat hs;
            C2(fstat, sfd[k], &ss);
            fstat(hfd[k], &hs);
            rs = ss.st_size;
            rh = hs.st_size;
            break;
        }
        }
        checks++;
        int is_read = op == 1 || op == 3;
        if (getenv("SHIM_FZ_TRACE")) {
            struct k_stat s0;
            struct stat h0;
            C2(fstat, sfd[1], &s0);
            fstat(hfd[1], &h0);
            printf("step %d %s fd%d len %zu off %ld -> %ld/%ld  f1 size %ld/%ld pos1 %ld/%ld\n", step, what, k, len, off, rs, rh,
                   (long)s0.st_size, (long)h0.st_size, (long)C3(lseek, sfd[1], 0, 1), (long)lseek(hfd[1], 0, SEEK_CUR));
        }
        if (rs != rh || (is_read && rs > 0 && memcmp(sb, hb, (size_t)rs) != 0)) {
            failures++;
            mismatches++;
            printf("FAIL [data-differential] step %d: %s fd%d len %zu off %ld: shim %ld, host %ld%s\n", step, what, k,
                   len, off, rs, rh, rs == rh ? " (data differs)" : "");
        }
    }
    for (int k = 0; k < 4; k++) {
        C1(close, sfd[k]);
        close(hfd[k]);
    }
    printf("data-differential: %d random operations (seed %u), %d mismatches\n", steps, seed, mismatches);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", hdir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", hdir);
}

/* ---- 9pfs: a 9P mount served by fake_9p.c from a host directory ---------- */

static long host_read(const char *dir, const char *name, char *buf, size_t size)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return -errno;
    long n = read(fd, buf, size - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return n;
}

static void t_9p(void)
{
    section = "9pfs";
    char h[] = "/tmp/shim9p-XXXXXX";
    if (!mkdtemp(h)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char p[256], buf[512];
    snprintf(p, sizeof p, "%s/pre", h);
    FILE *fp = fopen(p, "w");
    fputs("before\n", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/sub", h);
    mkdir(p, 0755);

    struct p9_transport *t = fake9p_serve(h, 8192 + 24);
    EXPECT(p9fs_mount(t, "/mnt/data", 0), 0);
    EXPECT(read_all("/mnt/data/pre", buf, sizeof buf), 7);
    CHECK(!strcmp(buf, "before\n"), "pre reads %s", buf);

    /* the sequence the QEMU test runs with busybox */
    EXPECT(write_file("/mnt/data/f", "hi\n"), 3);
    EXPECT(host_read(h, "f", buf, sizeof buf), 3);
    CHECK(!strcmp(buf, "hi\n"), "host sees %s", buf);
    EXPECT(C2(mkdir, "/mnt/data/d", 0755), 0);
    EXPECT(C2(rename, "/mnt/data/f", "/mnt/data/d/g"), 0);
    EXPECT(host_read(h, "f", buf, sizeof buf), -ENOENT);
    EXPECT(host_read(h, "d/g", buf, sizeof buf), 3);
    struct k_stat st;
    EXPECT(C2(stat, "/mnt/data/d/g", &st), 0);
    CHECK(st.st_size == 3 && K_S_ISREG(st.st_mode) && st.st_nlink == 1, "stat d/g size %ld mode %o",
          (long)st.st_size, st.st_mode);
    struct stat hs;
    snprintf(p, sizeof p, "%s/d/g", h);
    stat(p, &hs);
    CHECK(st.st_ino == hs.st_ino, "inode %lu is the host's %lu", (unsigned long)st.st_ino, (unsigned long)hs.st_ino);
    EXPECT(list_dir("/mnt/data/d", buf, sizeof buf), 7);
    CHECK(!strcmp(buf, ".\n..\ng\n"), "ls d: %s", buf);
    EXPECT(C1(rmdir, "/mnt/data/d"), -ENOTEMPTY);
    EXPECT(C1(unlink, "/mnt/data/d/g"), 0);
    EXPECT(C1(rmdir, "/mnt/data/d"), 0);
    snprintf(p, sizeof p, "%s/d", h);
    CHECK(access(p, F_OK) < 0 && errno == ENOENT, "host d removed");

    /* more than one message's worth of data, pread, O_APPEND, ftruncate, fsync */
    static char big[100000], back[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7 + i / 251);
    long fd = xopen("/mnt/data/big", K_O_RDWR | K_O_CREAT | K_O_TRUNC, 0600);
    CHECK(fd >= 0, "create big: %ld", fd);
    EXPECT(C3(write, fd, big, sizeof big), (long)sizeof big);
    unsigned long fs0 = fake9p_fsyncs();
    EXPECT(C1(fsync, fd), 0);
    EXPECT(C1(fdatasync, fd), 0);
    CHECK(fake9p_fsyncs() == fs0 + 2, "two Tfsync sent (%lu)", fake9p_fsyncs() - fs0);
    EXPECT(C4(pread64, fd, back, sizeof back, 0), (long)sizeof back);
    CHECK(!memcmp(big, back, sizeof big), "big reads back");
    EXPECT(C4(pread64, fd, back, 10, 99995), 5);
    EXPECT(C2(ftruncate, fd, 1000), 0);
    EXPECT(C2(fstat, fd, &st), 0);
    CHECK(st.st_size == 1000, "size after ftruncate %ld", (long)st.st_size);
    EXPECT(C3(lseek, fd, 0, K_SEEK_END), 1000);
    C1(close, fd);
    snprintf(p, sizeof p, "%s/big", h);
    stat(p, &hs);
    CHECK(hs.st_size == 1000 && (hs.st_mode & 0777) == 0600, "host big: size %ld mode %o", (long)hs.st_size,
          hs.st_mode & 0777);
    fd = xopen("/mnt/data/big", K_O_WRONLY | K_O_APPEND, 0);
    EXPECT(C3(write, fd, "tail", 4), 4);
    C1(close, fd);
    stat(p, &hs);
    CHECK(hs.st_size == 1004, "O_APPEND appended: %ld", (long)hs.st_size);
    EXPECT(C2(chmod, "/mnt/data/big", 0640), 0);
    stat(p, &hs);
    CHECK((hs.st_mode & 0777) == 0640, "chmod reached the host: %o", hs.st_mode & 0777);
    EXPECT(C1(unlink, "/mnt/data/big"), 0);

    /* fstat of an open file after its name is gone */
    fd = xopen("/mnt/data/doomed", K_O_RDWR | K_O_CREAT, 0600);
    EXPECT(C3(write, fd, "12345", 5), 5);
    EXPECT(C1(unlink, "/mnt/data/doomed"), 0);
    EXPECT(C2(fstat, fd, &st), 0);
    CHECK(st.st_size == 5, "fstat after unlink: size %ld", (long)st.st_size);
    EXPECT(C4(pread64, fd, buf, 5, 0), 5);
    C1(close, fd);

    /* open/close leaves no fid behind */
    EXPECT(read_all("/mnt/data/pre", buf, sizeof buf), 7);
    int fids = fake9p_open_fids(t);
    for (int i = 0; i < 50; i++)
        read_all("/mnt/data/pre", buf, sizeof buf);
    CHECK(fake9p_open_fids(t) == fids, "fids %d after 50 opens, %d before", fake9p_open_fids(t), fids);

    /* symlinks, names made on the host after the mount, paths, cwd */
    EXPECT(C2(symlink, "pre", "/mnt/data/ln"), 0);
    EXPECT(C3(readlink, "/mnt/data/ln", buf, sizeof buf), 3);
    EXPECT(read_all("/mnt/data/ln", buf, sizeof buf), 7);
    snprintf(p, sizeof p, "%s/late", h);
    fp = fopen(p, "w");
    fclose(fp);
    EXPECT(list_dir("/mnt/data", buf, sizeof buf), (long)strlen(buf));
    CHECK(has_line(buf, "late") && has_line(buf, "pre") && has_line(buf, "sub") && has_line(buf, "ln"),
          "ls /mnt/data: %s", buf);
    EXPECT(C1(chdir, "/mnt/data/sub"), 0);
    EXPECT(C2(getcwd, buf, sizeof buf), 14);
    CHECK(!strcmp(buf, "/mnt/data/sub"), "getcwd %s", buf);
    EXPECT(write_file("rel", "r"), 1);
    EXPECT(host_read(h, "sub/rel", buf, sizeof buf), 1);
    EXPECT(C1(chdir, "../.."), 0);
    EXPECT(C2(getcwd, buf, sizeof buf), 5);
    EXPECT(C1(chdir, "/"), 0);

    /* the mount point itself, and across it */
    EXPECT(C1(rmdir, "/mnt/data"), -EBUSY);
    EXPECT(C2(rename, "/mnt/data", "/mnt/x"), -EBUSY);
    EXPECT(C2(rename, "/mnt/data/pre", "/tmp/pre"), -EXDEV);
    EXPECT(C2(link, "/mnt/data/pre", "/tmp/pre"), -EXDEV);
    EXPECT(C2(link, "/mnt/data/pre", "/mnt/data/pre2"), 0);
    EXPECT(C2(stat, "/mnt/data/pre2", &st), 0);
    CHECK(st.st_nlink == 2, "hard link on the host: nlink %lu", (unsigned long)st.st_nlink);
    EXPECT(C1(unlink, "/mnt/data/pre2"), 0);
    struct k_statfs sf;
    EXPECT(C2(statfs, "/mnt/data/pre", &sf), 0);
    CHECK(sf.f_type != K_TMPFS_MAGIC && (sf.f_flags & 1) == 0, "statfs: the host's, read-write");
    struct k_stat rs;
    C2(stat, "/", &rs);
    C2(stat, "/mnt/data", &st);
    CHECK(rs.st_dev != st.st_dev, "the mount has its own st_dev");

    /* mounts that cannot be: over "/", inside a mount; the server's fids come back */
    struct p9_transport *tbad = fake9p_serve(h, 8192 + 24);
    EXPECT(p9fs_mount(tbad, "/", 0), -EBUSY);
    EXPECT(p9fs_mount(tbad, "/mnt/data/sub/x", 0), -EINVAL);
    EXPECT(fake9p_open_fids(tbad), 0);

    /* a read-only mount of the same directory */
    struct p9_transport *t2 = fake9p_serve(h, 8192 + 24);
    EXPECT(p9fs_mount(t2, "/ro", 1), 0);
    EXPECT(read_all("/ro/pre", buf, sizeof buf), 7);
    EXPECT(xopen("/ro/pre", K_O_WRONLY, 0), -EROFS);
    EXPECT(xopen("/ro/pre", K_O_RDWR | K_O_TRUNC, 0), -EROFS);
    EXPECT(xopen("/ro/new", K_O_WRONLY | K_O_CREAT, 0644), -EROFS);
    EXPECT(C2(mkdir, "/ro/nd", 0755), -EROFS);
    EXPECT(C2(mkdir, "/ro/sub", 0755), -EEXIST);
    EXPECT(C1(unlink, "/ro/pre"), -EROFS);
    EXPECT(C2(rename, "/ro/pre", "/ro/pre2"), -EROFS);
    EXPECT(C2(truncate, "/ro/pre", 0), -EROFS);
    EXPECT(C2(chmod, "/ro/pre", 0600), -EROFS);
    EXPECT(C2(access, "/ro/pre", K_W_OK), -EROFS);
    static char mounts[1024];
    EXPECT(read_all("/proc/mounts", mounts, sizeof mounts), (long)strlen(mounts));
    CHECK(strstr(mounts, "fake9p /mnt/data 9p rw 0 0\n") && strstr(mounts, "fake9p /ro 9p ro 0 0\n"),
          "/proc/mounts lists the mounts: %s", mounts);
    EXPECT(C2(statfs, "/ro", &sf), 0);
    CHECK(sf.f_flags & 1, "statfs on the ro mount: ST_RDONLY");
    EXPECT(host_read(h, "pre", buf, sizeof buf), 7);

    /* the fuzzers, on a mount of a directory of their own */
    char h2[] = "/tmp/shim9pf-XXXXXX";
    if (mkdtemp(h2)) {
        struct p9_transport *t9 = fake9p_serve(h2, 4096);
        EXPECT(p9fs_mount(t9, "/mnt/fz9", 0), 0);
        fz_root = "/mnt/fz9/fz";
        fzd_root = "/mnt/fz9/fzd";
        fz_no_exchange = 1;
        t_differential(12345, 3000);
        t_data_differential(4242, 3000);
        /* SHIM_FZ_SEEDS=N explores N more seeds here too. */
        const char *more = getenv("SHIM_FZ_SEEDS");
        for (int k = 0; more && k < atoi(more); k++)
            t_differential(3000u + (unsigned)k, 3000), t_data_differential(4000u + (unsigned)k, 3000);
        /* Every fid the fuzzing took is given back once its names are gone:
         * what stays is the root's (walked, and opened for getdents). */
        fz_clear(fz_root);
        fz_clear(fzd_root);
        CHECK(fake9p_open_fids(t9) <= 2, "fids held after the fuzzers: %d", fake9p_open_fids(t9));
        fz_root = "/fz";
        fzd_root = "/fzd";
        fz_no_exchange = 0;
        snprintf(p, sizeof p, "rm -rf %s", h2);
        if (system(p) != 0)
            printf("note: could not remove %s\n", h2);
    }
    printf("9pfs: %lu 9P messages answered by the in-process server\n", fake9p_messages());
    snprintf(p, sizeof p, "rm -rf %s", h);
    if (system(p) != 0)
        printf("note: could not remove %s\n", h);
}

static int entries_compared;

/* Compare every file of a host tree with the mounted copy under /cpiotree. */
static void compare_tree(const char *host, const char *guest)
{
    DIR *d = opendir(host);
    if (!d) {
        CHECK(0, "cannot open host dir %s", host);
        return;
    }
    struct dirent *e;
    char list[8192];
    CHECK(list_dir(guest, list, sizeof list) >= 0, "list %s", guest);
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char hp[1024], gp[1024];
        snprintf(hp, sizeof hp, "%s/%s", host, e->d_name);
        snprintf(gp, sizeof gp, "%s/%s", guest, e->d_name);
        CHECK(has_line(list, e->d_name), "%s listed in %s", e->d_name, guest);
        entries_compared++;
        struct stat hs;
        struct k_stat gs;
        lstat(hp, &hs);
        long r = C2(lstat, gp, &gs);
        CHECK(r == 0 && gs.st_mode == hs.st_mode, "%s mode %o vs host %o (%ld)", gp, gs.st_mode, hs.st_mode, r);
        CHECK(gs.st_mtim.tv_sec == hs.st_mtime, "%s mtime %ld vs host %ld", gp, (long)gs.st_mtim.tv_sec,
              (long)hs.st_mtime);
        if (S_ISDIR(hs.st_mode)) {
            compare_tree(hp, gp);
        } else if (S_ISLNK(hs.st_mode)) {
            char ht[512], gt[512];
            ssize_t hn = readlink(hp, ht, sizeof ht);
            long gn = C3(readlink, gp, gt, sizeof gt);
            CHECK(hn == gn && memcmp(ht, gt, (size_t)hn) == 0, "%s link target", gp);
        } else if (S_ISREG(hs.st_mode)) {
            FILE *f = fopen(hp, "rb");
            char *hb = malloc((size_t)hs.st_size + 1), *gb = malloc((size_t)hs.st_size + 2);
            size_t hn = fread(hb, 1, (size_t)hs.st_size, f);
            fclose(f);
            long gn = read_all(gp, gb, (size_t)hs.st_size + 2);
            CHECK((size_t)gn == hn && memcmp(hb, gb, hn) == 0 && gs.st_size == hs.st_size, "%s contents (%ld vs %zu bytes)",
                  gp, gn, hn);
            free(hb);
            free(gb);
        }
    }
    closedir(d);
}

static void t_cpio_tool(const char *archive, const char *tree)
{
    section = "cpio-tool";
    FILE *f = fopen(archive, "rb");
    if (!f) {
        CHECK(0, "cannot open %s", archive);
        return;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *mem = malloc((size_t)len);
    CHECK(fread(mem, 1, (size_t)len, f) == (size_t)len, "read archive");
    fclose(f);
    vfs_mount_initrd(mem, (size_t)len);      /* stays mapped: files borrow it */
    compare_tree(tree, "/cpiotree");
    printf("cpio-tool: %d entries compared with %s\n", entries_compared, tree);
}

int main(int argc, char **argv)
{
    /* The boot sequence's order: module inits, then the initrd. */
    vfs_init();
    devfs_init();
    procfs_init();
    build_and_mount();
    t_heap();
    t_initrd();
    t_files();
    t_namespace();
    t_fds();
    t_devfs();
    t_procfs();
    t_processes();
    t_pipes();
    t_poll();
    t_epoll();
    t_extra();
    t_random();
    /* SHIM_FZ_SEEDS=N explores N more seeds (not part of the regular run). */
    t_differential(12345, 4000);
    t_differential(777, 4000);
    t_data_differential(4242, 4000);
    t_9p();
    const char *more = getenv("SHIM_FZ_SEEDS");
    for (int k = 0; more && k < atoi(more); k++)
        t_differential(1000u + (unsigned)k, 4000), t_data_differential(2000u + (unsigned)k, 4000);
    if (argc == 3)
        t_cpio_tool(argv[1], argv[2]);
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
