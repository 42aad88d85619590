/* Fills the ramfs from a cpio "newc" archive (what port-app writes as the
 * initrd, and `cpio -o -H newc` produces): 110-byte ASCII headers
 * "070701" + 13 eight-digit hex fields, the NUL-terminated name, padding to
 * 4 bytes, the data, padding to 4 bytes; "TRAILER!!!" ends it.
 *
 * Directories are created as needed (archives need not list parents);
 * entries may repeat (the later wins, like the kernel's initramfs). Device
 * nodes become devfs devices when devfs is linked; hard links (nlink > 1,
 * same inode, data on the last one) are supported. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/ramfs.h"
#include "shim/devfs.h"

struct vnode *ramfs_file_borrowing(uint32_t mode, const void *data, uint64_t size);

static int hexfield(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Inodes with nlink > 1 seen so far, to join hard links. */
struct hardlink { struct hardlink *next; uint32_t ino; struct vnode *vn; };
/* Directories' times, applied at the end: adding their entries touches them. */
struct dirtime { struct dirtime *next; struct vnode *vn; uint32_t mtime; };

static long install(const char *name, struct vnode *vn)
{
    char path[260];
    shim_snprintf(path, sizeof path, "/%s", name);
    return vfs_install(path, vn);
}

long ramfs_load_cpio(const void *cpio, size_t len)
{
    const char *base = cpio;
    size_t off = 0;
    long files = 0;
    struct hardlink *links = NULL;
    struct dirtime *dirtimes = NULL;
    vfs_root();
    while (off + 110 <= len) {
        const char *h = base + off;
        if (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0) {
            shim_printk("initrd: bad cpio magic at offset %zu (only newc is supported)\n", off);
            return -EINVAL;
        }
        uint32_t f[13];
        for (int i = 0; i < 13; i++)
            if (hexfield(h + 6 + 8 * i, &f[i]) < 0) {
                shim_printk("initrd: bad cpio header at offset %zu\n", off);
                return -EINVAL;
            }
        uint32_t ino = f[0], mode = f[1], uid = f[2], gid = f[3], nlink = f[4], mtime = f[5];
        uint32_t fsize = f[6], rmaj = f[9], rmin = f[10], namesize = f[11];
        size_t name_off = off + 110;
        size_t data_off = (name_off + namesize + 3) & ~(size_t)3;
        size_t next = (data_off + fsize + 3) & ~(size_t)3;
        if (namesize == 0 || name_off + namesize > len || data_off + fsize > len) {
            shim_printk("initrd: truncated cpio entry at offset %zu\n", off);
            return -EINVAL;
        }
        const char *name = base + name_off;
        if (name[namesize - 1] != 0) {
            shim_printk("initrd: cpio name not terminated at offset %zu\n", off);
            return -EINVAL;
        }
        if (strcmp(name, "TRAILER!!!") == 0)
            break;
        /* Normalise "./a/b", "/a/b" and "a/b" alike. */
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        while (name[0] == '/')
            name++;
        const char *data = base + data_off;
        off = next;
        if (!name[0] || strcmp(name, ".") == 0)
            continue;
        if (strnlen(name, 256) >= 256) {
            shim_printk("initrd: name too long, skipped: %.60s...\n", name);
            continue;
        }
        struct vnode *vn = NULL;
        uint32_t type = mode & K_S_IFMT;
        if (type == K_S_IFDIR) {
            char path[260];
            shim_snprintf(path, sizeof path, "/%s", name);
            vn = vfs_mkdir_p(path);
            if (!vn) {
                shim_printk("initrd: cannot create directory /%s\n", name);
                continue;
            }
            struct dirtime *dt = shim_alloc(sizeof *dt);
            if (dt) {
                dt->vn = vn;
                dt->mtime = mtime;
                dt->next = dirtimes;
                dirtimes = dt;
            }
        } else if (type == K_S_IFREG) {
            struct hardlink *hl = NULL;
            if (nlink > 1)
                for (hl = links; hl && hl->ino != ino; hl = hl->next)
                    ;
            if (hl) {
                vn = hl->vn;
                if (fsize) {          /* newc puts the data on the last link */
                    vn->data = (void *)(uintptr_t)data;
                    vn->size = fsize;
                }
                if (install(name, vn) < 0)
                    shim_printk("initrd: cannot link /%s\n", name);
                files++;
                continue;
            }
            vn = ramfs_file_borrowing(mode, data, fsize);
            if (vn && nlink > 1) {
                struct hardlink *n = shim_alloc(sizeof *n);
                if (n) {
                    n->ino = ino;
                    n->vn = vn;
                    n->next = links;
                    links = n;
                }
            }
        } else if (type == K_S_IFLNK) {
            struct vnode *dummy;
            (void)dummy;
            vn = vnode_new(mode, &ramfs_link_ops);
            if (vn) {
                vn->data = shim_strndup(data, fsize);
                vn->cap = fsize + 1;
                vn->size = strlen(vn->data);
            }
#if SHIM_HAVE_devfs
        } else if (type == K_S_IFCHR || type == K_S_IFBLK) {
            vn = devfs_node_for(rmaj, rmin);
            if (!vn) {
                shim_printk("initrd: no device %u:%u for /%s, skipped\n", rmaj, rmin, name);
                continue;
            }
            install(name, vn);
            files++;
            continue;             /* devfs owns its times and modes */
#endif
        } else {
            shim_printk("initrd: /%s: file type %#o not supported, skipped\n", name, type);
            continue;
        }
        if (!vn) {
            shim_printk("initrd: out of memory at /%s\n", name);
            return -ENOMEM;
        }
        vn->mode = mode;
        vn->uid = uid;
        vn->gid = gid;
        vn->mtime.tv_sec = mtime;
        vn->mtime.tv_nsec = 0;
        vn->atime = vn->ctime = vn->mtime;
        if (type != K_S_IFDIR && install(name, vn) < 0) {
            shim_printk("initrd: cannot install /%s\n", name);
            vn->refs++;
            vnode_put(vn);
            continue;
        }
        files++;
    }
    for (struct dirtime *n; dirtimes; dirtimes = n) {
        n = dirtimes->next;
        dirtimes->vn->mtime.tv_sec = dirtimes->mtime;
        dirtimes->vn->mtime.tv_nsec = 0;
        dirtimes->vn->atime = dirtimes->vn->ctime = dirtimes->vn->mtime;
        shim_free(dirtimes);
    }
    for (struct hardlink *n; links; links = n) {
        n = links->next;
        shim_free(links);
    }
    return files;
}

void vfs_mount_initrd(const void *cpio, size_t len)
{
    long r = ramfs_load_cpio(cpio, len);
    if (r < 0)
        shim_printk("initrd: load failed (error %ld); / may be incomplete\n", -r);
    /* Programs take a writable /tmp for granted (mkstemp, shells' here-
     * documents); give one when the archive has none. */
    struct vnode *root = vfs_root();
    if (!vfs_dir_find(root, "tmp", 3)) {
        struct vnode *tmp = vfs_mkdir_p("/tmp");
        if (tmp)
            tmp->mode = K_S_IFDIR | 01777;
    }
}
