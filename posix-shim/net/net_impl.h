/* Internal interfaces of the net module (not for other modules).
 *
 * A socket is a vnode (K_S_IFSOCK, ops sock_vnode_ops) whose data is a
 * struct sock; the address families implement struct sock_ops. Atomicity:
 * shim code is never preempted (shim/sched.h), so socket state, lwIP and
 * the callbacks lwIP makes need no locks; blocking goes through wait.h on
 * the socket's own queue, and every state change wakes it and
 * shim_poll_wq. */
#ifndef NET_IMPL_H
#define NET_IMPL_H

#include "shim/shim.h"
#include "shim/vfs.h"
#include "shim/wait.h"

/* Linux's socket ABI (x86_64). */
#define K_AF_UNSPEC   0
#define K_AF_UNIX     1
#define K_AF_INET     2
#define K_AF_INET6    10
#define K_SOCK_STREAM 1
#define K_SOCK_DGRAM  2
#define K_SOCK_SEQPACKET 5
#define K_SOCK_TYPE_MASK 0xf
#define K_SOCK_NONBLOCK 04000
#define K_SOCK_CLOEXEC  02000000
#define K_MSG_OOB       0x1
#define K_MSG_PEEK      0x2
#define K_MSG_CTRUNC    0x8
#define K_MSG_TRUNC     0x20
#define K_MSG_DONTWAIT  0x40
#define K_MSG_EOR       0x80
#define K_MSG_WAITALL   0x100
#define K_MSG_NOSIGNAL  0x4000
#define K_MSG_MORE      0x8000
#define K_MSG_WAITFORONE 0x10000
#define K_MSG_CMSG_CLOEXEC 0x40000000
#define K_SHUT_RD 0
#define K_SHUT_WR 1
#define K_SHUT_RDWR 2
#define K_SOL_SOCKET  1
#define K_IPPROTO_IP  0
#define K_IPPROTO_TCP 6
#define K_IPPROTO_UDP 17
#define K_IPPROTO_IPV6 41

struct k_sockaddr { uint16_t family; char data[14]; };
struct k_sockaddr_in { uint16_t family; uint16_t port; uint32_t addr; uint8_t zero[8]; };
struct k_sockaddr_in6 { uint16_t family; uint16_t port; uint32_t flowinfo; uint8_t addr[16]; uint32_t scope_id; };
struct k_sockaddr_un { uint16_t family; char path[108]; };
#define K_SOCKADDR_MAX 128    /* struct sockaddr_storage */

struct k_msghdr {
    void *name;
    int namelen;
    struct k_iovec *iov;
    uint64_t iovlen;
    void *control;
    uint64_t controllen;
    unsigned flags;
};
struct k_mmsghdr { struct k_msghdr hdr; unsigned len; };
struct k_cmsghdr { uint64_t len; int level; int type; };
#define K_SCM_RIGHTS 1

/* One send or receive: the data (iov), the peer address (name: in for
 * send, out for receive with namelen its capacity, then its length) and,
 * for receive, the MSG_* flags to report. */
struct net_msg {
    const struct k_iovec *iov;
    size_t iovlen;
    void *name;
    int namelen;
    unsigned flags_out;
    /* AF_UNIX SCM_RIGHTS: files passed (send: taken from the fds; receive:
     * installed as new fds into the control buffer). */
    void *control;
    size_t controllen;
};

size_t net_msg_len(const struct net_msg *m);
/* Copies between a contiguous buffer and the iov, starting off bytes into
 * the iov; returns the bytes copied. */
size_t net_iov_from(const struct net_msg *m, size_t off, const void *src, size_t n);
size_t net_iov_to(const struct net_msg *m, size_t off, void *dst, size_t n);

struct sock;

