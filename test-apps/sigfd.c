/*
 * sigfd: signalfd as PostgreSQL 15's latches use it: a blocked SIGURG read
 * from a non-blocking signalfd in an epoll set, sent by another process
 * (epoll_wait must wake), the struct signalfd_siginfo's fields, the mask
 * changed through the same fd, and the errnos of bad calls.
 * Prints only facts that do not depend on pids or timing.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"

int main(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGURG);
    sigaddset(&m, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &m, NULL) == 0);
    sigset_t urg;
    sigemptyset(&urg);
    sigaddset(&urg, SIGURG);
    int fd = signalfd(-1, &urg, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0);
    struct signalfd_siginfo si;
    CHECK_ERR("read with nothing pending", read(fd, &si, sizeof si), EAGAIN);
    CHECK_ERR("read into a short buffer", read(fd, &si, 8), EINVAL);

    /* Another process sends SIGURG while this one waits in epoll. */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        usleep(100000);
        CHECK(kill(parent, SIGURG) == 0);
        _exit(0);
    }
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 10000);
    printf("epoll_wait: %d ready, the signalfd %s\n", n, n == 1 && out.data.fd == fd ? "yes" : "no");
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    printf("read: signo %s, code SI_USER %s, pid is the child's %s\n",
           si.ssi_signo == SIGURG ? "SIGURG" : "other", si.ssi_code == SI_USER ? "yes" : "no",
           (pid_t)si.ssi_pid == pid ? "yes" : "no");
    CHECK_ERR("read after the signal was taken", read(fd, &si, sizeof si), EAGAIN);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);

    /* A signal outside the mask is not read; adding it through the fd is. */
    CHECK(raise(SIGUSR1) == 0);
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    printf("poll with SIGUSR1 pending, not in the mask: %d\n", poll(&pfd, 1, 0));
    sigaddset(&urg, SIGUSR1);
    CHECK(signalfd(fd, &urg, 0) == fd);
    printf("poll after adding it: %d\n", poll(&pfd, 1, 0));
    CHECK(read(fd, &si, sizeof si) == sizeof si);
    printf("read: signo %s, pid is mine %s\n", si.ssi_signo == SIGUSR1 ? "SIGUSR1" : "other",
           (pid_t)si.ssi_pid == getpid() ? "yes" : "no");

    /* Two pending signals, one read of room for two. */
    CHECK(raise(SIGUSR1) == 0 && raise(SIGURG) == 0);
    struct signalfd_siginfo two[2];
    printf("one read of two pending: %zd records\n", read(fd, two, sizeof two) / (ssize_t)sizeof si);

    CHECK_ERR("signalfd on an epoll fd", signalfd(ep, &urg, 0), EINVAL);
    CHECK_ERR("signalfd on a closed fd", signalfd(1000, &urg, 0), EBADF);
    CHECK_ERR("signalfd bad flags", signalfd(-1, &urg, 1), EINVAL);
    close(fd);
    printf("done\n");
    return 0;
}
