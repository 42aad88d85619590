/* Checked access to the app's memory, as Linux's uaccess.h.
 *
 * Every read or write of memory whose address came from the app goes
 * through these helpers: on the unikernel the app and the shim share ring 0
 * and one address space, so a plain memcpy from a bad pointer is a kernel
 * fault that ends the VM. The platform's primitives (platform_copy_nofault
 * and friends) are small assembly routines whose possibly-faulting
 * instructions are listed in an exception table of (instruction, fixup)
 * pairs; the page-fault handler resumes a fault there at the fixup, which
 * returns a failure (platforms/x86_64/uaccess.S). On linuxu the host kernel
 * does the copy (process_vm_readv on the process itself), which fails with
 * EFAULT the same way.
 *
 * Two layers, as in Linux:
 *
 *  - copy_from_user, copy_to_user, clear_user, strncpy_from_user, get_user,
 *    put_user check the range first: it must lie wholly below
 *    SHIM_USER_TOP, so kernel-half addresses (the kernel's text, data, heap
 *    and direct map) are refused even though they are mapped;
 *  - copy_in_nocheck / copy_out_nocheck only survive faults. A syscall that
 *    hands an app buffer down to a lower layer (read → a file's ops->read)
 *    checks it once with access_ok at the syscall boundary, and the layer
 *    copies with the nocheck variants, so the same ops also serve the
 *    kernel's own buffers (sendfile's bounce buffer, the loader).
 *
 * How a module uses them: never dereference an app pointer; copy the
 * app's struct in (copy_from_user / get_user) into a local, work on the
 * local, copy the result out (copy_to_user / put_user), and return -EFAULT
 * when a helper fails. Strings (paths, names): strncpy_from_user into a
 * kernel buffer. Arrays of iovecs: copy_iovecs_from_user, then access_ok on
 * each buffer. Socket addresses: sockaddr_from_user / sockaddr_to_user.
 * A file's ops->read/write (and anything below a syscall that passed
 * access_ok) copies with copy_out_nocheck / copy_in_nocheck.
 */
#ifndef SHIM_UACCESS_H
#define SHIM_UACCESS_H

#pragma GCC visibility push(hidden)

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "shim/errno.h"

/* The app's half of the x86_64 address space (canonical lower half): the
 * same bound on the unikernel (platforms/x86_64/layout.h USER_TOP, checked
 * there) and in a Linux process. */
#define SHIM_USER_TOP 0x0000800000000000ull

/* ---- Platform primitives ---------------------------------------------------
 * Fault-tolerant, no range check. Each returns the number of bytes NOT
 * copied (0: all of them), like Linux's raw copy routines. */
size_t platform_copy_nofault(void *dst, const void *src, size_t n);
size_t platform_clear_nofault(void *dst, size_t n);
/* Copies src up to and including its NUL, at most n bytes. Returns the
 * string's length (the NUL copied), n when no NUL was found in n bytes, or
 * -1 when a byte could not be read. */
long platform_strncpy_nofault(char *dst, const char *src, size_t n);
/* Atomic compare-and-exchange of an app's 32-bit word (futexes, robust
 * lists): *cur = the word's old value; returns 0, or -EFAULT (also for an
 * address out of range or misaligned). */
int platform_cmpxchg_user_u32(uint32_t *uaddr, uint32_t old, uint32_t new_val, uint32_t *cur);

/* ---- Range check ----------------------------------------------------------
 * [p, p + n) lies wholly in the app's half (n == 0: always true, as Linux). */
static inline bool access_ok(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    return n == 0 || (a < SHIM_USER_TOP && n <= SHIM_USER_TOP - a);
}

/* ---- Checked copies: 0 on success, else the number of bytes not copied
 * (all of them when the range is refused). */
static inline size_t copy_from_user(void *dst, const void *usrc, size_t n)
{
    return access_ok(usrc, n) ? platform_copy_nofault(dst, usrc, n) : n;
}

