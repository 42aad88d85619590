/*
 * files: file and directory system calls through ordinary libc calls.
 *
 * Everything happens inside a fresh directory made by mkdtemp under /tmp,
 * which the program removes before it exits. Paths are relative to that
 * directory (we chdir into it), so no temp name ever reaches stdout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "check.h"

static void write_all(int fd, const char *s)
{
    size_t n = strlen(s);
    CHECK(write(fd, s, n) == (ssize_t)n);
}

/* Reads the whole file at path into buf (NUL-terminated), returns length. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t total = 0, n;
    while ((n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
        total += n;
    CHECK(n == 0);
    buf[total] = '\0';
    CHECK(close(fd) == 0);
    return total;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory with opendir/readdir (getdents underneath), sorted,
 * without "." and "..", and with the type letter readdir reports. */
static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    CHECK(d != NULL);
    char *names[64];
    int n = 0, dots = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            dots++;
            continue;
        }
        CHECK(n < 64);
        char type = '?';
        /* DT_UNKNOWN is legal; then fall back to lstat so output stays stable. */
        unsigned char t = e->d_type;
        if (t == DT_UNKNOWN) {
            char p[512];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            CHECK(lstat(p, &st) == 0);
            t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK
                : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (t == DT_REG) type = 'f';
        else if (t == DT_DIR) type = 'd';
        else if (t == DT_LNK) type = 'l';
        size_t len = strlen(e->d_name);
        names[n] = malloc(len + 3);
        CHECK(names[n] != NULL);
        names[n][0] = type;
        names[n][1] = ' ';
        memcpy(names[n] + 2, e->d_name, len + 1);
        n++;
    }
    CHECK(errno == 0);
    CHECK(closedir(d) == 0);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    printf("dir %s: %d entries, dot entries %d\n", path, n, dots);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

