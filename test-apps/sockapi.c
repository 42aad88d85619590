/*
 * sockapi: the parts of the socket API beyond sockets.c, compared with
 * native Linux byte for byte:
 *  - bad pointers to every socket call (addresses and their lengths,
 *    msghdr, iovecs, control data, option values, ioctl arguments, the
 *    accept address, socketpair's array) and data buffers that end on an
 *    unmapped page (EFAULT, or the count Linux gives);
 *  - SCM_RIGHTS over AF_UNIX stream and datagram sockets: the fds arrive
 *    as new fds of the receiver, MSG_CTRUNC with the fds that do not fit
 *    closed, MSG_CMSG_CLOEXEC, EBADF/EINVAL for bad control data;
 *  - SO_RCVBUF/SO_SNDBUF: Linux doubles the value, capped at
 *    net.core.[rw]mem_max (read from /proc when there is one: the
 *    unikernel has Linux's default);
 *  - EPOLLEXCLUSIVE: of two epoll instances waiting on one listening
 *    socket, one reports a new connection;
 *  - a signal interrupting accept, recv and send blocked on a socket:
 *    EINTR without SA_RESTART, the call goes on with it, EINTR again
 *    under SO_RCVTIMEO/SO_SNDTIMEO.
 * Calls go through syscall(2) where the wrapper could differ (musl, glibc).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define PAGE 4096

enum { K_NULL, K_UNMAPPED, K_KBASE, K_NONCANON, K_PROTNONE, K_PARTIAL, NKINDS };
static const char *const kind_name[NKINDS] = {
    "null", "unmapped", "kbase", "noncanon", "protnone", "partial",
};
static char *unmapped, *protnone, *edge;

/* A pointer of the given kind to an object of size bytes ("partial": its
 * last byte is on the unmapped page). */
static void *bad(int kind, size_t size)
{
    switch (kind) {
    case K_NULL: return NULL;
    case K_UNMAPPED: return unmapped;
    case K_KBASE: return (void *)0xffffffff80000000ul;
    case K_NONCANON: return (void *)0x0000800000000000ul;
    case K_PROTNONE: return protnone;
    default: return edge + 2 - size;
    }
}

static void res(const char *call, int kind, long r)
{
    if (r < 0)
        printf("%-28s %-9s %s\n", call, kind_name[kind], errno_name(errno));
    else
        printf("%-28s %-9s =%ld\n", call, kind_name[kind], r);
}

/* A connected TCP pair over 127.0.0.1 and its listener. */
static int lsock;
static struct sockaddr_in laddr;

static void tcp_listener(void)
{
    lsock = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(lsock >= 0);
    memset(&laddr, 0, sizeof laddr);
    laddr.sin_family = AF_INET;
    laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(lsock, (struct sockaddr *)&laddr, sizeof laddr) == 0);
    socklen_t l = sizeof laddr;
    CHECK(getsockname(lsock, (struct sockaddr *)&laddr, &l) == 0);
    CHECK(listen(lsock, 16) == 0);
}

static int tcp_connect(void)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0);
    CHECK(connect(c, (struct sockaddr *)&laddr, sizeof laddr) == 0);
    return c;
}

