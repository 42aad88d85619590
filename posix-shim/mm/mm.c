/* posix-shim/mm (module.conf): the app's virtual memory areas.
 *
 * A sorted array of VMAs describes the lower half. Pages are mapped lazily:
 * mmap only records the area, and the platform's page-fault path calls
 * mm_handle_fault, which maps a zeroed page when the access is allowed.
 * W^X: a protection with both PROT_WRITE and PROT_EXEC is refused (EACCES),
 * so no page is ever both. Private file mappings are read into private pages
 * through the vfs's pread64 when the vfs is linked. Shared file mappings map
 * the ramfs file's own pages (ramfs_share_pages), so read/write/pwrite and
 * every mapping of the file see the same bytes; a page past the end of the
 * file is not mapped, and the fault there is SIGBUS (mm_fault_is_bus). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/mm.h"
#include "shim/kernel.h"
#include "shim/vfs.h"
#include "shim/ramfs.h"
#include "shim/thread.h"
#include "shim/sched.h"
#include "shim/alloc.h"
#include "mm_impl.h"

/* The vfs and ramfs are optional (SHIM_HAVE_*, shim_syscalls.h): without
 * them mmap refuses file mappings, so no area ever holds a vnode and these
 * are only reached with them. */
static void vn_ref(struct vnode *vn)
{
#if SHIM_HAVE_vfs
    vnode_get(vn);
#else
    (void)vn;
#endif
}

static void vn_unref(struct vnode *vn)
{
#if SHIM_HAVE_vfs
    vnode_put(vn);
#else
    (void)vn;
#endif
}

/* ramfs_share_pages(vn, 0): 0 when vn's pages can be mapped shared. */
static long vn_share(struct vnode *vn)
{
#if SHIM_HAVE_ramfs
    return ramfs_share_pages(vn, 0);
#else
    (void)vn;
    return -ENODEV;
#endif
}

#define MAX_VMAS 512
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_POPULATE 0x8000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define PROT_MASK (SHIM_PROT_READ | SHIM_PROT_WRITE | SHIM_PROT_EXEC)

struct vma {
    uintptr_t start, end;
    unsigned prot, flags;
    char name[24];
    struct vnode *vn;     /* MM_VMA_SHARED: the file (one reference per area) */
    uint64_t off;         /* its file offset at start */
};

/* The areas of one address space. A process has one (its per-process
 * part points at it, shim/sched.h); a vfork child shares its parent's
 * until it execs (CLONE_VM: a reference more), a fork child gets a copy
 * (the platform copies the pages). */
struct mm_state {
    int refs;
    int a_nvmas;
    uintptr_t a_brk_start, a_brk_cur;
    uintptr_t a_mmap_top;   /* areas without a hint go below this, top down */
    int a_wx_warned;
    struct vma a_vmas[MAX_VMAS];
};
static size_t mm_offset;

static struct mm_state *mm_now(void)
{
    return *(struct mm_state **)sched_proc_local_current(mm_offset);
}

/* The code below was written for one address space: these name the
 * current process's. */
#define vmas (mm_now()->a_vmas)
#define nvmas (mm_now()->a_nvmas)
#define brk_start (mm_now()->a_brk_start)
#define brk_cur (mm_now()->a_brk_cur)
#define mmap_top (mm_now()->a_mmap_top)
#define wx_warned (mm_now()->a_wx_warned)

static void vn_unref(struct vnode *vn);
static void vn_ref(struct vnode *vn);

static struct mm_state *state_new(void)
{
    struct mm_state *m = shim_alloc(sizeof *m);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    m->refs = 1;
    /* Leave 1 GiB above for the stack area (8 MiB) and its growth. */
    m->a_mmap_top = SHIM_PAGE_DOWN(platform_user_top()) - (1UL << 30);
    return m;
}

