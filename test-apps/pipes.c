/*
 * pipes: pipe, pipe2 flags, read/write, EOF after the write end closes,
 * EPIPE (SIGPIPE ignored) after the read end closes, O_NONBLOCK and EAGAIN,
 * filling a pipe to capacity, short reads, PIPE_BUF atomicity on a full
 * pipe, and readiness through poll and select.
 *
 * Single-threaded: every blocking call is made only when data is known to be
 * there, so nothing depends on scheduling.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static const char *revents_str(short r, char *buf)
{
    buf[0] = '\0';
    if (r & POLLIN) strcat(buf, "IN|");
    if (r & POLLOUT) strcat(buf, "OUT|");
    if (r & POLLHUP) strcat(buf, "HUP|");
    if (r & POLLERR) strcat(buf, "ERR|");
    if (r & POLLNVAL) strcat(buf, "NVAL|");
    size_t n = strlen(buf);
    if (n == 0)
        strcpy(buf, "none");
    else
        buf[n - 1] = '\0';
    return buf;
}

static void show_poll(const char *label, int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events, .revents = 0 };
    int n = poll(&p, 1, 0);
    CHECK(n >= 0);
    char b[64];
    printf("poll %s: ready %d revents %s\n", label, n, revents_str(p.revents, b));
}

/* select with a zero timeout; prints which of the two sets the fd is in. */
static void show_select(const char *label, int fd)
{
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(fd, &r);
    FD_SET(fd, &w);
    struct timeval tv = { 0, 0 };
    int n = select(fd + 1, &r, &w, NULL, &tv);
    CHECK(n >= 0);
    printf("select %s: ready %d readable %d writable %d\n", label, n,
           FD_ISSET(fd, &r) ? 1 : 0, FD_ISSET(fd, &w) ? 1 : 0);
}