int main(void)
{
    char tmpl[] = "/tmp/portapp-files-XXXXXX";
    char buf[4096];

    umask(022); /* file modes are printed; don't depend on the caller's umask */
    CHECK(mkdtemp(tmpl) != NULL);
    CHECK(chdir(tmpl) == 0);
    printf("mkdtemp ok\n");

    /* --- create, write, read, lseek --- */
    int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    write_all(fd, "hello, world\n");
    CHECK(lseek(fd, 0, SEEK_CUR) == 13);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    ssize_t n = read(fd, buf, 5);
    CHECK(n == 5);
    printf("read5 '%.*s'\n", (int)n, buf);
    CHECK(lseek(fd, -6, SEEK_END) == 7);
    n = read(fd, buf, sizeof buf);
    CHECK(n == 6);
    printf("tail '%.5s'\n", buf);
    CHECK(read(fd, buf, sizeof buf) == 0); /* at EOF */
    printf("read at eof -> 0\n");
    CHECK_ERR("lseek negative", lseek(fd, -100, SEEK_SET), EINVAL);

    /* --- pread/pwrite do not move the file offset --- */
    CHECK(lseek(fd, 2, SEEK_SET) == 2);
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
    CHECK(pread(fd, buf, 5, 7) == 5);
    printf("pread '%.5s'\n", buf);
    CHECK(lseek(fd, 0, SEEK_CUR) == 2);
    printf("offset after pread/pwrite 2\n");

    /* --- a write past EOF leaves a hole that reads as zeros --- */
    CHECK(pwrite(fd, "Z", 1, 100) == 1);
    CHECK(pread(fd, buf, 101, 0) == 101);
    int zeros = 0;
    for (int i = 13; i < 100; i++)
        zeros += buf[i] == 0;
    printf("hole zeros %d\n", zeros);
    CHECK(zeros == 87);

    /* --- fstat, ftruncate --- */
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("fstat size %lld reg %d nlink %lu mode %o\n", (long long)st.st_size,
           S_ISREG(st.st_mode), (unsigned long)st.st_nlink,
           (unsigned)(st.st_mode & 07777));
    CHECK(st.st_size == 101);
    CHECK(ftruncate(fd, 5) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(ftruncate(fd, 4096) == 0);
    CHECK(fstat(fd, &st) == 0 && st.st_size == 4096);
    CHECK(ftruncate(fd, 12) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("ftruncate size %lld\n", (long long)st.st_size);
    CHECK(close(fd) == 0);
    CHECK(slurp("a.txt", buf, sizeof buf) == 12);
    printf("content '%.5s' then %d zero bytes\n", buf,
           (buf[5] | buf[6] | buf[7] | buf[8] | buf[9] | buf[10] | buf[11]) == 0 ? 7 : -1);

    /* --- stat on paths, errors --- */
    CHECK(stat("a.txt", &st) == 0 && st.st_size == 12);
    CHECK_ERR("stat missing", stat("missing", &st), ENOENT);
    CHECK_ERR("open missing", open("missing", O_RDONLY), ENOENT);
    CHECK_ERR("open a.txt/x", open("a.txt/x", O_RDONLY), ENOTDIR);

    /* --- O_EXCL --- */
    CHECK_ERR("open O_EXCL existing", open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    fd = open("b.txt", O_CREAT | O_EXCL | O_WRONLY, 0600);
    CHECK(fd >= 0);
    printf("open O_EXCL new ok\n");
    CHECK(close(fd) == 0);

    /* --- O_APPEND: writes go to the end whatever the offset --- */
    fd = open("b.txt", O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    write_all(fd, "one\n");
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    write_all(fd, "two\n");
    CHECK(lseek(fd, 0, SEEK_CUR) == 8);
    CHECK(close(fd) == 0);
    slurp("b.txt", buf, sizeof buf);
    printf("append result '%s'\n", strcmp(buf, "one\ntwo\n") == 0 ? "one|two" : buf);
    CHECK(strcmp(buf, "one\ntwo\n") == 0);

    /* --- fcntl flags --- */
    fd = open("b.txt", O_RDWR | O_APPEND | O_CLOEXEC);
    CHECK(fd >= 0);
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0);
    printf("F_GETFL accmode rdwr %d append %d nonblock %d\n",
           (fl & O_ACCMODE) == O_RDWR, !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
    fl = fcntl(fd, F_GETFL);
    printf("after F_SETFL nonblock %d\n", !!(fl & O_NONBLOCK));
    CHECK(fl & O_NONBLOCK);
    int fdfl = fcntl(fd, F_GETFD);
    printf("F_GETFD cloexec %d\n", !!(fdfl & FD_CLOEXEC));
    CHECK(fdfl & FD_CLOEXEC);
    CHECK(fcntl(fd, F_SETFD, 0) == 0);
    CHECK(fcntl(fd, F_GETFD) == 0);
    printf("F_SETFD cleared ok\n");

    /* --- dup / dup2 / F_DUPFD share the offset, not the fd flags --- */
    CHECK(lseek(fd, 4, SEEK_SET) == 4);
    int d1 = dup(fd);
    CHECK(d1 > fd);
    CHECK(lseek(d1, 0, SEEK_CUR) == 4);
    CHECK(lseek(d1, 1, SEEK_SET) == 1);
    CHECK(lseek(fd, 0, SEEK_CUR) == 1);
    printf("dup shares offset yes\n");
    int d2 = open("a.txt", O_RDONLY);
    CHECK(d2 >= 0);
    CHECK(dup2(fd, d2) == d2); /* closes the a.txt fd silently */
    CHECK(lseek(d2, 5, SEEK_SET) == 5);
    CHECK(read(d2, buf, 2) == 2);
    printf("dup2 read '%.2s'\n", buf);
    CHECK(dup2(d2, d2) == d2);
    int d3 = fcntl(fd, F_DUPFD, 50);
    CHECK(d3 >= 50);
    printf("F_DUPFD >= 50 yes\n");
    int d4 = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    CHECK(d4 >= 0 && (fcntl(d4, F_GETFD) & FD_CLOEXEC));
    printf("F_DUPFD_CLOEXEC cloexec yes\n");
    CHECK(close(d1) == 0 && close(d2) == 0 && close(d3) == 0 && close(d4) == 0);
    CHECK(close(fd) == 0);
    CHECK_ERR("close closed fd", close(fd), EBADF);
    CHECK_ERR("read bad fd", read(-1, buf, 1), EBADF);
    CHECK_ERR("dup2 bad fd", dup2(-1, 10), EBADF);

    /* --- lowest free descriptor is reused --- */
    int f1 = open("a.txt", O_RDONLY), f2 = open("a.txt", O_RDONLY);
    CHECK(f1 >= 0 && f2 == f1 + 1);
    CHECK(close(f1) == 0);
    int f3 = open("b.txt", O_RDONLY);
    printf("lowest fd reused %s\n", f3 == f1 ? "yes" : "no");
    CHECK(f3 == f1);
    CHECK(close(f2) == 0 && close(f3) == 0);

    /* --- directories --- */
    CHECK(mkdir("sub", 0755) == 0);
    CHECK_ERR("mkdir existing", mkdir("sub", 0755), EEXIST);
    CHECK(mkdir("sub/inner", 0700) == 0);
    fd = open("sub/inner/c.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    write_all(fd, "c");
    CHECK(close(fd) == 0);
    CHECK(symlink("a.txt", "link") == 0);
    n = readlink("link", buf, sizeof buf);
    CHECK(n == 5);
    printf("readlink '%.*s'\n", (int)n, buf);
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 12);
    printf("stat follows link yes\n");
    CHECK(stat("sub", &st) == 0 && S_ISDIR(st.st_mode));
    list_dir(".");
    list_dir("sub");
    CHECK_ERR("rmdir non-empty", rmdir("sub"), ENOTEMPTY);
    CHECK_ERR("unlink dir", unlink("sub"), EISDIR);
    CHECK_ERR("open dir for write", open("sub", O_WRONLY), EISDIR);
    CHECK_ERR("rmdir file", rmdir("a.txt"), ENOTDIR);

    /* --- *at calls relative to a directory fd --- */
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    fd = openat(dfd, "d.txt", O_CREAT | O_WRONLY | O_EXCL, 0644);
    CHECK(fd >= 0);
    write_all(fd, "dd");
    CHECK(close(fd) == 0);
    CHECK(fstatat(dfd, "d.txt", &st, 0) == 0 && st.st_size == 2);
    CHECK(mkdirat(dfd, "made", 0755) == 0);
    CHECK(unlinkat(dfd, "made", AT_REMOVEDIR) == 0);
    CHECK(renameat(dfd, "d.txt", AT_FDCWD, "d-moved.txt") == 0);
    CHECK(close(dfd) == 0);
    printf("openat/fstatat/mkdirat/unlinkat/renameat ok\n");

    /* --- rename, including over an existing file, and hard links --- */
    CHECK(rename("b.txt", "b2.txt") == 0);
    CHECK_ERR("stat renamed-away", stat("b.txt", &st), ENOENT);
    CHECK(rename("d-moved.txt", "b2.txt") == 0); /* replaces b2.txt */
    slurp("b2.txt", buf, sizeof buf);
    printf("rename over existing -> '%s'\n", buf);
    CHECK(strcmp(buf, "dd") == 0);
    CHECK(link("b2.txt", "hard") == 0);
    CHECK(stat("b2.txt", &st) == 0);
    printf("nlink after link %lu\n", (unsigned long)st.st_nlink);
    CHECK(st.st_nlink == 2);
    CHECK(rename("sub/inner", "inner2") == 0);
    list_dir(".");

    /* --- getcwd names the temp dir --- */
    CHECK(getcwd(buf, sizeof buf) != NULL);
    printf("getcwd matches mkdtemp %s\n", strcmp(buf, tmpl) == 0 ? "yes" : "no");
    CHECK(strcmp(buf, tmpl) == 0);

    /* --- clean up; the directory must be empty for rmdir to work --- */
    CHECK(unlink("a.txt") == 0);
    CHECK(unlink("b2.txt") == 0);
    CHECK(unlink("hard") == 0);
    CHECK(unlink("link") == 0);
    CHECK(unlink("inner2/c.txt") == 0);
    CHECK(rmdir("inner2") == 0);
    CHECK(rmdir("sub") == 0);
    list_dir(".");
    CHECK(chdir("/") == 0);
    CHECK(rmdir(tmpl) == 0);
    CHECK_ERR("stat removed tmpdir", stat(tmpl, &st), ENOENT);
    printf("files done\n");
    return 0;
}
