/* The kernel's types that syscalls.tsv names in handler parameters
 * (SHIM_PARAMS_<name> in the generated shim_syscalls.h), with their x86_64
 * definitions. Each comment gives the Linux header the definition comes from
 * (include/ is the kernel's, uapi/ is include/uapi/, asm/ is
 * arch/x86/include/asm/); the __kernel_* intermediate typedefs are folded into
 * their x86_64 base types. Only freestanding shim code sees these (shim.h): a
 * hosted program has libc's types of the same names, which differ (glibc's
 * sigset_t is 128 bytes, its timer_t a pointer).
 */
#ifndef SHIM_KTYPES_H
#define SHIM_KTYPES_H

#include <stdint.h>

/* uapi/asm-generic/int-ll64.h and include/asm-generic/int-ll64.h */
typedef int __s32;
typedef unsigned int __u32;
typedef unsigned int u32;
typedef unsigned long long u64;

/* uapi/asm-generic/posix_types.h: __kernel_pid_t, __kernel_uid32_t,
 * __kernel_gid32_t, __kernel_off_t (= __kernel_long_t), __kernel_loff_t,
 * __kernel_old_time_t, __kernel_clockid_t, __kernel_timer_t, __kernel_key_t,
 * __kernel_mqd_t; include/linux/types.h gives the short names. */
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef long off_t;
typedef long long loff_t;
typedef long __kernel_old_time_t;
typedef int clockid_t;
typedef int timer_t;        /* an id, not glibc's pointer */
typedef int key_t;
typedef int mqd_t;

/* include/linux/types.h */
typedef unsigned short umode_t;
/* uapi/linux/fs.h: __kernel_rwf_t (a __bitwise int); include/linux/types.h */
typedef int rwf_t;
/* include/linux/quota.h */
typedef uid_t qid_t;
/* include/linux/key.h */
typedef int32_t key_serial_t;
/* uapi/linux/aio_abi.h (__kernel_ulong_t) */
typedef unsigned long aio_context_t;

/* asm/signal.h: _NSIG 64, so one word on x86_64 */
typedef struct {
    unsigned long sig[1];
} sigset_t;

/* uapi/linux/posix_types.h (__kernel_fd_set, __FD_SETSIZE 1024);
 * include/linux/types.h */
typedef struct {
    unsigned long fds_bits[1024 / (8 * sizeof(long))];
} fd_set;

/* uapi/asm-generic/siginfo.h: the struct itself is only pointed to here. */
typedef struct siginfo siginfo_t;

/* uapi/linux/capability.h: pointers to structures only pointed to here. */
typedef struct __user_cap_header_struct *cap_user_header_t;
typedef struct __user_cap_data_struct *cap_user_data_t;

/* uapi/linux/landlock.h */
enum landlock_rule_type {
    LANDLOCK_RULE_PATH_BENEATH = 1,
    LANDLOCK_RULE_NET_PORT,
};

#endif