#if SHIM_HAVE_process   /* only the process module makes, execs and ends processes */
static void state_put(struct mm_state *m)
{
    if (!m || --m->refs > 0)
        return;
    for (int i = 0; i < m->a_nvmas; i++)
        if (m->a_vmas[i].vn)
            vn_unref(m->a_vmas[i].vn);
    shim_free(m);
}

/* fork: the areas are copied (the platform copied the pages), each file
 * area taking its own reference; vfork (CLONE_VM) shares them. */
static int mm_fork(void *child, const void *parent, unsigned long clone_flags)
{
    struct mm_state *from = *(struct mm_state *const *)parent;
    if (clone_flags & 0x100ul) {      /* CLONE_VM */
        from->refs++;
        *(struct mm_state **)child = from;
        return 0;
    }
    struct mm_state *m = shim_alloc(sizeof *m);
    if (!m)
        return -ENOMEM;
    memcpy(m, from, sizeof *m);
    m->refs = 1;
    for (int i = 0; i < m->a_nvmas; i++)
        if (m->a_vmas[i].vn)
            vn_ref(m->a_vmas[i].vn);
    *(struct mm_state **)child = m;
    return 0;
}

/* exec: the new image starts with no areas (its address space is new). */
static int mm_exec(void *mine)
{
    struct mm_state *m = state_new();
    if (!m)
        return -ENOMEM;
    state_put(*(struct mm_state **)mine);
    *(struct mm_state **)mine = m;
    return 0;
}

static void mm_release(void *mine)
{
    state_put(*(struct mm_state **)mine);
}

static const struct proc_local_ops mm_proc_ops = { .fork = mm_fork, .exec = mm_exec, .release = mm_release };
#define MM_PROC_OPS (&mm_proc_ops)
#else
#define MM_PROC_OPS NULL
#endif

void shim_mm_init(void)
{
    mm_offset = sched_proc_local_claim("mm", sizeof(struct mm_state *), MM_PROC_OPS);
    struct mm_state *m = state_new();
    if (!m)
        platform_out_of_memory("the app's memory areas");
    *(struct mm_state **)sched_proc_local_current(mm_offset) = m;
}

static int wx_violation(unsigned prot)
{
    if ((prot & SHIM_PROT_WRITE) && (prot & SHIM_PROT_EXEC)) {
        if (!wx_warned++)
            shim_printk("port-app: refusing a writable and executable mapping (W^X)\n");
        return 1;
    }
    return 0;
}

/* ---- the VMA array ---- */

/* Remove [start, end) from the array (splitting areas that straddle it).
 * Pages are not touched here. -ENOMEM if a split would overflow. */
static int vma_cut(uintptr_t start, uintptr_t end)
{
    for (int i = 0; i < nvmas; i++) {
        struct vma *v = &vmas[i];
        if (v->end <= start || v->start >= end)
            continue;
        if (v->start < start && v->end > end) {          /* hole in the middle */
            if (nvmas == MAX_VMAS)
                return -ENOMEM;
            memmove(&vmas[i + 2], &vmas[i + 1], (size_t)(nvmas - i - 1) * sizeof *v);
            vmas[i + 1] = *v;
            vmas[i + 1].start = end;
            vmas[i + 1].off += end - v->start;
            if (v->vn)
                vn_ref(v->vn);
            v->end = start;
            nvmas++;
            return 0;
        }
        if (v->start < start) {
            v->end = start;
        } else if (v->end > end) {
            v->off += end - v->start;
            v->start = end;
        } else {                                          /* fully covered */
            if (v->vn)
                vn_unref(v->vn);
            memmove(v, v + 1, (size_t)(nvmas - i - 1) * sizeof *v);
            nvmas--;
            i--;
        }
    }
    return 0;
}

/* Anonymous areas only: file and image areas keep their identity. */
static int mergeable(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && !a->vn && !b->vn &&
           !(a->flags & (MM_VMA_IMAGE | MM_VMA_SHARED)) && !a->name[0] && !b->name[0];
}

