/* Linux x86_64 user ABI constants and structures used by the file-system
 * side of the shim (vfs, ramfs, devfs, procfs, pipe, poll, random). Values are
 * the kernel's (include/uapi/..., arch/x86), not a libc's: the app's libc
 * hands us exactly what it would hand Linux. */
#ifndef SHIM_KABI_H
#define SHIM_KABI_H

#include <stdint.h>

/* open flags (asm-generic/fcntl.h, x86_64 values) */
#define K_O_ACCMODE   00000003
#define K_O_RDONLY    00000000
#define K_O_WRONLY    00000001
#define K_O_RDWR      00000002
#define K_O_CREAT     00000100
#define K_O_EXCL      00000200
#define K_O_NOCTTY    00000400
#define K_O_TRUNC     00001000
#define K_O_APPEND    00002000
#define K_O_NONBLOCK  00004000
#define K_O_ASYNC     00020000
#define K_O_DSYNC     00010000
#define K_O_LARGEFILE 00100000
#define K_O_DIRECTORY 00200000
#define K_O_NOFOLLOW  00400000
#define K_O_CLOEXEC   02000000
#define K_O_PATH      010000000
#define K_O_TMPFILE   (020000000 | K_O_DIRECTORY)

#define K_AT_FDCWD            (-100)
#define K_AT_SYMLINK_NOFOLLOW 0x100
#define K_AT_REMOVEDIR        0x200
#define K_AT_EACCESS          0x200
#define K_AT_SYMLINK_FOLLOW   0x400
#define K_AT_NO_AUTOMOUNT     0x800
#define K_AT_EMPTY_PATH       0x1000

#define K_F_DUPFD  0
#define K_F_GETFD  1
#define K_F_SETFD  2
#define K_F_GETFL  3
#define K_F_SETFL  4
#define K_F_GETLK  5
#define K_F_SETLK  6
#define K_F_SETLKW 7
#define K_F_SETOWN 8
#define K_F_GETOWN 9
#define K_F_DUPFD_CLOEXEC 1030
#define K_FD_CLOEXEC 1
#define K_F_UNLCK 2

#define K_SEEK_SET 0
#define K_SEEK_CUR 1
#define K_SEEK_END 2

#define K_F_OK 0
#define K_R_OK 4
#define K_W_OK 2
#define K_X_OK 1

#define K_RENAME_NOREPLACE 1
#define K_RENAME_EXCHANGE  2

/* file types (mode & S_IFMT) */
#define K_S_IFMT   0170000
#define K_S_IFSOCK 0140000
#define K_S_IFLNK  0120000
#define K_S_IFREG  0100000
#define K_S_IFBLK  0060000
#define K_S_IFDIR  0040000
#define K_S_IFCHR  0020000
#define K_S_IFIFO  0010000
#define K_S_ISDIR(m) (((m) & K_S_IFMT) == K_S_IFDIR)
#define K_S_ISREG(m) (((m) & K_S_IFMT) == K_S_IFREG)
#define K_S_ISLNK(m) (((m) & K_S_IFMT) == K_S_IFLNK)

/* d_type of linux_dirent64 */
#define K_DT_UNKNOWN 0
#define K_DT_FIFO 1
#define K_DT_CHR 2
#define K_DT_DIR 4
#define K_DT_BLK 6
#define K_DT_REG 8
#define K_DT_LNK 10
#define K_DT_SOCK 12

struct k_timespec { int64_t tv_sec; int64_t tv_nsec; };
struct k_timeval { int64_t tv_sec; int64_t tv_usec; };

/* struct stat of x86_64 (arch/x86/include/uapi/asm/stat.h): 144 bytes */
struct k_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    struct k_timespec st_atim, st_mtim, st_ctim;
    int64_t unused[3];
};

struct k_statx_timestamp { int64_t tv_sec; uint32_t tv_nsec; int32_t reserved; };
/* struct statx (include/uapi/linux/stat.h): 256 bytes */
struct k_statx {
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t spare0;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct k_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align, stx_dio_offset_align;
    uint64_t spare3[12];
};
#define K_STATX_BASIC_STATS 0x7ffu

struct k_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags;
    int64_t f_spare[4];
};
#define K_TMPFS_MAGIC 0x01021994

struct k_iovec { void *base; uint64_t len; };

struct k_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

/* termios as the kernel's TCGETS sees it (asm-generic/termbits.h): 36 bytes */
struct k_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
struct k_winsize { uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel; };

#define K_TCGETS     0x5401
#define K_TCSETS     0x5402
#define K_TCSETSW    0x5403
#define K_TCSETSF    0x5404
#define K_TIOCSCTTY  0x540E
#define K_TIOCGPGRP  0x540F
#define K_TIOCSPGRP  0x5410
#define K_TIOCGWINSZ 0x5413
#define K_TIOCSWINSZ 0x5414
#define K_FIONREAD   0x541B
#define K_FIONBIO    0x5421
#define K_FIONCLEX   0x5450
#define K_FIOCLEX    0x5451
#define K_FIOASYNC   0x5452

/* poll / epoll */
#define K_POLLIN     0x001
#define K_POLLPRI    0x002
#define K_POLLOUT    0x004
#define K_POLLERR    0x008
#define K_POLLHUP    0x010
#define K_POLLNVAL   0x020
#define K_POLLRDNORM 0x040
#define K_POLLRDBAND 0x080
#define K_POLLWRNORM 0x100
#define K_POLLRDHUP  0x2000

struct k_pollfd { int32_t fd; int16_t events; int16_t revents; };

#define K_EPOLL_CTL_ADD 1
#define K_EPOLL_CTL_DEL 2
#define K_EPOLL_CTL_MOD 3
#define K_EPOLLEXCLUSIVE (1u << 28)
#define K_EPOLLWAKEUP    (1u << 29)
#define K_EPOLLONESHOT   (1u << 30)
#define K_EPOLLET        (1u << 31)

/* x86_64 packs struct epoll_event (12 bytes). */
struct k_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

#define K_GRND_NONBLOCK 1
#define K_GRND_RANDOM   2
#define K_GRND_INSECURE 4

#define K_PIPE_BUF 4096

#endif
