/* Internal interfaces of the 9pfs module: the 9P2000.L messages (msg.c)
 * and the vnodes over them (fs.c). */
#ifndef P9_IMPL_H
#define P9_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "shim/p9.h"
#include "shim/vfs.h"
#include "shim/wait.h"

#define P9_NOFID 0xffffffffu

/* One mount: its transport, message buffers and fid numbers. */
struct p9_mount {
    struct vfs_fs fs;                /* first: vnode.fs points here */
    struct p9_transport *t;
    uint32_t msize;                  /* negotiated */
    uint32_t next_fid;
    uint8_t *tx, *rx;                /* msize bytes each */
    int busy;                        /* a request is in flight */
    struct wait_queue idle;          /* woken when busy clears */
};

struct p9_qid {
    uint8_t type;
    uint32_t version;
    uint64_t path;
};

struct p9_attr {
    struct p9_qid qid;
    uint32_t mode, uid, gid;
    uint64_t nlink, rdev, size, blksize, blocks;
    int64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/* A directory entry as Treaddir returns it. */
struct p9_dirent {
    struct p9_qid qid;
    uint64_t offset;                 /* where the next entry starts */
    uint8_t type;                    /* DT_* */
    const char *name;                /* in the reply buffer, not NUL-terminated */
    size_t len;
};

/* Each call is one round trip; 0 (or a count) or -errno (the server's
 * Rlerror, -EIO for a transport failure or a malformed reply). */
long p9_version(struct p9_mount *m, uint32_t msize);
long p9_attach(struct p9_mount *m, uint32_t fid);
/* Walks fid to newfid through nnames names (0: a clone of fid). */
long p9_walk(struct p9_mount *m, uint32_t fid, uint32_t newfid, int nnames, const char *const *names,
             const size_t *lens);
long p9_clunk(struct p9_mount *m, uint32_t fid);
long p9_lopen(struct p9_mount *m, uint32_t fid, uint32_t flags);
long p9_lcreate(struct p9_mount *m, uint32_t fid, const char *name, size_t len, uint32_t flags, uint32_t mode);
long p9_mkdir(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, uint32_t mode);
long p9_symlink(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, const char *target);
long p9_readlink(struct p9_mount *m, uint32_t fid, char *buf, size_t size);
long p9_getattr(struct p9_mount *m, uint32_t fid, struct p9_attr *a);
/* valid: P9_SETATTR_* */
long p9_setattr(struct p9_mount *m, uint32_t fid, uint32_t valid, const struct p9_attr *a);
long p9_read(struct p9_mount *m, uint32_t fid, uint64_t off, void *buf, size_t n);
long p9_write(struct p9_mount *m, uint32_t fid, uint64_t off, const void *buf, size_t n);
long p9_unlinkat(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, uint32_t flags);
long p9_renameat(struct p9_mount *m, uint32_t odfid, const char *oname, size_t olen, uint32_t ndfid,
                 const char *nname, size_t nlen);
long p9_link(struct p9_mount *m, uint32_t dfid, uint32_t fid, const char *name, size_t len);
long p9_fsync(struct p9_mount *m, uint32_t fid, int datasync);
long p9_statfs(struct p9_mount *m, uint32_t fid, struct k_statfs *sf);
/* Reads entries from offset into buf (a copy of the reply's data, at most
 * size bytes); returns the bytes of entries, 0 at the end. */
long p9_readdir(struct p9_mount *m, uint32_t fid, uint64_t offset, void *buf, size_t size);
/* The entry at *pos in a Treaddir data block of len bytes; advances *pos.
 * 1 = an entry, 0 = the end, -EIO = malformed. */
int p9_dirent_next(const uint8_t *buf, size_t len, size_t *pos, struct p9_dirent *de);

/* The largest data payload of one Tread/Twrite. */
static inline size_t p9_iounit(const struct p9_mount *m) { return m->msize - 24; }

#define P9_SETATTR_MODE      0x001u
#define P9_SETATTR_UID       0x002u
#define P9_SETATTR_GID       0x004u
#define P9_SETATTR_SIZE      0x008u
#define P9_SETATTR_ATIME     0x010u
#define P9_SETATTR_MTIME     0x020u
#define P9_SETATTR_CTIME     0x040u
#define P9_SETATTR_ATIME_SET 0x080u
#define P9_SETATTR_MTIME_SET 0x100u

#endif