/* vn (with a reference the area takes over) for a shared file mapping. */
static int vma_insert_file(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags, const char *name,
                           struct vnode *vn, uint64_t off)
{
    int r = vma_cut(start, end);
    if (!r && nvmas == MAX_VMAS)
        r = -ENOMEM;
    if (r) {
        if (vn)
            vn_unref(vn);
        return r;
    }
    int i = 0;
    while (i < nvmas && vmas[i].start < start)
        i++;
    memmove(&vmas[i + 1], &vmas[i], (size_t)(nvmas - i) * sizeof vmas[0]);
    vmas[i] = (struct vma){ .start = start, .end = end, .prot = prot, .flags = flags, .vn = vn, .off = off };
    shim_strlcpy(vmas[i].name, name ? name : "", sizeof vmas[i].name);
    nvmas++;
    /* Merge with equal neighbours, as Linux does: allocators that mmap many
     * small areas next to each other would run out of slots otherwise. */
    if (i + 1 < nvmas && mergeable(&vmas[i], &vmas[i + 1])) {
        vmas[i].end = vmas[i + 1].end;
        memmove(&vmas[i + 1], &vmas[i + 2], (size_t)(nvmas - i - 2) * sizeof vmas[0]);
        nvmas--;
    }
    if (i > 0 && mergeable(&vmas[i - 1], &vmas[i])) {
        vmas[i - 1].end = vmas[i].end;
        memmove(&vmas[i], &vmas[i + 1], (size_t)(nvmas - i - 1) * sizeof vmas[0]);
        nvmas--;
    }
    return 0;
}

static int vma_insert(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags, const char *name)
{
    return vma_insert_file(start, end, prot, flags, name, NULL, 0);
}

static struct vma *vma_find(uintptr_t addr)
{
    for (int i = 0; i < nvmas; i++)
        if (addr >= vmas[i].start && addr < vmas[i].end)
            return &vmas[i];
    return NULL;
}

static int range_free(uintptr_t start, uintptr_t end)
{
    if (start < 0x10000 || end > platform_user_top() || end < start)
        return 0;
    for (int i = 0; i < nvmas; i++)
        if (vmas[i].start < end && vmas[i].end > start)
            return 0;
    return 1;
}

/* Highest free range of len bytes ending at or below mmap_top. */
static uintptr_t find_free(size_t len)
{
    uintptr_t top = mmap_top;
    for (int i = nvmas - 1; i >= -1; i--) {
        uintptr_t lo = i >= 0 ? vmas[i].end : 0x10000;
        if (i >= 0 && vmas[i].start >= top)
            continue;
        if (top >= lo + len)
            return top - len;
        if (i >= 0 && vmas[i].start < top)
            top = vmas[i].start;
    }
    return 0;
}

static void unmap_pages(uintptr_t start, uintptr_t end)
{
    /* Pages exist only inside areas: walk the overlapped parts of areas,
     * a page at a time, and skip the gaps between them. */
    for (int i = 0; i < nvmas; i++) {
        uintptr_t s = vmas[i].start > start ? vmas[i].start : start;
        uintptr_t e = vmas[i].end < end ? vmas[i].end : end;
        for (uintptr_t p = s; p < e; p += SHIM_PAGE) {
            if (vmas[i].flags & MM_VMA_SHARED)
                platform_page_unmap_keep(p);   /* the frame is the file's */
            else
                platform_page_unmap(p);
        }
    }
}

void mm_file_pages_moved(struct vnode *vn)
{
    for (int i = 0; i < nvmas; i++)
        if (vmas[i].vn == vn)
            for (uintptr_t p = vmas[i].start; p < vmas[i].end; p += SHIM_PAGE)
                platform_page_unmap_keep(p);
}

/* ---- exports for the platform ---- */

int mm_vma_add(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags, const char *name)
{
    return vma_insert(start, end, prot, flags, name);
}

