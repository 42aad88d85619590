/*
 * libportapp-listen.so: preloaded into QEMU when it forwards host ports
 * (-p, QEMU's user network), it raises the backlog of every listen(2) QEMU
 * makes to SOMAXCONN (the kernel caps it at net.core.somaxconn).
 *
 * Why: libslirp (4.7, QEMU 7.2's user network) listens on each hostfwd port
 * with a backlog of 1 (tcp_listen in its socket.c) and accepts one
 * connection per turn of QEMU's main loop. When a client opens tens of
 * connections at once (redis-benchmark's 50, wrk's 32), the host kernel's
 * accept queue overflows after two: it drops the SYNs and the handshakes'
 * last ACKs of the rest (TcpExtListenOverflows counts them), and those
 * clients wait for their SYN or data retransmissions, 1, 3, 7, 15 ... s
 * later. redis-benchmark then stalls on its last requests, wrk reports
 * timeouts. With a real backlog the kernel queues them until slirp takes
 * them. docs/networking.md ("Under load") has the measurements.
 *
 * The syscall is made directly, so nothing needs dlsym(RTLD_NEXT).
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int listen(int fd, int backlog)
{
    if (backlog < SOMAXCONN)
        backlog = SOMAXCONN;
    return (int)syscall(SYS_listen, fd, backlog);
}
