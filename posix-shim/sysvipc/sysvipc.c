/* System V shared memory: shmget, shmat, shmdt, shmctl.
 *
 * A segment's memory is an unlinked ramfs regular file of the segment's
 * size; shmat maps it MAP_SHARED through mmap (a transient fd), so every
 * attachment, in any process, maps the same pages, and a fork child
 * inherits the attachment as Linux's does (shm_nattch counts live processes). The
 * segment lives until IPC_RMID and its last detach (exit and exec detach).
 * One CPU, non-preemptive shim: no locks. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/sched.h"
#include "shim/vfs.h"
#include "shim/mm.h"
#include "shim/kernel.h"
#if SHIM_HAVE_sysinfo
#include "shim/sysinfo.h"
#endif
#if SHIM_HAVE_process
#include "shim/process.h"
#endif

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_DEST 01000          /* mode bit: removed, alive while attached */
#define SHMLBA SHIM_PAGE
#define SHMMNI 4096UL           /* Linux's limits (ipcs -l) */
#define SHMMAX (~0UL - (1UL << 24))
#define SHMALL (~0UL - (1UL << 24))

#define MAX_SEGS 128             /* segments at once (Linux: SHMMNI) */
#define MAX_ATTACH 16            /* attachments per process (their table is per-process
                                    state, of which every module shares 2 KiB) */
#define CLONE_VM 0x100
#define MAP_SHARED 0x01
#define MAP_FIXED 0x10
#define MAP_FIXED_NOREPLACE 0x100000

struct seg {
    int used;
    int key;
    uint16_t seq;                /* the id's upper part: a stale id fails EINVAL */
    uint32_t uid, gid, cuid, cgid, mode;
    uint64_t size;
    int64_t atime, dtime, ctime;
    int cpid, lpid;
    struct vnode *vn;            /* the memory: one reference */
};
static struct seg segs[MAX_SEGS];

struct attach {
    uintptr_t addr;
    uint32_t pages;
    int32_t seg;                 /* index in segs; -1: free entry */
};
struct attachments {
    int n;
    struct attach a[MAX_ATTACH];
};
static size_t att_offset;
static struct attachments *mine(void) { return sched_proc_local_current(att_offset); }

/* struct ipc64_perm and struct shmid64_ds of x86_64 (glibc's shmid_ds). */
struct k_ipc_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint32_t pad3;
    uint64_t unused1, unused2;
};
struct k_shmid_ds {
    struct k_ipc_perm perm;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct k_ipc_perm) == 48, "ipc64_perm is 48 bytes");
_Static_assert(sizeof(struct k_shmid_ds) == 112, "shmid64_ds is 112 bytes");
struct k_shminfo {
    uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};