void mm_brk_init(uintptr_t start)
{
    brk_start = brk_cur = SHIM_PAGE_UP(start);
}

int mm_handle_fault(uintptr_t addr, unsigned access)
{
    struct vma *v = vma_find(addr);
    uintptr_t page = SHIM_PAGE_DOWN(addr);
    if (!v || !(v->prot & access) || platform_page_present(page))
        return 0;
    if (v->flags & MM_VMA_SHARED) {
        uint64_t off = v->off + (page - v->start);
        if (off >= v->vn->size || vn_share(v->vn) != 0)
            return 0;   /* past the end of the file: SIGBUS */
        return platform_page_map_at(page, (const char *)v->vn->data + off, v->prot) == 0;
    }
    int r = platform_page_map(page, v->prot | ((v->flags & MM_VMA_SHARED_ANON) ? SHIM_PAGE_SHARED : 0));
    return r == 0 ? 1 : r == -ENOMEM ? -ENOMEM : 0;
}

int mm_fault_is_bus(uintptr_t addr)
{
    struct vma *v = vma_find(addr);
    return v && (v->flags & MM_VMA_SHARED) && (v->prot & SHIM_PROT_READ) &&
           v->off + (SHIM_PAGE_DOWN(addr) - v->start) >= v->vn->size;
}

int mm_addr_mapped(uintptr_t addr)
{
    return vma_find(addr) != NULL;
}

static size_t format_maps(const struct mm_state *m, char *buf, size_t size)
{
    size_t n = 0;
    for (int i = 0; i < m->a_nvmas; i++) {
        const struct vma *v = &m->a_vmas[i];
        char line[128];
        int k = shim_snprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx 00:00 0 %s%s\n",
                              (unsigned long)v->start, (unsigned long)v->end,
                              (v->prot & SHIM_PROT_READ) ? 'r' : '-',
                              (v->prot & SHIM_PROT_WRITE) ? 'w' : '-',
                              (v->prot & SHIM_PROT_EXEC) ? 'x' : '-',
                              (v->flags & (MM_VMA_SHARED | MM_VMA_SHARED_ANON)) ? 's' : 'p',
                              (unsigned long)v->off,
                              v->name[0] ? "                          " : "", v->name);
        for (int j = 0; j < k && (size_t)j < sizeof line - 1; j++, n++)
            if (n + 1 < size)
                buf[n] = line[j];
    }
    if (size)
        buf[n < size ? n : size - 1] = 0;
    return n;
}

size_t mm_format_maps(char *buf, size_t size)
{
    return format_maps(mm_now(), buf, size);
}

size_t mm_format_maps_of(struct proc_ctx *p, char *buf, size_t size)
{
    return format_maps(*(struct mm_state **)sched_proc_local(p, mm_offset), buf, size);
}

/* ---- syscalls ---- */

/* Linux's default overcommit rule (OVERCOMMIT_GUESS, __vm_enough_memory):
 * one request for more private writable memory than the machine has RAM
 * fails with ENOMEM. Smaller ones are lazy, as there: memory comes on first
 * touch, and touching more than the guest has ends in the out-of-memory
 * report (platform_out_of_memory). */
static bool exceeds_ram(uint64_t len)
{
    uint64_t total = 0, avail = 0;
    platform_memory_info(&total, &avail);
    return total && len > total;
}

static long populate(uintptr_t start, uintptr_t end, unsigned prot)
{
    for (uintptr_t p = start; p < end; p += SHIM_PAGE)
        if (!platform_page_present(p) && platform_page_map(p, prot) != 0)
            return -ENOMEM;
    return 0;
}

SHIM_SYSCALL(mmap)
{
    /* addr becomes the mapping's address, len its length in whole pages. */
    size_t want = len;
    len = SHIM_PAGE_UP(len);
    prot &= PROT_MASK;
    if (!want || !len || (addr & (SHIM_PAGE - 1)) || (off & (SHIM_PAGE - 1)))
        return -EINVAL;
    int type = (int)(flags & MAP_TYPE);
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != 3 /* SHARED_VALIDATE */)
        return -EINVAL;
    int anon = (flags & MAP_ANONYMOUS) != 0;
    int shared = !anon && type != MAP_PRIVATE;
