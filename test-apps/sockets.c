/*
 * sockets: TCP and UDP over 127.0.0.1 and ::1, AF_UNIX (socketpair stream
 * and datagram, a file-system name, an abstract name, datagrams between
 * named sockets) and their edge cases: ECONNREFUSED on a closed port,
 * EADDRINUSE and SO_REUSEADDR (a port in TIME_WAIT), nonblocking connect
 * and accept (EINPROGRESS, EAGAIN), readiness through poll and epoll
 * (level and edge triggered, EPOLLRDHUP), shutdown, MSG_PEEK, FIONREAD,
 * getsockname/getpeername, options, and the errnos of misuse.
 *
 * Single-threaded: a connection to a listening socket completes in the
 * kernel's backlog, and every blocking call is made only after poll said
 * it will not block, so nothing depends on scheduling.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

static short wait_for(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    int n = poll(&p, 1, 5000);
    CHECK(n == 1);
    return p.revents;
}

static const char *ev(unsigned r, char *buf)
{
    buf[0] = 0;
    if (r & POLLIN) strcat(buf, "IN|");
    if (r & POLLOUT) strcat(buf, "OUT|");
    if (r & POLLRDHUP) strcat(buf, "RDHUP|");
    if (r & POLLHUP) strcat(buf, "HUP|");
    if (r & POLLERR) strcat(buf, "ERR|");
    size_t n = strlen(buf);
    if (n)
        buf[n - 1] = 0;
    else
        strcpy(buf, "none");
    return buf;
}

static struct sockaddr_in loop4(unsigned short port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned short port_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_listener(int reuse)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0);
    if (reuse)
        CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) == 0);
    struct sockaddr_in a = loop4(0);
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(listen(s, 16) == 0);
    return s;
}

static int same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == b->sin_family && a->sin_port == b->sin_port &&
           a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static void tcp_basics(void)
{
    char buf[256], eb[64];
    int l = tcp_listener(0);
    unsigned short port = port_of(l);
    printf("tcp listener port nonzero: %s\n", port ? "yes" : "no");

    int v = -1;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0);
    printf("SO_ACCEPTCONN: %d\n", v);
    vl = sizeof v;
    CHECK(getsockopt(l, SOL_SOCKET, SO_TYPE, &v, &vl) == 0);
    printf("SO_TYPE stream: %s\n", v == SOCK_STREAM ? "yes" : "no");

    /* EADDRINUSE: the port is listening. */
    int s2 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loop4(port);
    CHECK_ERR("bind to a listening port", bind(s2, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
    CHECK(setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) == 0);
    CHECK_ERR("bind to a listening port with SO_REUSEADDR", bind(s2, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
    close(s2);

    /* Nonblocking accept with nothing queued. */
    CHECK(fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK) == 0);
    CHECK_ERR("accept with nothing queued", accept(l, NULL, NULL), EAGAIN);
    printf("listener idle poll: %s\n", ev((unsigned)({ struct pollfd p = { l, POLLIN, 0 }; poll(&p, 1, 0); p.revents; }), eb));

    /* Nonblocking connect. */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(c >= 0);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    printf("nonblocking connect: %s\n", r == 0 ? "0" : errno_name(errno));
    CHECK(r == -1 && errno == EINPROGRESS);
    short re = wait_for(c, POLLOUT);
    printf("connected poll: %s\n", ev((unsigned)re, eb));
    int err = -1;
    vl = sizeof err;
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &vl) == 0);
    printf("SO_ERROR after connect: %s\n", errno_name(err));
    /* Linux reports the finished asynchronous connect once more, then EISCONN. */
    printf("connect again: %d\n", connect(c, (struct sockaddr *)&a, sizeof a));
    CHECK_ERR("connect a third time", connect(c, (struct sockaddr *)&a, sizeof a), EISCONN);

    re = wait_for(l, POLLIN);
    printf("listener poll: %s\n", ev((unsigned)re, eb));
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    int s = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK(s >= 0);
    printf("accept4 flags: nonblock %s cloexec %s\n", (fcntl(s, F_GETFL) & O_NONBLOCK) ? "yes" : "no",
           (fcntl(s, F_GETFD) & FD_CLOEXEC) ? "yes" : "no");
    CHECK_ERR("second accept", accept(l, NULL, NULL), EAGAIN);

    /* Names agree on both ends. */
    struct sockaddr_in cl, cp, sl, sp;
    socklen_t n1 = sizeof cl, n2 = sizeof cp, n3 = sizeof sl, n4 = sizeof sp;
    CHECK(getsockname(c, (struct sockaddr *)&cl, &n1) == 0 && getpeername(c, (struct sockaddr *)&cp, &n2) == 0);
    CHECK(getsockname(s, (struct sockaddr *)&sl, &n3) == 0 && getpeername(s, (struct sockaddr *)&sp, &n4) == 0);
    printf("names: client peer = server local %s, server peer = client local %s, accept addr %s, len %d\n",
           same_addr(&cp, &sl) ? "yes" : "no", same_addr(&sp, &cl) ? "yes" : "no",
           same_addr(&peer, &cl) ? "yes" : "no", (int)pl);

    /* Options. */
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int)) == 0);
    vl = sizeof v;
    CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0);
    printf("TCP_NODELAY: %d\n", v != 0);
    CHECK(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &(int){1}, sizeof(int)) == 0);
    vl = sizeof v;
    CHECK(getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &vl) == 0);
    printf("SO_KEEPALIVE: %d\n", v != 0);
    CHECK_ERR("unknown option", setsockopt(c, SOL_SOCKET, 9999, &(int){1}, sizeof(int)), ENOPROTOOPT);

    /* Data, MSG_PEEK, FIONREAD. */
    CHECK(send(c, "hello world", 11, 0) == 11);
    wait_for(s, POLLIN);
    int avail = -1;
    CHECK(ioctl(s, FIONREAD, &avail) == 0);
    printf("FIONREAD: %d\n", avail);
    CHECK(recv(s, buf, 5, MSG_PEEK) == 5);
    printf("peek: %.5s\n", buf);
    ssize_t got = recv(s, buf, sizeof buf, 0);
    printf("recv: %zd %.*s\n", got, (int)got, buf);
    CHECK_ERR("recv with nothing there", recv(s, buf, sizeof buf, 0), EAGAIN);
    CHECK_ERR("recv MSG_DONTWAIT on a blocking client", recv(c, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);

    /* epoll: level and edge triggered. */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event e = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.u32 = 7 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &e) == 0);
    struct epoll_event out[4];
    printf("epoll idle: %d\n", epoll_wait(ep, out, 4, 0));
    CHECK(send(c, "abc", 3, 0) == 3);
    int ne = epoll_wait(ep, out, 4, 5000);
    printf("epoll after data: %d events %s data %u\n", ne, ev(out[0].events, eb), out[0].data.u32);
    printf("epoll edge-triggered again: %d\n", epoll_wait(ep, out, 4, 0));
    /* More data on a socket still readable: a new edge. */
    CHECK(send(c, "de", 2, 0) == 2);
    wait_for(s, POLLIN);
    printf("epoll edge-triggered, more data: %d\n", epoll_wait(ep, out, 4, 1000));
    printf("epoll edge-triggered, nothing new: %d\n", epoll_wait(ep, out, 4, 0));
    e.events = EPOLLIN;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, s, &e) == 0);
    printf("epoll level-triggered: %d\n", epoll_wait(ep, out, 4, 0));
    printf("epoll level-triggered again: %d\n", epoll_wait(ep, out, 4, 0));
    CHECK(recv(s, buf, sizeof buf, 0) == 5);

    /* shutdown: EOF one way, the other still works. */
    CHECK(shutdown(c, SHUT_WR) == 0);
    re = wait_for(s, POLLIN | POLLRDHUP);
    printf("after peer SHUT_WR: %s\n", ev((unsigned)re, eb));
    printf("recv at EOF: %zd\n", recv(s, buf, sizeof buf, 0));
    CHECK_ERR("send after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK(send(s, "back", 4, 0) == 4);
    wait_for(c, POLLIN);
    got = recv(c, buf, sizeof buf, 0);
    printf("reply after shutdown: %zd %.*s\n", got, (int)got, buf);
    close(s);
    re = wait_for(c, POLLIN);
    printf("after server close: %s\n", ev((unsigned)re, eb));
    printf("recv at EOF: %zd\n", recv(c, buf, sizeof buf, 0));
    close(c);
    close(ep);
    close(l);

    /* ECONNREFUSED: the port is free again (nothing listens). */
    int d = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR("connect to a closed port", connect(d, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
    close(d);
    d = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(d, (struct sockaddr *)&a, sizeof a);
    if (r == -1 && errno == EINPROGRESS) {
        re = wait_for(d, POLLOUT);
        err = 0;
        vl = sizeof err;
        CHECK(getsockopt(d, SOL_SOCKET, SO_ERROR, &err, &vl) == 0);
        r = -1;
        errno = err;
    }
    printf("nonblocking connect to a closed port -> %s\n", errno_name(errno));
    close(d);

    /* Misuse. */
    int u = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR("getpeername unconnected", getpeername(u, (struct sockaddr *)&cp, &n2), ENOTCONN);
    CHECK_ERR("recv unconnected", recv(u, buf, 1, 0), ENOTCONN);
    CHECK_ERR("send unconnected", send(u, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_ERR("accept not listening", accept(u, NULL, NULL), EINVAL);
    CHECK_ERR("socket op on a pipe", ({ int p[2]; CHECK(pipe(p) == 0); int rr = listen(p[0], 1); close(p[0]); close(p[1]); rr; }), ENOTSOCK);
    CHECK_ERR("bad family", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHECK_ERR("tcp socketpair", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}), EOPNOTSUPP);
    close(u);
}

/* SO_REUSEADDR and TIME_WAIT: the side that closes first keeps the port. */
static void reuse(void)
{
    char buf[16];
    int l = tcp_listener(1);
    unsigned short port = port_of(l);
    struct sockaddr_in a = loop4(port);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0);
    close(s);                     /* the server closes first: TIME_WAIT on its port */
    wait_for(c, POLLIN);
    CHECK(recv(c, buf, sizeof buf, 0) == 0);
    close(c);
    close(l);
    int n = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_ERR("bind to a TIME_WAIT port", bind(n, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
    close(n);
    n = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(setsockopt(n, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) == 0);
    printf("bind to a TIME_WAIT port with SO_REUSEADDR: %d\n", bind(n, (struct sockaddr *)&a, sizeof a));
    CHECK(listen(n, 4) == 0);
    close(n);
}

static void udp(void)
{
    char buf[64];
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in la = loop4(0);
    CHECK(bind(a, (struct sockaddr *)&la, sizeof la) == 0);
    struct sockaddr_in to = loop4(port_of(a));
    CHECK(sendto(b, "datagram one", 12, 0, (struct sockaddr *)&to, sizeof to) == 12);
    CHECK(sendto(b, "two", 3, 0, (struct sockaddr *)&to, sizeof to) == 3);
    wait_for(a, POLLIN);
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(a, buf, 8, 0, (struct sockaddr *)&from, &fl);
    printf("udp recv truncated: %zd %.*s from b %s\n", n, (int)n, buf, from.sin_port == htons(port_of(b)) ? "yes" : "no");
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    n = recvmsg(a, &m, 0);
    printf("udp second: %zd %.*s trunc %s\n", n, (int)n, buf, (m.msg_flags & MSG_TRUNC) ? "yes" : "no");
    CHECK_ERR("udp send unconnected", send(b, "x", 1, 0), EDESTADDRREQ);
    CHECK(connect(b, (struct sockaddr *)&to, sizeof to) == 0);
    CHECK(send(b, "connected", 9, 0) == 9);
    wait_for(a, POLLIN);
    n = recv(a, buf, sizeof buf, MSG_TRUNC);
    printf("udp connected send: %zd\n", n);
    close(a);
    close(b);
}

static void tcp6(void)
{
    char buf[32];
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(l >= 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) {
        printf("ipv6 loopback: unavailable\n");   /* a host without ::1 */
        close(l);
        return;
    }
    CHECK(listen(l, 4) == 0);
    a.sin6_port = htons(port_of(l));
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    struct sockaddr_in6 p;
    socklen_t pl = sizeof p;
    int s = accept(l, (struct sockaddr *)&p, &pl);
    CHECK(s >= 0);
    char txt[64];
    printf("ipv6 peer: %s len %d\n", inet_ntop(AF_INET6, &p.sin6_addr, txt, sizeof txt), (int)pl);
    CHECK(send(c, "six", 3, 0) == 3);
    wait_for(s, POLLIN);
    ssize_t n = recv(s, buf, sizeof buf, 0);
    printf("ipv6 data: %.*s\n", (int)n, buf);
    close(s);
    close(c);
    close(l);

    /* A dual-stack socket takes IPv4 connections as ::ffff:a.b.c.d. */
    int d = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
    CHECK(bind(d, (struct sockaddr *)&any, sizeof any) == 0);
    CHECK(listen(d, 4) == 0);
    struct sockaddr_in to = loop4(port_of(d));
    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c4, (struct sockaddr *)&to, sizeof to) == 0);
    pl = sizeof p;
    s = accept(d, (struct sockaddr *)&p, &pl);
    CHECK(s >= 0);
    printf("dual-stack peer: %s\n", inet_ntop(AF_INET6, &p.sin6_addr, txt, sizeof txt));
    close(s);
    close(c4);
    close(d);
}

static void unix_sockets(void)
{
    char buf[64], eb[64];
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    CHECK(write(sv[0], "pair", 4) == 4);
    printf("unix pair read: %zd\n", read(sv[1], buf, sizeof buf));
    struct sockaddr_un un;
    socklen_t ul = sizeof un;
    CHECK(getsockname(sv[0], (struct sockaddr *)&un, &ul) == 0);
    printf("unix pair name len %d family %s\n", (int)ul, un.sun_family == AF_UNIX ? "AF_UNIX" : "?");
    CHECK(shutdown(sv[0], SHUT_WR) == 0);
    printf("unix pair after SHUT_WR: %s, read %zd\n", ev((unsigned)wait_for(sv[1], POLLIN | POLLRDHUP), eb),
           read(sv[1], buf, sizeof buf));
    close(sv[0]);
    printf("unix pair after close: %s\n", ev((unsigned)wait_for(sv[1], POLLIN | POLLOUT), eb));
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERR("unix write to a closed peer", write(sv[1], "x", 1), EPIPE);
    close(sv[1]);

    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
    CHECK(send(sv[0], "first", 5, 0) == 5 && send(sv[0], "second!", 7, 0) == 7);
    printf("unix dgram: %zd %zd\n", recv(sv[1], buf, sizeof buf, 0), recv(sv[1], buf, sizeof buf, 0));
    CHECK_ERR("unix dgram empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    close(sv[0]);
    close(sv[1]);

    /* A file-system name. */
    const char *path = "portapp-sockets-test.sock";
    unlink(path);
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, path);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
    CHECK(bind(l, (struct sockaddr *)&un, len) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    printf("socket file: %s\n", S_ISSOCK(st.st_mode) ? "S_IFSOCK" : "other");
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR("unix bind to an existing name", bind(l2, (struct sockaddr *)&un, len), EADDRINUSE);
    int c0 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR("unix connect before listen", connect(c0, (struct sockaddr *)&un, len), ECONNREFUSED);
    close(c0);
    CHECK(listen(l, 4) == 0);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&un, len) == 0);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0);
    ul = sizeof un;
    CHECK(getpeername(c, (struct sockaddr *)&un, &ul) == 0);
    printf("unix peer name: %s\n", un.sun_path);
    CHECK(send(c, "named", 5, 0) == 5);
    printf("unix named recv: %zd\n", recv(s, buf, sizeof buf, 0));
    int cred[3];
    socklen_t cl = sizeof cred;
    CHECK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, cred, &cl) == 0);
    printf("SO_PEERCRED pid is ours: %s\n", cred[0] == getpid() ? "yes" : "no");
    close(s);
    close(c);
    close(l);
    close(l2);
    CHECK(unlink(path) == 0);
    struct sockaddr_un gone = { .sun_family = AF_UNIX };
    strcpy(gone.sun_path, path);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_ERR("unix connect to a missing path", connect(c, (struct sockaddr *)&gone, len), ENOENT);
    close(c);

    /* An abstract name, and datagrams between named sockets. */
    struct sockaddr_un ab = { .sun_family = AF_UNIX };
    const char abname[] = "\0portapp-abstract";
    memcpy(ab.sun_path, abname, sizeof abname - 1);
    socklen_t ablen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof abname - 1);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(d, (struct sockaddr *)&ab, ablen) == 0);
    int e = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(e, "to abstract", 11, 0, (struct sockaddr *)&ab, ablen) == 11);
    ul = sizeof un;
    ssize_t n = recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&un, &ul);
    printf("abstract dgram: %zd, unnamed sender len %d\n", n, (int)ul);
    ul = sizeof un;
    CHECK(getsockname(d, (struct sockaddr *)&un, &ul) == 0);
    printf("abstract name: len %d match %s\n", (int)ul,
           ul == ablen && !memcmp(un.sun_path, abname, sizeof abname - 1) ? "yes" : "no");
    close(e);
    close(d);
    struct sockaddr_un ab2 = ab;
    ab2.sun_path[1] = 'P';
    e = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_ERR("unix dgram to a missing name", sendto(e, "x", 1, 0, (struct sockaddr *)&ab2, ablen), ECONNREFUSED);
    close(e);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    tcp_basics();
    reuse();
    udp();
    tcp6();
    unix_sockets();
    printf("done\n");
    return 0;
}