static void tcp_pair(int *c, int *s)
{
    *c = tcp_connect();
    *s = accept(lsock, NULL, NULL);
    CHECK(*s >= 0);
    /* Small writes go out at once, whatever the peer's delayed ACKs (the
     * results below are about pointers, not Nagle's timing). */
    int one = 1;
    CHECK(setsockopt(*c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
    CHECK(setsockopt(*s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
}

/* Loopback data and connections are there when the call that sent them
 * returns (Linux and the unikernel alike); a short pause all the same, so
 * a slow machine cannot change a result. */
static void settle(void) { usleep(2000); }

/* Reads what is queued (nonblocking) and says how much. */
static long drain(int fd)
{
    char buf[4096];
    long total = 0, n;
    while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        total += n;
    return total;
}

static void bad_pointers(int k)
{
    int sv[2];
    res("socketpair(sv)", k, syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, bad(k, 8)));

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(u >= 0);
    res("bind(addr)", k, syscall(SYS_bind, u, bad(k, 16), 16));
    res("connect(addr)", k, syscall(SYS_connect, u, bad(k, 16), 16));
    res("sendto(addr)", k, syscall(SYS_sendto, u, "x", 1, 0, bad(k, 16), 16));
    socklen_t l = sizeof laddr;
    struct sockaddr_in a;
    res("getsockname(addr)", k, syscall(SYS_getsockname, lsock, bad(k, 16), &l));
    l = sizeof a;
    res("getsockname(len)", k, syscall(SYS_getsockname, lsock, &a, bad(k, 4)));
    close(u);

    int c, s;
    tcp_pair(&c, &s);
    l = sizeof a;
    res("getpeername(addr)", k, syscall(SYS_getpeername, c, bad(k, 16), &l));
    res("getpeername(len)", k, syscall(SYS_getpeername, c, &a, bad(k, 4)));

    /* Data buffers: nothing readable, or a buffer ending on the hole. */
    res("send(buf)", k, syscall(SYS_sendto, c, bad(k, 64), 64, 0, NULL, 0));
    res("write(buf)", k, syscall(SYS_write, c, bad(k, 64), 64));
    CHECK(send(c, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64, 0) == 64);
    settle();
    res("recv(buf)", k, syscall(SYS_recvfrom, s, bad(k, 64), 64, MSG_DONTWAIT, NULL, NULL));
    res("read(buf)", k, syscall(SYS_read, s, bad(k, 64), 64));
    res("recv then queued", k, drain(s));

    /* recvfrom's address out on a stream: no address, only the length. */
    CHECK(send(c, "xy", 2, 0) == 2);
    settle();
    l = 16;
    res("recvfrom(addr)", k, syscall(SYS_recvfrom, s, (char[8]){0}, 8, 0, bad(k, 16), &l));
    drain(s);

    /* Options. */
    int one = 1;
    res("setsockopt(val)", k, syscall(SYS_setsockopt, c, SOL_SOCKET, SO_REUSEADDR, bad(k, 4), 4));
    res("setsockopt(tcp val)", k, syscall(SYS_setsockopt, c, IPPROTO_TCP, TCP_NODELAY, bad(k, 4), 4));
    res("setsockopt(timeo)", k, syscall(SYS_setsockopt, c, SOL_SOCKET, SO_RCVTIMEO, bad(k, 16), 16));
    l = sizeof one;
    res("getsockopt(val)", k, syscall(SYS_getsockopt, c, SOL_SOCKET, SO_TYPE, bad(k, 4), &l));
    res("getsockopt(len)", k, syscall(SYS_getsockopt, c, SOL_SOCKET, SO_TYPE, &one, bad(k, 4)));
    res("ioctl(FIONREAD)", k, syscall(SYS_ioctl, s, FIONREAD, bad(k, 4)));
    res("ioctl(SIOCGIFCONF)", k, syscall(SYS_ioctl, s, SIOCGIFCONF, bad(k, 16)));
    res("ioctl(SIOCGIFFLAGS)", k, syscall(SYS_ioctl, s, SIOCGIFFLAGS, bad(k, 40)));
    struct ifconf ifc = { .ifc_len = 2 * sizeof(struct ifreq), .ifc_req = bad(k, 2 * sizeof(struct ifreq)) };
    res("ioctl(SIOCGIFCONF req)", k, syscall(SYS_ioctl, s, SIOCGIFCONF, &ifc));

    /* msghdr and what it points at. */
    char buf[16] = "hello";
    struct iovec iov = { buf, 5 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    res("sendmsg(msg)", k, syscall(SYS_sendmsg, c, bad(k, sizeof m), 0));
    m.msg_iov = bad(k, sizeof iov);
    res("sendmsg(iov)", k, syscall(SYS_sendmsg, c, &m, 0));
    struct iovec biov = { bad(k, 5), 5 };
    m.msg_iov = &biov;
    res("sendmsg(iov base)", k, syscall(SYS_sendmsg, c, &m, 0));
    m.msg_iov = &iov;
    m.msg_control = bad(k, 32);
    m.msg_controllen = 32;
    res("sendmsg(control)", k, syscall(SYS_sendmsg, c, &m, 0));
    settle();
    res("sendmsg then queued", k, drain(s));

    CHECK(send(c, "abc", 3, 0) == 3);
    settle();
    struct msghdr r = { .msg_iov = &iov, .msg_iovlen = 1 };
    iov.iov_len = sizeof buf;
    res("recvmsg(msg)", k, syscall(SYS_recvmsg, s, bad(k, sizeof r), MSG_DONTWAIT));
    r.msg_iov = bad(k, sizeof iov);
    res("recvmsg(iov)", k, syscall(SYS_recvmsg, s, &r, MSG_DONTWAIT));
    r.msg_iov = &biov;
    res("recvmsg(iov base)", k, syscall(SYS_recvmsg, s, &r, MSG_DONTWAIT));
    res("recvmsg then queued", k, drain(s));
    close(c);
    close(s);

    /* UDP: a datagram goes whole or not at all, and its source address
     * goes out through msg_name. */
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(u1 >= 0 && u2 >= 0);
    struct sockaddr_in ua = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(u2, (struct sockaddr *)&ua, sizeof ua) == 0);
    l = sizeof ua;
    CHECK(getsockname(u2, (struct sockaddr *)&ua, &l) == 0);
    CHECK(connect(u1, (struct sockaddr *)&ua, sizeof ua) == 0);
    res("udp send(buf)", k, syscall(SYS_sendto, u1, bad(k, 32), 32, 0, NULL, 0));
    CHECK(send(u1, "datagram", 8, 0) == 8);
    CHECK(send(u1, "second", 6, 0) == 6);
    settle();
    res("udp recv(buf)", k, syscall(SYS_recvfrom, u2, bad(k, 8), 8, MSG_DONTWAIT, NULL, NULL));
    r = (struct msghdr){ .msg_name = bad(k, 16), .msg_namelen = 16, .msg_iov = &iov, .msg_iovlen = 1 };
    res("udp recvmsg(name)", k, syscall(SYS_recvmsg, u2, &r, MSG_DONTWAIT));
    res("udp then queued", k, drain(u2));
    struct mmsghdr mm[2];
    res("sendmmsg(vec)", k, syscall(SYS_sendmmsg, u1, bad(k, sizeof mm), 2, 0));
    res("recvmmsg(vec)", k, syscall(SYS_recvmmsg, u2, bad(k, sizeof mm), 2, MSG_DONTWAIT, NULL));
    close(u1);
    close(u2);

    /* accept's address: the connection is taken and dropped (EFAULT). */
    c = tcp_connect();
    settle();
    l = sizeof a;
    long fd = syscall(SYS_accept, lsock, bad(k, 16), &l);
    res("accept(addr)", k, fd);
    if (fd >= 0)
        close((int)fd);
    c = c >= 0 ? (close(c), 0) : 0;
    c = tcp_connect();
    settle();
    fd = syscall(SYS_accept4, lsock, &a, bad(k, 4), 0);
    res("accept4(len)", k, fd);
    if (fd >= 0)
        close((int)fd);
    close(c);

    /* AF_UNIX names and data. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    res("unix send(buf)", k, syscall(SYS_sendto, sv[0], bad(k, 64), 64, 0, NULL, 0));
    CHECK(send(sv[0], "unix-data", 9, 0) == 9);
    res("unix recv(buf)", k, syscall(SYS_recvfrom, sv[1], bad(k, 9), 9, MSG_DONTWAIT, NULL, NULL));
    res("unix then queued", k, drain(sv[1]));
    close(sv[0]);
    close(sv[1]);
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    res("unix dgram send(buf)", k, syscall(SYS_sendto, sv[0], bad(k, 64), 64, 0, NULL, 0));
    CHECK(send(sv[0], "dgram", 5, 0) == 5);
    res("unix dgram recv(buf)", k, syscall(SYS_recvfrom, sv[1], bad(k, 5), 5, MSG_DONTWAIT, NULL, NULL));
    res("unix dgram then queued", k, drain(sv[1]));
    close(sv[0]);
    close(sv[1]);
}

/* ---- SCM_RIGHTS ---------------------------------------------------------- */

static long send_fds(int sock, const int *fds, int n, const char *data, size_t len)
{
    char ctl[CMSG_SPACE(8 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = { (void *)data, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                        .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    long r = sendmsg(sock, &m, 0);
    return r < 0 ? -errno : r;
}

/* Receives with room for room fds; prints what came and returns the fds. */
static int recv_fds(const char *what, int sock, int room, int flags, int *out)
{
    char ctl[CMSG_SPACE(8 * sizeof(int))];
    char data[64];
    struct iovec iov = { data, sizeof data };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = room >= 0 ? ctl : NULL,
                        .msg_controllen = room > 0 ? CMSG_SPACE(room * sizeof(int)) : 0 };
    long r = recvmsg(sock, &m, flags);
    if (r < 0) {
        printf("%-28s %s\n", what, errno_name(errno));
        return 0;
    }
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(out + n, CMSG_DATA(c), k * sizeof(int));
            n += k;
        }
    printf("%-28s =%ld \"%.*s\" fds=%d controllen=%zu%s\n", what, r, (int)r, data, n,
           (size_t)m.msg_controllen, (m.msg_flags & MSG_CTRUNC) ? " CTRUNC" : "");
    return n;
}

/* Whether the pipe whose write end is w still has a reader. */
static const char *pipe_has_reader(int w)
{
    return write(w, "p", 1) == 1 ? "reader" : errno == EPIPE ? "no-reader" : errno_name(errno);
}

static void rights(int type, const char *name)
{
    printf("-- SCM_RIGHTS %s\n", name);
    int sv[2], p1[2], p2[2];
    CHECK(socketpair(AF_UNIX, type, 0, sv) == 0);
    CHECK(pipe(p1) == 0 && pipe(p2) == 0);
    int got[8], fds[2] = { p1[0], p2[0] };

    /* One fd: a new fd, same file; the sender's copy can go. */
    printf("send 1 fd                    =%ld\n", send_fds(sv[0], fds, 1, "one", 3));
    int n = recv_fds("recv 1 fd", sv[1], 2, 0, got);
    CHECK(n == 1 && got[0] != p1[0]);
    CHECK(write(p1[1], "Z", 1) == 1);
    char c = 0;
    CHECK(read(got[0], &c, 1) == 1 && c == 'Z');
    printf("fd works, cloexec=%d\n", (fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
    close(got[0]);

    /* MSG_CMSG_CLOEXEC. */
    printf("send 1 fd                    =%ld\n", send_fds(sv[0], fds, 1, "two", 3));
    n = recv_fds("recv cloexec", sv[1], 1, MSG_CMSG_CLOEXEC, got);
    CHECK(n == 1);
    printf("cloexec=%d\n", (fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
    close(got[0]);

    /* Three fds, room for one (CMSG_SPACE rounds it up to two): the third
     * is closed, MSG_CTRUNC. */
    int q1[2], q2[2], q3[2];
    CHECK(pipe(q1) == 0 && pipe(q2) == 0 && pipe(q3) == 0);
    int three[3] = { q1[0], q2[0], q3[0] };
    printf("send 3 fds                   =%ld\n", send_fds(sv[0], three, 3, "tri", 3));
    close(q1[0]);
    close(q2[0]);
    close(q3[0]);
    n = recv_fds("recv 3 room 1", sv[1], 1, 0, got);
    printf("pipes: %s, %s, %s\n", pipe_has_reader(q1[1]), pipe_has_reader(q2[1]), pipe_has_reader(q3[1]));
    for (int i = 0; i < n; i++)
        close(got[i]);
    close(q1[1]);
    close(q2[1]);
    close(q3[1]);

    /* No control buffer at all: every fd closed. */
    CHECK(pipe(q1) == 0);
    printf("send 1 fd                    =%ld\n", send_fds(sv[0], q1, 1, "none", 4));
    close(q1[0]);
    n = recv_fds("recv no control", sv[1], -1, 0, got);
    printf("pipe %s\n", pipe_has_reader(q1[1]));
    close(q1[1]);

    /* Bad control data. */
    int badfd = 999;
    printf("send bad fd                  %s\n", errno_name((int)-send_fds(sv[0], &badfd, 1, "x", 1)));
    char ctl[CMSG_SPACE(sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = { "x", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = sizeof ctl + 8;      /* longer than the buffer */
    printf("send cmsg_len too long       %s\n", sendmsg(sv[0], &m, 0) < 0 ? errno_name(errno) : "ok");
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    cm->cmsg_type = 77;
    printf("send unknown SOL_SOCKET type %s\n", sendmsg(sv[0], &m, 0) < 0 ? errno_name(errno) : "ok");
    cm->cmsg_level = IPPROTO_TCP;       /* other levels are ignored */
    printf("send other level             %s\n", sendmsg(sv[0], &m, 0) < 0 ? errno_name(errno) : "ok");
    n = recv_fds("recv plain", sv[1], 1, 0, got);

    /* The fds ride with their data: a read stops after it. */
    if (type == SOCK_STREAM) {
        CHECK(send(sv[0], "aa", 2, 0) == 2);
        printf("send 1 fd                    =%ld\n", send_fds(sv[0], fds + 1, 1, "bbb", 3));
        CHECK(send(sv[0], "cc", 2, 0) == 2);
        n = recv_fds("recv across", sv[1], 1, 0, got);
        for (int i = 0; i < n; i++)
            close(got[i]);
        n = recv_fds("recv rest", sv[1], 1, 0, got);
    }
    close(sv[0]);
    close(sv[1]);
    close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
}

/* ---- SO_RCVBUF / SO_SNDBUF ------------------------------------------------ */

static long mem_max(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = 212992;      /* Linux's default, the unikernel's value */
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 212992;
        fclose(f);
    }
    return v;
}

static void bufsizes(void)
{
    printf("-- SO_RCVBUF/SO_SNDBUF\n");
    long rmax = mem_max("/proc/sys/net/core/rmem_max"), wmax = mem_max("/proc/sys/net/core/wmem_max");
    int fams[2] = { AF_INET, AF_UNIX };
    for (int i = 0; i < 2; i++) {
        int s = socket(fams[i], SOCK_STREAM, 0);
        CHECK(s >= 0);
        int opts[2] = { SO_RCVBUF, SO_SNDBUF };
        for (int j = 0; j < 2; j++) {
            long max = j ? wmax : rmax;
            int vals[3] = { 10000, 65536, (int)(max + 4096) };
            for (int v = 0; v < 3; v++) {
                int val = vals[v], got = 0;
                socklen_t l = sizeof got;
                CHECK(setsockopt(s, SOL_SOCKET, opts[j], &val, sizeof val) == 0);
                CHECK(getsockopt(s, SOL_SOCKET, opts[j], &got, &l) == 0);
                if (v < 2)
                    printf("%s %s set %d: %d\n", i ? "unix" : "inet", j ? "SO_SNDBUF" : "SO_RCVBUF", val, got);
                else
                    printf("%s %s set max+4096: %s\n", i ? "unix" : "inet", j ? "SO_SNDBUF" : "SO_RCVBUF",
                           got == 2 * max ? "2*max" : "other");
            }
            int small = 1, got = 0;
            socklen_t l = sizeof got;
            CHECK(setsockopt(s, SOL_SOCKET, opts[j], &small, sizeof small) == 0);
            CHECK(getsockopt(s, SOL_SOCKET, opts[j], &got, &l) == 0);
            printf("%s %s set 1: %s\n", i ? "unix" : "inet", j ? "SO_SNDBUF" : "SO_RCVBUF",
                   got >= 2048 && got <= 8192 ? "a small minimum" : "other");
        }
        close(s);
    }
}

/* ---- signals interrupting socket waits ------------------------------------- */

static volatile int handled;
static void on_usr1(int sig) { (void)sig; handled++; }

struct waiter {
    int kind;           /* 0 recv, 1 accept, 2 send (full), 3 recvmsg */
    int fd;
    long r;
    int err;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    char buf[64];
    errno = 0;
    if (w->kind == 0)
        w->r = recv(w->fd, buf, sizeof buf, 0);
    else if (w->kind == 1)
        w->r = accept(w->fd, NULL, NULL);
    else if (w->kind == 3) {
        struct iovec iov = { buf, sizeof buf };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        w->r = recvmsg(w->fd, &m, 0);
    } else {
        /* Fill the peer's buffer without blocking, then one byte blocks. */
        static char big[1 << 12];
        while (send(w->fd, big, sizeof big, MSG_DONTWAIT) > 0)
            ;
        errno = 0;
        w->r = send(w->fd, big, 1, 0);
    }
    w->err = errno;
    return NULL;
}

static volatile int finished;

static void *wait_thread_done(void *arg)
{
    wait_thread(arg);
    finished = 1;
    return NULL;
}

/* Runs a waiter and signals it every 60 ms until it returns (a signal that
 * came before it blocked would otherwise leave it blocked); with unblock_fd,
 * once a handler has run, data is written there instead (SA_RESTART: the
 * call went on and now returns it). */
static void interrupt(const char *what, int kind, int fd, int restart, int unblock_fd)
{
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    struct waiter w = { .kind = kind, .fd = fd };
    pthread_t t;
    handled = 0;
    finished = 0;
    CHECK(pthread_create(&t, NULL, wait_thread_done, &w) == 0);
    int wrote = 0;
    for (int i = 0; i < 200 && !finished; i++) {
        usleep(60000);
        if (finished)
            break;
        if (handled && unblock_fd >= 0) {
            if (!wrote)
                CHECK(write(unblock_fd, "go", 2) == 2);
            wrote = 1;
            continue;
        }
        CHECK(pthread_kill(t, SIGUSR1) == 0);
    }
    if (!finished) {
        printf("%-34s still blocked after 12 s of signals\n", what);
        exit(3);
    }
    CHECK(pthread_join(t, NULL) == 0);
    printf("%-34s handled %s -> %s\n", what, handled ? "yes" : "no", w.r >= 0 ? "data" : errno_name(w.err));
}

static void signals(void)
{
    printf("-- EINTR\n");
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    interrupt("unix recv", 0, sv[0], 0, -1);
    interrupt("unix recv SA_RESTART", 0, sv[0], 1, sv[1]);
    interrupt("unix recvmsg", 3, sv[0], 0, -1);
    struct timeval tv = { 5, 0 };
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    interrupt("unix recv SO_RCVTIMEO SA_RESTART", 0, sv[0], 1, -1);
    close(sv[0]);
    close(sv[1]);

    int c, s;
    tcp_pair(&c, &s);
    interrupt("tcp recv", 0, s, 0, -1);
    interrupt("tcp recv SA_RESTART", 0, s, 1, c);
    close(c);
    close(s);

    interrupt("tcp accept", 1, lsock, 0, -1);
    CHECK(setsockopt(lsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    interrupt("tcp accept SO_RCVTIMEO SA_RESTART", 1, lsock, 1, -1);
    tv.tv_sec = 0;
    CHECK(setsockopt(lsock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);

    /* A send blocked on a full unix stream. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    tv.tv_sec = 5;
    CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
    interrupt("unix send SO_SNDTIMEO", 2, sv[0], 1, -1);
    close(sv[0]);
    close(sv[1]);
}

/* ---- EPOLLEXCLUSIVE ---------------------------------------------------------- */

static void *excl_wait(void *arg)
{
    int ep = *(int *)arg;
    struct epoll_event ev;
    *(int *)arg = epoll_wait(ep, &ev, 1, 400);
    return NULL;
}

static void exclusive(void)
{
    printf("-- EPOLLEXCLUSIVE\n");
    int ep[2], res[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        ep[i] = epoll_create1(0);
        CHECK(ep[i] >= 0);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = (unsigned)i };
        CHECK(epoll_ctl(ep[i], EPOLL_CTL_ADD, lsock, &ev) == 0);
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
    printf("mod exclusive                %s\n", epoll_ctl(ep[0], EPOLL_CTL_MOD, lsock, &ev) ? errno_name(errno) : "ok");
    ev.events = EPOLLIN;
    printf("mod an exclusive item        %s\n", epoll_ctl(ep[0], EPOLL_CTL_MOD, lsock, &ev) ? errno_name(errno) : "ok");
    int e3 = epoll_create1(0);
    ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    printf("add exclusive oneshot        %s\n", epoll_ctl(e3, EPOLL_CTL_ADD, lsock, &ev) ? errno_name(errno) : "ok");
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    printf("add exclusive on epoll fd    %s\n", epoll_ctl(e3, EPOLL_CTL_ADD, ep[1], &ev) ? errno_name(errno) : "ok");
    close(e3);
    for (int i = 0; i < 2; i++) {
        res[i] = ep[i];
        CHECK(pthread_create(&t[i], NULL, excl_wait, &res[i]) == 0);
    }
    usleep(100000);
    int c = tcp_connect();
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    printf("instances reporting the connection: %d of 2\n", (res[0] == 1) + (res[1] == 1));
    int a = accept(lsock, NULL, NULL);
    CHECK(a >= 0);
    close(a);
    close(c);
    close(ep[0]);
    close(ep[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    char *pages = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(pages != MAP_FAILED);
    CHECK(munmap(pages + PAGE, PAGE) == 0);
    CHECK(mprotect(pages + 2 * PAGE, PAGE, PROT_NONE) == 0);
    edge = pages + PAGE - 1;
    unmapped = pages + PAGE;
    protnone = pages + 2 * PAGE;

    tcp_listener();
    for (int k = 0; k < NKINDS; k++)
        bad_pointers(k);
    rights(SOCK_STREAM, "stream");
    rights(SOCK_DGRAM, "dgram");
    bufsizes();
    exclusive();
    signals();
    printf("done\n");
    return 0;
}
