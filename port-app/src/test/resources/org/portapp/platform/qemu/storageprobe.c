/* What StorageOnQemuTest asks of a --mount, one mode per run:
 *   storageprobe write PATH TEXT   write TEXT to PATH (created/truncated), fsync, close;
 *                                  prints "wrote N fsync R" (R: 0 or -errno)
 *   storageprobe cat PATH          prints the file
 *   storageprobe readonly DIR      tries every kind of change below DIR (which holds a
 *                                  file "pre" and a directory "sub") and prints the errno
 *                                  of each, by number and name
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static void report(const char *what, int r)
{
    printf("%s: %s\n", what, r == 0 ? "ok" : strerrorname_np(errno));
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            printf("open: %s\n", strerrorname_np(errno));
            return 1;
        }
        ssize_t n = write(fd, argv[3], strlen(argv[3]));
        int r = fsync(fd);
        printf("wrote %zd fsync %d\n", n, r < 0 ? -errno : r);
        return close(fd) == 0 && n == (ssize_t)strlen(argv[3]) && r == 0 ? 0 : 1;
    }
    if (argc == 3 && strcmp(argv[1], "cat") == 0) {
        char buf[4096];
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) {
            printf("open: %s\n", strerrorname_np(errno));
            return 1;
        }
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        return close(fd);
    }
    if (argc == 3 && strcmp(argv[1], "readonly") == 0) {
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/pre", argv[2]);
        int fd = open(a, O_RDONLY);
        report("open O_RDONLY", fd < 0 ? -1 : 0);
        if (fd >= 0)
            close(fd);
        report("open O_WRONLY", (fd = open(a, O_WRONLY)) < 0 ? -1 : (close(fd), 0));
        report("truncate", truncate(a, 0));
        report("chmod", chmod(a, 0600));
        report("unlink", unlink(a));
        snprintf(b, sizeof b, "%s/renamed", argv[2]);
        report("rename", rename(a, b));
        snprintf(b, sizeof b, "%s/new", argv[2]);
        report("creat", (fd = open(b, O_WRONLY | O_CREAT, 0644)) < 0 ? -1 : (close(fd), 0));
        snprintf(b, sizeof b, "%s/newdir", argv[2]);
        report("mkdir", mkdir(b, 0755));
        snprintf(b, sizeof b, "%s/sub", argv[2]);
        report("rmdir", rmdir(b));
        snprintf(b, sizeof b, "%s/link", argv[2]);
        report("symlink", symlink("pre", b));
        report("access W_OK", access(a, W_OK));
        struct statfs sf;
        report("statfs", statfs(argv[2], &sf));
        printf("ST_RDONLY: %s\n", sf.f_flags & 1 ? "yes" : "no");
        return 0;
    }
    fprintf(stderr, "usage: storageprobe write PATH TEXT | cat PATH | readonly DIR\n");
    return 2;
}
