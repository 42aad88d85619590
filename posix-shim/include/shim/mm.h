/* The mm module's interface (posix-shim/mm) and the page hooks it needs
 * from a platform that owns page tables (the unikernel; not linuxu, where
 * the host manages memory and mm is not selected).
 *
 * The platform (loader) reports what it mapped itself with mm_vma_add and
 * the start of the program break with mm_brk_init; it sends page faults in
 * the lower half to mm_handle_fault, which maps anonymous memory on first
 * touch. The platform references these weakly: an image without mm loads
 * the app eagerly and has no lazy memory. */
#ifndef SHIM_MM_H
#define SHIM_MM_H

#pragma GCC visibility push(hidden)

#include <stddef.h>
#include <stdint.h>

#define SHIM_PAGE 4096UL
#define SHIM_PAGE_DOWN(x) ((uintptr_t)(x) & ~(SHIM_PAGE - 1))
#define SHIM_PAGE_UP(x) (((uintptr_t)(x) + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1))

/* Linux PROT_* values. */
#define SHIM_PROT_READ 1u
#define SHIM_PROT_WRITE 2u
#define SHIM_PROT_EXEC 4u
/* With platform_page_map: a page of shared anonymous memory (MAP_SHARED |
 * MAP_ANONYMOUS), which fork shares instead of copying. */
#define SHIM_PAGE_SHARED 0x100u

/* ---- platform page hooks (one 4 KiB page at a time, lower half only) ---- */
/* Map a fresh zeroed page at va with prot (PROT_* bits; 0 = PROT_NONE keeps
 * the page but makes it inaccessible). 0, -ENOMEM, or -EEXIST if mapped. */
int platform_page_map(uintptr_t va, unsigned prot);
/* Unmap and free the page at va (nothing if none). */
void platform_page_unmap(uintptr_t va);
/* Map at va the frame that backs the kernel page at kva (shared with it:
 * MAP_SHARED file pages). 0, -EINVAL, or -EEXIST if mapped. */
int platform_page_map_at(uintptr_t va, const void *kva, unsigned prot);
/* Unmap the page at va and keep its frame (one mapped with _map_at). */
void platform_page_unmap_keep(uintptr_t va);
/* Change the protection of the page at va; -1 if no page is there. */
int platform_page_protect(uintptr_t va, unsigned prot);
/* Whether a page (accessible or PROT_NONE) is there. */
int platform_page_present(uintptr_t va);
/* Highest address + 1 the app may use, and the top of its initial stack. */
uintptr_t platform_user_top(void);

/* ---- mm module exports ---- */
#define MM_VMA_STACK 1u      /* the main thread's stack (for /proc/self/maps) */
#define MM_VMA_IMAGE 2u      /* a segment of the app's ELF image */
#define MM_VMA_HEAP 4u       /* the program break area */
#define MM_VMA_SHARED 8u     /* a MAP_SHARED file mapping (the file's own pages) */
#define MM_VMA_SHARED_ANON 16u   /* MAP_SHARED | MAP_ANONYMOUS: shared with fork children */
/* Record a range the platform mapped (or reserved: pages not yet present are
 * filled with zeroes on first touch). start/end page aligned. 0 or -errno. */
int mm_vma_add(uintptr_t start, uintptr_t end, unsigned prot, unsigned flags, const char *name);
/* The program break starts at start (page aligned, above the image). */
void mm_brk_init(uintptr_t start);
/* A page fault at addr (access: PROT_WRITE for a write, PROT_EXEC for an
 * instruction fetch, else PROT_READ): 1 if it was a first touch of a
 * reserved page and is now mapped, 0 if it is a real fault, -ENOMEM if it
 * was a first touch but no page is left (the platform then reports that the
 * guest ran out of memory: Linux's overcommit would end in the OOM killer). */
int mm_handle_fault(uintptr_t addr, unsigned access);
/* Whether a fault at addr is an access to a page of a shared file mapping
 * past the end of the file (SIGBUS/BUS_ADRERR, as Linux). */
int mm_fault_is_bus(uintptr_t addr);
/* Whether addr lies in a mapping (of any protection): a fault there is
 * SEGV_ACCERR, elsewhere SEGV_MAPERR (the signal module asks). */
int mm_addr_mapped(uintptr_t addr);
/* /proc/self/maps text for the whole address space; returns the length it
 * would have written (like snprintf). */
size_t mm_format_maps(char *buf, size_t size);
/* The same for process p's address space (/proc/PID/maps). */
struct proc_ctx;
size_t mm_format_maps_of(struct proc_ctx *p, char *buf, size_t size);
/* ramfs calls this (when mm is selected: SHIM_HAVE_mm) before a shared
 * file's pages move or shrink, so the mappings of vn drop the old pages
 * and fault the new ones in. */
struct vnode;
void mm_file_pages_moved(struct vnode *vn);

#pragma GCC visibility pop

#endif
