/* The shim's kernel heap: power-of-two size classes carved from single
 * pages for small blocks, whole page runs for large ones. Simple on purpose:
 * the file-system modules allocate few objects, plus file contents (large,
 * page runs). Every block has a 16-byte header so shim_free needs no size.
 *
 * A spinlock makes it safe for the threads that come later; interrupts never
 * allocate. */
#include "shim/shim.h"
#include "shim/alloc.h"

#define PAGE 4096u
#define HDR 16u
#define MAGIC_SMALL 0x5348534du   /* "MSHS" */
#define MAGIC_LARGE 0x5348534cu
#define NCLASSES 7                /* 32 .. 2048 bytes including the header */

struct hdr {
    uint32_t magic;
    uint32_t cls;
    uint64_t npages;              /* large blocks: pages in the run */
};
_Static_assert(sizeof(struct hdr) == HDR, "header keeps 16-byte alignment");

struct freeblk { struct freeblk *next; };

static struct freeblk *freelist[NCLASSES];
static size_t pages_in_use;
static volatile char heap_lock;

static void lock(void)
{
    while (__atomic_test_and_set(&heap_lock, __ATOMIC_ACQUIRE))
        __asm__ volatile("pause");
}

static void unlock(void)
{
    __atomic_clear(&heap_lock, __ATOMIC_RELEASE);
}

static int class_of(size_t total)
{
    size_t sz = 32;
    for (int c = 0; c < NCLASSES; c++, sz <<= 1)
        if (total <= sz)
            return c;
    return -1;
}

static size_t class_size(int c) { return (size_t)32 << c; }

void *shim_alloc(size_t n)
{
    if (n > ((size_t)1 << 40))
        return NULL;
    size_t total = n + HDR;
    int c = class_of(total);
    struct hdr *h;
    if (c < 0) {
        size_t np = (total + PAGE - 1) / PAGE;
        h = platform_alloc_pages(np);
        if (!h)
            return NULL;
        lock();
        pages_in_use += np;
        unlock();
        h->magic = MAGIC_LARGE;
        h->npages = np;
        return (char *)h + HDR;     /* fresh pages are zero */
    }
    lock();
    if (!freelist[c]) {
        char *pg = platform_alloc_pages(1);
        if (!pg) {
            unlock();
            return NULL;
        }
        pages_in_use++;
        size_t sz = class_size(c);
        for (size_t off = 0; off + sz <= PAGE; off += sz) {
            struct freeblk *b = (struct freeblk *)(void *)(pg + off);
            b->next = freelist[c];
            freelist[c] = b;
        }
    }
    struct freeblk *b = freelist[c];
    freelist[c] = b->next;
    unlock();
    memset(b, 0, class_size(c));
    h = (struct hdr *)(void *)b;
    h->magic = MAGIC_SMALL;
    h->cls = (uint32_t)c;
    return (char *)h + HDR;
}

static struct hdr *header(void *p)
{
    struct hdr *h = (struct hdr *)(void *)((char *)p - HDR);
    if (h->magic != MAGIC_SMALL && h->magic != MAGIC_LARGE) {
        shim_printk("shim heap: bad free/realloc of %p (header corrupt)\n", p);
        platform_abort(127);
    }
    return h;
}

static size_t usable(struct hdr *h)
{
    return h->magic == MAGIC_LARGE ? h->npages * PAGE - HDR : class_size((int)h->cls) - HDR;
}

void shim_free(void *p)
{
    if (!p)
        return;
    struct hdr *h = header(p);
    if (h->magic == MAGIC_LARGE) {
        size_t np = h->npages;
        h->magic = 0;
        lock();
        pages_in_use -= np;
        unlock();
        platform_free_pages(h, np);
        return;
    }
    int c = (int)h->cls;
    h->magic = 0;              /* catches a double free */
    struct freeblk *b = (struct freeblk *)(void *)h;
    lock();
    b->next = freelist[c];
    freelist[c] = b;
    unlock();
}

void *shim_realloc(void *p, size_t n)
{
    if (!p)
        return shim_alloc(n);
    struct hdr *h = header(p);
    size_t have = usable(h);
    if (n <= have)
        return p;
    void *q = shim_alloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, have);
    shim_free(p);
    return q;
}

char *shim_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = shim_alloc(len + 1);
    if (d)
        memcpy(d, s, len);
    return d;
}

size_t shim_heap_pages_in_use(void)
{
    return pages_in_use;
}
