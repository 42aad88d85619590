/* Exercises the unikernel's file-system modules end to end; run natively and
 * on QEMU, the outputs must be identical. Single-threaded, deterministic:
 * prints facts, never inode numbers, times or random bytes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define OK(cond, what) do { if (cond) printf("ok   %s\n", what); else { printf("FAIL %s (errno %d)\n", what, errno); failures++; } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    char buf[256];
    /* a private directory tree */
    char dir[] = "/tmp/fsdemo-XXXXXX";
    OK(mkdtemp(dir) != NULL, "mkdtemp");
    OK(chdir(dir) == 0, "chdir");
    OK(mkdir("d", 0755) == 0 && mkdir("d/e", 0700) == 0, "mkdir");
    FILE *f = fopen("d/file", "w");
    OK(f && fprintf(f, "line 1\nline 2\n") > 0 && fclose(f) == 0, "stdio write");
    OK(symlink("file", "d/link") == 0, "symlink");
    OK(rename("d/e", "d/moved") == 0, "rename dir");
    DIR *dp = opendir("d");
    char *names[16];
    int n = 0;
    struct dirent *de;
    while (dp && (de = readdir(dp)) && n < 16)
        names[n++] = strdup(de->d_name);
    if (dp)
        closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    for (int i = 0; i < n; i++)
        printf("entry %s\n", names[i]);
    struct stat st;
    OK(stat("d/link", &st) == 0 && st.st_size == 14 && S_ISREG(st.st_mode), "stat through link");
    OK(lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat link");
    OK(getcwd(buf, sizeof buf) && strcmp(buf, dir) == 0, "getcwd");
    f = fopen("d/link", "r");
    OK(f && fgets(buf, sizeof buf, f) && strcmp(buf, "line 1\n") == 0, "stdio read via link");
    if (f)
        fclose(f);
    int fd = open("d/file", O_RDWR | O_APPEND);
    OK(fd >= 0 && write(fd, "line 3\n", 7) == 7 && lseek(fd, 0, SEEK_CUR) == 21, "O_APPEND");
    OK(pread(fd, buf, 6, 7) == 6 && memcmp(buf, "line 2", 6) == 0, "pread");
    OK(ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, "ftruncate");
    close(fd);
    OK(unlink("d/link") == 0 && unlink("d/file") == 0 && rmdir("d/moved") == 0 && rmdir("d") == 0, "cleanup");
    OK(chdir("/") == 0 && rmdir(dir) == 0, "rmdir tmp dir");
    /* pipes, poll, select, epoll */
    int p[2];
    OK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    OK(read(p[0], buf, 1) == -1 && errno == EAGAIN, "empty pipe EAGAIN");
    struct pollfd pfd = { p[0], POLLIN, 0 };
    OK(poll(&pfd, 1, 10) == 0, "poll times out");
    OK(write(p[1], "ping", 4) == 4, "pipe write");
    OK(poll(&pfd, 1, -1) == 1 && pfd.revents == POLLIN, "poll POLLIN");
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = { 0, 0 };
    OK(select(p[0] + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &rs), "select readable");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[2];
    OK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "epoll_ctl");
    OK(epoll_wait(ep, out, 2, -1) == 1 && out[0].data.u64 == 42, "epoll_wait");
    OK(read(p[0], buf, sizeof buf) == 4, "pipe read");
    OK(epoll_wait(ep, out, 2, 10) == 0, "epoll_wait times out");
    snprintf(buf, sizeof buf, "/proc/self/fd/%d", p[0]);
    char link[64] = "";
    OK(readlink(buf, link, sizeof link) > 0 && strncmp(link, "pipe:[", 6) == 0, "pipe fd link");
    close(p[1]);
    OK(read(p[0], buf, 1) == 0, "EOF after close");
    close(p[0]);
    close(ep);
    /* eventfd */
    int e = eventfd(2, EFD_NONBLOCK);
    uint64_t v = 0;
    OK(e >= 0 && read(e, &v, 8) == 8 && v == 2, "eventfd");
    close(e);
    /* devices and procfs */
    fd = open("/dev/null", O_WRONLY);
    OK(fd >= 0 && write(fd, "x", 1) == 1, "/dev/null");
    close(fd);
    unsigned char r1[16], r2[16];
    fd = open("/dev/urandom", O_RDONLY);
    OK(fd >= 0 && read(fd, r1, 16) == 16 && getrandom(r2, 16, 0) == 16 && memcmp(r1, r2, 16) != 0, "random");
    close(fd);
    f = fopen("/sys/devices/system/cpu/online", "r");
    OK(f && fgets(buf, sizeof buf, f) && buf[0] == '0', "cpu online");
    if (f)
        fclose(f);
    f = fopen("/proc/meminfo", "r");
    OK(f && fgets(buf, sizeof buf, f) && strncmp(buf, "MemTotal:", 9) == 0, "meminfo");
    if (f)
        fclose(f);
    OK(access("/dev/zero", R_OK) == 0 && access("/nonexistent", F_OK) == -1 && errno == ENOENT, "access");
    OK(open("/nonexistent/x", O_CREAT | O_WRONLY, 0644) == -1 && errno == ENOENT, "ENOENT");
    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