#if !SHIM_HAVE_vfs
    if (!anon)
        return -ENODEV;   /* file mappings go through the vfs */
#endif
    if (wx_violation(prot))
        return -EACCES;
    /* Accounted as Linux's VM_ACCOUNT: private and writable, unless
     * MAP_NORESERVE (0x4000), which the default mode leaves unaccounted. */
    if (!shared && (prot & SHIM_PROT_WRITE) && !(flags & 0x4000) && exceeds_ram(len))
        return -ENOMEM;
    struct vnode *vn = NULL;
#if SHIM_HAVE_vfs
    if (shared) {
        /* The file's own pages (ramfs): coherent with read/write/pwrite. */
        struct file *f = fd_file(fd);
        if (!f)
            return -EBADF;
        if ((f->flags & K_O_ACCMODE) == K_O_WRONLY ||
            ((prot & SHIM_PROT_WRITE) && (f->flags & K_O_ACCMODE) != K_O_RDWR))
            return -EACCES;
        if (vn_share(f->vn) != 0)
            return -ENODEV;
        vn = f->vn;
    }
#else
    (void)shared;   /* file mappings were refused above */
#endif
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (addr < 0x10000 || addr + len > platform_user_top() || addr + len < addr)
            return (flags & MAP_FIXED) ? -EINVAL : -ENOMEM;
        if ((flags & MAP_FIXED_NOREPLACE) && !range_free(addr, addr + len))
            return -EEXIST;
        unmap_pages(addr, addr + len);
    } else if (!addr || !range_free(addr, addr + len)) {
        addr = find_free(len);
        if (!addr)
            return -ENOMEM;
    }
    if (vn) {
        vn_ref(vn);
        long r = vma_insert_file(addr, addr + len, prot, MM_VMA_SHARED, "[shared file]", vn, (uint64_t)off);
        return r ? r : (long)addr;   /* pages come on first touch (mm_handle_fault) */
    }
    /* Shared anonymous memory stays shared with fork children (its pages
     * are mapped SHIM_PAGE_SHARED). */
    unsigned vflags = (anon && type != MAP_PRIVATE) ? MM_VMA_SHARED_ANON : 0;
    long r = vma_insert(addr, addr + len, prot, vflags, anon ? "" : "[file]");
    if (r)
        return r;
    if (!anon) {
        /* Read the file into private pages (writable while filling). */
        /* Linux maps a file lazily, so this mmap cannot fail there for want
         * of memory: running out here is the guest's memory running out. */
        if (populate(addr, addr + len, SHIM_PROT_READ | SHIM_PROT_WRITE) < 0)
            platform_out_of_memory("a private file mapping (a library's segments)");
#if SHIM_HAVE_vfs
        long got = sys_pread64((long)fd, (long)addr, (long)want, (long)off, 0, 0);
#else
        long got = -ENODEV;   /* not reached: file mappings were refused above */
#endif
        if (got < 0) {
            unmap_pages(addr, addr + len);
            vma_cut(addr, addr + len);
            return got;
        }
        for (uintptr_t p = addr; p < addr + len; p += SHIM_PAGE)
            platform_page_protect(p, prot);
        /* A library's slot table, mapped by ld.so (slots.c). */
        if (prot & SHIM_PROT_WRITE)
            mm_fill_mapped_slots(addr, len, fd, (uint64_t)off);
    } else if (vflags) {
        /* Shared anonymous memory is all present from the start: a page
         * first touched after a fork would be the toucher's own, and the
         * processes would stop sharing it (postgres's buffer pool, mapped by
         * the postmaster, is first used by its backends). Linux backs it
         * with shmem pages found by offset; here it costs its size at once. */
        if (exceeds_ram(len) || populate(addr, addr + len, prot | SHIM_PAGE_SHARED) < 0) {
            unmap_pages(addr, addr + len);
            vma_cut(addr, addr + len);
            return -ENOMEM;
        }
    } else if (flags & MAP_POPULATE) {
        populate(addr, addr + len, prot);
    }
    return (long)addr;
}

