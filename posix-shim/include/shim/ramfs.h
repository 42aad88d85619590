/* What ramfs offers the mm module for MAP_SHARED file mappings: a regular
 * file's bytes in whole pages of their own, which the app's mappings map
 * directly, so read/write/pwrite and the mappings see the same memory. */
#ifndef SHIM_RAMFS_H
#define SHIM_RAMFS_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

struct vnode;

/* Makes vn's data page-backed (page-aligned, whole pages, zero past the
 * end of file) with room for at least len bytes. 0, -ENODEV if vn is not a
 * ramfs regular file, -ENOMEM. Once page-backed, a file stays so; when its
 * pages move (growth past their capacity) or shrink (truncate), ramfs calls
 * mm_file_pages_moved(vn) first so the mappings drop the old pages. */
long ramfs_share_pages(struct vnode *vn, uint64_t len);

/* The operations of ramfs directories and symlinks (vfs's root directory,
 * the initrd's and devfs's symlinks). */
struct vnode_ops;
extern const struct vnode_ops ramfs_dir_ops;
extern const struct vnode_ops ramfs_link_ops;

#pragma GCC visibility pop

#endif