int main(void)
{
    int p[2];
    char buf[70000];

    /* --- basic pipe --- */
    CHECK(pipe(p) == 0);
    CHECK(p[0] >= 0 && p[1] == p[0] + 1);
    printf("pipe: write end is read end + 1 yes\n");
    struct stat st;
    CHECK(fstat(p[0], &st) == 0);
    printf("fstat S_ISFIFO %d\n", S_ISFIFO(st.st_mode) ? 1 : 0);
    CHECK(S_ISFIFO(st.st_mode));
    int fl0 = fcntl(p[0], F_GETFL), fl1 = fcntl(p[1], F_GETFL);
    printf("flags: read end O_RDONLY %d, write end O_WRONLY %d, cloexec %d\n",
           (fl0 & O_ACCMODE) == O_RDONLY, (fl1 & O_ACCMODE) == O_WRONLY,
           (fcntl(p[0], F_GETFD) & FD_CLOEXEC) ? 1 : 0);

    show_poll("empty, read end", p[0], POLLIN);
    show_poll("empty, write end", p[1], POLLOUT);
    show_select("empty, read end", p[0]);
    CHECK(write(p[1], "abcdef", 6) == 6);
    int avail = -1;
    CHECK(ioctl(p[0], FIONREAD, &avail) == 0);
    printf("FIONREAD %d\n", avail);
    show_poll("6 bytes, read end", p[0], POLLIN);
    show_select("6 bytes, read end", p[0]);
    /* a read asks for more than is there: short read, not a wait */
    ssize_t n = read(p[0], buf, 100);
    printf("short read %zd '%.*s'\n", n, (int)n, buf);
    CHECK(n == 6);
    CHECK(write(p[1], "xy", 2) == 2);
    CHECK(read(p[0], buf, 1) == 1 && read(p[0], buf + 1, 1) == 1);
    printf("byte-wise reads '%.2s'\n", buf);
    CHECK_ERR("write to read end", write(p[0], "x", 1), EBADF);
    CHECK_ERR("lseek on pipe", lseek(p[0], 0, SEEK_SET), ESPIPE);

    /* --- EOF once every write end is closed, and data before it --- */
    CHECK(write(p[1], "last", 4) == 4);
    CHECK(close(p[1]) == 0);
    show_poll("write end closed, data left", p[0], POLLIN);
    CHECK(read(p[0], buf, sizeof buf) == 4);
    show_poll("write end closed, drained", p[0], POLLIN);
    show_select("write end closed, drained", p[0]);
    n = read(p[0], buf, sizeof buf);
    printf("read after writer closed -> %zd (EOF)\n", n);
    CHECK(n == 0);
    CHECK(close(p[0]) == 0);

    /* --- EPIPE once the read end is closed (SIGPIPE ignored) --- */
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    CHECK(pipe(p) == 0);
    CHECK(close(p[0]) == 0);
    show_poll("read end closed, write end", p[1], POLLOUT);
    CHECK_ERR("write with no reader", write(p[1], "x", 1), EPIPE);
    CHECK(close(p[1]) == 0);

    /* --- pipe2 flags, O_NONBLOCK --- */
    CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
    printf("pipe2 cloexec %d %d, nonblock %d %d\n",
           (fcntl(p[0], F_GETFD) & FD_CLOEXEC) ? 1 : 0, (fcntl(p[1], F_GETFD) & FD_CLOEXEC) ? 1 : 0,
           (fcntl(p[0], F_GETFL) & O_NONBLOCK) ? 1 : 0, (fcntl(p[1], F_GETFL) & O_NONBLOCK) ? 1 : 0);
    CHECK_ERR("nonblocking read on empty pipe", read(p[0], buf, 1), EAGAIN);
    CHECK_ERR("pipe2 bad flags", pipe2(p, 0x12345678), EINVAL);

    /* Fill until EAGAIN: the capacity is at least PIPE_BUF. */
    memset(buf, 'q', sizeof buf);
    long total = 0;
    for (;;) {
        n = write(p[1], buf, 1000);
        if (n < 0)
            break;
        total += n;
        CHECK(total < (1L << 24));
    }
    printf("fill: stopped with %s, capacity >= PIPE_BUF %s\n", errno_name(errno),
           total >= PIPE_BUF ? "yes" : "no");
    CHECK(errno == EAGAIN && total >= PIPE_BUF);
    show_poll("full, write end", p[1], POLLOUT);
    show_select("full, write end", p[1]);
    show_poll("full, read end", p[0], POLLIN);
    /* After freeing less than PIPE_BUF, a PIPE_BUF-sized (atomic) nonblocking
     * write must fail whole rather than be split. */
    CHECK(read(p[0], buf, 100) == 100);
    CHECK_ERR("atomic PIPE_BUF write into 100 free bytes", write(p[1], buf, PIPE_BUF), EAGAIN);
    long drained = 100;
    while ((n = read(p[0], buf, sizeof buf)) > 0)
        drained += n;
    printf("drained all %s, then %s\n", drained == total ? "yes" : "no", errno_name(errno));
    CHECK(drained == total && n == -1 && errno == EAGAIN);
    show_poll("drained, write end", p[1], POLLOUT);

    /* --- poll with a timeout on an empty pipe times out with 0 --- */
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    int r = poll(&pf, 1, 20);
    printf("poll 20ms on empty pipe -> %d\n", r);
    CHECK(r == 0);
    struct timeval tv = { 0, 20000 };
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select 20ms on empty pipe -> %d\n", r);
    CHECK(r == 0);

    /* --- poll on several fds at once, one of them invalid --- */
    CHECK(write(p[1], "z", 1) == 1);
    int q[2];
    CHECK(pipe(q) == 0);
    struct pollfd many[4] = {
        { .fd = p[0], .events = POLLIN },
        { .fd = q[0], .events = POLLIN },
        { .fd = 1000, .events = POLLIN },
        { .fd = -1, .events = POLLIN },
    };
    r = poll(many, 4, 0);
    char b0[64], b1[64], b2[64], b3[64];
    printf("poll 4 fds -> %d: %s / %s / %s / %s\n", r, revents_str(many[0].revents, b0),
           revents_str(many[1].revents, b1), revents_str(many[2].revents, b2),
           revents_str(many[3].revents, b3));
    CHECK(r == 2);
    /* Linux ignores fds beyond the current descriptor table in select, so
     * use a descriptor number that was just open and is now closed. */
    int closed_fd = dup(q[0]);
    CHECK(closed_fd >= 0 && close(closed_fd) == 0);
    fd_set bad;
    FD_ZERO(&bad);
    FD_SET(closed_fd, &bad);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    CHECK_ERR("select on closed fd", select(closed_fd + 1, &bad, NULL, NULL, &tv), EBADF);

    /* --- a large write through a blocking pipe in pieces --- */
    CHECK(close(p[0]) == 0 && close(p[1]) == 0 && close(q[0]) == 0 && close(q[1]) == 0);
    CHECK(pipe(p) == 0);
    for (int i = 0; i < 4000; i++)
        buf[i] = (char)('a' + i % 26);
    CHECK(write(p[1], buf, 4000) == 4000);
    CHECK(close(p[1]) == 0);
    long got = 0, bad_bytes = 0;
    char rb[333];
    while ((n = read(p[0], rb, sizeof rb)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            bad_bytes += rb[i] != (char)('a' + (got + i) % 26);
        got += n;
    }
    printf("4000 bytes read back in 333-byte reads: got %ld, wrong %ld\n", got, bad_bytes);
    CHECK(got == 4000 && bad_bytes == 0);
    CHECK(close(p[0]) == 0);

    printf("pipes done\n");
    return 0;
}
