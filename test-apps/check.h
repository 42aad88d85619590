/*
 * Shared helpers for the conformance programs in test-apps/.
 *
 * Every program prints only stable facts (ok/yes/no, counts, orderings,
 * errno names) so that its stdout can be compared byte for byte between a
 * native run and a run under port-app. A failed check prints one FAIL line
 * to stdout (so the diff shows it) and to stderr, then exits with a code that
 * is distinct per CHECK site, so a failure is visible even if the output
 * happened to match.
 */
#ifndef PORTAPP_TEST_CHECK_H
#define PORTAPP_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Names rather than numbers or strerror() text: the text differs between
 * musl and glibc, the names do not. */
static inline const char *errno_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ENOTSOCK: return "ENOTSOCK";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNRESET: return "ECONNRESET";
    case ENOBUFS: return "ENOBUFS";
    case EISCONN: return "EISCONN";
    case ENOTCONN: return "ENOTCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EALREADY: return "EALREADY";
    case EINPROGRESS: return "EINPROGRESS";
    case E2BIG: return "E2BIG";
    case ENOEXEC: return "ENOEXEC";
    case ELIBBAD: return "ELIBBAD";
    default: return "E?";
    }
}

/* Exit codes 2..251; 1 is left for "usage error". __COUNTER__ gives each
 * CHECK site its own number (a GCC/Clang extension, fine under -std=c11). */
#define CHECK_CODE_(n) (2 + (n) % 250)

#define CHECK_AT_(cond, n)                                                    \
    do {                                                                      \
        if (!(cond)) {                                                        \
            int e_ = errno;                                                   \
            printf("FAIL %s:%d: %s (errno %s)\n", __FILE__, __LINE__, #cond,  \
                   errno_name(e_));                                           \
            fflush(stdout);                                                   \
            fprintf(stderr, "FAIL %s:%d: %s (errno %s)\n", __FILE__,          \
                    __LINE__, #cond, errno_name(e_));                         \
            exit(CHECK_CODE_(n));                                             \
        }                                                                     \
    } while (0)

/* CHECK(cond): fail the program if cond is false. */
#define CHECK(cond) CHECK_AT_(cond, __COUNTER__)

/* CHECK_ERR(expr, ERR): expr must return -1 with errno == ERR; prints
 * "<label> -> ERRNAME" so the expected error is part of the output. */
#define CHECK_ERR(label, expr, err)                                           \
    do {                                                                      \
        errno = 0;                                                            \
        long r_ = (long)(expr);                                               \
        int e2_ = errno;                                                      \
        printf("%s -> %s\n", (label), r_ == -1 ? errno_name(e2_) : "success");\
        errno = e2_;                                                          \
        CHECK_AT_(r_ == -1 && e2_ == (err), __COUNTER__);                     \
    } while (0)

/* For calls that return an error number instead of setting errno
 * (pthread_*, posix_*): prints the same "<label> -> NAME" line. */
#define CHECK_RC(label, expr, err)                                            \
    do {                                                                      \
        int rc_ = (expr);                                                     \
        printf("%s -> %s\n", (label), errno_name(rc_));                       \
        errno = rc_;                                                          \
        CHECK_AT_(rc_ == (err), __COUNTER__);                                 \
    } while (0)

#endif