static inline size_t copy_to_user(void *udst, const void *src, size_t n)
{
    return access_ok(udst, n) ? platform_copy_nofault(udst, src, n) : n;
}

static inline size_t clear_user(void *udst, size_t n)
{
    return access_ok(udst, n) ? platform_clear_nofault(udst, n) : n;
}

/* Below a syscall that checked the range with access_ok (or on a kernel
 * buffer): fault-tolerant only. */
static inline size_t copy_in_nocheck(void *dst, const void *src, size_t n)
{
    return platform_copy_nofault(dst, src, n);
}

static inline size_t copy_out_nocheck(void *dst, const void *src, size_t n)
{
    return platform_copy_nofault(dst, src, n);
}

/* One object: 0 or -EFAULT. `x` is an lvalue of the pointed-to type. */
#define get_user(x, uptr) (copy_from_user(&(x), (uptr), sizeof *(uptr)) ? -EFAULT : 0)
#define put_user(x, uptr)                                                       \
    __extension__({                                                             \
        __typeof__(*(uptr)) put_user_v_ = (x);                                  \
        copy_to_user((uptr), &put_user_v_, sizeof put_user_v_) ? -EFAULT : 0;   \
    })

/* A NUL-terminated string of the app into dst (size bytes, NUL included).
 * Returns its length, -EFAULT, or -ENAMETOOLONG when it does not fit. */
static inline long strncpy_from_user(char *dst, const char *usrc, size_t size)
{
    if (!size)
        return -ENAMETOOLONG;
    uintptr_t a = (uintptr_t)usrc;
    if (a >= SHIM_USER_TOP)
        return -EFAULT;
    /* Read no further than the app's half: the string must end there. */
    size_t room = SHIM_USER_TOP - a;
    long r = platform_strncpy_nofault(dst, usrc, size < room ? size : room);
    if (r < 0)
        return -EFAULT;
    if ((size_t)r == size)
        return -ENAMETOOLONG;
    if ((size_t)r == room)
        return -EFAULT;   /* ran into the kernel's half without a NUL */
    return r;
}

/* ---- Structured arguments ------------------------------------------------- */

/* cnt iovecs of the app into dst: 0, -EINVAL (cnt out of 0..1024, as
 * UIO_MAXIOV) or -EFAULT. Each buffer is still the app's: check it with
 * access_ok before handing it down. `struct k_iovec` is shim/kabi.h's;
 * declared here by layout so this header needs no kernel types. */
struct k_iovec;
static inline long copy_iovecs_from_user(struct k_iovec *dst, const struct k_iovec *uvec, long cnt)
{
    if (cnt < 0 || cnt > 1024)
        return -EINVAL;
    return copy_from_user(dst, uvec, (size_t)cnt * 16) ? -EFAULT : 0;
}

/* A socket address of the app (Linux's move_addr_to_kernel): len must be
 * 0..max (else -EINVAL), then copied whole (else -EFAULT). */
static inline long sockaddr_from_user(void *kaddr, size_t max, const void *uaddr, long len)
{
    if (len < 0 || (size_t)len > max)
        return -EINVAL;
    return copy_from_user(kaddr, uaddr, (size_t)len) ? -EFAULT : 0;
}

/* A socket address out to the app (Linux's move_addr_to_user): reads the
 * app's *ulen (its buffer's size), copies min(size, klen) bytes and writes
 * the full klen back to *ulen. 0, -EINVAL (negative size) or -EFAULT. */
static inline long sockaddr_to_user(const void *kaddr, uint32_t klen, void *uaddr, uint32_t *ulen)
{
    int32_t have;
    if (get_user(have, (int32_t *)ulen))
        return -EFAULT;
    if (have < 0)
        return -EINVAL;
    uint32_t n = (uint32_t)have < klen ? (uint32_t)have : klen;
    if (n && copy_to_user(uaddr, kaddr, n))
        return -EFAULT;
    return put_user(klen, ulen);
}

#pragma GCC visibility pop

#endif