SHIM_SYSCALL(munmap)
{
    len = SHIM_PAGE_UP(len);
    if ((addr & (SHIM_PAGE - 1)) || !len || addr + len > platform_user_top())
        return -EINVAL;
#if SHIM_HAVE_thread
    /* A thread unmapping the stack the shim is running on (musl's detached
     * threads free their own stack, then exit): done once it has left it. */
    if (shim_thread_defer_unmap(addr, len))
        return 0;
#endif
    unmap_pages(addr, addr + len);
    return vma_cut(addr, addr + len);
}

long mm_protect_range(uintptr_t start, uintptr_t end, unsigned prot)
{
    /* The whole range must be mapped. */
    for (uintptr_t p = start; p < end;) {
        struct vma *v = vma_find(p);
        if (!v)
            return -ENOMEM;
        p = v->end;
    }
    /* Re-insert each covered piece with the new protection. */
    for (uintptr_t p = start; p < end;) {
        struct vma *v = vma_find(p);
        uintptr_t e = v->end < end ? v->end : end;
        unsigned flags = v->flags;
        struct vnode *vn = v->vn;
        uint64_t off = v->off + (p - v->start);
        char name[24];
        shim_strlcpy(name, v->name, sizeof name);
        if (vn)
            vn_ref(vn);
        long r = vma_insert_file(p, e, prot, flags, name, vn, off);
        if (r)
            return r;
        for (uintptr_t q = p; q < e; q += SHIM_PAGE)
            platform_page_protect(q, prot);
        p = e;
    }
    return 0;
}

SHIM_SYSCALL(mprotect)
{
    uintptr_t end = start + SHIM_PAGE_UP(len);
    if (start & (SHIM_PAGE - 1))
        return -EINVAL;
    if (prot & ~(unsigned long)(PROT_MASK | 0x03000000 /* GROWSDOWN/UP */))
        return -EINVAL;
    prot &= PROT_MASK;
    if (wx_violation(prot))
        return -EACCES;
    return mm_protect_range(start, end, prot);
}