struct k_shm_info {
    int32_t used_ids, pad;
    uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

static int64_t now_s(void) { return (int64_t)(platform_realtime_ns() / 1000000000ull); }

static int my_pid(void)
{
#if SHIM_HAVE_process
    return process_pid(sched_proc_current());
#else
    return 1;
#endif
}

static void my_ids(uint32_t *uid, uint32_t *gid)
{
#if SHIM_HAVE_sysinfo
    sysinfo_fs_ids(uid, gid);
#else
    *uid = *gid = 0;
#endif
}

/* Linux's ipcperms: the access `flag` asks for (its rwx bits, as for a
 * file: 0400 read, 0200 write) against the segment's mode. */
static int permitted(const struct seg *s, int flag)
{
    uint32_t uid, gid;
    my_ids(&uid, &gid);
    if (uid == 0)
        return 1;
    unsigned requested = ((unsigned)flag >> 6 | (unsigned)flag >> 3 | (unsigned)flag) & 7;
    unsigned granted = s->mode;
    if (uid == s->uid || uid == s->cuid)
        granted >>= 6;
    else if (gid == s->gid || gid == s->cgid)
        granted >>= 3;
    return (requested & ~granted & 7) == 0;
}

static int is_owner(const struct seg *s)
{
    uint32_t uid, gid;
    my_ids(&uid, &gid);
    return uid == 0 || uid == s->uid || uid == s->cuid;
}

static long id_of(int i) { return (long)segs[i].seq * MAX_SEGS + i; }

/* The segment an id names, or -1 (EINVAL: no such id, or a stale one). */
static int seg_of(long id)
{
    if (id < 0)
        return -1;
    int i = (int)(id % MAX_SEGS);
    if (!segs[i].used || segs[i].seq != (uint16_t)(id / MAX_SEGS) || id / MAX_SEGS > 0xffff)
        return -1;
    return i;
}

static void seg_free(int i)
{
    vnode_put(segs[i].vn);
    segs[i].vn = NULL;
    segs[i].used = 0;
    segs[i].seq++;               /* the old id goes stale */
}

/* shm_nattch: the attachments of segment i in processes that still have a
 * thread. Counted, not kept: a process's release hook runs later than its
 * exit (the reaper), while Linux detaches at exit, before the parent's wait
 * returns. */
static unsigned long seg_nattch(int i)
{
    unsigned long n = 0;
    for (struct thread *t = sched_next_live(NULL); t; t = sched_next_live(t)) {
        struct proc_ctx *p = sched_proc(t);
        struct thread *first = sched_next_live(NULL);
        while (sched_proc(first) != p)
            first = sched_next_live(first);
        if (first != t)
            continue;                    /* each process once: at its first thread */
        const struct attachments *a = sched_proc_local(p, att_offset);
        for (int k = 0; k < a->n; k++)
            n += a->a[k].seg == i;
    }
    return n;
}

/* After a detach (shmdt, exec, exit): a removed segment no one has attached
 * any more is freed. */
static void seg_detached(int i, bool by_me)
{
    struct seg *s = &segs[i];
    if (!s->used)
        return;
    if (by_me) {
        s->dtime = now_s();
        s->lpid = my_pid();
    }
    if ((s->mode & SHM_DEST) && seg_nattch(i) == 0)
        seg_free(i);
}

/* ---- per-process attachments: inherited by fork, dropped by exec and exit ---- */
static int att_fork(void *child, const void *parent, unsigned long clone_flags)
{
    struct attachments *c = child;
    const struct attachments *p = parent;
    if (clone_flags & CLONE_VM) {        /* vfork: the parent's memory, no copy of its own */
        c->n = 0;
        return 0;
    }
    memcpy(c, p, sizeof *c);             /* nattch counts the child's copies */
    return 0;
}

static void att_drop_all(struct attachments *a, bool by_me)
{
    struct attachments old = *a;
    a->n = 0;
    for (int k = 0; k < old.n; k++)
        if (old.a[k].seg >= 0)
            seg_detached(old.a[k].seg, by_me);
}

static int att_exec(void *m)
{
    att_drop_all(m, true);   /* the old address space and its mappings are gone */
    return 0;
}

/* In the reaper's context: only the segments are touched, not the caller's ids. */
static void att_release(void *m) { att_drop_all(m, false); }

static const struct proc_local_ops att_ops = { att_fork, att_exec, att_release };

void sysvipc_init(void);
void sysvipc_init(void)
{
    att_offset = sched_proc_local_claim("sysvipc", sizeof(struct attachments), &att_ops);
    mine()->n = 0;
}

/* ---- the calls ---- */
static long seg_create(int key, uint64_t size, int flag)
{
    if (size < 1 || size > SHMMAX)
        return -EINVAL;
    if (SHIM_PAGE_UP(size) / SHIM_PAGE > 0xffffffffu)
        return -ENOMEM;
    int i;
    for (i = 0; i < MAX_SEGS && segs[i].used; i++)
        ;
    if (i == MAX_SEGS)
        return -ENOSPC;
    struct vnode *root = vfs_root(), *vn;
    if (!root->ops || !root->ops->mknode)
        return -ENOSYS;
    long r = root->ops->mknode(root, K_S_IFREG | 0600, &vn);
    if (r < 0)
        return r;
    vnode_get(vn);                       /* the segment's reference */
    r = vn->ops->truncate ? vn->ops->truncate(vn, size) : -ENOSYS;
    if (r < 0) {
        vnode_put(vn);
        return r == -EFBIG ? -EINVAL : r;
    }
    struct seg *s = &segs[i];
    uint16_t seq = s->seq;
    memset(s, 0, sizeof *s);
    s->seq = seq;
    s->used = 1;
    s->key = key;
    my_ids(&s->uid, &s->gid);
    s->cuid = s->uid;
    s->cgid = s->gid;
    s->mode = (uint32_t)flag & 0777;
    s->size = size;
    s->ctime = now_s();
    s->cpid = my_pid();
    s->vn = vn;
    return id_of(i);
}

SHIM_SYSCALL(shmget)
{
    int k = (int)key, fl = (int)flag;
    if (k != IPC_PRIVATE) {
        for (int i = 0; i < MAX_SEGS; i++) {
            struct seg *s = &segs[i];
            if (!s->used || s->key != k || (s->mode & SHM_DEST))
                continue;
            if ((fl & IPC_CREAT) && (fl & IPC_EXCL))
                return -EEXIST;
            if (!permitted(s, fl))
                return -EACCES;
            if ((uint64_t)size > s->size)
                return -EINVAL;
            return id_of(i);
        }
        if (!(fl & IPC_CREAT))
            return -ENOENT;
    }
    return seg_create(k, (uint64_t)size, fl);
}

SHIM_SYSCALL(shmat)
{
    int i = seg_of(shmid);
    if (i < 0)
        return -EINVAL;
    struct seg *s = &segs[i];
    int fl = (int)shmflg;
    uintptr_t addr = (uintptr_t)shmaddr;
    if (addr & (SHMLBA - 1)) {
        if (!(fl & SHM_RND))
            return -EINVAL;
        addr &= ~(uintptr_t)(SHMLBA - 1);
    }
    if (!permitted(s, (fl & SHM_RDONLY) ? 0400 : 0600))
        return -EACCES;
    if ((fl & SHM_EXEC) && !permitted(s, 0100))
        return -EACCES;
    struct attachments *a = mine();
    int slot;
    for (slot = 0; slot < a->n && a->a[slot].seg >= 0; slot++)
        ;
    if (slot == MAX_ATTACH)
        return -EMFILE;                  /* Linux: SHMSEG is unlimited; ours is 16 */
    unsigned prot = SHIM_PROT_READ | ((fl & SHM_RDONLY) ? 0 : SHIM_PROT_WRITE) | ((fl & SHM_EXEC) ? SHIM_PROT_EXEC : 0);
    struct file *f = file_new(s->vn, (fl & SHM_RDONLY) ? K_O_RDONLY : K_O_RDWR);
    if (!f)
        return -ENOMEM;
    long fd = fd_install(f, 0, 1);
    if (fd < 0) {
        file_put(f);
        return fd;
    }
    long flags = MAP_SHARED;
    if (addr)
        flags |= (fl & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    long r = sys_mmap((long)addr, (long)s->size, (long)prot, flags, fd, 0);
    fd_close(fd);                        /* the mapping keeps its own reference */
    if (r < 0 && r > -4096)
        return r == -EEXIST ? -EINVAL : r;
    a->a[slot] = (struct attach){ (uintptr_t)r, (uint32_t)(SHIM_PAGE_UP(s->size) / SHIM_PAGE), i };
    if (slot == a->n)
        a->n++;
    s->atime = now_s();
    s->lpid = my_pid();
    return r;
}

SHIM_SYSCALL(shmdt)
{
    struct attachments *a = mine();
    for (int k = 0; k < a->n; k++) {
        if (a->a[k].seg < 0 || a->a[k].addr != (uintptr_t)shmaddr)
            continue;
        int i = a->a[k].seg;
        sys_munmap((long)a->a[k].addr, (long)a->a[k].pages * (long)SHIM_PAGE, 0, 0, 0, 0);
        a->a[k].seg = -1;
        while (a->n && a->a[a->n - 1].seg < 0)
            a->n--;
        seg_detached(i, true);
        return 0;
    }
    return -EINVAL;
}

static void fill_ds(int i, struct k_shmid_ds *d)
{
    const struct seg *s = &segs[i];
    memset(d, 0, sizeof *d);
    d->perm.key = s->key;
    d->perm.uid = s->uid;
    d->perm.gid = s->gid;
    d->perm.cuid = s->cuid;
    d->perm.cgid = s->cgid;
    d->perm.mode = s->mode;
    d->perm.seq = s->seq;
    d->segsz = s->size;
    d->atime = s->atime;
    d->dtime = s->dtime;
    d->ctime = s->ctime;
    d->cpid = s->cpid;
    d->lpid = s->lpid;
    d->nattch = seg_nattch(i);
}

SHIM_SYSCALL(shmctl)
{
    int c = (int)cmd & ~0x100;           /* IPC_64: the only layout on x86_64 */
    if (c == IPC_INFO) {
        struct k_shminfo info = { SHMMAX, 1, SHMMNI, SHMMNI, SHMALL, { 0 } };
        if (copy_to_user(buf, &info, sizeof info))
            return -EFAULT;
        int top = 0;
        for (int i = 0; i < MAX_SEGS; i++)
            if (segs[i].used)
                top = i;
        return top;
    }
    if (c == SHM_INFO) {
        struct k_shm_info info = { 0 };
        int top = 0;
        for (int i = 0; i < MAX_SEGS; i++)
            if (segs[i].used) {
                info.used_ids++;
                info.shm_tot += SHIM_PAGE_UP(segs[i].size) / SHIM_PAGE;
                top = i;
            }
        info.shm_rss = info.shm_tot;
        if (copy_to_user(buf, &info, sizeof info))
            return -EFAULT;
        return top;
    }
    if (c == SHM_STAT || c == SHM_STAT_ANY) {
        /* shmid is an index into the table (ipcs); returns the full id */
        if (shmid < 0 || shmid >= MAX_SEGS || !segs[shmid].used)
            return -EINVAL;
        if (c == SHM_STAT && !permitted(&segs[shmid], 0400))
            return -EACCES;
        struct k_shmid_ds d;
        fill_ds((int)shmid, &d);
        return copy_to_user(buf, &d, sizeof d) ? -EFAULT : id_of((int)shmid);
    }
    int i = seg_of(shmid);
    if (i < 0)
        return -EINVAL;
    struct seg *s = &segs[i];
    switch (c) {
    case IPC_STAT: {
        if (!permitted(s, 0400))
            return -EACCES;
        struct k_shmid_ds d;
        fill_ds(i, &d);
        return copy_to_user(buf, &d, sizeof d) ? -EFAULT : 0;
    }
    case IPC_SET: {
        struct k_shmid_ds d;
        if (copy_from_user(&d, buf, sizeof d))
            return -EFAULT;
        if (!is_owner(s))
            return -EPERM;
        s->uid = d.perm.uid;
        s->gid = d.perm.gid;
        s->mode = (s->mode & ~0777u) | (d.perm.mode & 0777);
        s->ctime = now_s();
        return 0;
    }
    case IPC_RMID:
        if (!is_owner(s))
            return -EPERM;
        /* Gone from key lookups at once (its key becomes IPC_PRIVATE, as
         * Linux shows it); the memory lives while attached. */
        s->mode |= SHM_DEST;
        s->key = IPC_PRIVATE;
        s->ctime = now_s();
        if (seg_nattch(i) == 0)
            seg_free(i);
        return 0;
    case SHM_LOCK:
    case SHM_UNLOCK:
        return is_owner(s) ? 0 : -EPERM;  /* nothing swaps here */
    default:
        return -EINVAL;
    }
}
