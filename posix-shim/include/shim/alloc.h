/* The shim's kernel heap (posix-shim/heap), for the modules that need
 * dynamic memory in the unikernel (vfs, ramfs, pipes, epoll ...).
 *
 * Built on the platform hooks platform_alloc_pages/platform_free_pages
 * (shim.h), because only the platform knows physical memory and the
 * kernel's address space; a test harness uses mmap. */
#ifndef SHIM_ALLOC_H
#define SHIM_ALLOC_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* ---- Heap (posix-shim/heap) ----------------------------------------------
 * 16-byte aligned blocks; NULL on exhaustion. shim_alloc's memory is zeroed
 * (cheap here, and it makes fs structures safe by default). */
void *shim_alloc(size_t n);
void shim_free(void *p);
void *shim_realloc(void *p, size_t n);   /* contents kept up to min(old, n) */
char *shim_strndup(const char *s, size_t n);

/* Bytes currently handed out from platform pages (for /proc/meminfo). */
size_t shim_heap_pages_in_use(void);

#pragma GCC visibility pop

#endif