struct sock_ops {
    long (*bind)(struct sock *, const void *addr, int len);
    long (*listen)(struct sock *, int backlog);
    /* A connected socket from the queue (blocking unless nonblock). */
    long (*accept)(struct sock *, struct sock **out, int nonblock);
    long (*connect)(struct sock *, const void *addr, int len, int nonblock);
    long (*shutdown)(struct sock *, int how);
    long (*send)(struct sock *, struct net_msg *, int flags, int nonblock);
    long (*recv)(struct sock *, struct net_msg *, int flags, int nonblock);
    /* Own (peer 0) or peer (peer 1) address: fills addr, returns its length or -errno. */
    long (*name)(struct sock *, int peer, void *addr);
    /* Family options (levels other than what sock.c answers for all);
     * NULL or -ENOPROTOOPT: unknown. */
    long (*setopt)(struct sock *, int level, int opt, const void *val, int len);
    long (*getopt)(struct sock *, int level, int opt, void *val, int *len);
    unsigned (*poll)(struct sock *);
    long (*ioctl)(struct sock *, unsigned long cmd, long arg);
    void (*close)(struct sock *);     /* last close: frees s->priv */
};

struct sock {
    int family, type, protocol;
    const struct sock_ops *ops;
    struct wait_queue wq;
    struct vnode *vn;          /* not referenced: the vnode holds us */
    int so_error;              /* pending error (SO_ERROR, next call) */
    int listening;
    int shut_rd, shut_wr;
    /* SOL_SOCKET options kept for getsockopt (and applied by the families). */
    int reuseaddr, reuseport, keepalive, broadcast, passcred, oobinline;
    int rcvbuf, sndbuf, rcvlowat;
    int linger_on, linger_secs;
    uint64_t rcvtimeo_ns, sndtimeo_ns;   /* 0: none */
    void *priv;                /* the family's */
};

/* A new socket (vnode + sock) of this family; *out refs: the vnode is
 * unreferenced until sock_install opens it. */
struct sock *sock_alloc(int family, int type, int protocol, const struct sock_ops *ops);
/* Opens s as a new fd (flags: K_O_NONBLOCK / cloexec). */
long sock_install(struct sock *s, int nonblock, int cloexec);
/* Frees a socket that never got an fd. */
void sock_free_unopened(struct sock *s);
void sock_wake(struct sock *s);

/* Sleeps on s->wq until cond, a timeout (timeout_ns, 0 = none: -EAGAIN)
 * or a signal (-EINTR); evaluates to 0 when cond holds. A handler with
 * SA_RESTART lets the wait go on (Linux restarts accept, connect, recv*
 * and send*), except under SO_RCVTIMEO/SO_SNDTIMEO: Linux's
 * sock_intr_errno gives EINTR whenever the wait had a timeout. */
#define SOCK_WAIT(s, cond, timeout_ns) ({                                       \
        int r_ = 0;                                                             \
        uint64_t to_ = (timeout_ns);                                            \
        uint64_t dl_ = to_ ? platform_monotonic_ns() + to_ : 0;                 \
        while (!(cond)) {                                                       \
            if (dl_ && platform_monotonic_ns() >= dl_) { r_ = -EAGAIN; break; } \
            if (dl_ ? wait_queue_sleep_handled(&(s)->wq, dl_)                   \
                    : wait_queue_sleep_intr(&(s)->wq, dl_)) { r_ = -EINTR; break; } \
        }                                                                       \
        r_; })

/* EPIPE on a stream: SIGPIPE too unless MSG_NOSIGNAL. */
long sock_epipe(int flags);

/* inet.c (over lwIP) and unix.c */
long inet_create(int family, int type, int protocol, struct sock **out);
long unix_create(int type, int protocol, struct sock **out);
long unix_pair(int type, int protocol, struct sock **a, struct sock **b);

/* stack.c: lwIP's loop: hands looped-back packets in (call after every
 * lwIP output from a syscall), and the interfaces for SIOCGIF*. */
void net_flush(void);
long net_ifconf(void *ifc);
long net_ifreq(unsigned long cmd, void *ifr);

#endif