SHIM_SYSCALL(mremap)
{
    uintptr_t old = addr;
    old_len = SHIM_PAGE_UP(old_len);
    new_len = SHIM_PAGE_UP(new_len);
    if ((old & (SHIM_PAGE - 1)) || !new_len || (flags & ~(unsigned long)(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        (flags & MREMAP_FIXED))
        return -EINVAL;   /* MREMAP_FIXED: not supported */
    struct vma *v = vma_find(old);
    if (!v || old + old_len > v->end)
        return -EFAULT;
    if (new_len <= old_len) {
        unmap_pages(old + new_len, old + old_len);
        vma_cut(old + new_len, old + old_len);
        return (long)old;
    }
    if (v->vn)
        return -ENOMEM;   /* shared file mappings neither grow nor move */
    unsigned prot = v->prot, vflags = v->flags;
    char name[24];
    shim_strlcpy(name, v->name, sizeof name);
    if (range_free(old + old_len, old + new_len)) {
        long r = vma_insert(old + old_len, old + new_len, prot, vflags, name);
        return r ? r : (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    uintptr_t dst = find_free(new_len);
    if (!dst)
        return -ENOMEM;
    long r = vma_insert(dst, dst + new_len, prot, vflags, name);
    if (r)
        return r;
    /* Copy the pages that exist (readable ones; PROT_NONE pages stay zero). */
    for (uintptr_t p = 0; p < old_len; p += SHIM_PAGE) {
        if (!platform_page_present(old + p))
            continue;
        /* A page that cannot be copied must not turn into zeroes. */
        if (platform_page_map(dst + p, SHIM_PROT_READ | SHIM_PROT_WRITE) != 0)
            platform_out_of_memory("mremap moving the app's pages");
        if (prot & SHIM_PROT_READ)
            memcpy((void *)(dst + p), (const void *)(old + p), SHIM_PAGE);
        platform_page_protect(dst + p, prot);
    }
    unmap_pages(old, old + old_len);
    vma_cut(old, old + old_len);
    return (long)dst;
}

SHIM_SYSCALL(brk)
{
    uintptr_t want = brk;
    if (!brk_start || want < brk_start)
        return (long)brk_cur;
    uintptr_t old_end = SHIM_PAGE_UP(brk_cur), new_end = SHIM_PAGE_UP(want);
    if (new_end > old_end) {
        if (!range_free(old_end, new_end) || exceeds_ram(new_end - old_end))
            return (long)brk_cur;
        if (vma_insert(brk_start, new_end, SHIM_PROT_READ | SHIM_PROT_WRITE, MM_VMA_HEAP, "[heap]"))
            return (long)brk_cur;
    } else if (new_end < old_end) {
        unmap_pages(new_end, old_end);
        vma_cut(new_end, old_end);
    }
    brk_cur = want;
    return (long)brk_cur;
}

SHIM_SYSCALL(madvise)
{
    if (start & (SHIM_PAGE - 1))
        return -EINVAL;
    uintptr_t end = start + SHIM_PAGE_UP(len);
    if (end < start)
        return -EINVAL;   /* wraps around, as Linux */
    if (behavior == MADV_DONTNEED || behavior == MADV_FREE) {
        /* Private anonymous memory reads back as zeroes: drop the pages,
         * the next touch maps fresh ones. Walk the areas, not the range
         * page by page: sysfuzz's madvise(0, 1 << 47, MADV_DONTNEED) took
         * minutes, with nothing else running (the shim is not preempted). */
        for (int i = 0; i < nvmas; i++) {
            struct vma *v = &vmas[i];
            if ((v->flags & (MM_VMA_IMAGE | MM_VMA_SHARED)) || strcmp(v->name, "[file]") == 0)
                continue;
            uintptr_t s = v->start > start ? v->start : start;
            uintptr_t e = v->end < end ? v->end : end;
            for (uintptr_t p = s; p < e; p += SHIM_PAGE)
                platform_page_unmap(p);
        }
    }
    return 0;   /* every other advice is only advice */
}

/* Shared file mappings are the file's own pages: nothing to write back. */
SHIM_SYSCALL(msync)
{
    uintptr_t end = start + SHIM_PAGE_UP(len);
    if ((start & (SHIM_PAGE - 1)) || (flags & ~7L) || ((flags & 1) && (flags & 4)))   /* MS_ASYNC|MS_SYNC */
        return -EINVAL;
    for (uintptr_t p = start; p < end;) {
        struct vma *v = vma_find(p);
        if (!v)
            return -ENOMEM;
        p = v->end;
    }
    return 0;
}
SHIM_SYSCALL(mlock) { return 0; }
SHIM_SYSCALL(munlock) { return 0; }
SHIM_SYSCALL(mlockall) { return 0; }
SHIM_SYSCALL(munlockall) { return 0; }

SHIM_SYSCALL(mincore)
{
    if (start & (SHIM_PAGE - 1))
        return -EINVAL;
    size_t n = SHIM_PAGE_UP(len) / SHIM_PAGE;
    for (size_t i = 0; i < n; i++) {
        if (!vma_find(start + i * SHIM_PAGE))
            return -ENOMEM;
        unsigned char in = platform_page_present(start + i * SHIM_PAGE) ? 1 : 0;
        if (put_user(in, &vec[i]))
            return -EFAULT;
    }
    return 0;
}
